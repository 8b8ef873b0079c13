"""The resolved tree (drf_eager.tree) and the rules it is made of (drf_eager.sources):
what each field of a shape reads, its relation kind and its loading, decided once and
read by both planners."""

from __future__ import annotations

import pytest
from django.db.models import Prefetch, Q
from rest_framework import serializers

from drf_eager import EagerFieldsModelSerializer, Grouped, tree
from drf_eager import sources as src
from drf_eager.schema import get_schema, model_attribute
from drf_eager.serializers import resolve_params
from drf_eager.shape import Shape
from tests import models
from tests.serializers import (
    AuthorSerializer,
    BookDetailSerializer,
    BookSerializer,
    PassportSerializer,
    PlainBookSerializer,
    RestaurantSerializer,
)


def resolved(serializer_class: type, **params: str) -> tree.SerializerNode:
    shape = resolve_params(serializer_class, **params)
    return tree.resolve(get_schema(serializer_class), shape)


def nodes(serializer_class: type, **params: str) -> dict[str, tree.FieldNode]:
    return {node.path: node for node in resolved(serializer_class, **params).walk()}


# The tree -------------------------------------------------------------------------------


def test_resolved_once_per_schema_shape_and_model():
    schema = get_schema(BookSerializer)
    shape = resolve_params(BookSerializer, extra="author,tags")
    first = tree.resolve(schema, shape)
    assert tree.resolve(schema, resolve_params(BookSerializer, extra="author,tags")) is first
    assert tree.resolve(schema, shape, models.Book) is first  # Meta.model by default
    assert tree.resolve(schema, resolve_params(BookSerializer, extra="tags")) is not first


def test_paths_in_shape_order_depth_first():
    found = nodes(BookSerializer, extra="author(publisher),tags")
    assert list(found) == [
        "id",
        "title",
        "isbn",
        "price",
        "author",
        "author.id",
        "author.name",
        "author.publisher",
        "author.publisher.id",
        "author.publisher.name",
        "tags",
        "tags.id",
        "tags.name",
    ]
    author = found["author"]
    assert author.serializer is not None
    assert author.serializer.model is models.Author
    assert author.serializer.field("publisher") is found["author.publisher"]
    assert author.serializer.field("nope") is None


def test_kinds_and_loading():
    found = nodes(
        BookSerializer,
        extra="author,tags,tag_ids,reviews,good_reviews,comments,author_name,label,"
        "featured_author",
    )
    table = {path: (node.kind, node.loading) for path, node in found.items() if "." not in path}
    assert table == {
        "id": (src.KIND_COLUMN, tree.LOAD_COLUMN),
        "title": (src.KIND_COLUMN, tree.LOAD_COLUMN),
        "isbn": (src.KIND_COLUMN, tree.LOAD_COLUMN),
        "price": (src.KIND_COLUMN, tree.LOAD_COLUMN),
        "author": (src.FORWARD_FK, tree.LOAD_JOIN),
        "tags": (src.MANY_TO_MANY, tree.LOAD_PREFETCH),
        "tag_ids": (src.MANY_TO_MANY, tree.LOAD_PREFETCH),
        "reviews": (src.REVERSE_FK, tree.LOAD_PREFETCH),
        "good_reviews": (src.REVERSE_FK, tree.LOAD_PREFETCH),
        "comments": (src.GENERIC, tree.LOAD_PREFETCH),
        # A dotted source: the to-one relation walked through, then the column.
        "author_name": (src.KIND_COLUMN, tree.LOAD_COLUMN),
        # A property of the model: loaded as its @requires declares.
        "label": (src.KIND_UNKNOWN, tree.LOAD_REQUIRES),
        # The user's own queryset for a to-one relation: a query of its own, never a JOIN.
        "featured_author": (src.FORWARD_FK, tree.LOAD_PREFETCH),
    }
    author_name = found["author_name"]
    assert author_name.source is not None
    assert [step.attribute.name for step in author_name.source.through] == ["author"]
    assert author_name.step == src.Step(models.Author, model_attribute(models.Author, "name"))
    assert found["featured_author"].own is not None
    assert found["author"].own is None


def test_one_to_one_parent_link_and_query_names():
    found = nodes(AuthorSerializer, extra="profile,passport,restaurants(owner),awards")
    assert found["profile"].kind == src.REVERSE_ONE_TO_ONE
    assert found["passport"].kind == src.REVERSE_ONE_TO_ONE
    assert found["passport"].loading == tree.LOAD_JOIN
    assert found["awards"].kind == src.REVERSE_FK
    assert found["restaurants.owner"].kind == src.FORWARD_FK
    link = model_attribute(models.Restaurant, "place_ptr")
    assert src.relation_kind(models.Restaurant, link) == src.PARENT_LINK
    forward = model_attribute(models.Passport, "author")
    assert src.relation_kind(models.Passport, forward) == src.FORWARD_ONE_TO_ONE
    assert src.back(models.Passport, forward) == "passport"
    assert src.back(models.Author, model_attribute(models.Author, "passport")) == "author"
    assert src.back(models.Book, model_attribute(models.Book, "author")) is None
    assert src.back(models.Book, model_attribute(models.Book, "title")) is None


