"""The fast path in views: on by default for a stock list() rendered as JSON, off by a
setting or a view attribute, and byte-identical to the DRF path, in no more queries."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from hypothesis import given, note
from hypothesis import strategies as st
from rest_framework import generics, viewsets
from rest_framework.test import APIRequestFactory

from drf_eager import EagerFieldsViewMixin
from drf_eager.fast import FastQuery
from drf_eager.sql import SQLResponse
from tests import models, serializers
from tests.security import test_fuzz
from tests.security.test_fuzz import (
    fuzz_settings,
    send,
    valid_request,
)

fuzz_data = test_fuzz.fuzz_data  # the fixture


@pytest.fixture
def served(monkeypatch):
    """The number of responses the fast path built: from its values() rows, or from the
    statement of the SQL render (a SQL_RENDER=1 run), which writes the same plan."""
    calls = []
    original = FastQuery.serialize
    render = SQLResponse.render

    def serialize(self, rows=None):
        calls.append(self.plan)
        return original(self, rows)

    def rendered(self, *args, **kwargs):
        calls.append(self.query.plan)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(FastQuery, "serialize", serialize)
    monkeypatch.setattr(SQLResponse, "render", rendered)
    return calls


# ---------------------------------------------------------------- generated shapes


@fuzz_settings(120)
@given(draw=st.data())
def test_generated_shapes_are_the_same_on_both_paths(fuzz_data, draw):
    open_endpoints = [endpoint for endpoint in fuzz_data.endpoints if endpoint.open]
    endpoint = draw.draw(st.sampled_from(open_endpoints), label="endpoint")
    request = draw.draw(valid_request(endpoint), label="request")
    drf, drf_queries = send(fuzz_data, request)  # fuzz_data turns the fast path off
    with override_settings(DRF_EAGER={"STRICT": True, "FAST_PATH": True}):
        fast, fast_queries = send(fuzz_data, request)
    note(f"fast: {fast.content[:500]!r}")
    assert fast.status_code == drf.status_code == 200, drf.content[:500]
    assert fast.content == drf.content
    # Never more: a prefetch_related() of the view's queryset that the shape does not
    # serve (/filtered-authors/ prefetches books) is run by the DRF path only.
    assert len(fast_queries) <= len(drf_queries), "\n".join(
        ["fast path:", *fast_queries, "DRF path:", *drf_queries]
    )


# ------------------------------------------------------------------- when it applies


@pytest.fixture
def books(db):
    author = models.Author.objects.create(name="Ann", email="ann@example.com")
    for i in range(5):
        models.Book.objects.create(title=f"b{i}", isbn=f"i{i}", price="1.00", author=author)


def get(view, query="", **kwargs):
    request = APIRequestFactory().get(f"/x/?{query}", **kwargs)
    response = view(request)
    response.render()
    return response


class BookList(EagerFieldsViewMixin, generics.ListAPIView):
    queryset = models.Book.objects.order_by("pk")
    serializer_class = serializers.BookSerializer


class BookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Book.objects.order_by("pk")
    serializer_class = serializers.BookSerializer


def test_a_generic_list_view_uses_it(books, served):
    response = get(BookList.as_view(), "fields=title,author.name")
    assert json.loads(response.content)[0] == {"title": "b0", "author": {"name": "Ann"}}
    assert len(served) == 1


def test_a_viewset_list_uses_it_and_retrieve_does_not(books, served):
    response = get(BookViewSet.as_view({"get": "list"}), "fields=title")
    assert [row["title"] for row in json.loads(response.content)] == [f"b{i}" for i in range(5)]
    assert len(served) == 1
    pk = models.Book.objects.get(title="b2").pk
    request = APIRequestFactory().get("/x/?fields=title")
    response = BookViewSet.as_view({"get": "retrieve"})(request, pk=pk)
    assert response.data == {"title": "b2"}
    assert len(served) == 1


@pytest.mark.parametrize(
    "pagination", ["PageNumberPagination", "LimitOffsetPagination"], ids=str.lower
)
def test_page_number_and_limit_offset_pages_are_sliced_rows(books, served, pagination):
    from rest_framework import pagination as drf_pagination

    paginator = type("Paginator", (getattr(drf_pagination, pagination),), {"page_size": 2})
    paginator.default_limit = 2
    view = type("Paged", (BookList,), {"pagination_class": paginator}).as_view()
    query = "fields=title&page=2" if pagination == "PageNumberPagination" else "fields=title"
    query += "&offset=2" if pagination == "LimitOffsetPagination" else ""
    fast = json.loads(get(view, query).content)
    with override_settings(DRF_EAGER={"FAST_PATH": False}):
        drf = json.loads(get(view, query).content)
    assert fast == drf
    assert fast["count"] == 5
    assert fast["results"] == [{"title": "b2"}, {"title": "b3"}]
    assert len(served) == 1


def test_cursor_pagination_uses_the_drf_path(books, served):
    from rest_framework import pagination as drf_pagination

    paginator = type(
        "Cursor", (drf_pagination.CursorPagination,), {"page_size": 2, "ordering": "isbn"}
    )
    view = type("Cursored", (BookList,), {"pagination_class": paginator}).as_view()
    data = json.loads(get(view, "fields=title").content)
    assert data["results"] == [{"title": "b0"}, {"title": "b1"}]
    assert served == []


def test_the_browsable_api_uses_the_drf_path(books, served):
    response = get(BookList.as_view(), "fields=title", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"b4" in response.content
    assert served == []


def test_the_setting_and_the_view_attribute_turn_it_off(books, served):
    with override_settings(DRF_EAGER={"FAST_PATH": False}):
        get(BookList.as_view(), "fields=title")
    assert served == []
    get(type("Off", (BookList,), {"eager_fast_path": False}).as_view(), "fields=title")
    assert served == []
    with override_settings(DRF_EAGER={"FAST_PATH": False}):
        get(type("On", (BookList,), {"eager_fast_path": True}).as_view(), "fields=title")
    assert len(served) == 1


def test_an_overridden_list_or_hook_uses_the_drf_path(books, served):
    from rest_framework.response import Response

    def list_(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        return Response(self.get_serializer(queryset, many=True).data)

    def prefetch(self, queryset, shape):
        return super(PlannedElsewhere, self).prefetch_queryset(queryset, shape)

    OwnList = type("OwnList", (BookList,), {"list": list_})
    PlannedElsewhere = type("PlannedElsewhere", (BookList,), {"prefetch_queryset": prefetch})
    for view in (OwnList, PlannedElsewhere):
        data = json.loads(get(view.as_view(), "fields=title").content)
        assert len(data) == 5
    assert served == []


def test_a_shape_it_cannot_serve_uses_the_drf_path(books, served):
    # `label` is a model property: no fast plan.
    response = get(BookList.as_view(), "extra=label&fields=title,label")
    assert response.status_code == 200, response.content
    assert served == []
