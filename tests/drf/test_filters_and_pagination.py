"""django-filter, DRF's SearchFilter and OrderingFilter, and the three DRF paginators,
with shaped responses: each response in full, and its exact number of queries (the
paginator's COUNT included), the same for 2 and 50 authors.

The views are in tests/views.py, under "Integrations"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.db.models import F

from drf_eager import prepare
from tests import models, serializers
from tests.conftest import planned

pytestmark = pytest.mark.django_db

PAGE = 3  # BookPageNumberPagination.page_size, BookLimitOffsetPagination.default_limit


def books(**filters: Any) -> list[models.Book]:
    """The books, in the views' default order, with what the expected documents read."""
    queryset = models.Book.objects.filter(**filters).select_related("author__publisher")
    return list(queryset.prefetch_related("tags", "reviews").order_by("id"))


def title_author_tags(book: models.Book) -> dict[str, Any]:
    return {
        "title": book.title,
        "author": {"name": book.author.name},
        "tags": [{"name": tag.name} for tag in book.tags.all()],
    }


def link(path: str, **params: Any) -> str:
    """An absolute link as DRF's paginators write it: parameters sorted by name."""
    return f"http://testserver{path}?{urlencode(sorted(params.items()))}"


def get(api: Any, url: str, queries: int, django_assert_num_queries: Any) -> tuple[int, Any]:
    with django_assert_num_queries(queries):
        response = api.get(url)
    return response.status_code, response.json()


# django-filter -------------------------------------------------------------------


def test_django_filter_with_extras(api, library, django_assert_num_queries):
    url = "/filter-books/?title=book1-0&extra=author,tags&fields=title,author.name,tags.name"
    # COUNT, the page JOINed with its authors, the tags (with the SQL render: COUNT, the page).
    status, data = get(api, url, planned(3, rendered=2), django_assert_num_queries)
    assert status == 200
    assert data == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "title": "book1-0",
                "author": {"name": "author1"},
                "tags": [{"name": "tag0"}, {"name": "tag1"}],
            }
        ],
    }


def test_django_filter_lookup_through_relations(api, library, django_assert_num_queries):
    url = "/filter-books/?tags__name=tag0&extra=author,tags&fields=title,author.name,tags.name"
    status, data = get(
        api, f"{url}&page_size=100", planned(3, rendered=2), django_assert_num_queries
    )
    assert status == 200
    expected = books(tags__name="tag0")
    assert len(expected) == library  # each author's first book
    assert data == {
        "count": library,
        "next": None,
        "previous": None,
        "results": [title_author_tags(book) for book in expected],
    }


def test_django_filter_model_choice_costs_its_own_query(api, library, django_assert_num_queries):
    author = models.Author.objects.get(name="author1")
    url = f"/filter-books/?author={author.pk}&extra=reviews&fields=title,reviews(rating)"
    # django-filter checks that the author exists; then COUNT, the page, the reviews.
    # The SQL render serves the page and its reviews in one statement.
    status, data = get(api, url, planned(4, rendered=3), django_assert_num_queries)
    assert status == 200
    assert data == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {"title": "book1-0", "reviews": [{"rating": 2}, {"rating": 5}]},
            {"title": "book1-1", "reviews": [{"rating": 2}, {"rating": 5}]},
        ],
    }


