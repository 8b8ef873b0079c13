"""Views as drf-eager-fields' example writes them: DRF's generic view first, the eager
view after it, defaults on the view."""

from __future__ import annotations

from rest_framework import generics

from drf_eager.views import EagerFieldsAPIView, EagerFieldsViewMixin

from . import models
from .serializers import ArticleSerializer, CustomerSerializer


class ArticleList(generics.ListCreateAPIView, EagerFieldsAPIView):
    queryset = models.Article.objects.all()
    serializer_class = ArticleSerializer


class ArticleDetail(generics.RetrieveUpdateAPIView, EagerFieldsAPIView):
    queryset = models.Article.objects.all()
    serializer_class = ArticleSerializer


class ArticleView(generics.ListAPIView, EagerFieldsViewMixin):
    # The README's view with defaults (here with the mixin after ListAPIView too).
    queryset = models.Article.objects.all()  # one level queryset, no prefetching
    serializer_class = ArticleSerializer
    serializer_extra = "customer.countries"
    serializer_fields = "code,customer.name,customer.countries.name"


class ArticleStaleDefaults(generics.ListAPIView, EagerFieldsAPIView):
    # A default naming what the serializers lack (`orders.customer` exists,
    # `customer.country` does not): drf-eager-fields skipped it.
    queryset = models.Article.objects.all()
    serializer_class = ArticleSerializer
    serializer_extra = "orders.customer, customer.country"


class CustomerDetail(generics.RetrieveUpdateAPIView, EagerFieldsAPIView):
    queryset = models.Customer.objects.all()
    serializer_class = CustomerSerializer


class CustomerList(generics.ListCreateAPIView, EagerFieldsAPIView):
    queryset = models.Customer.objects.all()
    serializer_class = CustomerSerializer
