"""Serializers as drf-eager-fields' README and example write them: the mixin listed
after ModelSerializer, `extra` as a @classproperty importing its neighbours lazily.
Only the imports are drf_eager's."""

from __future__ import annotations

from django.db import connection
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.functional import classproperty
from rest_framework import serializers

from drf_eager.serializers import EagerFieldsSerializer, EagerFieldsSerializerMixin

from . import models


def _last_10_orders():
    if connection.vendor == "mysql":
        # MariaDB refuses a LIMIT in an IN subquery; a sliced Prefetch queryset is
        # the portable form (docs/migration.md).
        return models.Order.objects.order_by("-created_at")[:10]
    return models.Order.objects.filter(
        id__in=Subquery(
            models.Order.objects.filter(article_id=OuterRef("article_id"))
            .order_by("-created_at")
            .values_list("id", flat=True)[:10]
        )
    ).order_by("-created_at")


class CountrySerializer(serializers.ModelSerializer, EagerFieldsSerializerMixin):
    class Meta:
        model = models.Country
        fields = ("id", "name")


class CustomerSerializer(serializers.ModelSerializer, EagerFieldsSerializerMixin):
    class Meta:
        model = models.Customer
        fields = ("id", "name")

    @classproperty
    def extra(self):
        from .serializers import ArticleSerializer, OrderSerializer

        return {
            "countries": {"field": CountrySerializer(many=True), "prefetch": True},
            "articles": {"field": ArticleSerializer(many=True), "prefetch": True},
            "orders": {"field": OrderSerializer(many=True), "prefetch": True},
            # "prefetch for simple fields": a property that reads two relations.
            "description": {
                "field": serializers.CharField(read_only=True),
                "prefetch": [
                    Prefetch("countries", queryset=models.Country.objects.all()),
                    Prefetch("articles", queryset=models.Article.objects.all()),
                ],
            },
        }


class OrderSerializer(serializers.ModelSerializer, EagerFieldsSerializerMixin):
    class Meta:
        model = models.Order
        fields = ("id", "code", "created_at")

    @classproperty
    def extra(self):
        from .serializers import ArticleSerializer

        return {
            "article": {"field": ArticleSerializer(), "prefetch": True},
            "customer": {"field": CustomerSerializer(), "prefetch": True},
        }


class ArticleSerializer(serializers.ModelSerializer, EagerFieldsSerializer):
    class Meta:
        model = models.Article
        fields = ("id", "code", "customer")
        extra_kwargs = {"customer": {"write_only": True}}

    @classproperty
    def extra(self):
        return {
            "customer": {"field": CustomerSerializer(), "prefetch": True},
            "orders": {"field": OrderSerializer(many=True), "prefetch": True},
            "last_10_orders": {
                "field": OrderSerializer(source="orders", many=True),
                "prefetch": Prefetch("orders", queryset=_last_10_orders()),
            },
            # Django's idiom for "the best N children of each parent" (a sliced Prefetch
            # into an attribute the field's source reads).
            "latest_orders": {
                "field": OrderSerializer(source="latest", many=True),
                "prefetch": Prefetch(
                    "orders",
                    queryset=models.Order.objects.order_by("-created_at")[:2],
                    to_attr="latest",
                ),
            },
            # What the request asked for, read from the context as drf-eager-fields'
            # users do.
            "asked": {"field": serializers.SerializerMethodField()},
        }

    def get_asked(self, article):
        return {key: self.context.get(key) for key in ("extra", "fields", "exclude")}
