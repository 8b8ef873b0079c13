"""Issue 19.2: what the planner loads for code it does not know, read from the planned
queryset: every column of the rows such code is given, of the rows JOINed to them and
of the rows prefetched from them."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from drf_eager.serializers import prepare
from drf_eager.stock import requires

from . import api, models


def loaded(queryset):
    """The columns `queryset` loads, or None for every column."""
    names, defer = queryset.query.deferred_loading
    return None if defer or not names else set(names)


def prefetched(queryset):
    return {p.prefetch_to: p.queryset for p in queryset._prefetch_related_lookups}


class OptionNames(serializers.SlugRelatedField):
    def to_representation(self, option):
        return f"{option.name} (+{option.price_delta})"


class FilteringList(serializers.ListSerializer):
    def to_representation(self, data):
        return super().to_representation(data.filter(available=True))


class AvailableOptionSerializer(api.eager.OptionSerializer):
    class Meta(api.eager.OptionSerializer.Meta):
        list_serializer_class = FilteringList


class ProductOptionsSerializer(api.EagerModelSerializer):
    option_names = OptionNames(source="options", slug_field="name", many=True, read_only=True)
    available = AvailableOptionSerializer(source="options", many=True, read_only=True)
    options = api.eager.OptionSerializer(many=True, read_only=True)

    class Meta:
        model = models.Product
        fields = ["title", "option_names", "available", "options"]


class CategoryProductsSerializer(api.EagerModelSerializer):
    products = ProductOptionsSerializer(many=True, read_only=True)
    label = serializers.SerializerMethodField()

    class Meta:
        model = models.Category
        fields = ["name", "label", "products"]

    def get_label(self, category):
        return category.name


def plan(serializer_class, model, fields):
    queryset, _ = prepare(serializer_class, model.objects.order_by("id"), fields=fields)
    return queryset


@pytest.mark.django_db
def test_a_related_field_class_of_the_projects_loads_its_rows_in_full():
    queryset = plan(ProductOptionsSerializer, models.Product, "option_names")
    assert loaded(prefetched(queryset)["_eager_option_names"]) is None
    # DRF's own: the slug and the key.
    queryset = plan(ProductOptionsSerializer, models.Product, "options(name)")
    assert loaded(prefetched(queryset)["options"]) == {"id", "name", "product"}


@pytest.mark.django_db
def test_a_list_serializer_class_of_the_projects_loads_its_level_in_full():
    queryset = plan(ProductOptionsSerializer, models.Product, "available(name)")
    assert loaded(queryset) is None
    assert loaded(prefetched(queryset)["_eager_available"]) is None


@pytest.mark.django_db
def test_a_method_field_loads_the_rows_prefetched_below_it_in_full():
    queryset = plan(CategoryProductsSerializer, models.Category, "label,products(options(name))")
    assert loaded(queryset) is None
    below = prefetched(queryset)
    assert loaded(below["products"]) is None
    assert loaded(prefetched(below["products"])["options"]) is None
    # Without the method field, every level is pruned.
    queryset = plan(CategoryProductsSerializer, models.Category, "name,products(options(name))")
    assert loaded(queryset) == {"id", "name"}
    below = prefetched(queryset)
    assert loaded(below["products"]) == {"id", "category"}
    assert loaded(prefetched(below["products"])["options"]) == {"id", "name", "product"}


class SkuCardSerializer(api.EagerModelSerializer):
    class Meta:
        model = models.Product
        fields = ["id", "title"]

    @requires("sku")
    def to_representation(self, product):
        return {**super().to_representation(product), "sku": product.sku}


@pytest.mark.django_db
def test_an_overridden_to_representation_that_declares_what_it_reads():
    queryset = plan(SkuCardSerializer, models.Product, "title")
    assert loaded(queryset) == {"id", "title", "sku"}
