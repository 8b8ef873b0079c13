"""The plan for each relation kind, list and detail, depth 1 to 3: the exact number
of queries (the same for 2 and 50 authors) and the columns each query selects."""

from __future__ import annotations

import pytest

from drf_eager import QueryDuringSerialization, forbid_queries
from drf_eager.prefetch import prefetch_queryset
from drf_eager.schema import get_schema
from drf_eager.shape import ShapeRequest, build_request, resolve
from tests import models, serializers
from tests.conftest import column

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "count"),
    [
        # forward FK, JOINed, chained to depth 2
        ("/books/?extra=author", 1),
        ("/books/?extra=author.publisher", 1),
        # dotted source through a forward FK
        ("/books/?extra=author_name", 1),
        # reverse FK (related_name and the default *_set accessor)
        ("/authors/?extra=books", 2),
        ("/books/?extra=chapters", 2),
        ("/books/?extra=reviews", 2),
        # many-to-many, both directions, and as primary keys
        ("/books/?extra=tags", 2),
        ("/tags/?extra=books", 2),
        ("/books/?extra=tag_ids", 2),
        # one-to-one, both directions
        ("/profiles/?extra=author", 1),
        ("/authors/?extra=profile", 1),
        # generic relation
        ("/books/?extra=comments", 2),
        # multi-table inheritance, with a forward FK of the child
        ("/restaurants/?extra=owner", 1),
        # self-referential FK, both directions, depth 2
        ("/categories/?extra=parent.parent", 1),
        ("/categories/?extra=children.children", 3),
        # a to-one inside a prefetch is JOINed into the prefetch's query
        ("/authors/?extra=books.author", 2),
        ("/tags/?extra=books.author.publisher", 2),
        # a to-many below a JOINed to-one
        ("/books/?extra=author.books", 2),
        ("/profiles/?extra=author.books", 2),
        # depth 3: one query per to-many relation
        ("/authors/?extra=books.tags.books", 4),
        ("/publishers/?extra=authors.books.reviews", 4),
        ("/authors/?extra=profile,publisher,books.tags,books.reviews,restaurants", 5),
        # variants of one relation: one query each
        ("/books/?extra=reviews,good_reviews", 3),
        # related_query_name differing from the accessor, both kinds of reverse relation
        ("/authors/?extra=passport,awards", 2),
        ("/books/?extra=author.passport.stamps", 2),
        ("/authors/?extra=passport.stamps,passport.author", 2),
        # ordinary nested serializers declared as fields, and a dotted source
        ("/book-details/", 2),
        ("/book-details/?fields=title,author.name,publisher_name", 1),
    ],
)
def test_query_count_list(api, library, url, count):
    status, data, queries = api.get_json(url)
    assert status == 200, data
    assert len(data) > 0
    assert len(queries) == count, "\n".join(queries)


@pytest.mark.parametrize(
    ("path", "query", "count"),
    [
        ("books", "extra=author.publisher,tags,reviews", 3),
        ("authors", "extra=books.tags.books", 4),
        ("authors", "extra=profile,publisher", 1),
        ("categories", "extra=children.children,parent", 3),
        ("book-details", "", 2),
    ],
)
def test_query_count_detail(api, library, path, query, count):
    instance = (
        getattr(
            models,
            {
                "books": "Book",
                "authors": "Author",
                "categories": "Category",
                "book-details": "Book",
            }[path],
        )
        .objects.order_by("pk")
        .first()
    )
    status, data, queries = api.get_json(f"/{path}/{instance.pk}/?{query}")
    assert status == 200, data
    assert len(queries) == count, "\n".join(queries)


def test_variants_read_their_own_prefetch(api, small_library):
    status, data, _ = api.get_json("/books/?fields=title,reviews(rating),good_reviews(rating)")
    assert status == 200
    assert data[0] == {
        "title": "book0-0",
        "reviews": [{"rating": 2}, {"rating": 5}],
        "good_reviews": [{"rating": 5}],
    }


def test_related_query_name_values(api, small_library):
    status, data, _ = api.get_json(
        "/books/?fields=title,author(name,passport(number,stamps.country),awards.name)"
    )
    assert status == 200
    assert data[0] == {
        "title": "book0-0",
        "author": {
            "name": "author0",
            "passport": {"number": "P0", "stamps": [{"country": "IT"}]},
            "awards": [{"name": "award0"}],
        },
    }


def test_self_referential_values(api, small_library):
    root = models.Category.objects.get(name="root")
    status, data, _ = api.get_json(
        f"/categories/{root.pk}/?extra=children.children&exclude=id,"
        "children.id,children.children.id"
    )
    assert status == 200
    assert data == {
        "name": "root",
        "children": [
            {"name": "c0", "children": [{"name": "c0-leaf"}]},
            {"name": "c1", "children": [{"name": "c1-leaf"}]},
        ],
    }


def test_generic_relation_and_inheritance_values(api, small_library):
    status, data, _ = api.get_json("/books/?fields=title,comments.text")
    assert status == 200
    assert data[0] == {"title": "book0-0", "comments": [{"text": "c"}]}
    status, data, _ = api.get_json("/restaurants/?fields=name,serves_pizza,owner.name")
    assert status == 200
    assert data == [
        {"name": "r0", "serves_pizza": False, "owner": {"name": "author0"}},
        {"name": "r1", "serves_pizza": True, "owner": {"name": "author1"}},
    ]


