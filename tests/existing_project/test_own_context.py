"""A view's own get_serializer() that gives the serializer a context of its own: the view's
serializer still serves the request's shape, in the queries drf_eager planned for it, as
with the mixin's get_serializer() alone; any other serializer built with that context,
and one that reads input, is left as DRF builds it.

The layouts are those of real projects: a get_serializer() that builds the serializer
itself with get_serializer_context() (never reaching the mixin's), one that passes a
context dict of its own to super(), and one that adds a key to the view's context.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from drf_eager.serializers import EagerFieldsSerializerMixin
from drf_eager.views import EagerFieldsViewMixin

from . import api, models

pytestmark = pytest.mark.django_db


class ProductSerializer(api.EagerModelSerializer):
    class Meta:
        model = models.Product
        fields = ["id", "title"]


class CategorySerializer(api.EagerModelSerializer):
    currency = serializers.SerializerMethodField()

    class Meta:
        model = models.Category
        fields = ["id", "name", "slug", "currency"]
        extra = {"products": {"field": ProductSerializer(many=True), "prefetch": True}}

    def get_currency(self, category: Any) -> str:
        return self.context.get("currency", "")


class Categories(EagerFieldsViewMixin, generics.ListAPIView):
    queryset = models.Category.objects.order_by("id")
    serializer_class = CategorySerializer


class Replaced(Categories):
    """get_serializer() doing DRF's work itself, with the view's context and a key."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        context = self.get_serializer_context()
        context["currency"] = "EUR"
        return self.get_serializer_class()(*args, context=context, **kwargs)


class OwnDict(Categories):
    """A context dict of the view's own, given to the mixin's get_serializer()."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["context"] = {"request": self.request, "currency": "EUR"}
        return super().get_serializer(*args, **kwargs)


class AddedKey(Categories):
    """The view's context with one more key, given to the mixin's get_serializer()."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["context"] = {**self.get_serializer_context(), "currency": "EUR"}
        return super().get_serializer(*args, **kwargs)


LAYOUTS = [Replaced, OwnDict, AddedKey]


@pytest.fixture
def catalogue():
    for name in ("Hats", "Shoes"):
        category = models.Category.objects.create(name=name, slug=name.lower())
        for i in range(2):
            models.Product.objects.create(
                category=category, title=f"{name} {i}", slug=f"{name}-{i}", sku="s", price=1
            )


def get(view: Any, query: str) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        response = view.as_view()(APIRequestFactory().get(f"/{query}"))
        response.render()
    assert response.status_code == 200, response.data
    return response.data, len(queries)


def hats_products() -> list[dict[str, Any]]:
    products = models.Product.objects.filter(category__slug="hats").order_by("id")
    return [{"id": product.pk, "title": product.title} for product in products]


@pytest.mark.parametrize("view", LAYOUTS, ids=lambda view: view.__name__)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?fields=name,currency", lambda: {"name": "Hats", "currency": "EUR"}),
        (
            "?fields=name,products&extra=products",
            lambda: {"name": "Hats", "products": hats_products()},
        ),
        ("?exclude=id,slug", lambda: {"name": "Hats", "currency": "EUR"}),
    ],
)
def test_the_views_serializer_serves_the_shape(catalogue, view, query, expected):
    data, queries = get(view, query)
    assert data[0] == expected()
    # The plan's queries, as the mixin's own get_serializer() is served by the DRF path
    # (the fast path and the SQL render need the mixin's: they may send fewer).
    assert queries == (2 if "products" in query else 1)


@pytest.mark.parametrize("view", LAYOUTS, ids=lambda view: view.__name__)
def test_no_shape_asked_is_the_views_own_response(catalogue, view):
    data, queries = get(view, "")
    assert data[0] == {
        "id": data[0]["id"],
        "name": "Hats",
        "slug": "hats",
        "currency": "EUR",
    }
    assert queries == 1


class OtherSerializer(api.EagerModelSerializer):
    class Meta:
        model = models.Category
        fields = ["name", "slug"]


class TwoSerializers(Categories):
    """A list() of the project's own, building a second serializer and one that reads
    input with the view's context."""

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        context = self.get_serializer_context()
        categories = self.get_queryset()
        shaped = self.get_serializer_class()(categories, many=True, context=context)
        other = OtherSerializer(categories, many=True, context=context)
        given = CategorySerializer(data={"name": "Bags", "slug": "bags"}, context=context)
        assert given.is_valid(), given.errors
        return Response(
            {"shaped": shaped.data, "other": other.data, "given": dict(given.validated_data)}
        )


def test_other_serializers_with_the_views_context_are_drfs(catalogue):
    data, _ = get(TwoSerializers, "?fields=name")
    assert data["shaped"] == [{"name": "Hats"}, {"name": "Shoes"}]
    # Not the view's serializer class: its own fields, whatever the request asked.
    assert data["other"] == [{"name": "Hats", "slug": "hats"}, {"name": "Shoes", "slug": "shoes"}]
    # A serializer that reads input validates every field it declares.
    assert data["given"] == {"name": "Bags", "slug": "bags"}


class WithoutSerializerClass(EagerFieldsViewMixin, generics.ListAPIView):
    """No serializer class: its own list() serializes, with the view's context."""

    queryset = models.Category.objects.order_by("id")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        context = self.get_serializer_context()
        return Response(OtherSerializer(self.get_queryset(), many=True, context=context).data)


def test_a_view_without_a_serializer_class_is_left_alone(catalogue):
    data, queries = get(WithoutSerializerClass, "?fields=name")
    assert data == [{"name": "Hats", "slug": "hats"}, {"name": "Shoes", "slug": "shoes"}]
    assert queries == 1


class EnvelopeCategorySerializer(serializers.ModelSerializer, EagerFieldsSerializerMixin):  # type: ignore[type-arg]
    """The mixin after ModelSerializer, and a to_representation() of its own."""

    class Meta:
        model = models.Category
        fields = ["id", "name", "slug"]

    def to_representation(self, instance: Any) -> Any:
        return {**super().to_representation(instance), "kind": "category"}


class ReplacedEnvelope(Replaced):
    serializer_class = EnvelopeCategorySerializer


def test_a_serializer_written_unlike_ours(catalogue):
    data, queries = get(ReplacedEnvelope, "?fields=name")
    assert data == [{"name": "Hats", "kind": "category"}, {"name": "Shoes", "kind": "category"}]
    assert queries == 1
    response = ReplacedEnvelope.as_view()(APIRequestFactory().get("/?fields=nope"))
    assert response.status_code == 400
    assert "nope" in str(response.data)
