"""Issue 12: a project written exactly as drf-eager-fields' README writes it (the mixin
after ModelSerializer, views as `generics.ListCreateAPIView, EagerFieldsAPIView`,
@classproperty extras, view defaults) runs with only its imports changed and the
migration settings of docs/migration.md. Each request of that README, with its exact
response and query count, in both base orders."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import generics, serializers
from rest_framework.test import APIRequestFactory

from drf_eager.checks import check_view
from drf_eager.serializers import EagerFieldsSerializer, EagerFieldsSerializerMixin
from drf_eager.views import EagerFieldsAPIView, EagerFieldsViewMixin
from tests.eager_fields_style import serializers as readme_serializers
from tests.eager_fields_style import views
from tests.eager_fields_style.data import build_more, build_readme

#: docs/migration.md's block for a drf-eager-fields project (plus this suite's STRICT).
MIGRATION = {
    "UNKNOWN_FIELDS": "ignore",
    "MAX_DEPTH": None,
    "MAX_PATHS": None,
    "MAX_PARAM_LENGTH": None,
    "MAX_BODY_SIZE": None,
    "STRICT": True,
}

TNT = {"id": 1, "code": "TNT"}
PIZZA = {"id": 2, "code": "PIZZA"}
WILLY = {"id": 1, "name": "Willy"}
MARIO = {"id": 2, "name": "Mario"}
USA = {"id": 1, "name": "USA"}
ITALY = {"id": 2, "name": "Italy"}


def _twin(cls, **overrides):
    """`cls` declared with its bases in the order drf_eager put them in: the mixin first."""
    skip = {"__dict__", "__weakref__", "_declared_fields", "_eager_data_predicates"}
    attrs = {name: value for name, value in vars(cls).items() if name not in skip}
    attrs = {name: value for name, value in attrs.items() if not name.startswith("_eager_schema")}
    attrs.update(getattr(cls, "_declared_fields", {}))
    twin = type(cls.__name__, cls.__bases__, {**attrs, **overrides})
    assert twin.__bases__ == cls.__bases__  # declared mixin first: nothing to reorder
    return twin


@pytest.fixture(params=["mixin-after", "mixin-first"])
def order(request):
    return request.param


@pytest.fixture
def readme(db, settings):
    settings.DRF_EAGER = MIGRATION
    build_readme()


def view_of(view_class, order):
    """The README's view as declared (the mixin after DRF's class), or declared with the
    mixin first, with a root serializer declared with the mixin first too."""
    if order == "mixin-after":
        return view_class
    return _twin(view_class, serializer_class=_twin(view_class.serializer_class))


def call(view_class, method, path, data=None, body=None, **kwargs):
    """Send a request to `view_class`; return (status, data, queries)."""
    factory = APIRequestFactory()
    if body is not None:
        request = factory.generic(method, path, json.dumps(body), content_type="application/json")
    elif data is not None:
        request = getattr(factory, method.lower())(path, data, format="json")
    else:
        request = getattr(factory, method.lower())(path)
    with CaptureQueriesContext(connection) as queries:
        response = view_class.as_view()(request, **kwargs)
        response.render()
    return response.status_code, json.loads(response.content), [q["sql"] for q in queries]


def test_the_readme_classes_were_declared_mixin_after_and_put_mixin_first():
    """Issue 12.1: drf_eager reorders the bases at class creation."""
    assert views.ArticleList.__mro__[1:3] == (EagerFieldsAPIView, EagerFieldsViewMixin)
    assert views.ArticleView.__bases__ == (EagerFieldsViewMixin, generics.ListAPIView)
    customer = readme_serializers.CustomerSerializer
    assert customer.__bases__ == (EagerFieldsSerializerMixin, serializers.ModelSerializer)
    article = readme_serializers.ArticleSerializer
    assert article.__bases__ == (EagerFieldsSerializer, serializers.ModelSerializer)


GETS = [
    # (view, path, kwargs, body, status, data, queries)
    pytest.param(views.CustomerDetail, "/customers/1/", {"pk": 1}, None, WILLY, 1, id="default"),
    pytest.param(
        views.CustomerDetail,
        "/customers/2/?extra=orders.article,customer"
        "&fields=name,orders.created_at,orders.customer.name,orders.article.code",
        {"pk": 2},
        None,
        {
            "name": "Mario",
            "orders": [
                {
                    "created_at": created,
                    "article": {"code": code},
                    "customer": {"name": "Mario"},
                }
                for created, code in [
                    ("2020-11-30T14:04:53-06:00", "TNT"),
                    ("2020-12-01T14:04:53-06:00", "TNT"),
                    ("2020-11-30T15:04:53-06:00", "PIZZA"),
                    ("2020-12-01T15:04:53-06:00", "PIZZA"),
                ]
            ],
        },
        2,  # drf-eager-fields: 3 (its order.article was a prefetch, here a JOIN)
        id="custom-response",
    ),
    pytest.param(views.ArticleList, "/articles/", {}, None, [TNT, PIZZA], 1, id="articles"),
    pytest.param(
        views.ArticleList,
        "/articles/?fields=code",
        {},
        None,
        [{"code": "TNT"}, {"code": "PIZZA"}],
        1,
        id="fields",
    ),
    pytest.param(
        views.ArticleList,
        "/articles/?exclude=id",
        {},
        None,
        [{"code": "TNT"}, {"code": "PIZZA"}],
        1,
        id="exclude",
    ),
    pytest.param(
        views.ArticleList,
        "/articles/?extra=customer",
        {},
        None,
        [{**TNT, "customer": WILLY}, {**PIZZA, "customer": MARIO}],
        1,  # drf-eager-fields: 2
        id="extra",
    ),
    pytest.param(
        views.ArticleList,
        "/articles/?extra=customer.countries",
        {},
        None,
        [
            {**TNT, "customer": {**WILLY, "countries": [USA]}},
            {**PIZZA, "customer": {**MARIO, "countries": [USA, ITALY]}},
        ],
        2,  # drf-eager-fields: 3
        id="dotted-extra",
    ),
    pytest.param(
        views.ArticleList,
        "/articles/?extra=customer.countries&fields=code,customer.name,customer.countries.name",
        {},
        None,
        [
            {"code": "TNT", "customer": {"name": "Willy", "countries": [{"name": "USA"}]}},
            {
                "code": "PIZZA",
                "customer": {"name": "Mario", "countries": [{"name": "USA"}, {"name": "Italy"}]},
            },
        ],
        2,
        id="combined",
    ),
    pytest.param(
        views.ArticleView,
        "/article-view/",
        {},
        None,
        [
            {"code": "TNT", "customer": {"name": "Willy", "countries": [{"name": "USA"}]}},
            {
                "code": "PIZZA",
                "customer": {"name": "Mario", "countries": [{"name": "USA"}, {"name": "Italy"}]},
            },
        ],
        2,
        id="view-defaults",
    ),
    pytest.param(
        views.ArticleView,
        "/article-view/?extra=customer&fields=code,customer.name",
        {},
        None,
        [
            {"code": "TNT", "customer": {"name": "Willy"}},
            {"code": "PIZZA", "customer": {"name": "Mario"}},
        ],
        1,
        id="query-overrides-defaults",
    ),
    pytest.param(
        views.ArticleView,
        "/article-view/?fields=id",
        {},
        {"fields": {"code": None, "customer": {"name": None}}},
        [
            {"code": "TNT", "customer": {"name": "Willy"}},
            {"code": "PIZZA", "customer": {"name": "Mario"}},
        ],
        1,
        id="json-body",
    ),
    pytest.param(
        views.ArticleList,
        "/articles/?extra=latest_orders&fields=code,latest_orders.code",
        {},
        None,
        [
            {"code": "TNT", "latest_orders": [{"code": "TN2"}, {"code": "TN1"}]},
            {"code": "PIZZA", "latest_orders": [{"code": "PI2"}, {"code": "PI1"}]},
        ],
        2,
        id="sliced-prefetch-to-attr",
    ),
    pytest.param(
        views.ArticleList,
        "/articles/?extra=latest_orders.customer&fields=code,latest_orders.customer.name",
        {},
        None,
        [
            {"code": "TNT", "latest_orders": [{"customer": {"name": "Mario"}}] * 2},
            {"code": "PIZZA", "latest_orders": [{"customer": {"name": "Mario"}}] * 2},
        ],
        2,  # the customer is JOINed inside the user's sliced Prefetch
        id="sliced-prefetch-to-attr-nested",
    ),
    pytest.param(
        views.CustomerDetail,
        "/customers/2/?extra=description&fields=description",
        {"pk": 2},
        None,
        {"description": "Mario in USA, Italy, selling PIZZA"},
        3,  # the customer, then the extra's two Prefetch objects
        id="prefetch-for-simple-fields",
    ),
    pytest.param(
        views.CustomerDetail,
        "/customers/2/",
        {"pk": 2},
        # Four levels: drf-eager-fields serves it, and so does MAX_DEPTH None.
        {
            "fields": {
                "name": None,
                "orders": {"article": {"customer": {"countries": {"name": None}}}},
            }
        },
        {
            "name": "Mario",
            "orders": [
                {"article": {"customer": {"countries": countries}}}
                for countries in [[{"name": "USA"}]] * 2
                + [[{"name": "USA"}, {"name": "Italy"}]] * 2
            ],
        },
        3,
        id="four-levels",
    ),
]


@pytest.mark.parametrize(("view", "path", "kwargs", "body", "expected", "count"), GETS)
def test_every_readme_request(readme, order, view, path, kwargs, body, expected, count):
    """Issue 12: each request of drf-eager-fields' README, with its response and its
    query count, whatever the order of the bases."""
    status, data, queries = call(view_of(view, order), "GET", path, body=body, **kwargs)
    assert (status, data) == (200, expected)
    assert len(queries) == count, queries


def test_last_10_orders(readme, order):
    """Issue 12: the README's `last_10_orders`, a Prefetch filtered by a Subquery."""
    view = view_of(views.ArticleList, order)
    status, data, queries = call(
        view, "GET", "/articles/?extra=last_10_orders&fields=code,last_10_orders.code"
    )
    assert status == 200
    assert data == [
        {"code": "TNT", "last_10_orders": [{"code": "TN2"}, {"code": "TN1"}, {"code": "TN0"}]},
        {"code": "PIZZA", "last_10_orders": [{"code": "PI2"}, {"code": "PI1"}, {"code": "PI0"}]},
    ]
    assert len(queries) == 2


