"""Serializers with opt-in `extra` fields: nothing below is loaded unless a request
asks for it, and then in the minimum number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from rest_framework import permissions, serializers

from drf_eager import CountOf, EagerFieldsModelSerializer, Exists, Grouped, classproperty

from .models import Article, Country, Customer, CustomerProfile, Order


class CountrySerializer(EagerFieldsModelSerializer):
    class Meta:
        model = Country
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {
            "customers": {"field": CustomerSerializer(many=True)},
            # Computed in the query that loads the countries: no query of its own.
            "num_customers": {"field": CountOf("customers")},
        }


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
            # A filtered relation: loaded in one query, into an attribute of its own.
            "expensive_articles": {
                "field": ArticleSerializer(source="articles", many=True),
                "filter": Q(price__gte=50),
            },
            "profile": {"field": CustomerProfileSerializer()},
            # Computed fields: one subquery each in the customers' own query.
            "num_orders": {"field": CountOf("orders")},
            "num_countries": {"field": CountOf("countries")},
            "has_profile": {"field": Exists("profile")},
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
            "num_orders": {"field": CountOf("orders")},
            # A model property that declares what it reads (@requires).
            "label": {"field": serializers.CharField(read_only=True)},
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


class CustomerContactSerializer(CustomerSerializer):
    """Served only by ContactViewSet: a permission-guarded extra, which anonymous
    clients asking for it get a 403 for."""

    @classproperty
    def extra(cls):
        return {
            **CustomerSerializer.extra,
            "email": {
                "field": serializers.EmailField(read_only=True),
                "permissions": [permissions.IsAuthenticated],
            },
        }


class CustomerSummarySerializer(CustomerSerializer):
    """Served only by CustomerSummaryView, whose @data_predicate hook annotates
    `last_order_at` when a response serves it."""

    @classproperty
    def extra(cls):
        return {
            **CustomerSerializer.extra,
            "last_order_at": {
                "field": serializers.DateTimeField(read_only=True, allow_null=True),
                "requires": [],  # the annotation: no column to load
            },
        }


class CustomerOrdersSerializer(CustomerSerializer):
    """Served only by CustomerOrdersView, which loads `orders` grouped: JOINed to the
    customers' own query instead of a prefetch query of their own."""

    @classproperty
    def extra(cls):
        return {
            **CustomerSerializer.extra,
            # Grouped in the extra itself: the last 3 orders of each customer.
            "recent_orders": {
                "field": OrderSerializer(source="orders", many=True),
                "prefetch": Grouped(Order.objects.order_by("-created_at", "-id")[:3]),
            },
        }
