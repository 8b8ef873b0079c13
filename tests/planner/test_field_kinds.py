"""The plan for each kind of field by what it reads: hyperlinks and slugs (their lookup
column), fields the planner cannot see through (every column of their level), generic
foreign keys (their two columns and a prefetch), an extra with `prefetch: False`, a list
of Prefetch objects, and querysets the planner leaves as they are.

Strict mode is on (tests/settings.py), so a serialization that needs a query the plan
did not make fails; each test also counts the queries."""

from __future__ import annotations

import pytest
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.test import override_settings
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from drf_eager import EagerFieldsModelSerializer, classproperty, prepare
from tests import models
from tests.serializers import AuthorSerializer, BookSerializer, ReviewSerializer, TagSerializer

pytestmark = pytest.mark.django_db


def only(queryset) -> set[str]:
    """The fields of the queryset's only(); fails if it has none."""
    names, defer = queryset.query.deferred_loading
    assert not defer, "the queryset has no only()"
    return set(names)


def loads_every_column(queryset) -> bool:
    return queryset.query.deferred_loading == (frozenset(), True)


def serialize(serializer_class, queryset, django_assert_num_queries, queries, **params):
    planned, context = prepare(serializer_class, queryset, **params)
    context["request"] = Request(APIRequestFactory().get("/"))
    with django_assert_num_queries(queries):
        data = serializer_class(planned, many=True, context=context).data
    return planned, [dict(row) for row in data]


# Hyperlinks and slugs: their lookup column ------------------------------------------


class LinkedBookSerializer(EagerFieldsModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="book-detail")
    author = serializers.HyperlinkedRelatedField(
        view_name="author-detail", lookup_field="name", lookup_url_kwarg="pk", read_only=True
    )
    tags = serializers.HyperlinkedRelatedField(
        many=True,
        view_name="tag-detail",
        lookup_field="name",
        lookup_url_kwarg="pk",
        read_only=True,
    )

    class Meta:
        model = models.Book
        fields = ["url", "title", "author", "tags"]


def test_hyperlinks_load_their_lookup_field(small_library, django_assert_num_queries):
    queryset = models.Book.objects.order_by("id")
    planned, data = serialize(LinkedBookSerializer, queryset, django_assert_num_queries, 2)
    assert only(planned) == {"id", "title", "author", "author__name"}
    assert planned.query.select_related == {"author": {}}
    assert [lookup.prefetch_to for lookup in planned._prefetch_related_lookups] == ["tags"]
    book = models.Book.objects.order_by("id").first()
    assert data[0] == {
        "url": f"http://testserver/books/{book.pk}/",
        "title": "book0-0",
        "author": "http://testserver/authors/author0/",
        "tags": ["http://testserver/tags/tag0/", "http://testserver/tags/tag1/"],
    }


class SlugsOfPropertiesSerializer(EagerFieldsModelSerializer):
    """A slug that is a property: the planner cannot know its columns."""

    author = serializers.SlugRelatedField(slug_field="display_name", read_only=True)
    tags = serializers.StringRelatedField(many=True)

    class Meta:
        model = models.Book
        fields = ["title", "author", "tags"]


def test_a_slug_or_a_string_it_cannot_see_through_loads_every_column(
    small_library, django_assert_num_queries
):
    queryset = models.Book.objects.order_by("id")
    planned, data = serialize(SlugsOfPropertiesSerializer, queryset, django_assert_num_queries, 2)
    assert {"author__name", "author__email", "author__publisher"} <= only(planned)
    (tags,) = planned._prefetch_related_lookups
    assert loads_every_column(tags.queryset)
    tag0, tag1 = models.Tag.objects.order_by("id")[:2]
    assert data[0] == {
        "title": "book0-0",
        "author": "author0 <a0@example.com>",
        "tags": [str(tag0), str(tag1)],
    }


# Fields the planner cannot see through ----------------------------------------------