def test_create_answers_with_the_requested_shape(readme, order):
    """Issue 12.1: with `generics.ListCreateAPIView, EagerFieldsAPIView`, DRF's
    perform_create() came first and the response was not reloaded for its shape."""
    view = view_of(views.ArticleList, order)
    status, data, queries = call(
        view,
        "POST",
        "/articles/?extra=customer.countries&fields=code,customer.name,customer.countries",
        data={"code": "NEW", "customer": 2},
    )
    assert (status, data) == (
        201,
        {"code": "NEW", "customer": {"name": "Mario", "countries": [USA, ITALY]}},
    )
    # The unique check of `code`, the customer's lookup, the INSERT, then the reload:
    # the article JOINed to its customer, and the countries.
    assert len(queries) == 5, queries


def test_update_answers_with_the_requested_shape(readme, order):
    """Issue 12.1: the same for perform_update()."""
    view = view_of(views.ArticleDetail, order)
    status, data, queries = call(
        view,
        "PATCH",
        "/articles/1/?extra=customer&fields=code,customer.name",
        data={"code": "TNT2"},
        pk=1,
    )
    assert (status, data) == (200, {"code": "TNT2", "customer": {"name": "Willy"}})
    # get_object(), the unique check of `code`, the UPDATE, the reload (one query: the
    # customer is JOINed).
    assert len(queries) == 4, queries


