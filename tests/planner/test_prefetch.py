"""The plan for each relation kind, list and detail, depth 1 to 3: the exact number
of queries (the same for 2 and 50 authors) and the columns each query selects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.db.models.functions import Length
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers as drf

from drf_eager import (
    Computed,
    CountOf,
    EagerFieldsModelSerializer,
    EagerFieldsSerializerMixin,
    QueryDuringSerialization,
    classproperty,
    forbid_queries,
    prepare,
)
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
        # the profile's author is the author: its books are the author's, read once
        ("/authors/?extra=books,profile.author.books", 2),
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
    # A list the SQL render serves (a SQL_RENDER=1 run) is one statement.
    assert len(queries) == (1 if api.rendered() else count), "\n".join(queries)


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


@pytest.mark.plan_queries
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

    @pytest.mark.parametrize(
        ("serializer_class", "extra", "unplanned", "where"),
        [
            (
                serializers.BookSerializer,
                "author.publisher",
                models.Book.objects.select_related("author"),
                "author.publisher",
            ),
            (
                serializers.PublisherSerializer,
                "authors.books.tags",
                models.Publisher.objects.prefetch_related("authors__books"),
                "authors.books.tags",
            ),
        ],
    )
    def test_a_nested_field_is_named_once(
        self, small_library, serializer_class, extra, unplanned, where
    ):
        _, context = prepare(serializer_class, unplanned.model.objects.all(), extra=extra)
        with pytest.raises(QueryDuringSerialization, match=f"while serializing '{where}':"):
            serializer_class(unplanned, many=True, context=context).data  # noqa: B018

    def test_a_nested_field_below_a_parent_of_its_own_is_named(self, small_library):
        """A parent whose to_representation is not DRF's records no path: the nested
        serializer records its own name."""

        class OwnRepresentation(drf.ModelSerializer):
            def to_representation(self, instance):
                return {"own": True, **super().to_representation(instance)}

        class OwnBookSerializer(EagerFieldsSerializerMixin, OwnRepresentation):
            class Meta:
                model = models.Book
                fields = ["title"]
                extra = {"author": {"field": serializers.AuthorSerializer()}}

        _, context = prepare(
            OwnBookSerializer, models.Book.objects.all(), extra="author.publisher"
        )
        unplanned = models.Book.objects.select_related("author")
        with pytest.raises(
            QueryDuringSerialization, match="while serializing 'author.publisher':"
        ):
            OwnBookSerializer(unplanned, many=True, context=context).data  # noqa: B018


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
    assert len(queries) == (1 if api.rendered() else 2)


# ------------------------------------------------------- relations back to their origin


@pytest.fixture
def drf_path(settings):
    """Lists served by the DRF path, whose plan is tested here (tests/fast/test_differential.py has
    the fast path's)."""
    settings.DRF_EAGER = {**settings.DRF_EAGER, "FAST_PATH": False}


class PlaceSerializer(EagerFieldsModelSerializer):
    """Multi-table inheritance from the parent's side: `restaurant` is a reverse
    one-to-one, and the restaurant's `place_ptr` is the parent link back."""

    class Meta:
        model = models.Place
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {"address": {"field": drf.CharField()}, "restaurant": {"field": ChildSerializer()}}


class ChildSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Restaurant
        fields = ["serves_pizza"]

    @classproperty
    def extra(cls):
        return {"name": {"field": drf.CharField()}, "place_ptr": {"field": PlaceSerializer()}}


class BioLength(Computed):
    """Makes its level a query of its own, where a one-to-one is prefetched."""

    def modify_queryset(self, queryset, name, related):
        return queryset.annotate(**{self.attname(name): Length("bio")})

    def read(self, instance, name):
        return getattr(instance, self.attname(name))


class CountingAuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {
            "email": {"field": drf.CharField()},
            "num_books": {"field": CountOf("books")},
            "profile": {"field": CountingProfileSerializer()},
            "books": {"field": serializers.BookSerializer(many=True)},
            # A one-to-one with a queryset of its own: prefetched into an attribute.
            "own_profile": {
                "field": CountingProfileSerializer(source="profile"),
                "prefetch": Prefetch("profile", queryset=models.AuthorProfile.objects.all()),
            },
        }


class CountingProfileSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.AuthorProfile
        fields = ["bio"]

    @classproperty
    def extra(cls):
        return {
            "bio_length": {"field": BioLength()},
            "author": {"field": CountingAuthorSerializer()},
        }


class BookOfCountingAuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["title"]
        extra = {"author": {"field": CountingAuthorSerializer()}}


@pytest.mark.parametrize(
    ("url", "count"),
    [
        # a reverse one-to-one and back: the author itself, loaded once
        ("/authors/?fields=profile.author", 1),
        ("/authors/?fields=profile.author.profile.bio", 1),
        ("/authors/?fields=name,profile(bio,author(email,display_name))", 1),
        # the same, where the accessor and the query name differ
        ("/authors/?fields=passport.author.email", 1),
        # a forward one-to-one and back: the profile itself
        ("/profiles/?fields=author.profile.bio", 1),
        # to-many relations of the row it came back to: prefetched on that row, and
        # once for both fields that read them
        ("/authors/?fields=profile.author.books.title", 2),
        ("/authors/?fields=books.title,profile.author.books.isbn", 2),
        ("/authors/?fields=passport.stamps,passport.author.passport", 2),
        # a foreign key back from its reverse relation: a JOINed copy of the same row
        ("/authors/?fields=books.author.email", 2),
        ("/books/?fields=author.books.author.email", 2),
        # a self-referential foreign key, both ways and back
        ("/categories/?fields=children.parent.name", 2),
        ("/categories/?fields=parent.children.parent.name", 2),
        ("/categories/?fields=children.children.parent", 3),
        # a to-one with its own Prefetch below a JOIN inside a prefetch, or a variant
        ("/books/?extra=reviews.book.featured_author", 3),
        ("/books/?extra=good_reviews.book.featured_author", 3),
        ("/tags/?fields=books.reviews.book", 3),
    ],
)
def test_query_count_back_to_the_origin(api, library, drf_path, url, count):
    status, data, queries = api.get_json(url)
    assert status == 200, data
    assert len(data) > 0
    assert len(queries) == count, "\n".join(queries)


def test_a_one_to_one_back_serves_the_row_it_came_from(api, small_library, drf_path):
    _, data, queries = api.get_json("/authors/?fields=name,profile(bio,author(email))")
    assert data[1] == {
        "name": "author1",
        "profile": {"bio": "bio1", "author": {"email": "a1@example.com"}},
    }
    (sql,) = queries
    assert sql.count(column("tests_author", "email")) == 1  # no JOIN back to the author
    _, data, _ = api.get_json("/profiles/?fields=website,author.profile.bio")
    assert data[0] == {"website": "w", "author": {"profile": {"bio": "bio0"}}}


def test_to_many_relations_through_the_same_row_share_a_query(api, small_library, drf_path):
    _, data, queries = api.get_json("/authors/?fields=books.title,profile.author.books.isbn")
    assert data[0] == {
        "books": [{"title": "book0-0"}, {"title": "book0-1"}],
        "profile": {"author": {"books": [{"isbn": "isbn00"}, {"isbn": "isbn01"}]}},
    }
    authors, books = queries
    assert column("tests_book", "title") in books
    assert column("tests_book", "isbn") in books


def test_self_referential_values_back_to_the_origin(api, small_library):
    root = models.Category.objects.get(name="root")
    _, data, _ = api.get_json(f"/categories/{root.pk}/?fields=name,children(name,parent.name)")
    assert data == {
        "name": "root",
        "children": [
            {"name": "c0", "parent": {"name": "root"}},
            {"name": "c1", "parent": {"name": "root"}},
        ],
    }


def _serve(serializer_class, queryset, **params):
    """(data, number of queries) of a planned serializer, under strict mode."""
    planned, context = prepare(serializer_class, queryset, **params)
    with CaptureQueriesContext(connection) as queries:
        data = serializer_class(planned, many=True, context=context).data
    return data, len(queries)


@pytest.mark.parametrize(
    ("serializer_class", "model", "fields", "count"),
    [
        # multi-table inheritance: a reverse one-to-one to the child and its parent link
        (PlaceSerializer, models.Place, "name,restaurant(name,serves_pizza)", 1),
        (PlaceSerializer, models.Place, "restaurant.place_ptr.address", 1),
        (PlaceSerializer, models.Place, "restaurant.place_ptr.restaurant.serves_pizza", 1),
        (ChildSerializer, models.Restaurant, "place_ptr.address", 1),
        (ChildSerializer, models.Restaurant, "place_ptr.restaurant(name,serves_pizza)", 1),
        # a computed field of the row a one-to-one came back to: in that row's query
        (CountingAuthorSerializer, models.Author, "profile.author.num_books", 1),
        (BookOfCountingAuthorSerializer, models.Book, "author.profile.author.num_books", 2),
        # a prefetched one-to-one (a computed field, or a queryset of its own) and back
        (CountingAuthorSerializer, models.Author, "profile(bio_length,author.email)", 2),
        (CountingAuthorSerializer, models.Author, "own_profile.author(email,num_books)", 2),
        (CountingAuthorSerializer, models.Author, "own_profile.author.books.isbn", 3),
    ],
)
def test_query_count_back_to_the_origin_outside_a_view(
    library, serializer_class, model, fields, count
):
    data, queries = _serve(serializer_class, model.objects.all(), fields=fields)
    assert len(data) == model.objects.count() >= library
    assert queries == count


def test_values_back_to_the_origin_outside_a_view(small_library):
    data, _ = _serve(
        PlaceSerializer, models.Place.objects.all(), fields="name,restaurant.place_ptr.address"
    )
    assert data[1] == {"name": "r1", "restaurant": {"place_ptr": {"address": ""}}}
    data, _ = _serve(
        ChildSerializer,
        models.Restaurant.objects.all(),
        fields="name,place_ptr.restaurant.serves_pizza",
    )
    assert data[1] == {"name": "r1", "place_ptr": {"restaurant": {"serves_pizza": True}}}
    data, _ = _serve(
        BookOfCountingAuthorSerializer,
        models.Book.objects.all(),
        fields="title,author.profile(bio_length,author(name,num_books))",
    )
    assert data[2] == {
        "title": "book1-0",
        "author": {"profile": {"bio_length": 4, "author": {"name": "author1", "num_books": 2}}},
    }
    data, _ = _serve(
        CountingAuthorSerializer, models.Author.objects.all(), fields="own_profile.author.email"
    )
    assert data[0] == {"own_profile": {"author": {"email": "a0@example.com"}}}


def test_a_to_one_prefetch_below_a_join_at_any_depth(library, settings):
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_DEPTH": 5}
    data, queries = _serve(
        serializers.AuthorSerializer,
        models.Author.objects.all(),
        fields="books.reviews(rating,book.featured_author.name)",
    )
    assert queries == 4  # authors, books, reviews, featured authors
    assert data[0]["books"][0]["reviews"][0] == {
        "rating": 2,
        "book": {"featured_author": {"name": "author0"}},
    }