def test_the_shape_is_checked_before_the_filters(api, small_library, django_assert_num_queries):
    status, data = get(api, "/filter-books/?author=abc&extra=nope", 0, django_assert_num_queries)
    assert status == 400
    assert list(data) == ["extra"]
    status, data = get(api, "/filter-books/?author=abc&extra=tags", 0, django_assert_num_queries)
    assert status == 400
    assert data == {
        "author": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_shape_error_with_filters_runs_no_query(api, small_library, django_assert_num_queries):
    status, data = get(
        api, "/filter-books/?title=book1-0&search=book&extra=nope", 0, django_assert_num_queries
    )
    assert status == 400
    assert list(data) == ["extra"]
    assert data["extra"][0].startswith("Unknown field 'nope'. Allowed: author, ")


# SearchFilter --------------------------------------------------------------------


def test_search_with_extras(api, library, django_assert_num_queries):
    url = "/filter-books/?search=author1&extra=author,tags&fields=title,author.name,tags.name"
    status, data = get(
        api, f"{url}&page_size=100", planned(3, rendered=2), django_assert_num_queries
    )
    assert status == 200
    # author1, and with 50 authors author10 to author19 too.
    expected = [book for book in books() if "author1" in book.author.name]
    assert len(expected) == (2 if library == 2 else 22)
    assert data == {
        "count": len(expected),
        "next": None,
        "previous": None,
        "results": [title_author_tags(book) for book in expected],
    }


def test_search_through_many_to_many_has_no_duplicates(api, library, django_assert_num_queries):
    # `tags__name` makes DRF search through an EXISTS subquery: each book once.
    url = "/filter-books/?search=tag2&fields=title,tags.name&page_size=100"
    status, data = get(api, url, planned(3, rendered=2), django_assert_num_queries)
    assert status == 200
    expected = books(tags__name="tag2")
    assert data == {
        "count": library,
        "next": None,
        "previous": None,
        "results": [
            {"title": book.title, "tags": [{"name": tag.name} for tag in book.tags.all()]}
            for book in expected
        ],
    }


# OrderingFilter ------------------------------------------------------------------


def test_ordering_by_a_column_the_response_does_not_serve(api, library, django_assert_num_queries):
    url = "/filter-books/?ordering=-isbn&fields=title&page_size=100"
    status, data = get(api, url, 2, django_assert_num_queries)
    assert status == 200
    expected = sorted(books(), key=lambda book: book.isbn, reverse=True)
    assert data["results"] == [{"title": book.title} for book in expected]
    assert data["count"] == 2 * library


def test_ordering_through_a_relation_with_extras(api, library, django_assert_num_queries):
    url = (
        "/filter-books/?ordering=author__name,-title&extra=author.publisher,reviews"
        "&fields=title,author(name,publisher.name),reviews.rating&page_size=100"
    )
    # COUNT, the page JOINed with authors and publishers, the reviews.
    # The SQL render serves the page and its reviews in one statement.
    status, data = get(api, url, planned(3, rendered=2), django_assert_num_queries)
    assert status == 200
    expected = sorted(books(), key=lambda book: book.title, reverse=True)
    expected.sort(key=lambda book: book.author.name)
    assert data["results"] == [
        {
            "title": book.title,
            "author": {"name": book.author.name, "publisher": {"name": "Penguin"}},
            "reviews": [{"rating": 2}, {"rating": 5}],
        }
        for book in expected
    ]


def test_filter_search_ordering_and_page_together(api, library, django_assert_num_queries):
    url = (
        "/filter-books/?tags__name=tag1&search=book1&ordering=-isbn&page_size=2"
        "&extra=author,tags&fields=title,author.name,tags.name"
    )
    status, data = get(api, url, planned(3, rendered=2), django_assert_num_queries)
    assert status == 200
    expected = sorted(
        (book for book in books(tags__name="tag1") if "book1" in book.title),
        key=lambda book: book.isbn,
        reverse=True,
    )
    assert data["count"] == len(expected)
    assert data["results"] == [title_author_tags(book) for book in expected[:2]]
    assert data["previous"] is None
    if len(expected) > 2:
        assert data["next"] == link(
            "/filter-books/",
            extra="author,tags",
            fields="title,author.name,tags.name",
            ordering="-isbn",
            page=2,
            page_size=2,
            search="book1",
            tags__name="tag1",
        )
    else:
        assert data["next"] is None


# Paginators ----------------------------------------------------------------------


def test_page_number_pagination(api, library, django_assert_num_queries):
    params = {"extra": "author,tags", "fields": "title,author.name,tags.name"}
    url = f"/filter-books/?{urlencode(params)}&page=2"
    # COUNT, the page JOINed with its authors, the tags (with the SQL render: COUNT, the page).
    status, data = get(api, url, planned(3, rendered=2), django_assert_num_queries)
    assert status == 200
    expected = books()
    assert data == {
        "count": 2 * library,
        "next": link("/filter-books/", page=3, **params) if library > 2 else None,
        "previous": link("/filter-books/", **params),
        "results": [title_author_tags(book) for book in expected[PAGE : 2 * PAGE]],
    }


def test_limit_offset_pagination(api, library, django_assert_num_queries):
    url = "/limit-books/?limit=2&offset=1&extra=author,tags&fields=title,author.name,tags.name"
    status, data = get(api, url, planned(3, rendered=2), django_assert_num_queries)
    assert status == 200
    params = {"extra": "author,tags", "fields": "title,author.name,tags.name", "limit": 2}
    assert data == {
        "count": 2 * library,
        "next": link("/limit-books/", offset=3, **params),
        "previous": link("/limit-books/", **params),
        "results": [title_author_tags(book) for book in books()[1:3]],
    }


def test_limit_offset_default_limit_with_defaults_only(api, library, django_assert_num_queries):
    status, data = get(api, "/limit-books/", 2, django_assert_num_queries)
    assert status == 200
    assert data["count"] == 2 * library
    assert data["results"] == [
        {"id": book.pk, "title": book.title, "isbn": book.isbn, "price": "9.99"}
        for book in books()[:PAGE]
    ]


def cursor_pages(api: Any, url: str, queries: int, django_assert_num_queries: Any) -> list[Any]:
    """Follow a cursor paginator's `next` links to the end; every page costs `queries`."""
    pages = []
    while url:
        status, data = get(api, url, queries, django_assert_num_queries)
        assert status == 200
        assert set(data) == {"next", "previous", "results"}
        pages.append(data["results"])
        url = data["next"]
    return pages


def test_cursor_pagination_serving_its_ordering_column(api, library, django_assert_num_queries):
    # Ordered by the paginator's `-isbn`, which the response serves: one query a page.
    pages = cursor_pages(api, "/cursor-books/?fields=title,isbn", 1, django_assert_num_queries)
    expected = sorted(books(), key=lambda book: book.isbn, reverse=True)
    assert [row for page in pages for row in page] == [
        {"title": book.title, "isbn": book.isbn} for book in expected
    ]
    assert [len(page) for page in pages[:-1]] == [PAGE] * (len(pages) - 1)


def test_cursor_pagination_ordered_by_the_ordering_filter(api, library, django_assert_num_queries):
    # The view's OrderingFilter orders by `isbn`, which the response does not serve:
    # the plan keeps the column, so the paginator reads each row's position for free.
    url = "/cursor-ordered-books/?extra=author,tags&fields=title,author.name,tags.name"
    pages = cursor_pages(api, url, 2, django_assert_num_queries)
    expected = sorted(books(), key=lambda book: book.isbn)
    assert [row for page in pages for row in page] == [title_author_tags(b) for b in expected]


def test_cursor_pagination_with_a_requested_ordering(api, library, django_assert_num_queries):
    url = "/cursor-ordered-books/?ordering=-title&fields=isbn"
    pages = cursor_pages(api, url, 1, django_assert_num_queries)
    expected = sorted(books(), key=lambda book: book.title, reverse=True)
    assert [row for page in pages for row in page] == [{"isbn": b.isbn} for b in expected]


def test_the_plan_keeps_the_columns_the_queryset_is_ordered_by():
    queryset = models.Book.objects.order_by(F("isbn").desc(), "-title", "author__name", "price")
    prepared, _ = prepare(serializers.BookSerializer, queryset, fields="id")
    # Its own columns, however spelled; not a related one, which a JOIN would need.
    assert prepared.query.deferred_loading == (frozenset({"id", "isbn", "title", "price"}), False)
    # (Ordered by the primary key alone: an unordered queryset is not pruned, see
    # tests/existing_project/test_row_order.py.)
    prepared, _ = prepare(serializers.BookSerializer, queryset.order_by("pk"), fields="title")
    assert prepared.query.deferred_loading == (frozenset({"id", "title"}), False)


def test_cursor_pagination_ordered_by_the_paginator(api, library, django_assert_num_queries):
    url = "/cursor-books/?extra=author,tags&fields=title,author.name,tags.name"
    pages = cursor_pages(api, url, 2, django_assert_num_queries)
    expected = sorted(books(), key=lambda book: book.isbn, reverse=True)
    assert [row for page in pages for row in page] == [title_author_tags(b) for b in expected]


def test_retrieve_through_filter_backends(api, library, django_assert_num_queries):
    book = models.Book.objects.get(title="book1-1")
    url = (
        f"/filter-books/{book.pk}/?extra=author.publisher,tags"
        "&fields=title,author(name,publisher.name),tags.name"
    )
    status, data = get(api, url, 2, django_assert_num_queries)
    assert status == 200
    assert data == {
        "title": "book1-1",
        "author": {"name": "author1", "publisher": {"name": "Penguin"}},
        "tags": [{"name": "tag1"}, {"name": "tag2"}],
    }
