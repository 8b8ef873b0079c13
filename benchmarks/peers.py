"""The peer libraries as variants of benchmarks/run.py, each when it is installed.

Each peer serves the benchmark's shape (every customer with its name, its orders' code,
created_at and article code, its countries' names) the way its documentation shows, through
the list view it documents: the view is called with a GET request, as Django would call it,
and its `Response.data` is the variant's result (not rendered, like the other variants).
Building and dispatching the request costs about 0.15 ms, the same for every peer (under
0.5 % of any of their medians here).

A peer that is not installed, fails to import or to run on the installed Django and DRF, or
returns another document than hand-tuned DRF is left out, with a note in the output.
None of the peers is a Django app: none needs to be in INSTALLED_APPS.
"""

from __future__ import annotations

import functools
from importlib import metadata

# The shape, in each peer's query parameters.
FIELDS = "name,orders.code,orders.created_at,orders.article.code,countries.name"

_noted: set[str] = set()


def note(text: str) -> None:
    """Print a note once per run, however many sizes are measured."""
    if text not in _noted:
        _noted.add(text)
        print(f"note: {text}")


def _version(distribution: str) -> str:
    try:
        return f"{distribution} {metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return distribution


def _get(view, query: dict[str, str]):
    """GET the list through the view; the response's data, unrendered."""
    from rest_framework.test import APIRequestFactory

    response = view(APIRequestFactory().get("/customers/", query))
    if response.status_code != 200:
        raise RuntimeError(f"the view answered {response.status_code}: {response.data}")
    return response.data


