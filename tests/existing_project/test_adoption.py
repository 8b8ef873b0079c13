"""Issue 19: adopting drf_eager in an existing project changes nothing until a client
asks, and never costs a query more.

Every endpoint of the project (api.py) is requested from its three builds: `plain`
(without drf_eager), `unplanned` (the serializers prune, nothing plans) and `eager`
(both mixins). With no parameters, `eager` answers the bytes of `plain` in no more
queries; with `?fields=`, the bytes of `unplanned` (which are `plain`'s, pruned) in no
more queries than `unplanned`.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from drf_eager.checks import check_serializer
from drf_eager.serializers import prepare
from drf_eager.stock import COLUMNS_FIELD, COLUMNS_SERIALIZER, COLUMNS_VALUE, requires

from . import api, models


def build_shop(products: int) -> None:
    shoes = models.Category.objects.create(name="Shoes", slug="shoes")
    hats = models.Category.objects.create(name="Hats", slug="hats")
    size = models.AttributeType.objects.create(name="Size", unit="cm")
    colour = models.AttributeType.objects.create(name="Colour", unit="")
    for i in range(products):
        product = models.Product.objects.create(
            category=shoes if i % 2 else hats,
            # Titles in another order than the rows', for the index on (is_public, title).
            title=f"Product {products - i}",
            slug=f"p{i}",
            sku=f"SKU{i}",
            description="A long description. " * 20,
            price=Decimal("10.50") + i,
        )
        models.ProductAttribute.objects.create(product=product, type=size, value=str(30 + i))
        models.ProductAttribute.objects.create(product=product, type=colour, value="red")
        for n in range(2):
            models.ProductImage.objects.create(product=product, url=f"/img/{i}-{n}.png")
        # Not in the order of the index on (product, name).
        for name in ("Small", "Large", "Medium"):
            models.Option.objects.create(product=product, name=name, price_delta=Decimal("1"))
    for i in range(3):
        home = models.Address.objects.create(line1=f"{i} Main St", city="Turin", country="IT")
        office = models.Address.objects.create(line1=f"{i} Office", city="Milan", country="IT")
        order = models.Order.objects.create(
            number=f"N{i}",
            customer=f"c{i}",
            status="paid",
            shipping_address=home,
            billing_address=office,
        )
        for product in models.Product.objects.order_by("id")[:2]:
            models.OrderLine.objects.create(order=order, product=product, quantity=i + 1)


@pytest.fixture(params=[1, 6], ids=["1product", "6products"])
def shop(request, db, settings):
    # A project's own settings: not the suite's STRICT mode, which raises on the N+1
    # queries this project has without drf_eager as well.
    settings.DRF_EAGER = {}
    settings.ROOT_URLCONF = "tests.existing_project.urls"
    build_shop(request.param)
    return request.param


def get(url):
    client = APIClient()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    # Each build has its own URLs (a paginator's links name them).
    content = response.content
    for variant in (b"plain", b"unplanned", b"eager"):
        content = content.replace(b"/existing/" + variant + b"/", b"/existing/build/")
    return content, len(queries)


def prune(data, spec):
    """`data` with only the keys of `spec` ({key: None or a spec of the value})."""
    if isinstance(data, list):
        return [prune(item, spec) for item in data]
    if isinstance(data, dict) and "results" in data and "results" not in spec:
        return prune(data["results"], spec)  # a page: its links name the parameters
    return {
        key: value if spec[key] is None else prune(value, spec[key])
        for key, value in data.items()
        if key in spec
    }


ENDPOINTS = [
    ("products/", "title,options(name)", {"title": None, "options": {"name": None}}),
    ("ordered-products/", "title,options(name)", {"title": None, "options": {"name": None}}),
    ("products/p0/", "title,attributes(label)", {"title": None, "attributes": {"label": None}}),
    (
        "product-details/",
        "display_title,attributes(type_name,label),options",
        {
            "display_title": None,
            "attributes": {"type_name": None, "label": None},
            "options": {"id": None, "name": None, "price_delta": None},
        },
    ),
    ("product-cards/", "title,options", {"title": None, "options": {"id": None, "name": None}}),
    ("admin/products/", "title,category_label", {"title": None, "category_label": None}),
    (
        "orders/",
        "number,shipping_address(city),lines(product_title)",
        {"number": None, "shipping_address": {"city": None}, "lines": {"product_title": None}},
    ),
]


@pytest.mark.parametrize(("path", "fields", "spec"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_no_parameters_the_same_bytes_in_no_more_queries(shop, path, fields, spec):
    """Issue 19: with no shape parameters, the eager build answers the plain build's
    bytes, in no more queries."""
    plain, plain_queries = get(f"/existing/plain/{path}")
    eager, eager_queries = get(f"/existing/eager/{path}")
    assert eager == plain
    assert eager_queries <= plain_queries


@pytest.mark.parametrize(("path", "fields", "spec"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_fields_the_pruned_bytes_in_no_more_queries(shop, path, fields, spec):
    """Issue 19: with ?fields=, the eager build answers the plain build's bytes pruned,
    in no more queries than the serializers pruning them without a plan."""
    plain, _ = get(f"/existing/plain/{path}")
    unplanned, unplanned_queries = get(f"/existing/unplanned/{path}?fields={fields}")
    eager, eager_queries = get(f"/existing/eager/{path}?fields={fields}")
    unplanned_data = json.loads(unplanned)
    if isinstance(unplanned_data, dict) and "results" in unplanned_data:
        unplanned_data = unplanned_data["results"]
    assert unplanned_data == prune(json.loads(plain), spec)
    assert eager == unplanned
    assert eager_queries <= unplanned_queries


# What the plan saves, exactly: 1 and 6 products cost the same ---------------------------


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # Unordered: the products' own query as the view writes it (a JOIN would change
        # the order the database reads them in), categories, options.
        ("products/", 3),
        ("products/?fields=title,options(name)", 2),
        # Ordered: the same, with categories JOINed.
        ("ordered-products/", 2),
        ("ordered-products/?fields=title,options(name)", 2),
        # Products, categories, attributes with types JOINed, images, options.
        ("product-details/", 5),
        # One product (get() reads one row, in no order): categories JOINed.
        ("products/p0/", 4),
        # Its own to_representation() loads each product again, with its options and
        # images: planned as without drf_eager, one query and three per product.
        ("product-cards/", "1+3n"),
        # Products, categories, attributes with types JOINed.
        ("admin/products/", 3),
        # The method field reads the category, which it does not declare: as without
        # drf_eager, a query per product.
        ("admin/products/?fields=title,category_label", "1+n"),
        # A count, orders with addresses JOINed, lines with products JOINed.
        ("orders/", 3),
    ],
)
def test_query_counts(shop, path, queries):
    """Issue 19: what the eager build costs, whatever the number of rows."""
    _, counted = get(f"/existing/eager/{path}")
    expected = {"1+n": 1 + shop, "1+3n": 1 + 3 * shop}.get(queries, queries)
    assert counted == expected


def test_an_unordered_child_keeps_the_rows_order(shop):
    """Issue 19.3: options have no ordering, and (id, name, product_id) can be read from
    the index on (product, name), in name order: an unordered queryset is not pruned."""
    plain = json.loads(get("/existing/plain/products/")[0])
    eager = json.loads(get("/existing/eager/products/?fields=options(name)")[0])
    assert eager == [{"options": [{"name": o["name"]} for o in p["options"]]} for p in plain]
    product = models.Product.objects.get(slug="p0")
    options = models.Option.objects.filter(product__in=[product])
    assert [o["name"] for o in plain[0]["options"]] == [o.name for o in options]
    if connection.vendor == "sqlite":
        # What pruning would have done: the covering index's order.
        pruned = options.only("id", "name", "product")
        assert [o.name for o in pruned] == ["Large", "Medium", "Small"]
        assert [o.name for o in options] == ["Small", "Large", "Medium"]


def test_an_unordered_root_keeps_the_rows_order(shop):
    """Issue 19.3: products have no ordering, and (id, title) of the public ones can be
    read from the index on (is_public, title), in title order; on Django 6 with SQLite
    the plain view itself reads them through that index (`is_public = 1`), in title
    order, not the primary key's: the view's own query is sent as it is."""
    plain = json.loads(get("/existing/plain/products/")[0])
    eager = json.loads(get("/existing/eager/products/?fields=title")[0])
    assert eager == [{"title": p["title"]} for p in plain]


def test_an_ordered_queryset_is_pruned(shop):
    """Issue 19.3: with an ordering, the columns are pruned."""
    queryset, _ = prepare(
        api.eager.ProductListSerializer, models.Product.objects.order_by("id"), fields="title"
    )
    assert queryset.query.deferred_loading == (frozenset({"id", "title"}), False)


# get_serializer_class() and plain APIViews ----------------------------------------------


@pytest.mark.parametrize("query", ["", "?fields=title"])
def test_get_serializer_class_is_called_as_often_as_without_drf_eager(shop, query):
    """Issue 19.1: DRF's list asks get_serializer_class() once; so does the eager view."""
    api.SERIALIZER_CLASS_CALLS.clear()
    get("/existing/plain/admin/products/")
    get(f"/existing/eager/admin/products/{query}")
    assert api.SERIALIZER_CLASS_CALLS == {"plain": 1, "eager": 1}