class TitleAndIsbn(serializers.Field):
    """Reads the whole instance, and says nothing of what it reads."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, book):
        return f"{book.title} ({book.isbn})"


class TagNames(serializers.Field):
    """Reads a to-many relation itself: the related manager, or the list of rows a
    prefetch stored (as DRF's ManyRelatedField takes both)."""

    def to_representation(self, tags):
        return [tag.name for tag in (tags.all() if hasattr(tags, "all") else tags)]


class OpaqueBookSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["id"]

    @classproperty
    def extra(cls):
        return {
            "whole": {"field": TitleAndIsbn()},
            "tag_names": {"field": TagNames(source="tags", read_only=True)},
            "author_display_name": {"field": serializers.CharField(source="author.display_name")},
            "tag_count": {"field": serializers.IntegerField(source="tags.count")},
        }


def test_a_field_of_the_whole_instance_loads_every_column(
    small_library, django_assert_num_queries
):
    queryset = models.Book.objects.order_by("id")
    planned, data = serialize(
        OpaqueBookSerializer, queryset, django_assert_num_queries, 1, fields="whole"
    )
    assert loads_every_column(planned)
    assert data[0] == {"whole": "book0-0 (isbn00)"}


def test_a_plain_field_reading_a_to_many_relation_gets_all_of_its_rows(
    small_library, django_assert_num_queries
):
    queryset = models.Book.objects.order_by("id")
    planned, data = serialize(
        OpaqueBookSerializer, queryset, django_assert_num_queries, 2, fields="tag_names"
    )
    (tags,) = planned._prefetch_related_lookups
    assert tags.prefetch_through == "tags"
    assert loads_every_column(tags.queryset)
    assert data[0] == {"tag_names": ["tag0", "tag1"]}


def test_a_property_at_the_end_of_a_dotted_source_loads_every_column_of_its_level(
    small_library, django_assert_num_queries
):
    # `display_name` is a property of the author: what it reads is unknown, so the
    # JOINed author loads its whole row.
    queryset = models.Book.objects.order_by("id")
    planned, data = serialize(
        OpaqueBookSerializer, queryset, django_assert_num_queries, 1, fields="author_display_name"
    )
    assert planned.query.select_related == {"author": {}}
    assert {"author__name", "author__email", "author__publisher"} <= only(planned)
    assert data[0] == {"author_display_name": "author0 <a0@example.com>"}


def test_a_to_many_relation_on_the_way_of_a_dotted_source_loads_every_column(small_library):
    # `tags.count` calls the manager: nothing the plan can load, so it gives up on the
    # level, and each row counts its tags with a query of its own.
    planned, context = prepare(
        OpaqueBookSerializer, models.Book.objects.order_by("id"), fields="tag_count"
    )
    assert loads_every_column(planned)
    assert planned._prefetch_related_lookups == ()
    with override_settings(DRF_EAGER={}):
        data = OpaqueBookSerializer(planned, many=True, context=context).data
    assert [row["tag_count"] for row in data] == [2, 2, 2, 2]


# Generic foreign keys -------------------------------------------------------------


class CommentTargetSerializer(EagerFieldsModelSerializer):
    target = serializers.StringRelatedField()

    class Meta:
        model = models.Comment
        fields = ["text", "target"]


def test_a_generic_foreign_key_loads_its_columns_and_is_prefetched(
    small_library, django_assert_num_queries
):
    queryset = models.Comment.objects.order_by("id")
    planned, data = serialize(CommentTargetSerializer, queryset, django_assert_num_queries, 2)
    assert [lookup.prefetch_to for lookup in planned._prefetch_related_lookups] == ["target"]
    book = models.Book.objects.order_by("id").first()
    assert data[0] == {"text": "c", "target": str(book)}


# prefetch: False ------------------------------------------------------------------


class UnloadedAuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["title"]
        extra = {"author": {"field": AuthorSerializer(), "prefetch": False}}


def test_prefetch_false_loads_the_foreign_key_and_nothing_else(small_library):
    planned, context = prepare(
        UnloadedAuthorSerializer, models.Book.objects.order_by("id"), extra="author"
    )
    assert planned.query.select_related is False
    assert planned._prefetch_related_lookups == ()
    assert only(planned) == {"id", "title", "author"}
    # The field then queries by itself: one query per row, which strict mode forbids.
    with override_settings(DRF_EAGER={}):
        data = UnloadedAuthorSerializer(planned, many=True, context=context).data
    author = models.Author.objects.get(name="author0")
    assert data[0] == {"title": "book0-0", "author": {"id": author.pk, "name": "author0"}}


# A list of Prefetch objects -------------------------------------------------------


class BookWithPrefetchListSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["title"]

    @classproperty
    def extra(cls):
        return {
            "tags": {
                "field": TagSerializer(many=True),
                # The one of the field's relation gives its queryset; the others are
                # added as they are.
                "prefetch": [
                    Prefetch("reviews", queryset=models.Review.objects.filter(rating__gte=4)),
                    Prefetch("tags", queryset=models.Tag.objects.order_by("-id")),
                ],
            }
        }


class ReviewOfBookWithPrefetchListSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Review
        fields = ["rating"]
        extra = {"book": {"field": BookWithPrefetchListSerializer()}}


def test_the_other_prefetches_of_a_list_are_added_as_they_are(
    small_library, django_assert_num_queries
):
    queryset = models.Book.objects.order_by("id")
    planned, data = serialize(
        BookWithPrefetchListSerializer, queryset, django_assert_num_queries, 3, extra="tags"
    )
    assert data[0]["title"] == "book0-0"
    assert [tag["name"] for tag in data[0]["tags"]] == ["tag1", "tag0"]  # the user's order
    assert sorted(lookup.prefetch_to for lookup in planned._prefetch_related_lookups) == [
        "reviews",
        "tags",
    ]
    with django_assert_num_queries(0):
        assert [review.rating for review in planned[0].reviews.all()] == [5]


def test_below_a_join_the_other_prefetches_move_below_it(small_library, django_assert_num_queries):
    queryset = models.Review.objects.order_by("id")
    planned, data = serialize(
        ReviewOfBookWithPrefetchListSerializer,
        queryset,
        django_assert_num_queries,
        3,
        extra="book.tags",
    )
    assert planned.query.select_related == {"book": {}}
    assert sorted(lookup.prefetch_to for lookup in planned._prefetch_related_lookups) == [
        "book__reviews",
        "book__tags",
    ]
    assert [tag["name"] for tag in data[0]["book"]["tags"]] == ["tag1", "tag0"]
    # The user's Prefetch objects are shared by every request: they are copied, not moved.
    entry = BookWithPrefetchListSerializer.extra["tags"]["prefetch"]
    assert [prefetch.prefetch_to for prefetch in entry] == ["reviews", "tags"]


# Querysets the planner leaves as they are -----------------------------------------


# Deprecated by Django 6.1, and still served.
@pytest.mark.filterwarnings("ignore:Calling select_related\\(\\) with no arguments")
def test_select_related_of_every_relation_keeps_every_column(
    small_library, django_assert_num_queries
):
    queryset = models.Book.objects.select_related().order_by("id")
    planned, data = serialize(
        BookSerializer, queryset, django_assert_num_queries, 1, fields="title,author.name"
    )
    assert loads_every_column(planned)
    assert data[0] == {"title": "book0-0", "author": {"name": "author0"}}


# Deprecated by Django 6.1, and still served.
@pytest.mark.filterwarnings("ignore:Calling select_related\\(\\) with no arguments")
def test_select_related_of_every_relation_keeps_every_join(
    small_library, django_assert_num_queries
):
    queryset = models.Review.objects.select_related().order_by("id")
    planned, _ = prepare(ReviewSerializer, queryset, fields="rating,book.title")
    rows = list(planned)
    with django_assert_num_queries(0):
        assert [review.book.author.name for review in rows][:2] == ["author0", "author0"]


def test_a_values_queryset_is_not_planned(small_library):
    queryset = models.Book.objects.order_by("id").values("title")
    planned, _ = prepare(BookSerializer, queryset, fields="title")
    assert planned is queryset


def test_ordering_by_an_expression_keeps_the_plan(small_library, django_assert_num_queries):
    queryset = models.Book.objects.order_by(Lower("title").desc())
    planned, data = serialize(
        BookSerializer, queryset, django_assert_num_queries, 1, fields="isbn"
    )
    assert only(planned) == {"id", "isbn"}
    assert [row["isbn"] for row in data] == ["isbn11", "isbn10", "isbn01", "isbn00"]


def test_a_join_of_the_view_to_a_reverse_one_to_one_keeps_its_columns(
    small_library, django_assert_num_queries
):
    queryset = models.Author.objects.select_related("profile").order_by("id")
    planned, data = serialize(
        AuthorSerializer, queryset, django_assert_num_queries, 1, fields="name"
    )
    assert planned.query.select_related == {"profile": {}}
    assert {"profile__bio", "profile__website", "profile__author"} <= only(planned)
    assert data == [{"name": "author0"}, {"name": "author1"}]
    with django_assert_num_queries(0):
        assert [author.profile.bio for author in planned] == ["bio0", "bio1"]