@functools.cache
def drf_eager_fields():
    """drf-eager-fields: the relations are `extra` fields with `"prefetch": True` (one
    Prefetch per relation, to-one included); the view mixin reads `extra` and `fields`."""
    from django.utils.functional import classproperty
    from drf_eager_fields.serializers import EagerFieldsSerializerMixin
    from drf_eager_fields.views import EagerFieldsViewMixin
    from rest_framework import generics, serializers
    from shop.models import Article, Country, Customer, Order

    class ArticleSerializer(EagerFieldsSerializerMixin, serializers.ModelSerializer):
        class Meta:
            model = Article
            fields = ["id", "code"]

    class CountrySerializer(EagerFieldsSerializerMixin, serializers.ModelSerializer):
        class Meta:
            model = Country
            fields = ["id", "name"]

    class OrderSerializer(EagerFieldsSerializerMixin, serializers.ModelSerializer):
        class Meta:
            model = Order
            fields = ["id", "code", "created_at"]

            @classproperty
            def extra(cls):
                return {"article": {"field": ArticleSerializer(), "prefetch": True}}

    class CustomerSerializer(EagerFieldsSerializerMixin, serializers.ModelSerializer):
        class Meta:
            model = Customer
            fields = ["id", "name"]

            @classproperty
            def extra(cls):
                return {
                    "orders": {"field": OrderSerializer(many=True), "prefetch": True},
                    "countries": {"field": CountrySerializer(many=True), "prefetch": True},
                }

    class CustomerList(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = Customer.objects.all()
        serializer_class = CustomerSerializer

    view = CustomerList.as_view()
    query = {"extra": "orders.article,countries", "fields": FIELDS}
    return {"drf-eager-fields": lambda: _get(view, query)}


def _flex_serializers():
    from rest_flex_fields import FlexFieldsModelSerializer
    from shop.models import Article, Country, Customer, Order

    class ArticleSerializer(FlexFieldsModelSerializer):
        class Meta:
            model = Article
            fields = ["id", "code"]

    class CountrySerializer(FlexFieldsModelSerializer):
        class Meta:
            model = Country
            fields = ["id", "name"]

    class OrderSerializer(FlexFieldsModelSerializer):
        class Meta:
            model = Order
            fields = ["id", "code", "created_at"]
            expandable_fields = {"article": ArticleSerializer}

    class CustomerSerializer(FlexFieldsModelSerializer):
        class Meta:
            model = Customer
            fields = ["id", "name"]
            expandable_fields = {
                "orders": (OrderSerializer, {"many": True}),
                "countries": (CountrySerializer, {"many": True}),
            }

    return CustomerSerializer


FLEX_QUERY = {"expand": "orders.article,countries", "fields": FIELDS}


@functools.cache
def drf_flex_fields():
    """drf-flex-fields: expandable fields; the list view prefetches what `?expand=` asks
    for with `is_expanded()`, as its documentation for list views shows."""
    from django.db.models import Prefetch
    from rest_flex_fields import FlexFieldsModelViewSet, is_expanded
    from shop.models import Customer, Order

    class CustomerViewSet(FlexFieldsModelViewSet):
        serializer_class = _flex_serializers()
        permit_list_expands = ["orders.article", "countries"]

        def get_queryset(self):
            queryset = Customer.objects.all()
            if is_expanded(self.request, "orders"):
                orders = Order.objects.all()
                if is_expanded(self.request, "article"):
                    orders = orders.select_related("article")
                queryset = queryset.prefetch_related(Prefetch("orders", orders))
            if is_expanded(self.request, "countries"):
                queryset = queryset.prefetch_related("countries")
            return queryset

    view = CustomerViewSet.as_view({"get": "list"})
    return {"drf-flex-fields": lambda: _get(view, FLEX_QUERY)}


@functools.cache
def drf_flex_fields_backend():
    """drf-flex-fields with its (experimental) FlexFieldsFilterBackend, which plans
    select_related/prefetch_related/only itself (its documentation: one level deep)."""
    from rest_flex_fields import FlexFieldsModelViewSet
    from rest_flex_fields.filter_backends import FlexFieldsFilterBackend
    from shop.models import Customer

    class CustomerViewSet(FlexFieldsModelViewSet):
        queryset = Customer.objects.all()
        serializer_class = _flex_serializers()
        permit_list_expands = ["orders.article", "countries"]
        filter_backends = [FlexFieldsFilterBackend]

    view = CustomerViewSet.as_view({"get": "list"})
    return {"drf-flex-fields + FlexFieldsFilterBackend": lambda: _get(view, FLEX_QUERY)}


@functools.cache
def django_readers():
    """django-readers: a spec, served by its SpecMixin view (no DRF serializer)."""
    from django_readers import pairs
    from django_readers.rest_framework import SpecMixin
    from rest_framework import generics
    from rest_framework.fields import DateTimeField
    from shop.models import Customer

    note(
        "django-readers projects model values as they are: created_at a datetime in UTC, "
        "which DRF's JSON encoder writes as it is, where DRF's DateTimeField converts it to "
        "the current time zone (here Django's default, America/Chicago). Its spec passes "
        "created_at through DateTimeField().to_representation (pairs.field(transform_value="
        "...)) to serve the same document."
    )

    class CustomerList(SpecMixin, generics.ListAPIView):
        queryset = Customer.objects.all()
        spec = [
            "name",
            {
                "orders": [
                    "code",
                    {
                        "created_at": pairs.field(
                            "created_at", transform_value=DateTimeField().to_representation
                        )
                    },
                    {"article": ["code"]},
                ]
            },
            {"countries": ["name"]},
        ]

    view = CustomerList.as_view()
    return {"django-readers": lambda: _get(view, {})}


@functools.cache
def django_virtual_models():
    """django-virtual-models: a virtual model per level (NestedJoin for the article), the
    serializers plain DRF, the view its VirtualModelListAPIView."""
    import django_virtual_models as v
    from rest_framework import serializers
    from shop.models import Article, Country, Customer, Order

    class VirtualOrder(v.VirtualModel):
        article = v.NestedJoin(model_cls=Article)

        class Meta:
            model = Order

    class VirtualCountry(v.VirtualModel):
        class Meta:
            model = Country

    class VirtualCustomer(v.VirtualModel):
        orders = VirtualOrder(manager=Order.objects)
        countries = VirtualCountry(manager=Country.objects)

        class Meta:
            model = Customer

    class ArticleSerializer(serializers.ModelSerializer):
        class Meta:
            model = Article
            fields = ["code"]

    class OrderSerializer(serializers.ModelSerializer):
        article = ArticleSerializer()

        class Meta:
            model = Order
            fields = ["code", "created_at", "article"]

    class CountrySerializer(serializers.ModelSerializer):
        class Meta:
            model = Country
            fields = ["name"]

    class CustomerSerializer(v.VirtualModelSerializer):
        orders = OrderSerializer(many=True)
        countries = CountrySerializer(many=True)

        class Meta:
            model = Customer
            virtual_model = VirtualCustomer
            fields = ["name", "orders", "countries"]

    class CustomerList(v.VirtualModelListAPIView):
        queryset = Customer.objects.all()
        serializer_class = CustomerSerializer

    view = CustomerList.as_view()
    return {"django-virtual-models": lambda: _get(view, {})}


# (distribution, what of it, the function building its variants)
PEERS = [
    ("drf-eager-fields", "", drf_eager_fields),
    ("drf-flex-fields", "", drf_flex_fields),
    ("drf-flex-fields", " FlexFieldsFilterBackend", drf_flex_fields_backend),
    ("django-readers", "", django_readers),
    ("django-virtual-models", "", django_virtual_models),
]


def first_difference(got, expected, path: str = "") -> str:
    """Where two documents first differ, for the note."""
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in [*expected, *(k for k in got if k not in expected)]:
            if got.get(key, ...) != expected.get(key, ...):
                return first_difference(got.get(key), expected.get(key), f"{path}.{key}")
    elif isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        for index, (a, b) in enumerate(zip(got, expected, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}[{index}]")
    return f"{path or 'the document'}: {got!r:.80} instead of {expected!r:.80}"


def peer_variants(reference, normalize) -> dict:
    """The peers' variants that run here and return the document `reference` returns."""
    import django
    import rest_framework

    expected = normalize(reference())
    versions = f"Django {django.__version__}, DRF {rest_framework.__version__}"
    found = {}
    for distribution, what, build in PEERS:
        label = _version(distribution) + what
        try:
            built = build()
        except ImportError as error:
            if error.name and error.name.split(".")[0] in {
                "drf_eager_fields",
                "rest_flex_fields",
                "django_readers",
                "django_virtual_models",
            }:
                note(f"{label}: skipped, not installed (pip install -e '.[bench]')")
            else:
                note(f"{label}: skipped, its import breaks on {versions}: {error}")
            continue
        except Exception as error:
            note(f"{label}: skipped, breaks on {versions}: {type(error).__name__}: {error}")
            continue
        for name, function in built.items():
            try:
                document = normalize(function())
            except Exception as error:
                note(f"{name}: skipped, breaks on {versions}: {type(error).__name__}: {error}")
                continue
            if document != expected:
                where = first_difference(document, expected)
                note(f"{name}: skipped, not the same document: {where}")
                continue
            found[name] = function
    return found