class TestColumns:
    """`.only()`: the columns served, plus keys, and nothing else."""

    def test_root_and_joined_columns(self, api, small_library):
        _, _, queries = api.get_json("/books/?fields=title,author.name")
        (sql,) = queries
        for table, name in [
            ("tests_book", "title"),
            ("tests_book", "author_id"),
            ("tests_author", "name"),
            ("tests_author", "id"),
        ]:
            assert column(table, name) in sql
        for table, name in [
            ("tests_book", "isbn"),
            ("tests_book", "price"),
            ("tests_author", "email"),
            ("tests_author", "publisher_id"),
        ]:
            assert column(table, name) not in sql

    def test_prefetched_children_keep_the_join_column(self, api, small_library):
        _, _, queries = api.get_json("/authors/?fields=name,books.title")
        authors, books = queries
        assert column("tests_author", "email") not in authors
        assert column("tests_book", "author_id") in books
        assert column("tests_book", "title") in books
        assert column("tests_book", "isbn") not in books

    def test_many_to_many_primary_keys_only(self, api, small_library):
        _, data, queries = api.get_json("/books/?fields=title,tag_ids")
        assert data[0] == {
            "title": "book0-0",
            "tag_ids": [
                models.Tag.objects.get(name="tag0").pk,
                models.Tag.objects.get(name="tag1").pk,
            ],
        }
        assert column("tests_tag", "name") not in queries[1]

    def test_declared_requirements(self, api, small_library):
        _, data, queries = api.get_json("/authors/?fields=display_name")
        assert data[0] == {"display_name": "author0 <a0@example.com>"}
        (sql,) = queries
        assert column("tests_author", "email") in sql
        assert column("tests_author", "publisher_id") not in sql

    def test_undeclared_property_loads_every_column(self, small_library):
        from rest_framework import serializers as drf

        from drf_eager import EagerFieldsModelSerializer

        class AuthorWithProperty(EagerFieldsModelSerializer):
            display_name = drf.CharField()

            class Meta:
                model = models.Author
                fields = ["display_name"]

        schema = get_schema(AuthorWithProperty)
        queryset = prefetch_queryset(models.Author.objects.all(), schema, schema.default_shape)
        assert queryset.query.deferred_loading == (frozenset(), True)  # nothing deferred

    def test_user_only_is_kept(self, small_library):
        schema = get_schema(serializers.AuthorSerializer)
        shape = resolve(build_request(fields="name"), schema)
        queryset = prefetch_queryset(models.Author.objects.only("email"), schema, shape)
        names, defer = queryset.query.deferred_loading
        assert not defer
        assert {"name", "email", "id"} <= set(names)

    def test_user_select_related_keeps_its_columns(self, small_library):
        schema = get_schema(serializers.BookSerializer)
        shape = resolve(build_request(fields="title"), schema)
        queryset = prefetch_queryset(models.Book.objects.select_related("author"), schema, shape)
        books = list(queryset)
        # No deferred-field query when the user's code reads the author it JOINed.
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert books[0].author.email == "a0@example.com"
        assert len(queries) == 0


class TestStrictMode:
    def test_missing_prefetch_names_the_field(self, small_library, settings):
        from drf_eager import EagerFieldsModelSerializer
        from drf_eager.serializers import SHAPE_CONTEXT_KEY

        class LazyBookSerializer(EagerFieldsModelSerializer):
            class Meta:
                model = models.Book
                fields = ["title"]
                extra = {
                    "reviews": {
                        "field": serializers.ReviewSerializer(many=True),
                        "prefetch": False,
                    }
                }

        schema = get_schema(LazyBookSerializer)
        shape = resolve(ShapeRequest(extra={"reviews": {}}), schema)
        queryset = prefetch_queryset(models.Book.objects.all(), schema, shape)
        serializer = LazyBookSerializer(queryset, many=True, context={SHAPE_CONTEXT_KEY: shape})
        with pytest.raises(QueryDuringSerialization, match="'reviews'"):
            serializer.data  # noqa: B018
        settings.DRF_EAGER = {"STRICT": False}
        serializer = LazyBookSerializer(queryset, many=True, context={SHAPE_CONTEXT_KEY: shape})
        assert len(serializer.data) == 4

    def test_forbid_queries(self, small_library):
        with forbid_queries(), pytest.raises(QueryDuringSerialization):
            list(models.Book.objects.all())
        assert models.Book.objects.count() == 4  # allowed again after the block


class TestRequires:
    def test_method_field_declares_what_it_reads(self, api, small_library):
        status, data, queries = api.get_json("/authors/?fields=initials")
        assert status == 200
        assert data[0] == {"initials": "a"}
        (sql,) = queries
        assert column("tests_author", "name") in sql
        assert column("tests_author", "email") not in sql

    def test_model_property_declares_a_relation(self, api, small_library):
        status, data, queries = api.get_json("/books/?fields=label")
        assert status == 200
        assert data[0] == {"label": "book0-0 by author0"}
        (sql,) = queries  # the author is JOINed, not queried per book
        assert column("tests_author", "name") in sql
        assert column("tests_book", "isbn") not in sql
        assert column("tests_author", "email") not in sql


def test_to_one_with_its_own_queryset_beside_a_join(api, library):
    """The JOIN fills `author`'s cache; the filtered Prefetch is not skipped for it."""
    status, data, queries = api.get_json("/books/?fields=title,author.name,featured_author.name")
    assert status == 200
    assert data[0] == {
        "title": "book0-0",
        "author": {"name": "author0"},
        "featured_author": {"name": "author0"},
    }
    assert data[2] == {"title": "book1-0", "author": {"name": "author1"}, "featured_author": None}
    assert len(queries) == 2
