"""Serializers with guarded extras and views with limits of their own, for
tests/security/test_hostile_requests.py."""

from __future__ import annotations

from rest_framework import generics, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAdminUser

from drf_eager import EagerFieldsModelSerializer, EagerFieldsViewMixin, classproperty

from . import models, serializers


def is_signed_in(request):
    return bool(request.user and request.user.is_authenticated)


class GuardedAuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {
            "email": {"field": serializers.serializers.CharField(), "permissions": [IsAdminUser]},
            "books": {
                "field": serializers.BookSerializer(many=True),
                "permissions": [is_signed_in],
            },
            "profile": {"field": serializers.AuthorProfileSerializer()},
        }


class GuardedPublisherSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Publisher
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {"authors": {"field": GuardedAuthorSerializer(many=True)}}


class GuardedAuthorViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Author.objects.all()
    serializer_class = GuardedAuthorSerializer


class GuardedPublisherViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Publisher.objects.all()
    serializer_class = GuardedPublisherSerializer


class GuardedDefaultsView(EagerFieldsViewMixin, generics.ListAPIView):
    """View defaults that name guarded extras: left out for users who may not see them."""

    queryset = models.Author.objects.all()
    serializer_class = GuardedAuthorSerializer
    serializer_extra = "email,books"
    serializer_fields = ["name", "email", "books.title"]


class LimitedBookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Book.objects.all()
    serializer_class = serializers.BookSerializer
    eager_limits = {"MAX_DEPTH": 1, "MAX_PATHS": 3, "MAX_PARAM_LENGTH": 20, "MAX_BODY_SIZE": 40}


class ScopedBookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """Scopes nested rows by the request, as a tenant filter would: `?min_rating=`
    hides worse reviews at every path; each call is recorded for the tests."""

    queryset = models.Book.objects.all()
    serializer_class = serializers.BookSerializer
    calls: list[tuple[str, str]] = []

    def get_related_queryset(self, model, path):
        type(self).calls.append((model.__name__, path))
        queryset = super().get_related_queryset(model, path)
        if model is models.Review:
            queryset = queryset.filter(rating__gte=self.min_rating())
        return queryset

    def min_rating(self) -> int:
        # As a real view would: a value that is not a whole number is the client's
        # mistake, a 400 (the fuzzer sends `4.5`), not a 500.
        value = self.request.query_params.get("min_rating") or "0"
        try:
            return int(value)
        except ValueError:
            raise ValidationError({"min_rating": ["A whole number is required."]}) from None
