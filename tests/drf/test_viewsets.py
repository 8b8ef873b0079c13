"""ViewSets: defaults per action, `@action` routes (list and detail, with the ViewSet's
serializer or their own) and drf-flex-fields' parameter names. Each test checks the
status, the body and the exact number of queries, the same for 2 and 50 authors."""

from __future__ import annotations

import pytest

from tests import models, urls_library
from tests.conftest import DECIMALS_RENDERED, planned

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

#: The SQL render serves a book's price (a decimal) on PostgreSQL and MariaDB; SQLite stores
#: no decimal, so there a list serving it keeps the plan's queries.

urlpatterns = urls_library.viewsets_urlpatterns


def author_row(author, **extra):
    return {"id": author.pk, "name": author.name, **extra}


def publisher_of(author):
    return {"id": author.publisher_id, "name": "Penguin"}


def books_of(author, *, tags=False):
    books = []
    for book in author.books.order_by("id"):
        row = {"id": book.pk, "title": book.title, "isbn": book.isbn, "price": str(book.price)}
        if tags:
            row["tags"] = [{"id": tag.pk, "name": tag.name} for tag in book.tags.order_by("id")]
        books.append(row)
    return books


# Defaults per action ----------------------------------------------------------------------


def test_the_list_defaults_to_fewer_extras(api, library):
    status, data, queries = api.get_json("/action-authors/")
    assert status == 200
    authors = models.Author.objects.order_by("id")
    assert data == [author_row(a, publisher=publisher_of(a)) for a in authors]
    assert len(queries) == 1  # the publisher is JOINed


def test_the_retrieve_defaults_to_more_extras(api, library):
    author = models.Author.objects.get(name="author1")
    status, data, queries = api.get_json(f"/action-authors/{author.pk}/")
    assert status == 200
    assert data == author_row(
        author, publisher=publisher_of(author), books=books_of(author, tags=True)
    )
    # The author JOINed with its publisher, its books, their tags.
    assert len(queries) == 3


def test_a_query_parameter_replaces_the_action_default(api, library):
    status, data, queries = api.get_json("/action-authors/?extra=books")
    assert status == 200
    authors = models.Author.objects.order_by("id")
    assert data == [author_row(a, books=books_of(a)) for a in authors]
    assert len(queries) == planned(2, rendered=1 if DECIMALS_RENDERED else 2)

    # `fields` prunes the default extra: the publisher is not even JOINed.
    status, data, queries = api.get_json("/action-authors/?fields=name")
    assert status == 200
    assert data == [{"name": a.name} for a in authors]
    assert len(queries) == 1
    assert "publisher" not in queries[0]


def test_a_bad_parameter_on_an_action_is_a_400_before_any_query(api, library):
    status, data, queries = api.get_json("/action-authors/?extra=bookz")
    assert status == 400
    assert data == {
        "extra": [
            "Unknown field 'bookz'. Allowed: awards, books, display_name, email, initials, "
            "passport, profile, publisher, restaurants."
        ]
    }
    assert queries == []


# @action routes ---------------------------------------------------------------------------


def test_a_list_route_has_no_default_of_the_list_action(api, library):
    status, data, queries = api.get_json("/action-authors/newest/")
    assert status == 200
    assert data == [author_row(a) for a in models.Author.objects.order_by("-id")]
    assert len(queries) == 1


def test_a_list_route_is_shaped_and_planned(api, library):
    status, data, queries = api.get_json(
        "/action-authors/newest/?extra=books.tags&fields=name,books(title,tags.name)"
    )
    assert status == 200
    assert data == [
        {
            "name": author.name,
            "books": [
                {"title": book["title"], "tags": [{"name": tag["name"]} for tag in book["tags"]]}
                for book in books_of(author, tags=True)
            ],
        }
        for author in models.Author.objects.order_by("-id")
    ]
    # The authors, their books, the books' tags.
    assert len(queries) == 3


