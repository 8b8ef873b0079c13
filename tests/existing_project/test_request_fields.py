"""Issue 19: a serializer whose get_fields() depends on the request (staff see the SKU).

drf_eager reads a serializer's fields once, without a request: such a field is unknown to
it. With no shape parameters a level serves the serializer's own fields as get_fields()
builds them for the request, so staff get the SKU as without drf_eager, and the planner
loads every column of such a level (it cannot know what the added field reads). A level
the request restricts (`?fields=`) serves what it names: the SKU is left out, wherever
get_fields() adds it. Naming it is a 400 for every request, like any unknown field, and
the message lists only the schema's fields (decision: a client chooses among the fields
the serializer declares, the same for every request; a field for staff only that staff
may choose is an `extra` with `permissions`).

Two ways projects write it, each built without drf_eager (`plain`), with the serializer
mixin only (`unplanned`: pruned by ?fields=, nothing planned) and with both mixins:

- a base class that drops `Meta.staff_fields` for other requests, under the mixin (the
  mixin's get_fields() prunes what it returns);
- a serializer that adds `sku` after `super().get_fields()`, above the mixin (it adds to
  what the mixin pruned).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import generics, serializers
from rest_framework.test import APIRequestFactory, force_authenticate

from drf_eager.fast import compile_fast_plan, fast_plan_refusal
from drf_eager.serializers import EagerFieldsSerializerMixin, resolve_params
from drf_eager.views import EagerFieldsViewMixin

from . import models
from .test_adoption import build_shop


def is_staff(serializer: Any) -> bool:
    request = serializer.context.get("request")
    return bool(getattr(getattr(request, "user", None), "is_staff", False))


class StaffFields:
    """The project's base: `Meta.staff_fields` are for staff only."""

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()  # type: ignore[misc]
        if not is_staff(self):
            for name in getattr(self.Meta, "staff_fields", ()):  # type: ignore[attr-defined]
                fields.pop(name, None)
        return fields


def build(variant: str) -> SimpleNamespace:
    eager_serializers = variant != "plain"
    mixin: tuple[type, ...] = (EagerFieldsSerializerMixin,) if eager_serializers else ()
    view_mixin: tuple[type, ...] = (EagerFieldsViewMixin,) if variant == "eager" else ()

    class Base(*mixin, StaffFields, serializers.ModelSerializer):  # type: ignore[misc]
        """The mixin added before the project's base (its get_fields() wraps it)."""

    class ProductBelow(Base):
        class Meta:
            model = models.Product
            fields = ["id", "title", "sku"]
            staff_fields = ["sku"]

    class ProductAbove(*mixin, serializers.ModelSerializer):  # type: ignore[misc]
        class Meta:
            model = models.Product
            fields = ["id", "title"]

        def get_fields(self) -> dict[str, Any]:
            fields: dict[str, Any] = super().get_fields()
            if is_staff(self):
                fields["sku"] = serializers.CharField(read_only=True)
            return fields

    class LineSerializer(*mixin, serializers.ModelSerializer):  # type: ignore[misc]
        product = ProductBelow()

        class Meta:
            model = models.OrderLine
            fields = ["id", "quantity", "product"]

    class OrderSerializer(*mixin, serializers.ModelSerializer):  # type: ignore[misc]
        lines = LineSerializer(many=True)

        class Meta:
            model = models.Order
            fields = ["number", "lines"]

    class ShapeInContext:
        request: Any

        def get_serializer_context(self) -> dict[str, Any]:
            context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
            if variant == "unplanned":
                context["fields"] = self.request.query_params.get("fields")
            return context

    bases = (*view_mixin, ShapeInContext)

    def views(serializer: type) -> tuple[type, type]:
        class List(*bases, generics.ListAPIView):  # type: ignore[misc]
            queryset = models.Product.objects.order_by("id")
            serializer_class = serializer

        class Detail(*bases, generics.RetrieveAPIView):  # type: ignore[misc]
            queryset = models.Product.objects.all()
            serializer_class = serializer
            lookup_field = "slug"

        return List, Detail

    below, below_detail = views(ProductBelow)
    above, above_detail = views(ProductAbove)

    class Orders(*bases, generics.ListAPIView):  # type: ignore[misc]
        queryset = models.Order.objects.order_by("number")
        serializer_class = OrderSerializer

    return SimpleNamespace(
        below=below,
        below_detail=below_detail,
        above=above,
        above_detail=above_detail,
        orders=Orders,
        ProductBelow=ProductBelow,
        ProductAbove=ProductAbove,
    )