def test_the_context_carries_the_raw_parameters(readme, order):
    """Issue 12.3: `self.context["extra"]` (and fields, exclude) as drf-eager-fields put
    them: the query value, else the view's default."""
    view = view_of(views.ArticleList, order)
    status, data, _ = call(view, "GET", "/articles/?extra=asked&fields=code,asked&exclude=")
    asked = {"extra": "asked", "fields": "code,asked", "exclude": None}
    assert (status, data) == (
        200,
        [{"code": "TNT", "asked": asked}, {"code": "PIZZA", "asked": asked}],
    )
    defaults = _twin(views.ArticleView, serializer_extra="asked", serializer_fields="code,asked")
    status, data, _ = call(defaults, "GET", "/article-view/?exclude=id")
    asked = {"extra": "asked", "fields": "code,asked", "exclude": "id"}
    assert (status, data) == (
        200,
        [{"code": "TNT", "asked": asked}, {"code": "PIZZA", "asked": asked}],
    )


def test_the_context_carries_the_body_fields(readme):
    """Issue 12.3: a GET body's `fields` is in the context as `body_fields`."""
    seen = []

    class Seeing(views.ArticleList):
        def get_serializer(self, *args, **kwargs):
            serializer = super().get_serializer(*args, **kwargs)
            seen.append({k: serializer.context.get(k) for k in ("body_fields", "extra")})
            return serializer

    body = {"fields": {"code": None}}
    status, data, _ = call(Seeing, "GET", "/articles/?extra=customer", body=body)
    assert (status, data) == (200, [{"code": "TNT"}, {"code": "PIZZA"}])
    assert seen == [{"body_fields": {"code": None}, "extra": "customer"}]


