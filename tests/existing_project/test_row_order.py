"""Issue 19.3: the rows of an unordered queryset come in the order the database reads
the view's own query. Fewer columns let it read a covering index instead, in the
index's order; a JOIN lets it choose another join order (PostgreSQL hashes the
products and probes them with the categories, MariaDB reads the categories first, even
for a LEFT OUTER JOIN on PostgreSQL); an ORDER BY on the primary key is not the order
of a query the database answers through an index (Django 6 on SQLite reads
`is_public = 1` through the index on (is_public, title)).

So the root query of an unordered list is sent as the view wrote it: every column, no
JOIN of the plan's, no ORDER BY; its to-one relations are prefetched. An ordered
queryset, or a detail's (get() reads one row), is pruned and JOINed.
"""

from __future__ import annotations

import pytest
from rest_framework import generics, serializers
from rest_framework.test import APIRequestFactory

from drf_eager.fast import FastPathUnavailable, compile_fast_plan
from drf_eager.prefetch import prefetch_queryset
from drf_eager.schema import get_schema
from drf_eager.serializers import SHAPE_CONTEXT_KEY as SHAPE
from drf_eager.serializers import prepare, resolve_params
from drf_eager.views import EagerFieldsViewMixin, FastList

from . import api, models
from .test_adoption import build_shop


def sql(queryset):
    return str(queryset.query)


def prefetched(queryset):
    return sorted(
        lookup if isinstance(lookup, str) else lookup.prefetch_to
        for lookup in queryset._prefetch_related_lookups
    )


@pytest.mark.parametrize("fields", [None, "title,category_name", "title,options(name)"])
@pytest.mark.parametrize(
    "queryset",
    [
        lambda: models.Product.objects.filter(is_public=True),
        # The view's own only(), defer() and select_related() are part of its query.
        lambda: models.Product.objects.defer("description"),
        lambda: models.Product.objects.only("id", "title", "slug", "category"),
        lambda: models.Product.objects.select_related("category"),
    ],
    ids=["filtered", "deferred", "only", "joined"],
)
def test_an_unordered_list_is_read_by_the_views_own_query(queryset, fields):
    planned, _ = prepare(api.eager.ProductListSerializer, queryset(), fields=fields)
    assert sql(planned) == sql(queryset())


def test_its_to_one_relations_are_prefetched():
    planned, _ = prepare(
        api.eager.ProductListSerializer, models.Product.objects.all(), fields="category_name"
    )
    assert prefetched(planned) == ["category"]
    # The prefetch loads what a JOIN would: the columns served, through the foreign key.
    category = planned._prefetch_related_lookups[0].queryset
    assert category.query.deferred_loading == (frozenset({"id", "name"}), False)


@pytest.mark.parametrize("one_row", [False, True], ids=["ordered", "one-row"])
def test_an_ordered_list_or_one_row_is_pruned_and_joined(one_row):
    queryset = models.Product.objects.all() if one_row else models.Product.objects.order_by("id")
    schema = get_schema(api.eager.ProductListSerializer)
    shape = resolve_params(api.eager.ProductListSerializer, fields="title,category_name")
    planned = prefetch_queryset(queryset, schema, shape, one_row=one_row)
    assert planned.query.select_related == {"category": {}}
    assert planned.query.deferred_loading == (
        frozenset({"id", "title", "category", "category__name"}),
        False,
    )
    assert prefetched(planned) == []


@pytest.mark.parametrize("ordered", [False, True])
def test_the_same_rows_in_as_many_queries(db, ordered, django_assert_num_queries):
    """A to-one relation at the root of an unordered list costs a query, not a JOIN;
    below it (here the attribute's type, loaded with the attribute) it is JOINed."""
    build_shop(3)
    queryset = models.ProductAttribute.objects.all()
    if ordered:
        queryset = queryset.order_by("id")
    planned, context = prepare(api.eager.AttributeSerializer, queryset)

    class Plain(serializers.ModelSerializer):
        type_name = serializers.CharField(source="type.name")
        label = api.AttributeLabel()

        class Meta:
            model = models.ProductAttribute
            fields = ["id", "value", "type_name", "label"]

    expected = Plain(models.ProductAttribute.objects.all(), many=True).data
    with django_assert_num_queries(1 if ordered else 2):
        data = api.eager.AttributeSerializer(planned, many=True, context=context).data
    assert data == expected


