"""Issue 13.2: verify mode and drf_eager.testing."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework import pagination, renderers
from rest_framework.test import APIClient

from drf_eager import fast
from drf_eager.shape import Shape
from drf_eager.stock import is_stock_paginator, is_stock_renderer
from drf_eager.testing import FastPathMismatch, verify_fast_path
from drf_eager.verify import first_difference
from tests.zoo import models, serializers
from tests.zoo.test_zoo import zoo  # noqa: F401 - the fixture


@pytest.mark.parametrize(
    ("fast_data", "drf_data", "found"),
    [
        ([{"a": 1, "b": [1, 2]}], [{"a": 1, "b": [1, 2]}], None),
        (
            [{"a": 1, "b": 2}],
            [{"b": 2, "a": 1}],
            "$[0]: keys ['a', 'b'] (fast path) != ['b', 'a'] (DRF path)",
        ),
        ([{"a": [1]}], [{"a": [1, 2]}], "$[0].a: 1 items (fast path) != 2 (DRF path)"),
        ([{"a": 2.0}], [{"a": 2}], "$[0].a: 2.0 (fast path) != 2 (DRF path)"),
        ([{"a": True}], [{"a": 1}], "$[0].a: True (fast path) != 1 (DRF path)"),
        ({"a": Decimal("1.0")}, {"a": Decimal("1.0")}, None),
        ([], [1], "$: 0 items (fast path) != 1 (DRF path)"),
    ],
)
def test_first_difference(fast_data, drf_data, found):
    assert first_difference(fast_data, drf_data) == found


@pytest.fixture
def broken_fast_path(monkeypatch, settings):
    """The fast path serving a wrong name for the first row (the SQL render, which would
    serve the list in a SQL_RENDER=1 run, off: it is verified by test_sql_render.py)."""
    settings.DRF_EAGER = {**settings.DRF_EAGER, "SQL_RENDER": False}
    serialize = fast.FastQuery.serialize

    def wrong(self, rows=None):
        data = serialize(self, rows)
        if data:
            data[0]["name"] = "wrong"
        return data

    monkeypatch.setattr(fast.FastQuery, "serialize", wrong)


@pytest.mark.parametrize("url", ["/zoo/artists/?fields=id,name", "/zoo/sized-artists/?size=2"])
def test_a_difference_raises_naming_view_shape_and_path(zoo, broken_fast_path, url):  # noqa: F811
    with pytest.raises(FastPathMismatch) as raised:
        APIClient().get(url)
    message = str(raised.value)
    assert message.startswith("ArtistViewSet: the fast path's response differs") or (
        message.startswith("SizedArtistViewSet: the fast path's response differs")
    )
    assert (
        "Shape(fields=('id', 'name')" in message
        or "Shape(fields=('id', 'name', 'plays'" in message
    )
    assert message.endswith("at $[0].name: 'wrong' (fast path) != 'abba' (DRF path)")


def test_a_difference_is_logged_with_log(zoo, broken_fast_path, caplog):  # noqa: F811
    with verify_fast_path("log"), caplog.at_level(logging.ERROR, logger="drf_eager.fast"):
        response = APIClient().get("/zoo/artists/?fields=id,name")
    assert response.status_code == 200
    assert response.json()[0] == {"id": zoo.abba.pk, "name": "wrong"}  # the fast path's
    assert caplog.records[0].getMessage().endswith("'wrong' (fast path) != 'abba' (DRF path)")


def test_the_view_attribute_turns_verify_on(zoo, broken_fast_path, monkeypatch):  # noqa: F811
    from tests.zoo import views

    monkeypatch.setattr(views.ArtistViewSet, "eager_fast_path", "verify")
    with override_settings(DRF_EAGER={"FAST_PATH": True}), pytest.raises(FastPathMismatch):
        APIClient().get("/zoo/artists/")
    monkeypatch.setattr(views.ArtistViewSet, "eager_fast_path", True)
    with override_settings(DRF_EAGER={"FAST_PATH": "verify"}):
        assert APIClient().get("/zoo/artists/").json()[0]["name"] == "wrong"


def test_verify_queries_are_not_counted(zoo, settings):  # noqa: F811
    """The DRF render's queries are left out of the query log and the DEBUG count."""
    settings.DEBUG = True
    with CaptureQueriesContext(connection) as captured:
        response = APIClient().get("/zoo/artists/?extra=albums.tracks")
    assert len(captured) == 3
    assert response["X-Eager-Queries"] == "3"


def test_verify_fast_path_helpers(zoo, settings, broken_fast_path):  # noqa: F811
    settings.DRF_EAGER = {"FAST_PATH": True, "MAX_DEPTH": 4}
    with verify_fast_path():
        from drf_eager.settings import eager_settings

        assert (eager_settings.FAST_PATH, eager_settings.MAX_DEPTH) == ("verify", 4)
        with pytest.raises(FastPathMismatch):
            APIClient().get("/zoo/artists/")
    assert APIClient().get("/zoo/artists/").status_code == 200
    with pytest.raises(ValueError, match="on_difference must be 'raise' or 'log'"):
        verify_fast_path("print")


@pytest.mark.usefixtures("fast_path_verified")
def test_the_fixture(zoo, broken_fast_path):  # noqa: F811
    with pytest.raises(FastPathMismatch):
        APIClient().get("/zoo/artists/")


class Settings(pagination.PageNumberPagination):
    page_size = 3

    def get_page_size(self, request):
        return 3


class OwnPage(pagination.PageNumberPagination):
    django_paginator_class = type("OwnPaginator", (pagination.DjangoPaginator,), {})


class Cursor(pagination.CursorPagination):
    pass


class Reading(pagination.LimitOffsetPagination):
    @property
    def display_page_controls(self):
        return True


def test_stock_paginators_and_renderers():
    assert is_stock_paginator(pagination.PageNumberPagination())
    assert is_stock_paginator(Settings())
    assert not is_stock_paginator(OwnPage())
    assert not is_stock_paginator(Cursor())
    assert not is_stock_paginator(Reading())
    assert is_stock_renderer(renderers.JSONRenderer())
    assert not is_stock_renderer(None)
    assert not is_stock_renderer(renderers.BrowsableAPIRenderer())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's loose integers")
def test_a_plan_for_another_database_is_refused_on_sqlite(zoo):  # noqa: F811
    """Issue 13.6: a plan that does not convert integer columns is not run on SQLite."""
    shape = Shape(("id", "plays"))
    plan = fast._compile(serializers.ArtistSerializer, shape, False)
    assert isinstance(plan, fast.FastPlan)
    with pytest.raises(fast.FastPathUnavailable, match="another database than SQLite"):
        plan.prepare(models.Artist.objects.all())
    sqlite_plan = fast.compile_fast_plan(serializers.ArtistSerializer, shape)
    assert sqlite_plan is not None and sqlite_plan.loose_integers
    assert "e0(row[1])" in sqlite_plan.source  # IntegerField.to_representation
    assert "e0(row[1])" not in plan.source
