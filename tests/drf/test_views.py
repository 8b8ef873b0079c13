"""End to end: each request's status, body and exact number of queries, the same
for 2 and 50 authors."""

from __future__ import annotations

import pytest

from tests import models
from tests.conftest import DECIMALS_RENDERED, planned

pytestmark = pytest.mark.django_db

#: The SQL render serves a book's price (a decimal) on PostgreSQL and MariaDB; SQLite stores
#: no decimal, so there a list serving it keeps the plan's queries.


def first_book(data):
    return data[0]


def test_default_response(api, library):
    status, data, queries = api.get_json("/books/")
    assert status == 200
    assert len(data) == 2 * library
    assert data[0] == {"id": data[0]["id"], "title": "book0-0", "isbn": "isbn00", "price": "9.99"}
    assert len(queries) == 1


def test_extra_and_fields_dotted(api, library):
    url = (
        "/books/?extra=author.publisher,tags"
        "&fields=title,author.name,author.publisher.name,tags.name"
    )
    status, data, queries = api.get_json(url)
    assert status == 200
    assert data[0] == {
        "title": "book0-0",
        "author": {"name": "author0", "publisher": {"name": "Penguin"}},
        "tags": [{"name": "tag0"}, {"name": "tag1"}],
    }
    # Books JOIN authors JOIN publishers; one query for the tags. The SQL render: one.
    assert len(queries) == planned(2, rendered=1)


def test_detail(api, library):
    book = models.Book.objects.get(title="book1-1")
    status, data, queries = api.get_json(
        f"/books/{book.pk}/?extra=author.profile,reviews&fields=title,author(name,profile(bio)),"
        f"reviews(rating)"
    )
    assert status == 200
    assert data == {
        "title": "book1-1",
        "author": {"name": "author1", "profile": {"bio": "bio1"}},
        "reviews": [{"rating": 2}, {"rating": 5}],
    }
    assert len(queries) == 2


def test_whitespace_is_ignored(api, small_library):
    status, data, _ = api.get_json("/books/?extra= author , tags &fields= title , author . name ")
    assert status == 200
    assert data[0] == {"title": "book0-0", "author": {"name": "author0"}}


def test_exclude(api, library):
    status, data, queries = api.get_json("/books/?exclude=id,isbn,price")
    assert status == 200
    assert data[0] == {"title": "book0-0"}
    assert len(queries) == 1


def test_exclude_wins_over_fields(api, small_library):
    status, data, _ = api.get_json("/books/?fields=id,title&exclude=id")
    assert status == 200
    assert data[0] == {"title": "book0-0"}


def test_exclude_nested(api, small_library):
    status, data, _ = api.get_json("/books/?extra=author&exclude=isbn,price,author.id")
    assert status == 200
    assert data[0] == {"id": data[0]["id"], "title": "book0-0", "author": {"name": "author0"}}


def test_field_naming_an_extra_requests_it(api, library):
    status, data, queries = api.get_json("/books/?fields=title,tags.name")
    assert status == 200
    assert data[0] == {"title": "book0-0", "tags": [{"name": "tag0"}, {"name": "tag1"}]}
    assert len(queries) == planned(2, rendered=1)


def test_fields_prunes_extras_so_they_are_not_loaded(api, library):
    status, data, queries = api.get_json("/books/?extra=tags,reviews&fields=title")
    assert status == 200
    assert data[0] == {"title": "book0-0"}
    assert len(queries) == 1


def test_partial_response_syntax(api, library):
    status, data, queries = api.get_json(
        "/books/?fields=title,author(name,publisher(name)),reviews(rating)"
    )
    assert status == 200
    assert data[0] == {
        "title": "book0-0",
        "author": {"name": "author0", "publisher": {"name": "Penguin"}},
        "reviews": [{"rating": 2}, {"rating": 5}],
    }
    assert len(queries) == planned(2, rendered=1)


def test_slash_syntax(api, small_library):
    status, data, _ = api.get_json("/books/?fields=title,author/name")
    assert status == 200
    assert data[0] == {"title": "book0-0", "author": {"name": "author0"}}


def test_wildcard(api, small_library):
    status, data, _ = api.get_json("/books/?fields=*,author(*)&exclude=isbn")
    assert status == 200
    assert data[0] == {
        "id": data[0]["id"],
        "title": "book0-0",
        "price": "9.99",
        "author": {"id": data[0]["author"]["id"], "name": "author0"},
    }


