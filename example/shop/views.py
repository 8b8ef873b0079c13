"""The shop's API: every view takes ?extra=, ?fields=, ?exclude= and a JSON body."""

from __future__ import annotations

import datetime

from django.db.models import OuterRef, Subquery
from django.shortcuts import render
from django.utils.dateparse import parse_date
from rest_framework import generics, pagination, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from drf_eager import EagerFieldsViewMixin, Grouped, data_predicate

from . import serializers
from .models import Article, Country, Customer, Order


class ShopPagination(pagination.PageNumberPagination):
    page_size = 20


class CountryViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    queryset = Country.objects.all()
    serializer_class = serializers.CountrySerializer
    pagination_class = ShopPagination


class CustomerViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerSerializer
    pagination_class = ShopPagination


class ContactViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """The customers again, with an extra only logged-in users may ask for: `email`."""

    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerContactSerializer
    pagination_class = ShopPagination


class ArticleViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    queryset = Article.objects.all()
    serializer_class = serializers.ArticleSerializer
    pagination_class = ShopPagination


class OrderViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    queryset = Order.objects.all()
    serializer_class = serializers.OrderSerializer
    pagination_class = ShopPagination


class OrderDetailViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Order.objects.all()
    serializer_class = serializers.OrderDetailSerializer
    pagination_class = ShopPagination


class CountryViewSetWithRoutes(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """The README's "ViewSets: defaults per action, @action routes": defaults that depend
    on the action, and two routes of its own, shaped and loaded like the others."""

    queryset = Country.objects.all()
    serializer_class = serializers.CountrySerializer

    def get_serializer_extra(self):
        if self.action == "list":
            return "num_customers"  # a subquery of the countries' query
        if self.action == "retrieve":
            return "num_customers,customers.orders"  # and a query each for the two relations
        return super().get_serializer_extra()

    @action(detail=False)
    def newest(self, request):
        queryset = self.filter_queryset(self.get_queryset().order_by("-id"))
        return Response(self.get_serializer(queryset, many=True).data)

    @action(detail=True, serializer_class=serializers.CustomerSerializer)
    def customers(self, request, pk=None):
        country = self.get_object()
        customers = self.filter_queryset(country.customers.all())
        return Response(self.get_serializer(customers, many=True).data)


class CustomerSummaryView(EagerFieldsViewMixin, generics.ListAPIView):
    """View defaults: each customer's name and order codes, unless the request says
    otherwise."""

    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerSummarySerializer
    pagination_class = ShopPagination
    serializer_extra = "orders"
    serializer_fields = ["name", "orders.code"]

    @data_predicate("last_order_at")
    def annotate_last_order(self, queryset):
        """Runs only when the response serves `last_order_at`."""
        last = Order.objects.filter(customer=OuterRef("pk")).order_by("-created_at")
        return queryset.annotate(last_order_at=Subquery(last.values("created_at")[:1]))


class CustomerOrdersView(EagerFieldsViewMixin, generics.ListAPIView):
    """Each customer with its orders, loaded grouped: one query JOINs the page of
    customers to their orders (and each order's article) instead of a prefetch query
    filtered by the page's keys. `?since=` filters the orders; the customers without a
    matching order are still listed, unless `?with_orders=1`."""

    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerOrdersSerializer
    pagination_class = ShopPagination
    serializer_extra = "orders.article"
    serializer_fields = ["name", "orders(code,created_at,article.code)"]
    eager_grouped = ["orders"]

    def get_eager_grouped(self):
        if self.request.query_params.get("with_orders"):
            return {"orders": Grouped(only_with_children=True)}
        return super().get_eager_grouped()

    def get_related_queryset(self, model, path):
        queryset = super().get_related_queryset(model, path)
        since = self.request.query_params.get("since")
        if model is Order and since:
            day = parse_date(since)
            if day is None:
                raise ValidationError({"since": ["Expected a date such as 2024-12-01."]})
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.timezone.utc)
            queryset = queryset.filter(created_at__gte=start)
        return queryset


def index(request):
    """Every example request, with its status and the number of SQL queries it costs."""
    from .examples import run_examples

    return render(request, "shop/index.html", {"examples": run_examples(request)})