def test_a_detail_route_is_shaped_and_planned(api, library):
    author = models.Author.objects.get(name="author1")
    status, data, queries = api.get_json(
        f"/action-authors/{author.pk}/card/?extra=publisher,profile"
        "&fields=name,publisher.name,profile.bio&exclude=publisher.id"
    )
    assert status == 200
    assert data == {
        "name": "author1",
        "publisher": {"name": "Penguin"},
        "profile": {"bio": "bio1"},
    }
    assert len(queries) == 1  # publisher and profile JOINed

    status, data, queries = api.get_json(f"/action-authors/{author.pk}/card/?exclude=id")
    assert status == 200
    assert data == {"name": "author1"}
    assert len(queries) == 1


def test_a_route_with_a_serializer_of_its_own(api, library):
    author = models.Author.objects.get(name="author0")
    status, data, queries = api.get_json(
        f"/action-authors/{author.pk}/shelf/?extra=tags,reviews&fields=title,tags.name,reviews.rating"
    )
    assert status == 200
    assert data == [
        {
            "title": book.title,
            "tags": [{"name": tag.name} for tag in book.tags.order_by("id")],
            "reviews": [{"rating": 2}, {"rating": 5}],
        }
        for book in author.books.order_by("id")
    ]
    # The author (get_object()), the books, their tags, their reviews.
    assert len(queries) == 4

    status, data, queries = api.get_json("/action-authors/0/shelf/?extra=tags")
    assert status == 404

    # Checked against the route's serializer (BookSerializer), not the ViewSet's.
    status, data, queries = api.get_json(f"/action-authors/{author.pk}/shelf/?extra=publisher")
    assert status == 400
    assert data["extra"][0].startswith("Unknown field 'publisher'. Allowed: author, ")
    assert queries == []


# drf-flex-fields' parameter names ---------------------------------------------------------


def test_expand_and_omit(api, library):
    status, data, queries = api.get_json(
        "/flex-authors/?expand=books.tags&omit=id,books(id,isbn,price,tags.id)"
    )
    assert status == 200
    assert data == [
        {
            "name": author.name,
            "books": [
                {"title": book["title"], "tags": [{"name": tag["name"]} for tag in book["tags"]]}
                for book in books_of(author, tags=True)
            ],
        }
        for author in models.Author.objects.order_by("id")
    ]
    assert len(queries) == planned(3, rendered=1)


def test_fields_keeps_its_name_and_requests_extras(api, library):
    status, data, queries = api.get_json("/flex-authors/?fields=name,books.title")
    assert status == 200
    assert data == [
        {"name": a.name, "books": [{"title": b.title} for b in a.books.order_by("id")]}
        for a in models.Author.objects.order_by("id")
    ]
    assert len(queries) == planned(2, rendered=1)


def test_the_old_names_are_not_read(api, library):
    status, data, queries = api.get_json("/flex-authors/?extra=books&exclude=name")
    assert status == 200
    assert data == [author_row(a) for a in models.Author.objects.order_by("id")]
    assert len(queries) == 1


def test_errors_are_keyed_by_the_parameter_names(api, library):
    status, data, queries = api.get_json("/flex-authors/?expand=bookz&omit=nme")
    assert status == 400
    assert data == {
        "expand": [
            "Unknown field 'bookz'. Allowed: awards, books, display_name, email, initials, "
            "passport, profile, publisher, restaurants."
        ],
        "omit": [
            "Unknown field 'nme'. Allowed: awards, books, display_name, email, id, initials, "
            "name, passport, profile, publisher, restaurants."
        ],
    }
    assert queries == []


@pytest.mark.parametrize("wildcard", ["*", "~all"])
def test_there_is_no_wildcard_expansion(api, small_library, wildcard):
    status, data, queries = api.get_json(f"/flex-authors/?expand={wildcard}")
    assert status == 400
    assert list(data) == ["expand"]
    assert queries == []


def test_the_parameter_names_as_settings(api, library, settings):
    settings.DRF_EAGER = {**settings.DRF_EAGER, "EXTRA_PARAM": "expand", "EXCLUDE_PARAM": "omit"}
    status, data, queries = api.get_json(
        "/action-authors/newest/?expand=books&omit=id,books(id,isbn,price)"
    )
    assert status == 200
    assert data == [
        {"name": a.name, "books": [{"title": b.title} for b in a.books.order_by("id")]}
        for a in models.Author.objects.order_by("-id")
    ]
    assert len(queries) == 2