def test_the_fast_path_refuses_an_unordered_queryset(db):
    build_shop(1)
    shape = resolve_params(api.eager.CategorySerializer)
    plan = compile_fast_plan(api.eager.CategorySerializer, shape)
    assert plan is not None
    with pytest.raises(FastPathUnavailable, match="no ordering"):
        plan.prepare(models.Category.objects.all())
    ordered = models.Category.objects.order_by("slug")
    assert plan.prepare(ordered).serialize() == [
        {"id": c.pk, "name": c.name, "slug": c.slug} for c in ordered
    ]
    # One row: its order is moot.
    hats = models.Category.objects.get(slug="hats")
    one = plan.serialize_one(models.Category.objects.filter(slug="hats"))
    assert one == {"id": hats.pk, "name": "Hats", "slug": "hats"}


@pytest.mark.parametrize("ordered", [False, True])
def test_the_view_serves_an_unordered_list_by_the_drf_path(db, ordered):
    build_shop(1)
    queryset = models.Category.objects.all()

    class Categories(EagerFieldsViewMixin, generics.ListAPIView):
        serializer_class = api.eager.CategorySerializer
        eager_fast_path = True

        def get_queryset(self):
            return queryset.order_by("slug") if ordered else queryset

    response = Categories.as_view()(APIRequestFactory().get("/"))
    assert isinstance(response.data.serializer, FastList) is ordered
    expected = queryset.order_by("slug") if ordered else queryset
    assert response.data == [{"id": c.pk, "name": c.name, "slug": c.slug} for c in expected]


def test_a_prefetch_of_the_views_own_is_kept(db, django_assert_num_queries):
    """The view's own Prefetch of a to-one relation is the base of the planned one."""
    from django.db.models import Prefetch, Value

    build_shop(2)
    categories = models.Category.objects.annotate(own=Value(1))
    queryset = models.Product.objects.prefetch_related(Prefetch("category", categories))
    planned, context = prepare(api.eager.AdminProductSerializer, queryset, fields="category_name")
    assert sql(planned) == sql(queryset)
    [prefetch] = planned._prefetch_related_lookups
    assert "own" in prefetch.queryset.query.annotations
    assert prefetch.queryset.query.deferred_loading == (frozenset({"id", "name"}), False)
    with django_assert_num_queries(2):
        data = api.eager.AdminProductSerializer(planned, many=True, context=context).data
    assert data == [{"category_name": p.category.name} for p in models.Product.objects.all()]


@pytest.mark.parametrize("ordered", [False, True])
def test_a_grouped_relation_below_a_prefetched_to_one(db, ordered, django_assert_num_queries):
    """A view's grouped path below a to-one relation prefetched in place of a JOIN is
    grouped in that prefetch's query: the lines, the products with their options (not
    three queries). Ordered, the products are JOINed and their options prefetched."""
    build_shop(2)

    class Product(api.EagerModelSerializer):
        options = api.eager.OptionSerializer(many=True)

        class Meta:
            model = models.Product
            fields = ["title", "options"]

    class Line(api.EagerModelSerializer):
        product = Product()

        class Meta:
            model = models.OrderLine
            fields = ["quantity", "product"]

    queryset = models.OrderLine.objects.all()
    if ordered:
        queryset = queryset.order_by("id")
    schema = get_schema(Line)
    planned = prefetch_queryset(
        queryset, schema, schema.default_shape, grouped=["product.options"]
    )
    with django_assert_num_queries(2):
        data = Line(planned, many=True, context={SHAPE: schema.default_shape}).data
    assert data == [
        {
            "quantity": line.quantity,
            "product": {
                "title": line.product.title,
                "options": [{"id": o.pk, "name": o.name} for o in line.product.options.all()],
            },
        }
        for line in queryset
    ]


def test_two_fields_through_one_to_one_relation_share_its_prefetch(db, django_assert_num_queries):
    build_shop(2)

    class Card(api.EagerModelSerializer):
        category_name = serializers.CharField(source="category.name")
        category_slug = serializers.CharField(source="category.slug")

        class Meta:
            model = models.Product
            fields = ["title", "category_name", "category_slug"]

    planned, context = prepare(Card, models.Product.objects.all())
    assert prefetched(planned) == ["category"]  # one query serves both
    with django_assert_num_queries(2):
        data = Card(planned, many=True, context=context).data
    assert data == [
        {"title": p.title, "category_name": p.category.name, "category_slug": p.category.slug}
        for p in models.Product.objects.all()
    ]
