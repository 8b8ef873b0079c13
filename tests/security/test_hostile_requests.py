"""Hostile input: limits checked before any query runs, per-extra permissions, and
Django's own refusals answered in JSON."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import DECIMALS_RENDERED, planned

#: The SQL render serves a book's price (a decimal) on PostgreSQL and MariaDB; SQLite stores
#: no decimal, so there a list serving it keeps the plan's queries.

BOOK_EXTRAS = (
    "author, author_name, chapters, comments, featured_author, good_reviews, label, "
    "reviews, tag_ids, tags"
)


@pytest.fixture
def admin(db):
    return User.objects.create(username="admin", is_staff=True)


@pytest.fixture
def member(db):
    return User.objects.create(username="member")


def get(api, url, body=None, **extra):
    """GET and return (status, data, queries): the queries show that a refusal came
    before any query ran."""
    with CaptureQueriesContext(connection) as queries:
        if body is None:
            response = api.get(url, **extra)
        else:
            response = api.generic("GET", url, body, content_type="application/json")
    return response.status_code, response.json(), len(queries)


# ------------------------------------------------------------------------- limits


def test_the_view_depth_limit_counts_relations_not_the_plain_field_at_the_end(api, small_library):
    status, data, queries = get(api, "/secure/books/?extra=author.publisher")
    assert (status, queries) == (400, 0)
    assert data == {"extra": ["'author.publisher' is nested 2 levels deep; the maximum is 1."]}

    status, data, queries = get(api, "/secure/books/?fields=title,author.name")
    assert (status, queries) == (200, 1)  # the author is JOINed
    assert data[0] == {"title": "book0-0", "author": {"name": "author0"}}


def test_a_cycle_counts_against_the_default_depth(api, small_library):
    # author → books → author → books comes back to Book twice: 4 relations deep.
    status, data, queries = get(api, "/books/?extra=author.books.author.books")
    assert (status, queries) == (400, 0)
    assert data == {
        "extra": ["'author.books.author.books' is nested 4 levels deep; the maximum is 3."]
    }
    status, _, queries = get(api, "/books/?extra=author.books.author")
    assert (status, queries) == (200, planned(2, rendered=1 if DECIMALS_RENDERED else 2))


def test_the_depth_setting_is_read_per_request(api, small_library, settings):
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_DEPTH": 1}
    status, data, _ = get(api, "/books/?extra=author.publisher")
    assert status == 400
    assert data == {"extra": ["'author.publisher' is nested 2 levels deep; the maximum is 1."]}
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_DEPTH": None}
    status, _, _ = get(api, "/books/?extra=author.books.author.books")
    assert status == 200


def test_the_number_of_paths_is_limited(api, small_library):
    status, data, queries = get(api, "/secure/books/?fields=id,title,isbn,price")
    assert (status, queries) == (400, 0)
    assert data == {"fields": ["The request names 4 paths; the maximum is 3."]}
    # Paths of all three parameters count together; nested names count too.
    status, data, _ = get(api, "/secure/books/?fields=title,author(name)&exclude=id")
    assert (status, data) == (400, {"fields": ["The request names 4 paths; the maximum is 3."]})
    status, _, _ = get(api, "/secure/books/?fields=title,author(name)")
    assert status == 200


def test_the_paths_of_view_defaults_do_not_count(api, small_library, settings):
    # BookDefaultsView's defaults name 7 paths; only what the client sends counts.
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_PATHS": 2}
    status, _, _ = get(api, "/book-defaults/")
    assert status == 200
    status, data, _ = get(api, "/book-defaults/?exclude=tags,title,author")
    assert (status, data) == (400, {"exclude": ["The request names 3 paths; the maximum is 2."]})


def test_a_long_parameter_is_refused_unparsed_with_the_other_errors(api, small_library):
    long = "title,isbn,price,id,title"
    status, data, queries = get(api, f"/secure/books/?fields={long}&extra=nope")
    assert (status, queries) == (400, 0)
    assert data == {
        "fields": [f"The parameter has {len(long)} characters; the maximum is 20."],
        "extra": [f"Unknown field 'nope'. Allowed: {BOOK_EXTRAS}."],
    }


def test_the_default_parameter_length(api, small_library):
    fields = ",".join(["title"] * 400)  # 2,399 characters
    status, data, _ = get(api, f"/books/?fields={fields}")
    assert (status, data) == (
        400,
        {"fields": ["The parameter has 2399 characters; the maximum is 2000."]},
    )


def test_a_body_past_the_limit_is_a_413_before_it_is_read(api, small_library):
    body = json.dumps({"fields": {"title": None, "isbn": None}})
    assert len(body) == 41
    status, data, queries = get(api, "/secure/books/", body)
    assert (status, queries) == (413, 0)
    assert data == {"fields": ["The request body has 41 bytes; the maximum is 40."]}
    status, data, _ = get(api, "/secure/books/", json.dumps({"fields": {"title": None}}))
    assert status == 200
    assert data[0] == {"title": "book0-0"}


def test_the_default_body_size(api, small_library):
    body = json.dumps({"fields": {"title": None, "x": "y" * 16_400}})
    status, data, queries = get(api, "/books/", body)
    assert (status, queries) == (413, 0)
    assert data == {"fields": [f"The request body has {len(body)} bytes; the maximum is 16384."]}


def test_a_body_that_is_not_a_shape_is_a_400(api, small_library):
    for body, message in [
        ("[1, 2]", 'The request body must be a JSON object such as {"fields": {"name": null}}.'),
        ('{"fields": {"title": true}}', "Expected null or an object at 'title', found a boolean."),
        ('{"fields": ["title"]}', "Expected an object of field names, found a list."),
        ('{"other": 1}', "Unknown key 'other' in the request body. Allowed: fields."),
    ]:
        status, data, queries = get(api, "/books/", body)
        assert (status, data, queries) == (400, {"fields": [message]}, 0), body


def test_too_many_query_parameters_is_a_json_400(api, small_library):
    query = "&".join(f"p{i}=1" for i in range(1_001))
    status, data, queries = get(api, f"/books/?{query}")
    assert (status, queries) == (400, 0)
    assert data == {
        "detail": "The number of GET/POST parameters exceeded "
        "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
    }


def test_a_form_body_past_djangos_limit_is_a_json_413(api, small_library, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post("/books/", {"title": "x" * 200}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
    }


# -------------------------------------------------------------------- permissions


def test_a_guarded_extra_is_a_403_for_whom_may_not_see_it(api, small_library):
    status, data, queries = get(api, "/secure/authors/?extra=email")
    assert (status, queries) == (403, 0)
    assert data == {"extra": ["You do not have permission to request 'email'."]}
    status, data, _ = get(api, "/secure/authors/?fields=name,books.title")
    assert (status, data) == (403, {"fields": ["You do not have permission to request 'books'."]})
    status, data, _ = get(api, "/secure/authors/", json.dumps({"fields": {"email": None}}))
    assert (status, data) == (403, {"fields": ["You do not have permission to request 'email'."]})


def test_unguarded_extras_and_exclude_stay_open(api, small_library):
    status, data, queries = get(api, "/secure/authors/?extra=profile&exclude=id,email")
    assert (status, queries) == (200, 1)  # the profile is JOINed
    assert data[0] == {"name": "author0", "profile": {"bio": "bio0", "website": "w"}}


def test_permission_classes_and_callables_decide(api, small_library, admin, member):
    api.force_authenticate(member)
    status, data, queries = get(api, "/secure/authors/?fields=name,books.title")
    assert (status, queries) == (200, planned(2, rendered=1))
    assert data[0] == {"name": "author0", "books": [{"title": "book0-0"}, {"title": "book0-1"}]}
    status, data, _ = get(api, "/secure/authors/?extra=email")
    assert (status, data) == (403, {"extra": ["You do not have permission to request 'email'."]})

    api.force_authenticate(admin)
    status, data, queries = get(api, "/secure/authors/?fields=name,email,books.title")
    assert (status, queries) == (200, planned(2, rendered=1))
    assert data[1] == {
        "name": "author1",
        "email": "a1@example.com",
        "books": [{"title": "book1-0"}, {"title": "book1-1"}],
    }


def test_guards_apply_at_every_level(api, small_library, admin):
    status, data, queries = get(api, "/secure/publishers/?extra=authors.email")
    assert (status, queries) == (403, 0)
    assert data == {"extra": ["You do not have permission to request 'authors.email'."]}
    status, data, queries = get(api, "/secure/publishers/?fields=name,authors(name)")
    assert (status, queries) == (200, planned(2, rendered=1))
    assert data == [{"name": "Penguin", "authors": [{"name": "author0"}, {"name": "author1"}]}]
    api.force_authenticate(admin)
    status, data, _ = get(api, "/secure/publishers/?fields=authors(email)")
    assert (status, data) == (
        200,
        [{"authors": [{"email": "a0@example.com"}, {"email": "a1@example.com"}]}],
    )


def test_guarded_view_defaults_are_left_out_not_refused(api, small_library, admin):
    status, data, queries = get(api, "/secure/author-defaults/")
    assert (status, queries) == (200, 1)  # books are not loaded either
    assert data == [{"name": "author0"}, {"name": "author1"}]
    api.force_authenticate(admin)
    status, data, queries = get(api, "/secure/author-defaults/")
    assert (status, queries) == (200, planned(2, rendered=1))
    assert data[0] == {
        "name": "author0",
        "email": "a0@example.com",
        "books": [{"title": "book0-0"}, {"title": "book0-1"}],
    }


# ---------------------------------------------------------- scoped related querysets


def test_every_relation_the_plan_loads_goes_through_the_view_hook(api, small_library):
    from tests.secure import ScopedBookViewSet

    ScopedBookViewSet.calls = []
    url = "/secure/scoped-books/?fields=title,reviews.rating,author(books(reviews(text)),awards)"
    status, data, queries = get(api, url + "&min_rating=4")
    # books; author JOINed; reviews; the author's books; their reviews; awards. The SQL
    # render: one statement, its relations scoped by the same hook.
    assert (status, queries) == (200, planned(5, rendered=1))
    assert data[0] == {
        "title": "book0-0",
        "reviews": [{"rating": 5}],
        "author": {
            "books": [
                {"reviews": [{"text": "great"}]},
                {"reviews": [{"text": "great"}]},
            ],
            "awards": [{"name": "award0"}],
        },
    }
    assert sorted(ScopedBookViewSet.calls) == [
        ("Award", "author.awards"),
        ("Book", "author.books"),
        ("Review", "author.books.reviews"),
        ("Review", "reviews"),
    ]
    _, data, _ = get(api, url)
    assert data[0]["reviews"] == [{"rating": 2}, {"rating": 5}]
