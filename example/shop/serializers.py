"""Serializers with opt-in `extra` fields: nothing below is loaded unless a request
asks for it, and then in the minimum number of queries."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import serializers

from drf_eager import EagerFieldsModelSerializer, classproperty

from .models import Article, Country, Customer, CustomerProfile, Order


class CountrySerializer(EagerFieldsModelSerializer):
    class Meta:
        model = Country
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {"customers": {"field": CustomerSerializer(many=True)}}


class CustomerProfileSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = CustomerProfile
        fields = ["vip", "notes"]


class CustomerSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {
            "countries": {"field": CountrySerializer(many=True), "prefetch": True},
            "orders": {"field": OrderSerializer(many=True), "prefetch": True},
            # A variant of `orders`: the last 10 of each customer, newest first.
            "last_10_orders": {
                "field": OrderSerializer(source="orders", many=True),
                "prefetch": Prefetch(
                    "orders", queryset=Order.objects.order_by("-created_at", "-id")[:10]
                ),
            },
            "articles": {"field": ArticleSerializer(many=True)},
            "profile": {"field": CustomerProfileSerializer()},
        }


class ArticleSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "code", "name", "price"]

    @classproperty
    def extra(cls):
        return {
            "customer": {"field": CustomerSerializer(), "prefetch": True},
            "orders": {"field": OrderSerializer(many=True)},
        }


class OrderSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "code", "created_at"]

    @classproperty
    def extra(cls):
        return {
            "article": {"field": ArticleSerializer()},
            "customer": {"field": CustomerSerializer()},
        }


class OrderDetailSerializer(EagerFieldsModelSerializer):
    """An ordinary nested serializer and a dotted source: shaped and loaded as well."""

    article = ArticleSerializer()
    customer_name = serializers.CharField(source="customer.name")

    class Meta:
        model = Order
        fields = ["id", "code", "created_at", "article", "customer_name"]