def test_json_body(api, library):
    body = {"fields": {"title": None, "author": {"name": None}, "tags": {}}}
    status, data, queries = api.get_json("/books/?fields=id&extra=reviews", body)
    assert status == 200
    # The body wins over query parameters; naming an extra in it requests it.
    assert data[0] == {
        "title": "book0-0",
        "author": {"name": "author0"},
        "tags": [
            {"id": data[0]["tags"][0]["id"], "name": "tag0"},
            {"id": data[0]["tags"][1]["id"], "name": "tag1"},
        ],
    }
    assert len(queries) == planned(2, rendered=1)


def test_view_defaults(api, library):
    status, data, queries = api.get_json("/book-defaults/")
    assert status == 200
    assert data[0] == {
        "title": "book0-0",
        "author": {"name": "author0", "publisher": {"name": "Penguin"}},
        "tags": [{"name": "tag0"}, {"name": "tag1"}],
    }
    assert len(queries) == planned(2, rendered=1)


def test_query_parameter_replaces_its_view_default_only(api, library):
    # `fields` replaces the view's fields; the view's extra stays.
    status, data, queries = api.get_json("/book-defaults/?fields=title,author.name")
    assert status == 200
    assert data[0] == {"title": "book0-0", "author": {"name": "author0"}}
    assert len(queries) == 1


def test_empty_query_parameter_keeps_the_default(api, small_library):
    status, data, _ = api.get_json("/book-defaults/?fields=&extra=")
    assert status == 200
    assert data[0]["author"] == {"name": "author0", "publisher": {"name": "Penguin"}}


def test_pagination_loads_only_the_page(api, library):
    status, data, queries = api.get_json("/paginated-books/?limit=3&offset=1&extra=tags")
    assert status == 200
    assert data["count"] == 2 * library
    assert [book["title"] for book in data["results"]] == ["book0-1", "book1-0", "book1-1"]
    # COUNT, the page, its tags (the SQL render: COUNT, the page).
    assert len(queries) == planned(3, rendered=2 if DECIMALS_RENDERED else 3)


def test_user_queryset_is_kept(api, library):
    status, data, queries = api.get_json("/filtered-authors/?extra=books&fields=name,books.title")
    assert status == 200
    assert [a["name"] for a in data] == [f"author{i}" for i in reversed(range(library))]
    assert data[-1]["books"] == [{"title": "book0-0"}, {"title": "book0-1"}]
    # The view's own prefetch_related("books") is merged with the plan's, not repeated.
    assert len(queries) == planned(2, rendered=1)


def test_api_view(api, small_library):
    status, data, queries = api.get_json("/book-api/?fields=title")
    assert status == 200
    assert data == [{"title": t} for t in ["book0-0", "book0-1", "book1-0", "book1-1"]]
    assert len(queries) == 1


@pytest.mark.parametrize(
    ("url", "errors"),
    [
        (
            "/authors/?extra=books.ordrs",
            {
                "extra": [
                    "Unknown field 'ordrs' at 'books'. Allowed: author, author_name, "
                    "chapters, comments, featured_author, good_reviews, label, reviews, "
                    "tag_ids, tags."
                ]
            },
        ),
        (
            "/books/?fields=titel,author.nme&exclude=prize",
            {
                "fields": [
                    "Unknown field 'titel'. Allowed: *, author, author_name, chapters, "
                    "comments, featured_author, good_reviews, id, isbn, label, price, "
                    "reviews, tag_ids, tags, title.",
                    "Unknown field 'nme' at 'author'. Allowed: *, awards, books, display_name, "
                    "email, id, initials, name, passport, profile, publisher, restaurants.",
                ],
                "exclude": [
                    "Unknown field 'prize'. Allowed: author, author_name, chapters, comments, "
                    "featured_author, good_reviews, id, isbn, label, price, reviews, tag_ids, "
                    "tags, title."
                ],
            },
        ),
        ("/books/?fields=a..b", {"fields": ["Expected a field name at position 3, found '.'."]}),
        (
            "/books/?extra=author.",
            {"extra": ["Expected a field name at position 8, found the end."]},
        ),
        ("/books/?exclude=,", {"exclude": ["Expected a field name at position 1, found ','."]}),
        (
            "/books/?fields=title.x",
            {"fields": ["Field 'title' has no nested fields: 'title.x' cannot be selected."]},
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_path(api, small_library, url, errors):
    status, data, queries = api.get_json(url)
    assert status == 400
    assert data == errors
    assert queries == []  # checked before any query runs


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], 'The request body must be a JSON object such as {"fields": {"name": null}}.'),
        ({"fields": [1]}, "Expected an object of field names, found a list."),
        ({"fields": {"title": True}}, "Expected null or an object at 'title', found a boolean."),
        (
            {"fields": {"author": {"name": 1}}},
            "Expected null or an object at 'author.name', found a number.",
        ),
        ({"shape": {}}, "Unknown key 'shape' in the request body. Allowed: fields."),
        (
            {"fields": {"nope": None}},
            "Unknown field 'nope'. Allowed: *, author, author_name, chapters, comments, "
            "featured_author, good_reviews, id, isbn, label, price, reviews, tag_ids, tags, "
            "title.",
        ),
    ],
)
def test_bad_body_is_a_400(api, small_library, body, message):
    status, data, queries = api.get_json("/books/", body)
    assert status == 400
    assert data == {"fields": [message]}
    assert queries == []