@pytest.mark.parametrize("query", ["", "?fields=nope"])
def test_a_plain_api_view_with_serializer_class_is_left_alone(shop, query):
    """Issue 19.1: a plain APIView has no get_serializer_class(): its GET was a 500."""
    plain, plain_queries = get(f"/existing/plain/reports/categories/{query}")
    eager, eager_queries = get(f"/existing/eager/reports/categories/{query}")
    assert eager == plain
    hats = models.Category.objects.get(slug="hats")
    assert json.loads(eager)["categories"][0] == {"id": hats.pk, "name": "Hats", "slug": "hats"}
    assert eager_queries == plain_queries == 1


# Pruning only on proof ------------------------------------------------------------------


def test_which_classes_are_known():
    """Issue 19.2: every class of the MRO is looked at, not only the first definer."""
    from rest_framework import relations, serializers

    assert COLUMNS_FIELD.allows(relations.HyperlinkedIdentityField)
    assert not COLUMNS_FIELD.allows(api.CategoryProductLink)
    # Its to_representation() is given a column's value: known for a column source.
    assert COLUMNS_VALUE.allows(api.Price)
    assert not COLUMNS_FIELD.allows(api.Price)
    assert COLUMNS_SERIALIZER.allows(api.eager.CategorySerializer)
    assert not COLUMNS_SERIALIZER.allows(api.eager.ProductCardSerializer)

    class Reads:
        def get_attribute(self, instance):
            return instance

    class Below(Reads, serializers.CharField):
        """The override is in a mixin, not in the class itself."""

    assert not COLUMNS_FIELD.allows(Below)