def test_same_row_and_plain_serializer():
    class Outer(EagerFieldsModelSerializer):
        whole = BookSerializer(source="*")

        class Meta:
            model = models.Book
            fields = ["id", "whole"]

    found = nodes(Outer)
    assert found["whole"].kind == tree.SAME_ROW
    assert found["whole"].loading == tree.LOAD_SAME_ROW
    assert found["whole"].source is None
    assert found["whole"].serializer is not None
    assert found["whole"].serializer.model is models.Book
    plain = nodes(PlainBookSerializer)
    assert {node.kind for node in plain.values()} == {src.KIND_UNKNOWN}
    assert {node.loading for node in plain.values()} == {tree.LOAD_FULL_ROW}
    assert all(node.source is None for node in plain.values())


class LoadingSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["id"]

    extra = {
        "author_id_only": {
            "field": serializers.PrimaryKeyRelatedField(source="author", read_only=True)
        },
        "author_unloaded": {"field": AuthorSerializer(source="author"), "prefetch": False},
        "tags_unloaded": {
            "field": serializers.StringRelatedField(source="tags", many=True),
            "prefetch": False,
        },
        "reviews_grouped": {
            "field": serializers.StringRelatedField(source="reviews", many=True),
            "prefetch": Grouped(),
        },
        "top_rated": {
            "field": serializers.StringRelatedField(many=True),
            "prefetch": Prefetch(
                "reviews", queryset=models.Review.objects.all(), to_attr="top_rated"
            ),
        },
        "summary": {"field": serializers.CharField(source="label"), "requires": ["title"]},
        "through_property": {"field": serializers.CharField(source="label.upper")},
    }


def test_loading_declared_by_the_serializer():
    found = nodes(
        LoadingSerializer,
        extra="author_id_only,author_unloaded,tags_unloaded,reviews_grouped,top_rated,summary,"
        "through_property",
    )
    assert found["author_id_only"].loading == tree.LOAD_FK_COLUMN
    assert found["author_unloaded"].loading == tree.LOAD_NONE
    assert found["author_unloaded"].serializer is not None
    assert found["tags_unloaded"].loading == tree.LOAD_NONE
    assert found["reviews_grouped"].loading == tree.LOAD_GROUPED
    # The source reads the to_attr of the user's Prefetch: the relation is loaded.
    top_rated = found["top_rated"]
    assert top_rated.source is not None and top_rated.source.attrs == ("top_rated",)
    assert top_rated.relative == "reviews"
    assert top_rated.kind == src.REVERSE_FK
    assert top_rated.loading == tree.LOAD_PREFETCH
    summary = found["summary"]
    assert summary.loading == tree.LOAD_REQUIRES
    assert [source.lookup for source in summary.requires] == ["title"]
    # A property on the way: the walk stops there.
    through = found["through_property"]
    assert through.source is not None
    assert through.source.stop == src.Step(models.Book, model_attribute(models.Book, "label"))
    assert through.source.last is None
    assert through.step is None
    assert through.loading == tree.LOAD_FULL_ROW


def test_computed_relation_is_prefetched():
    from drf_eager.computed import CountOf

    class WithCount(EagerFieldsModelSerializer):
        class Meta:
            model = models.Author
            fields = ["id"]

        extra = {"book_count": {"field": CountOf("books")}}

    class BookWithCountedAuthor(EagerFieldsModelSerializer):
        class Meta:
            model = models.Book
            fields = ["id"]

        extra = {"author": {"field": WithCount()}}

    found = nodes(BookWithCountedAuthor, extra="author(book_count)")
    assert found["author.book_count"].kind == tree.COMPUTED
    assert found["author.book_count"].loading == tree.LOAD_ANNOTATION
    assert found["author"].loading == tree.LOAD_PREFETCH
    assert found["author"].serializer is not None and found["author"].serializer.computes


def test_computed_through_a_one_to_one_and_back():
    from drf_eager.computed import CountOf

    class CountingAuthor(EagerFieldsModelSerializer):
        class Meta:
            model = models.Author
            fields = ["id"]

        extra = {"book_count": {"field": CountOf("books")}}

    class BackToAuthor(EagerFieldsModelSerializer):
        class Meta:
            model = models.Passport
            fields = ["number"]

        extra = {"author": {"field": CountingAuthor()}}

    class AuthorWithPassport(EagerFieldsModelSerializer):
        class Meta:
            model = models.Author
            fields = ["id"]

        extra = {"passport": {"field": BackToAuthor()}}

    # The author's own rows are counted: through its passport and back to the author.
    root = resolved(AuthorWithPassport, extra="passport(author(book_count))")
    assert root.computes
    passport = root.field("passport")
    assert passport is not None and passport.serializer is not None
    assert not passport.serializer.computes


def test_a_name_the_serializer_does_not_have_is_left_out():
    shape = Shape(("id", "nope"))
    node = tree.resolve(get_schema(BookSerializer), shape)
    assert [field.name for field in node.fields] == ["id"]


# The rules ------------------------------------------------------------------------------