def test_malformed_json_body_is_a_400(api, small_library):
    response = api.generic("GET", "/books/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_unknown_fields_ignore(api, small_library, settings):
    settings.DRF_EAGER = {"UNKNOWN_FIELDS": "ignore", "STRICT": True}
    status, data, _ = api.get_json("/books/?fields=title,nope,author.nme,author.name&extra=x")
    assert status == 200
    assert data[0] == {"title": "book0-0", "author": {"name": "author0"}}


def test_depth_limit(api, small_library):
    status, data, queries = api.get_json("/books/?extra=author.books.author.books")
    assert status == 400
    assert data == {
        "extra": ["'author.books.author.books' is nested 4 levels deep; the maximum is 3."]
    }
    assert queries == []


def test_bad_view_default_is_a_developer_error(api, small_library, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from tests.views import BookDefaultsView

    monkeypatch.setattr(BookDefaultsView, "serializer_extra", "nope")
    with pytest.raises(ImproperlyConfigured, match="BookDefaultsView"):
        api.get("/book-defaults/")


class TestWrites:
    def test_shape_does_not_change_validation(self, api, small_library):
        status, data, _ = api.send("post", "/authors/?exclude=name", {"email": "x@example.com"})
        assert status == 400
        assert data == {"name": ["This field is required."]}
        assert not models.Author.objects.filter(email="x@example.com").exists()

    def test_create_response_is_shaped_and_loaded(self, api, small_library):
        status, data, queries = api.send(
            "post",
            "/authors/?extra=profile,books.tags&fields=name,books(title,tags.name)",
            {"name": "new"},
        )
        assert status == 201
        assert data == {"name": "new", "books": []}
        # INSERT, then the author and its (empty) books.
        assert len(queries) == 3

    def test_update_response_is_shaped_and_loaded(self, api, library):
        author = models.Author.objects.get(name="author1")
        status, data, queries = api.send(
            "put",
            f"/authors/{author.pk}/?extra=books.tags&fields=name,books(title,tags.name)",
            {"name": "renamed"},
        )
        assert status == 200
        assert data == {
            "name": "renamed",
            "books": [
                {"title": "book1-0", "tags": [{"name": "tag0"}, {"name": "tag1"}]},
                {"title": "book1-1", "tags": [{"name": "tag1"}, {"name": "tag2"}]},
            ],
        }
        # get_object, UPDATE, then the author, its books and their tags.
        assert len(queries) == 5

    def test_partial_update(self, api, small_library):
        author = models.Author.objects.get(name="author0")
        status, data, _ = api.send("patch", f"/authors/{author.pk}/?fields=email", {"name": "x"})
        assert status == 200
        assert data == {"email": "a0@example.com"}


def test_deeply_nested_bodies_and_parameters_are_400s(api, small_library, settings):
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_BODY_SIZE": None, "MAX_PARAM_LENGTH": None}
    body = '{"fields":' + '{"a":' * 100_000 + "null" + "}" * 100_001
    response = api.generic("GET", "/books/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"fields": ["The request body is nested too deeply to be parsed."]}
    status, data, _ = api.get_json("/books/?fields=" + "a(" * 5000 + "b" + ")" * 5000)
    assert status == 400
    assert data == {"fields": ["Nesting deeper than 32 levels at position 64."]}


def test_with_debug_on_the_response_tells_its_query_count(api, small_library, settings):
    settings.DEBUG = True
    response = api.get("/books/?extra=tags,author")
    assert response.status_code == 200
    # Books with authors JOINed, tags (the SQL render: one statement).
    assert response["X-Eager-Queries"] == str(planned(2, rendered=1 if DECIMALS_RENDERED else 2))
    response = api.get("/books/?extra=nope")
    assert (response.status_code, response["X-Eager-Queries"]) == (400, "0")
    settings.DEBUG = False
    assert "X-Eager-Queries" not in api.get("/books/")
