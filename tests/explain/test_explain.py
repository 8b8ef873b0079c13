"""`manage.py explain_shape URL`: the shape, the queryset plan and each SQL statement of
one GET request, run in-process; errors exit non-zero with the reason."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.urls import path

from drf_eager.management.commands.explain_shape import Command
from tests import models

pytestmark = pytest.mark.django_db


def explain(*args: str) -> tuple[list[str], list[str]]:
    """Run the command; return the lines it printed before the SQL, and the SQL lines."""
    out = StringIO()
    call_command("explain_shape", *args, stdout=out)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("SQL: "))
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[: start + 1] + lines[end:], lines[start + 1 : end]


@pytest.mark.plan_queries
def test_list_with_extras(small_library):
    url = "/books/?extra=author.publisher,tags&fields=title,author(name,publisher.name),tags.name"
    lines, sql = explain(url)
    assert lines == [
        f"GET {url}",
        "View: tests.views.BookViewSet (list)",
        "Serializer: tests.serializers.BookSerializer",
        "Response: 200 OK",
        "",
        "Shape: fields=title,author(name,publisher(name)),tags(name)",
        "  title",
        "  author",
        "    name",
        "    publisher",
        "      name",
        "  tags",
        "    name",
        "",
        "Plan:",
        "  tests.Book",
        "    select_related: author, author__publisher",
        "    only: author, author__name, author__publisher, author__publisher__name, id, title",
        "    prefetch_related: tags",
        "      tests.Tag",
        "        columns: id, name (all)",
        "",
        "Path: fast (values_list() rows, drf_eager.fast)",
        "",
        "SQL: 2 queries",
    ]
    assert [line[:12] for line in sql] == ["  1. SELECT ", "  2. SELECT "]
    assert "tests_publisher" in sql[0]
    assert "tests_book_tags" in sql[1]


def test_retrieve_with_a_json_body(small_library):
    book = models.Book.objects.get(title="book1-0")
    body = {"fields": {"title": None, "good_reviews": {"rating": None}}}
    lines, sql = explain(f"/books/{book.pk}/", "--body", json.dumps(body))
    assert lines == [
        f"GET /books/{book.pk}/",
        "View: tests.views.BookViewSet (retrieve)",
        "Serializer: tests.serializers.BookSerializer",
        "Response: 200 OK",
        "",
        "Shape: fields=title,good_reviews(rating)",
        "  title",
        "  good_reviews",
        "    rating",
        "",
        "Plan:",
        "  tests.Book",
        "    only: id, title",
        "    prefetch_related: reviews into _eager_good_reviews",
        "      tests.Review",
        "        only: book, id, rating",
        "",
        "Path: DRF (the fast path serves lists)",
        "",
        "SQL: 2 queries",
    ]
    assert "tests_review" in sql[1]


def test_paginated_list_counts_the_count_query_and_prints_the_response(small_library):
    out = StringIO()
    call_command(
        "explain_shape",
        "/paginated-books/?limit=1&fields=title,author.name",
        "--response",
        stdout=out,
    )
    text = out.getvalue()
    assert "View: tests.views.PaginatedBookViewSet (list)" in text
    assert "    select_related: author\n    only: author, author__name, id, title\n" in text
    assert "SQL: 2 queries\n  1. SELECT COUNT(*)" in text
    body = json.loads(text.split("Response body:\n", 1)[1])
    assert body == {
        "count": 4,
        "next": "http://testserver/paginated-books/?fields=title%2Cauthor.name&limit=1&offset=1",
        "previous": None,
        "results": [{"title": "book0-0", "author": {"name": "author0"}}],
    }


@pytest.mark.plan_queries
def test_the_default_shape_of_a_view_with_defaults(small_library):
    lines, sql = explain("/book-defaults/")
    assert lines[:6] == [
        "GET /book-defaults/",
        "View: tests.views.BookDefaultsView",
        "Serializer: tests.serializers.BookSerializer",
        "Response: 200 OK",
        "",
        "Shape: fields=title,author(name,publisher(name)),tags(name)",
    ]
    assert lines[-1] == "SQL: 2 queries"
    assert len(sql) == 2


@pytest.mark.plan_queries
def test_a_query_count_that_does_not_depend_on_the_rows(library):
    lines, sql = explain(
        "/authors/?extra=books.reviews,profile&fields=name,profile.bio,books(title,reviews.rating)"
    )
    assert lines[-1] == "SQL: 3 queries"
    assert len(sql) == 3


def test_a_user(small_library):
    get_user_model().objects.create_user("ada", is_staff=True)
    with pytest.raises(CommandError, match="was answered 403 Forbidden"):
        explain("/secure/authors/?extra=email")
    lines, _ = explain("/secure/authors/?extra=email", "--user", "ada")
    assert "Shape: fields=id,name,email" in lines
    with pytest.raises(CommandError, match="No user is named 'bob'."):
        explain("/secure/authors/", "--user", "bob")


# Errors ------------------------------------------------------------------------------


def test_a_shape_error(small_library):
    with pytest.raises(CommandError) as raised:
        explain("/books/?extra=nope&fields=title,author.nope")
    assert str(raised.value).splitlines() == [
        "GET /books/?extra=nope&fields=title,author.nope was answered 400 Bad Request:",
        "  extra: Unknown field 'nope'. Allowed: author, author_name, chapters, comments, "
        "featured_author, good_reviews, label, reviews, tag_ids, tags.",
        "  fields: Unknown field 'nope' at 'author'. Allowed: *, awards, books, display_name, "
        "email, id, initials, name, passport, profile, publisher, restaurants.",
    ]


def test_a_missing_object(small_library):
    with pytest.raises(CommandError, match=r"was answered 404 Not Found:\n  detail: No Book"):
        explain("/books/999999/")


def test_an_unknown_url():
    with pytest.raises(CommandError, match=r"^No view answers /nope/\.$"):
        explain("/nope/")


def index(request: Any) -> HttpResponse:
    return HttpResponse("An index page.")


#: The URLconf of test_a_view_without_the_mixin: a function view at "/".
urlpatterns = [path("", index)]


@pytest.mark.urls("tests.explain.test_explain")
def test_a_view_without_the_mixin():
    message = "/ is served by tests.explain.test_explain.index, which does not"
    with pytest.raises(CommandError, match=message):
        explain("/")


def test_a_body_that_is_not_json():
    with pytest.raises(CommandError, match="--body is not valid JSON"):
        explain("/books/", "--body", "{fields: 1}")


def test_errors_exit_non_zero(small_library, capsys: Any):
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "explain_shape", "/books/?extra=nope"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(
        "CommandError: GET /books/?extra=nope was answered 400 Bad Request:\n"
        "  extra: Unknown field 'nope'."
    )
    assert captured.out.startswith("GET /books/?extra=nope\nView: tests.views.BookViewSet")


def test_the_host_of_the_links(small_library):
    out = StringIO()
    url = "/paginated-books/?limit=1&fields=title"
    call_command("explain_shape", url, "--response", "--host", "api.example.com", stdout=out)
    body = json.loads(out.getvalue().split("Response body:\n", 1)[1])
    assert body["next"] == "http://api.example.com/paginated-books/?fields=title&limit=1&offset=1"
    out = StringIO()
    call_command("explain_shape", f"https://books.example.com{url}", "--response", stdout=out)
    assert out.getvalue().startswith(f"GET {url}\n")
    body = json.loads(out.getvalue().split("Response body:\n", 1)[1])
    assert (
        body["next"] == "https://books.example.com/paginated-books/?fields=title&limit=1&offset=1"
    )


def test_it_says_why_a_list_is_not_served_by_the_fast_path(small_library, settings):
    # `label` is a model property: its output is code the fast path cannot see through.
    lines, _ = explain("/books/?extra=label&fields=title,label")
    path = next(line for line in lines if line.startswith("Path: "))
    assert path.startswith("Path: DRF (no fast plan: ") and "label" in path, path
    settings.DRF_EAGER = {**settings.DRF_EAGER, "FAST_PATH": False}
    lines, _ = explain("/books/?fields=title")
    assert "Path: DRF (the fast path is off, or the response is not rendered as JSON)" in lines