# System checks ----------------------------------------------------------------------------


def test_system_checks_are_clean(settings):
    """Issue 19.4: a base serializer that sets Meta.model and leaves fields to its
    subclasses is no E018, and the project's checks pass."""
    from django.apps import apps

    from drf_eager.checks import _routed_views

    settings.ROOT_URLCONF = "tests.existing_project.urls"
    assert api.eager.ProductList in {route[0] for route in _routed_views()}

    config = apps.get_app_config("existing_project")
    assert checks.run_checks(app_configs=[config]) == []
    assert check_serializer(api.EagerProductBase) == []


def test_a_serializer_without_fields_and_without_subclasses_is_still_reported():
    class Leaf(api.EagerModelSerializer):
        class Meta:
            model = models.Product

    assert [error.id for error in check_serializer(Leaf)] == ["drf_eager.E018"]


# Declaring what the code reads brings the pruning back ----------------------------------


class DeclaredLink(api.CategoryProductLink):
    @requires("slug", "category_id")
    def get_url(self, obj, view_name, request, format):
        return super().get_url(obj, view_name, request, format)


def link_serializer(link_class):
    class LinkSerializer(api.EagerModelSerializer):
        url = link_class(view_name="existing-product-detail", lookup_field="slug")

        class Meta:
            model = models.Product
            fields = ["url", "title"]

    return LinkSerializer


@pytest.mark.parametrize(
    ("link_class", "columns"),
    [
        # It reads category_id, which the planner cannot know: every column.
        (api.CategoryProductLink, None),
        (DeclaredLink, {"id", "slug", "category"}),
    ],
)
def test_a_link_field_of_the_projects(shop, link_class, columns, django_assert_num_queries):
    """Issue 19.2: a HyperlinkedIdentityField subclass reading category_id was assumed to
    read the lookup field only: category_id was loaded once per row."""
    serializer_class = link_serializer(link_class)
    queryset, context = prepare(
        serializer_class, models.Product.objects.order_by("id"), fields="url"
    )
    loaded, defer = queryset.query.deferred_loading
    assert (set(loaded) if not defer else None) == columns
    with django_assert_num_queries(1):
        data = serializer_class(queryset, many=True, context={**context, "request": None}).data
    product = models.Product.objects.get(slug="p0")
    assert data[0] == {"url": f"/existing/categories/{product.category_id}/products/p0/"}


def card_serializer(declared):
    class Card(api.EagerProductBase):
        options = api.eager.OptionSerializer(many=True)

        class Meta(api.EagerProductBase.Meta):
            fields = ["id", "options"]

        def to_representation(self, product):
            return {**super().to_representation(product), "kind": "card"}

    if declared:
        Card.to_representation = requires()(Card.to_representation)
    return Card


@pytest.mark.parametrize(("declared", "queries"), [(False, "1+n"), (True, 2)])
def test_an_overridden_to_representation(shop, declared, queries, django_assert_num_queries):
    """Issue 19.2: a serializer's own to_representation() is planned as without
    drf_eager (nothing loaded for its fields), unless it declares what it reads."""
    serializer_class = card_serializer(declared)
    queryset, context = prepare(serializer_class, models.Product.objects.order_by("id"))
    assert bool(queryset._prefetch_related_lookups) is declared
    with django_assert_num_queries(1 + shop if queries == "1+n" else queries):
        data = serializer_class(queryset, many=True, context=context).data
    product = models.Product.objects.get(slug="p0")
    assert data[0] == {
        "id": product.pk,
        "options": [{"id": o.pk, "name": o.name} for o in product.options.all()],
        "kind": "card",
    }


def test_the_serializer_is_built_by_drf_s_get_serializer_or_the_views_own():
    """Issue 19.1: the mixin builds the serializer with the class it resolved only in
    place of DRF's own get_serializer(); a view's own is called as it is."""
    from rest_framework import generics

    from drf_eager.views import _next_get_serializer

    assert _next_get_serializer(api.eager.ProductList) is generics.GenericAPIView.get_serializer
    assert _next_get_serializer(api.eager.CategoryReport) is None