def test_the_legacy_keys_never_shape_what_the_view_did_not(readme):
    """Issue 12.3: the view's context has the legacy keys and an explicit None shape for
    the serializer that reads a write's input: `?fields=code` prunes the response, not
    the fields the serializer validates (`customer` is still required)."""
    status, data, _ = call(views.ArticleList, "POST", "/articles/?fields=code", data={"code": "X"})
    assert (status, data) == (400, {"customer": ["This field is required."]})


def test_prefetch_for_simple_fields_costs_the_same_for_any_number_of_rows(readme, order):
    """Issue 12.2: an extra over a property that reads two relations, with a list of
    Prefetch objects: 1 + 2 queries, not 1 + 2N."""
    view = view_of(views.CustomerList, order)
    status, data, queries = call(view, "GET", "/customers/?extra=description&fields=description")
    assert (status, data) == (
        200,
        [
            {"description": "Willy in USA, selling TNT"},
            {"description": "Mario in USA, Italy, selling PIZZA"},
        ],
    )
    assert len(queries) == 3
    build_more(5)
    status, data, queries = call(view, "GET", "/customers/?extra=description&fields=description")
    assert (status, len(data), len(queries)) == (200, 7, 3)


STALE = [
    {"id": 1, "code": "TNT", "customer": WILLY},
    {"id": 2, "code": "PIZZA", "customer": MARIO},
]


def test_a_stale_view_default_is_ignored_under_unknown_fields_ignore(readme, order):
    """Issue 12.4: `serializer_extra = "orders.customer, customer.country"`: the
    unknown `country` is dropped at run time under "ignore", as drf-eager-fields did."""
    view = view_of(views.ArticleStaleDefaults, order)
    status, data, queries = call(view, "GET", "/stale/?fields=id,code,customer")
    assert (status, data) == (200, STALE)
    assert len(queries) == 1


def test_a_stale_view_default_is_a_developer_error_under_raise(readme, settings):
    """Issue 12.4: under "raise" the same default is ImproperlyConfigured, and the
    system check E020 reports it under either policy."""
    for policy in ("ignore", "raise"):
        settings.DRF_EAGER = {**MIGRATION, "UNKNOWN_FIELDS": policy}
        assert [error.id for error in check_view(views.ArticleStaleDefaults)] == ["drf_eager.E020"]
    with pytest.raises(ImproperlyConfigured, match="defaults do not fit ArticleSerializer"):
        call(views.ArticleStaleDefaults, "GET", "/stale/")


def test_without_the_migration_settings_the_differences_are_400s(readme, settings):
    """Issue 12.7: the default settings refuse what drf-eager-fields served silently:
    an unknown name and a path four levels deep."""
    settings.DRF_EAGER = {"STRICT": True}
    status, data, queries = call(
        views.CustomerDetail, "GET", "/customers/2/?extra=orders.article,customer", pk=2
    )
    assert status == 400
    assert list(data) == ["extra"] and "'customer'" in data["extra"][0]
    assert queries == []
    body = {"fields": {"orders": {"article": {"customer": {"countries": {"name": None}}}}}}
    status, data, queries = call(views.CustomerDetail, "GET", "/customers/2/", body=body, pk=2)
    assert status == 400
    assert data == {
        "fields": [
            "'orders.article.customer.countries' is nested 4 levels deep; the maximum is 3."
        ]
    }
    assert queries == []


def test_the_migration_guide_gives_this_block():
    """Issue 12.7: docs/migration.md's DRF_EAGER block is the one these tests run with."""
    text = (Path(__file__).parents[2] / "docs" / "migration.md").read_text()
    block = re.search(r"^DRF_EAGER = (\{.*?^\})$", text, re.M | re.S).group(1)
    assert ast.literal_eval(block) == {k: v for k, v in MIGRATION.items() if k != "STRICT"}


@pytest.mark.parametrize(
    "query",
    [
        "extra=countries,description&fields=countries.id,description",
        "extra=description,countries&fields=description,countries.id",
    ],
)
def test_prefetch_for_simple_fields_next_to_the_planned_relation(readme, order, query):
    """Issue 12.2: the property's Prefetch("countries") and the extra `countries` (whose
    plan loads only `id`) share one query, which loads every column the property reads.
    Found by tests/fast/test_views.py's generated shapes."""
    view = view_of(views.CustomerList, order)
    status, data, queries = call(view, "GET", f"/customers/?{query}")
    assert (status, data) == (
        200,
        [
            {"countries": [{"id": 1}], "description": "Willy in USA, selling TNT"},
            {
                "countries": [{"id": 1}, {"id": 2}],
                "description": "Mario in USA, Italy, selling PIZZA",
            },
        ],
    )
    assert len(queries) == 3