def test_an_extra_refused_on_lists(api, library):
    """drf-flex-fields' permit_list_expands, the other way round: a permission that reads
    the view's action refuses the extra on lists (a 403, before any query)."""
    status, data, queries = api.get_json("/list-guarded-authors/?extra=books")
    assert status == 403
    assert data == {"extra": ["You do not have permission to request 'books'."]}
    assert queries == []

    author = models.Author.objects.get(name="author1")
    status, data, queries = api.get_json(
        f"/list-guarded-authors/{author.pk}/?fields=name,books.title"
    )
    assert status == 200
    assert data == {"name": "author1", "books": [{"title": "book1-0"}, {"title": "book1-1"}]}
    assert len(queries) == 2


def test_what_a_request_serves():
    """drf-flex-fields' is_expanded(request, "books"): the view's shape has the paths."""
    from rest_framework.test import APIRequestFactory

    from tests.views import FlexStyleAuthorViewSet

    view = FlexStyleAuthorViewSet(action_map={"get": "list"}, args=(), kwargs={})
    request = APIRequestFactory().get("/flex-authors/", {"expand": "books.tags"})
    view.request = view.initialize_request(request)
    shape = view.get_shape()
    assert view.action == "list"
    assert shape.has_path("books")
    assert shape.has_path("books.tags")
    assert shape.has_path("name")  # a default field is served too
    assert not shape.has_path("publisher")
    assert not shape.has_path("tags")  # paths start at the root


def test_serializer_options_are_context_keys(small_library, django_assert_num_queries):
    """drf-flex-fields' AuthorSerializer(author, expand=[...], omit=[...])."""
    from drf_eager import prepare
    from tests.serializers import AuthorSerializer

    queryset, context = prepare(
        AuthorSerializer, models.Author.objects.filter(name="author0"), extra="books", exclude="id"
    )
    with django_assert_num_queries(2):
        data = AuthorSerializer(queryset, many=True, context=context).data
    assert data == [
        {"name": "author0", "books": books_of(models.Author.objects.get(name="author0"))}
    ]
    # Without prepare() the context shapes the output but plans nothing.
    author = models.Author.objects.get(name="author0")
    data = AuthorSerializer(author, context={"extra": "books", "fields": "books.title"}).data
    assert data == {"books": [{"title": "book0-0"}, {"title": "book0-1"}]}


def test_an_id_by_default_and_an_object_as_an_extra(small_library, django_assert_num_queries):
    """drf-flex-fields expands a default field into an object under the same name; an
    extra never replaces a field, so the id is served under a name of its own."""
    from rest_framework import serializers

    from drf_eager import EagerFieldsModelSerializer, prepare
    from tests.serializers import PublisherSerializer

    class AuthorSerializer(EagerFieldsModelSerializer):
        publisher_id = serializers.PrimaryKeyRelatedField(source="publisher", read_only=True)

        class Meta:
            model = models.Author
            fields = ["name", "publisher_id"]

        extra = {"publisher": {"field": PublisherSerializer()}}

    authors = models.Author.objects.order_by("id")
    publisher = models.Publisher.objects.get()
    for extra, row in [
        (None, {"publisher_id": publisher.pk}),
        (
            "publisher",
            {"publisher_id": publisher.pk, "publisher": {"id": publisher.pk, "name": "Penguin"}},
        ),
    ]:
        queryset, context = prepare(AuthorSerializer, authors, extra=extra)
        with django_assert_num_queries(1):  # the publisher JOINed
            data = AuthorSerializer(queryset, many=True, context=context).data
        assert data == [{"name": a.name, **row} for a in authors]


# Querysets of related managers ------------------------------------------------------------


def test_a_related_managers_queryset_keeps_its_foreign_key(api, library):
    """Django reads the foreign key of each row of `publisher.authors.all()` to set the
    publisher on it: `.only()` keeps it, or each row would cost a query."""
    status, data, queries = api.get_json("/publisher-authors/?fields=name")
    assert status == 200
    assert data == [{"name": a.name} for a in models.Author.objects.order_by("id")]
    assert len(queries) == 2  # the publisher (get_queryset()), the authors
    assert "publisher_id" in queries[1]

    author = models.Author.objects.get(name="author1")
    status, data, queries = api.get_json(f"/publisher-authors/{author.pk}/?fields=name")
    assert status == 200
    assert data == {"name": "author1"}
    assert len(queries) == 2