BUILDS = {variant: build(variant) for variant in ("plain", "unplanned", "eager")}
STAFF = User(username="staff", is_staff=True)
CUSTOMER = User(username="customer")


@pytest.fixture
def shop(db, settings):
    settings.DRF_EAGER = {}
    build_shop(3)


def get(variant: str, view: str, user: User, query: str = "") -> tuple[Any, Any, int]:
    request = APIRequestFactory().get(f"/{query}")
    force_authenticate(request, user)
    kwargs = {"slug": "p1"} if view.endswith("detail") else {}
    with CaptureQueriesContext(connection) as queries:
        response = getattr(BUILDS[variant], view).as_view()(request, **kwargs)
        response.render()
    return response.status_code, response.content, len(queries)


VIEWS = ["below", "below_detail", "above", "above_detail", "orders"]
USERS = {"staff": STAFF, "customer": CUSTOMER}


def skus(content: bytes) -> list[str]:
    data = json.loads(content)
    rows = data if isinstance(data, list) else [data]
    found = []
    for row in rows:
        for product in [line["product"] for line in row["lines"]] if "lines" in row else [row]:
            if "sku" in product:
                found.append(product["sku"])
    return found


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("view", VIEWS)
def test_no_parameters_the_bytes_of_plain_drf(shop, view, user):
    status, plain, plain_queries = get("plain", view, USERS[user])
    eager_status, eager, eager_queries = get("eager", view, USERS[user])
    assert status == eager_status == 200
    assert eager == plain
    assert eager_queries <= plain_queries
    # Staff see the SKU, others do not, as without drf_eager.
    assert bool(skus(eager)) is (user == "staff")


FIELDS = {
    "below": "title",
    "below_detail": "title",
    "above": "title",
    "above_detail": "id,title",
    "orders": "number,lines(product(title))",
}


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("view", VIEWS)
def test_fields_the_fields_named(shop, view, user):
    query = f"?fields={FIELDS[view]}"
    status, unplanned, unplanned_queries = get("unplanned", view, USERS[user], query)
    eager_status, eager, eager_queries = get("eager", view, USERS[user], query)
    assert status == eager_status == 200
    # Left out wherever get_fields() adds it: before the mixin's (which prunes what it
    # returns) or after it (the mixin drops it from the serializer's fields).
    assert skus(eager) == []
    assert eager == unplanned
    assert eager_queries <= unplanned_queries


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("view", ["below", "above_detail"])
def test_exclude_keeps_what_get_fields_adds(shop, view, user):
    status, content, _ = get("eager", view, USERS[user], "?exclude=id")
    assert status == 200
    rows = json.loads(content)
    row = rows[0] if isinstance(rows, list) else rows
    assert list(row) == (["title", "sku"] if user == "staff" else ["title"])


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("view", ["below", "above", "orders"])
def test_naming_a_field_get_fields_adds_is_a_400(shop, view, user):
    query = "?fields=number,lines(product(sku))" if view == "orders" else "?fields=title,sku"
    status, content, queries = get("eager", view, USERS[user], query)
    assert status == 400
    assert queries == 0
    [message] = json.loads(content)["fields"]
    assert message.startswith("Unknown field 'sku'")
    assert "sku" not in message.split("Allowed:")[1]


@pytest.mark.parametrize("serializer", ["ProductBelow", "ProductAbove"])
def test_the_fast_path_refuses_a_get_fields_of_its_own(serializer):
    serializer_class = getattr(BUILDS["eager"], serializer)
    shape = resolve_params(serializer_class)
    assert compile_fast_plan(serializer_class, shape) is None
    assert "get_fields()" in fast_plan_refusal(serializer_class, shape)


@pytest.mark.parametrize("view", ["below", "above"])
def test_a_level_get_fields_may_add_to_loads_every_column(shop, view):
    """With no shape parameters the planner cannot know what the added field reads; with
    ?fields= it serves only the fields named, and prunes."""
    from drf_eager.prefetch import prefetch_queryset
    from drf_eager.schema import get_schema

    serializer_class = getattr(
        BUILDS["eager"], "ProductBelow" if view == "below" else "ProductAbove"
    )
    queryset = models.Product.objects.order_by("id")
    schema = get_schema(serializer_class)
    default = prefetch_queryset(queryset, schema, schema.default_shape)
    assert default.query.deferred_loading == (frozenset(), True)  # every column
    chosen = prefetch_queryset(queryset, schema, resolve_params(serializer_class, fields="title"))
    assert chosen.query.deferred_loading == (frozenset({"id", "title"}), False)
