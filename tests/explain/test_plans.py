"""`manage.py explain_shape` on what the library's own views never show it: querysets
written by hand (every relation JOINed, deferred columns, plain prefetch lookups), a
view whose serializer has no mixin, a queryset the fast path refuses, and errors that
are not keyed by a parameter."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Prefetch
from django.http import HttpResponseBadRequest
from django.urls import path
from rest_framework import generics, pagination, serializers
from rest_framework.exceptions import ValidationError

from drf_eager import EagerFieldsViewMixin
from drf_eager.management.commands.explain_shape import describe_plan
from tests import models
from tests.serializers import BookSerializer

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class PlainBookSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Book
        fields = ["title"]


class PlainSerializerView(EagerFieldsViewMixin, generics.ListAPIView):
    """The mixin on the view, none on the serializer."""

    queryset = models.Book.objects.all()
    serializer_class = PlainBookSerializer


class ExtraSelectView(EagerFieldsViewMixin, generics.ListAPIView):
    """A queryset with extra(): planned, but refused by the fast path."""

    queryset = models.Book.objects.extra(select={"one": "1"})
    serializer_class = BookSerializer


class ListErrorView(EagerFieldsViewMixin, generics.ListAPIView):
    queryset = models.Book.objects.all()
    serializer_class = BookSerializer

    def get_queryset(self):
        raise ValidationError(["The shop is closed.", "Come back tomorrow."])


class PlainErrorView(EagerFieldsViewMixin, generics.ListAPIView):
    queryset = models.Book.objects.all()
    serializer_class = BookSerializer

    def get(self, request, *args, **kwargs):
        return HttpResponseBadRequest("Not today.")


class PaginatedView(EagerFieldsViewMixin, generics.ListAPIView):
    queryset = models.Book.objects.all()
    serializer_class = BookSerializer
    pagination_class = pagination.LimitOffsetPagination


urlpatterns = [
    path("paginated/", PaginatedView.as_view()),
    path("plain/", PlainSerializerView.as_view()),
    path("extra-select/", ExtraSelectView.as_view()),
    path("list-error/", ListErrorView.as_view()),
    path("plain-error/", PlainErrorView.as_view()),
]


def explain(url: str) -> list[str]:
    out = StringIO()
    call_command("explain_shape", url, stdout=out)
    return out.getvalue().splitlines()


# Deprecated by Django 6.1, and still served.
@pytest.mark.filterwarnings("ignore:Calling select_related\\(\\) with no arguments")
def test_the_plan_of_a_hand_written_queryset():
    queryset = (
        models.Book.objects.select_related()
        .defer("isbn", "price")
        .prefetch_related(
            "tags",
            Prefetch("reviews"),
            Prefetch("chapter_set", models.Chapter.objects.only("title"), to_attr="chapters"),
        )
    )
    assert describe_plan(queryset) == [
        "tests.Book",
        "  select_related: every relation",
        "  defer: isbn, price",
        "  prefetch_related: tags",
        "  prefetch_related: reviews",
        "  prefetch_related: chapter_set into chapters",
        "    tests.Chapter",
        "      only: title",
    ]


def test_the_plan_of_an_unplanned_queryset_loads_all_columns():
    """Issue 16: the line names the columns the SQL selects, not just "all"."""
    assert describe_plan(models.Tag.objects.all(), "  ") == [
        "  tests.Tag",
        "    columns: id, name (all)",
    ]
    # A foreign key is its column: what the SELECT lists.
    assert describe_plan(models.Chapter.objects.all())[1].startswith("  columns: id, ")
    assert "book_id" in describe_plan(models.Chapter.objects.all())[1]


def test_a_view_whose_serializer_has_no_mixin(small_library):
    lines = explain("/plain/")
    assert lines[:4] == [
        "GET /plain/",
        f"View: {__name__}.PlainSerializerView",
        f"Serializer: {__name__}.PlainBookSerializer",
        "Response: 200 OK",
    ]
    assert "Shape: none (the serializer has no EagerFieldsSerializerMixin)" in lines
    assert "Plan: none (no queryset was planned)" in lines
    assert "Path: DRF (no list was planned)" in lines
    assert "SQL: 1 query" in lines


def test_a_queryset_the_fast_path_refuses_is_planned_and_served_by_drf(small_library):
    lines = explain("/extra-select/?fields=title,author.name")
    assert lines[lines.index("Plan:") + 1 : lines.index("Plan:") + 4] == [
        "  tests.Book",
        "    select_related: author",
        "    only: author, author__name, id, title",
    ]
    assert (
        "Path: DRF (the queryset or a related queryset cannot be served by the fast path)" in lines
    )
    assert "SQL: 1 query" in lines


def test_an_error_list_is_printed_one_message_a_line(small_library):
    with pytest.raises(CommandError) as raised:
        explain("/list-error/")
    assert str(raised.value) == (
        "GET /list-error/ was answered 400 Bad Request:\n"
        "  The shop is closed.\n"
        "  Come back tomorrow."
    )


def test_an_error_that_is_not_a_drf_response_prints_its_content():
    with pytest.raises(CommandError) as raised:
        explain("/plain-error/")
    assert str(raised.value) == "GET /plain-error/ was answered 400 Bad Request:\n  Not today."


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [(["*"], "localhost"), (["*", ".example.com", "api.example.com"], "example.com")],
)
def test_links_use_the_first_allowed_host_that_is_not_a_wildcard(
    small_library, settings, allowed_hosts, host
):
    settings.ALLOWED_HOSTS = allowed_hosts
    out = StringIO()
    call_command("explain_shape", "/paginated/?limit=1&fields=title", "--response", stdout=out)
    body = json.loads(out.getvalue().split("Response body:\n", 1)[1])
    assert body["next"] == f"http://{host}/paginated/?fields=title&limit=1&offset=1"