def test_follow_is_cached_and_stops_on_the_way():
    first = src.follow(models.Book, ("author", "publisher", "name"))
    assert src.follow(models.Book, ("author", "publisher", "name")) is first
    assert first.lookup == "author__publisher__name"
    assert first.model is models.Publisher
    stopped = src.follow(models.Book, ("tags", "name"))
    assert stopped.stop is not None and stopped.stop.attribute.name == "tags"
    assert stopped.model is models.Book
    assert src.follow_path(models.Book, "author__name") == src.follow(
        models.Book, ("author", "name")
    )


def test_to_many_relations():
    reverse_fk = src.to_many(models.Author, "books")
    assert reverse_fk is not None
    assert (reverse_fk.kind, reverse_fk.query_name, reverse_fk.cache_name) == (
        src.REVERSE_FK,
        "author",
        "books",
    )
    forward = src.to_many(models.Book, "tags")
    backward = src.to_many(models.Tag, "books")
    assert forward is not None and backward is not None
    assert (forward.kind, forward.query_name, forward.cache_name) == (
        src.MANY_TO_MANY,
        "books",
        "tags",
    )
    assert (backward.query_name, backward.cache_name) == ("tags", "books")
    assert forward.through is models.Book.tags.through
    generic = src.to_many(models.Book, "comments")
    assert generic is not None
    assert (generic.kind, generic.query_name) == (src.GENERIC, "object_id")
    assert src.to_many(models.Book, "title") is None
    comments = model_attribute(models.Book, "comments")
    assert src.relation_kind(models.Book, comments) == src.GENERIC
    target = model_attribute(models.Comment, "target")
    assert src.relation_kind(models.Comment, target) == src.KIND_GENERIC_FK


@pytest.mark.django_db
def test_base_queryset_order():
    calls = []

    def getter(model, path):
        calls.append((model, path))
        return model._default_manager.filter(rating__gte=2)

    own = models.Review.objects.filter(rating=5)
    grouped = models.Review.objects.filter(rating=4)
    existing = Prefetch("reviews", queryset=models.Review.objects.filter(rating=3))

    def where(queryset) -> str:
        return str(queryset.query)

    # The field's own queryset first, within the view's scope.
    chosen = src.base_queryset(
        models.Review, "reviews", getter, own=own, grouped=grouped, existing=existing
    )
    assert where(chosen) == where(src.within(own, getter(models.Review, "reviews")))
    # Then the Grouped queryset, within the scope.
    chosen = src.base_queryset(
        models.Review, "reviews", getter, grouped=grouped, existing=existing
    )
    assert where(chosen) == where(src.within(grouped, getter(models.Review, "reviews")))
    # Then the root queryset's own prefetch, as it is.
    calls.clear()
    chosen = src.base_queryset(models.Review, "reviews", getter, existing=existing)
    assert chosen is existing.queryset
    assert calls == []
    # Then the view's related queryset; an existing prefetch without a queryset is none.
    chosen = src.base_queryset(models.Review, "reviews", getter, existing=Prefetch("reviews"))
    assert where(chosen) == where(getter(models.Review, "reviews"))
    # Then the extra's filter.
    chosen = src.base_queryset(
        models.Review, "reviews", src.default_related_queryset, filter=Q(rating=1)
    )
    assert where(chosen) == where(models.Review.objects.filter(rating=1))


def test_existing_prefetches():
    prefetch = Prefetch("reviews", queryset=models.Review.objects.all(), to_attr="all_reviews")
    queryset = models.Book.objects.prefetch_related("tags", prefetch)
    assert {
        key: (type(value), value.prefetch_through)
        for key, value in src.existing_prefetches(queryset).items()
    } == {"tags": (Prefetch, "tags"), "all_reviews": (Prefetch, "reviews")}


def test_prefix():
    author = model_attribute(models.Book, "author")
    joined = src.ROOT.join(author, models.Book)
    assert joined == src.Prefix("author__", "author__", ("author", "id"))
    # The field a foreign key points at is the foreign key's own column.
    assert joined.lookup("id") == "author"
    assert joined.lookup("name") == "author__name"
    passport = model_attribute(models.Author, "passport")
    assert src.ROOT.join(passport, models.Author) == src.Prefix("passport_q__", "passport__")


def test_detail_serializer_tree_matches_the_fast_plan():
    # The values planner reads the same nodes: a dotted source through two to-one
    # relations is one node, walked once.
    found = nodes(BookDetailSerializer)
    publisher_name = found["publisher_name"]
    assert publisher_name.source is not None
    assert publisher_name.source.lookup == "author__publisher__name"
    assert [step.model for step in publisher_name.source.through] == [
        models.Book,
        models.Author,
    ]
    assert found["chapters"].kind == src.REVERSE_FK
    restaurant = nodes(RestaurantSerializer, extra="owner")
    assert restaurant["owner"].kind == src.FORWARD_FK
    passport = nodes(PassportSerializer, extra="stamps,author")
    assert passport["author"].kind == src.FORWARD_ONE_TO_ONE
    assert passport["stamps"].kind == src.REVERSE_FK
