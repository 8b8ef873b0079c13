"""The consumers of the resolved tree ask it, not the model, what a field's source reads
and where its rows are stored; a Prefetch's lookup is followed by one walk
(sources.lookup_steps) for the planner and the declaration checks alike."""

from __future__ import annotations

from drf_eager import sources as src
from drf_eager.schema import GENERIC_FK, TO_MANY, TO_ONE, get_schema
from drf_eager.tree import declared
from tests import models
from tests.planner.test_tree import LoadingSerializer
from tests.serializers import BookSerializer


def steps(lookup: str) -> list[tuple[str, str | None]]:
    return [
        (name, None if step is None else step.attribute.kind)
        for name, step in src.lookup_steps(models.Book, lookup)
    ]


def test_a_lookup_followed_through_relations():
    assert steps("author__publisher") == [("author", TO_ONE), ("publisher", TO_ONE)]
    assert steps("reviews") == [("reviews", TO_MANY)]
    # Beyond a generic foreign key, the rows may be of any model.
    assert steps("comments__target__name") == [
        ("comments", TO_MANY),
        ("target", GENERIC_FK),
        ("name", None),
    ]
    # It ends after the first name that is not a relation.
    assert steps("title__author") == [("title", "column")]


def test_a_lookup_that_ends_in_a_to_one():
    assert src.ends_to_one(models.Book, "author")
    assert src.ends_to_one(models.Book, "reviews__book")
    assert not src.ends_to_one(models.Book, "reviews")
    assert not src.ends_to_one(models.Book, "title__author")
    assert not src.ends_to_one(models.Book, "comments__target")
    assert not src.ends_to_one(models.Book, "comments__target__author")


def test_the_schema_reads_the_declared_node():
    schema = get_schema(BookSerializer)
    for name in ("author", "tags", "tag_ids", "good_reviews", "author_name", "featured_author"):
        node = declared(schema, name)
        assert node is declared(schema, name)  # cached
        attrs, attribute = schema.relation_lookup(name)  # type: ignore[misc]
        assert attribute is node.attribute
        assert src.LOOKUP_SEP.join(attrs) == node.relative
    assert schema.relation_lookup("author_name") == (
        ["author", "name"],
        declared(schema, "author_name").attribute,
    )
    # Where each relation's rows are stored, and the field reads them.
    stored = {
        name: (declared(schema, name).to_attr, schema.read_source(name))
        for name in ("author", "tags", "tag_ids", "good_reviews", "featured_author", "title")
    }
    assert stored == {
        "author": (None, None),  # JOINed into the relation's own cache
        "tags": (None, None),
        "tag_ids": ("_eager_tag_ids", "_eager_tag_ids"),  # a variant of `tags`
        "good_reviews": ("_eager_good_reviews", "_eager_good_reviews"),
        "featured_author": ("_eager_featured_author", "_eager_featured_author"),
        "title": (None, None),
    }


def test_a_source_that_reads_a_prefetch_to_attr():
    schema = get_schema(LoadingSerializer)
    node = declared(schema, "top_rated")
    assert (node.relative, node.to_attr) == ("reviews", "top_rated")
    assert schema.relation_lookup("top_rated") == (["reviews"], node.attribute)
    assert schema.read_source("top_rated") == "top_rated"
    # prefetch=False: the relation's own cache, loaded row by row.
    assert declared(schema, "tags_unloaded").to_attr is None
    assert declared(schema, "author_unloaded").to_attr is None
    # A property on the way: nothing below it is known.
    through = schema.relation_lookup("through_property")
    assert through is not None and through[0] == ["label", "upper"]
    assert through[1].kind == "unknown" and through[1].name == "label"
