"""Issue 12.6: each extension point the README documents, overridden on a view declared
in drf-eager-fields' style (the mixin after DRF's class), changes the response."""

from __future__ import annotations

import pytest

from drf_eager.exceptions import InvalidShape
from drf_eager.fast import FastQuery
from drf_eager.grouped import Grouped
from drf_eager.serializers import resolve_params
from drf_eager.shape import build_request
from tests.eager_fields_style import models, views
from tests.eager_fields_style.serializers import ArticleSerializer, CustomerSerializer
from tests.eager_fields_style.test_readme import MIGRATION, call

CODES = [{"code": "TNT"}, {"code": "PIZZA"}]
WITH_CUSTOMER = [
    {"code": "TNT", "customer": {"id": 1, "name": "Willy"}},
    {"code": "PIZZA", "customer": {"id": 2, "name": "Mario"}},
]


@pytest.fixture(autouse=True)
def readme(db, settings):
    from tests.eager_fields_style.data import build_readme

    settings.DRF_EAGER = {**MIGRATION, "UNKNOWN_FIELDS": "raise"}
    build_readme()


def test_get_shape():
    class View(views.ArticleList):
        def get_shape(self):
            return resolve_params(ArticleSerializer, fields="code")

    assert call(View, "GET", "/?extra=customer")[:2] == (200, CODES)


def test_get_shape_request():
    """Issue 12.6: get_shape() goes through it (it went to a private method)."""

    class View(views.ArticleList):
        def get_shape_request(self):
            request = super().get_shape_request()
            if request.is_empty():
                return build_request(extra="customer", fields="code,customer")
            return request

    status, data, queries = call(View, "GET", "/")
    assert (status, data, len(queries)) == (200, WITH_CUSTOMER, 1)
    assert call(View, "GET", "/?fields=code")[:2] == (200, CODES)


def test_get_shape_request_of_its_own_reads_the_client():
    """A hook that builds the request from its own input, without super(): what it
    names wrong is the client's 400, not a developer's error."""

    class View(views.ArticleList):
        def get_shape_request(self):
            return build_request(fields=self.request.query_params.get("only", ""))

    assert call(View, "GET", "/?only=code")[:2] == (200, CODES)
    status, data, queries = call(View, "GET", "/?only=code,nope")
    assert (status, queries) == (400, [])
    assert data == {
        "fields": [
            "Unknown field 'nope'. Allowed: *, asked, code, customer, id, last_10_orders, "
            "latest_orders, orders."
        ]
    }


def test_get_shape_request_errors_are_merged_with_the_unknown_names():
    class View(views.ArticleList):
        def get_shape_request(self):
            if "refuse" in self.request.query_params:
                raise InvalidShape({"refuse": ["Refused."]})
            return super().get_shape_request()

    status, data, _ = call(View, "GET", "/?refuse=1")
    assert (status, data) == (400, {"refuse": ["Refused."]})
    status, data, _ = call(View, "GET", "/?fields=code(")
    assert status == 400 and list(data) == ["fields"]


def test_get_shape_request_may_raise_a_plain_message():
    class View(views.ArticleList):
        def get_shape_request(self):
            raise InvalidShape("No shapes today.")

    assert call(View, "GET", "/?fields=code")[:2] == (400, ["No shapes today."])


def test_get_body_fields():
    class View(views.ArticleList):
        def get_body_fields(self):
            return {"code": None}

    assert call(View, "GET", "/?extra=customer")[:2] == (200, CODES)


@pytest.mark.parametrize(
    ("hook", "value", "expected"),
    [
        (
            "get_serializer_extra",
            "customer",
            [{"id": 1, "code": "TNT", "customer": {"id": 1, "name": "Willy"}}],
        ),
        ("get_serializer_fields", "code", [{"code": "TNT"}]),
        ("get_serializer_exclude", "code", [{"id": 1}]),
    ],
)
def test_get_serializer_defaults(hook, value, expected):
    View = type("View", (views.ArticleList,), {hook: lambda self: value})
    status, data, _ = call(View, "GET", "/")
    assert (status, data[:1]) == (200, expected)


def test_get_eager_limit():
    class View(views.ArticleList):
        def get_eager_limit(self, name):
            return 1 if name == "MAX_DEPTH" else super().get_eager_limit(name)

    status, data, queries = call(View, "GET", "/?extra=customer.countries")
    assert (status, queries) == (400, [])
    assert data == {"extra": ["'customer.countries' is nested 2 levels deep; the maximum is 1."]}


def test_get_related_queryset():
    class View(views.ArticleList):
        def get_related_queryset(self, model, path):
            queryset = super().get_related_queryset(model, path)
            return queryset.filter(name="Italy") if model is models.Country else queryset

    path = "/?extra=customer.countries&fields=code,customer.countries.name"
    status, data, queries = call(View, "GET", path)
    assert (status, len(queries)) == (200, 2)
    assert data == [
        {"code": "TNT", "customer": {"countries": []}},
        {"code": "PIZZA", "customer": {"countries": [{"name": "Italy"}]}},
    ]


def test_get_eager_grouped():
    class View(views.CustomerList):
        def get_eager_grouped(self):
            return {"countries": Grouped()}

    status, data, queries = call(View, "GET", "/?extra=countries&fields=name,countries.name")
    assert data == [
        {"name": "Willy", "countries": [{"name": "USA"}]},
        {"name": "Mario", "countries": [{"name": "USA"}, {"name": "Italy"}]},
    ]
    assert (status, len(queries)) == (200, 1)  # not 2: JOINed, not prefetched


def test_prefetch_queryset():
    class View(views.ArticleList):
        def prefetch_queryset(self, queryset, shape):
            return super().prefetch_queryset(queryset, shape).filter(code="PIZZA")

    assert call(View, "GET", "/?fields=code")[:2] == (200, [{"code": "PIZZA"}])


@pytest.mark.parametrize("fast", [True, False])
def test_use_fast_path(monkeypatch, fast):
    built = []
    original = FastQuery.serialize

    def serialize(self, rows=None):
        built.append(self)
        return original(self, rows)

    monkeypatch.setattr(FastQuery, "serialize", serialize)
    View = type("View", (views.CustomerList,), {"use_fast_path": lambda self: fast})
    status, data, _ = call(View, "GET", "/?fields=name")
    assert (status, data) == (200, [{"name": "Willy"}, {"name": "Mario"}])
    assert len(built) == (1 if fast else 0)


def test_get_serializer_context():
    class View(views.ArticleList):
        def get_serializer_context(self):
            return {**super().get_serializer_context(), "exclude": "overridden"}

    status, data, _ = call(View, "GET", "/?extra=asked&fields=asked")
    asked = {"extra": "asked", "fields": "asked", "exclude": "overridden"}
    assert (status, data) == (200, [{"asked": asked}, {"asked": asked}])


def test_get_eager_shape():
    class Plain(CustomerSerializer):
        def get_eager_shape(self):
            return None  # always the default fields

    View = type("View", (views.CustomerList,), {"serializer_class": Plain})
    status, data, _ = call(View, "GET", "/?fields=name")
    assert (status, data) == (200, [{"id": 1, "name": "Willy"}, {"id": 2, "name": "Mario"}])
