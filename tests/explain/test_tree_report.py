"""`manage.py explain_shape URL --tree`: the loading the resolved tree (drf_eager.tree)
decided for each field path of the shape, read from the tree."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework import serializers

from drf_eager import CountOf, EagerFieldsModelSerializer
from drf_eager.management.commands.explain_shape import describe_tree
from drf_eager.schema import get_schema
from drf_eager.serializers import resolve_params
from drf_eager.tree import resolve
from tests import models
from tests.planner.test_tree import LoadingSerializer

pytestmark = pytest.mark.django_db


def report(*args: str) -> list[str]:
    """The lines of the command's `Loading` section."""
    out = StringIO()
    call_command("explain_shape", *args, stdout=out)
    lines = out.getvalue().splitlines()
    start = lines.index("Loading (the resolved tree):")
    return lines[start + 1 : lines.index("", start)]


def test_each_field_path_with_its_loading_and_relation_kind(small_library):
    url = (
        "/books/?extra=author.publisher,tags,tag_ids,good_reviews,author_name,label,"
        "featured_author&fields=title,author(name,publisher.name),tags.name,tag_ids,"
        "good_reviews.rating,author_name,label,featured_author.name"
    )
    assert report(url, "--tree") == [
        "  title: column",
        "  author: JOIN [forward_fk]",
        "  author.name: column",
        "  author.publisher: JOIN [forward_fk]",
        "  author.publisher.name: column",
        "  tags: prefetch [many_to_many]",
        "  tags.name: column",
        "  tag_ids: prefetch [many_to_many]",
        "  good_reviews: prefetch [reverse_fk]",
        "  good_reviews.rating: column",
        "  author_name: column",
        "  label: requires",
        # The user's own queryset: prefetched, not JOINed.
        "  featured_author: prefetch [forward_fk]",
        "  featured_author.name: column",
    ]


def test_only_when_asked(small_library):
    out = StringIO()
    call_command("explain_shape", "/books/?fields=title", stdout=out)
    assert "Loading (the resolved tree):" not in out.getvalue()


class CountingSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["id"]

    extra = {
        "num_reviews": {"field": CountOf("reviews")},
        "whole": {"field": serializers.CharField(source="*")},
    }


def test_every_loading_the_tree_decides():
    found = describe_tree(
        resolve(
            get_schema(LoadingSerializer),
            resolve_params(
                LoadingSerializer,
                extra="author_id_only,author_unloaded,tags_unloaded,reviews_grouped,"
                "top_rated,summary,through_property",
                fields="id,author_id_only,author_unloaded.name,tags_unloaded,reviews_grouped,"
                "top_rated,summary,through_property",
            ),
        )
    )
    assert found == [
        "id: column",
        "author_id_only: FK column [forward_fk]",
        "author_unloaded: none (prefetch=False: row by row) [forward_fk]",
        "author_unloaded.name: column",
        "tags_unloaded: none (prefetch=False: row by row) [many_to_many]",
        "reviews_grouped: grouped [reverse_fk]",
        "top_rated: prefetch [reverse_fk]",
        "summary: requires",
        "through_property: full row",
    ]
    computed = resolve(
        get_schema(CountingSerializer),
        resolve_params(CountingSerializer, extra="num_reviews,whole", fields="num_reviews,whole"),
    )
    assert describe_tree(computed) == ["num_reviews: annotation", "whole: same row (source='*')"]


def test_a_relation_the_view_groups():
    shape = resolve_params(LoadingSerializer, extra="top_rated", fields="id,top_rated")
    found = describe_tree(resolve(get_schema(LoadingSerializer), shape), ["top_rated"])
    assert found == [
        "id: column",
        "top_rated: prefetch [reverse_fk], grouped by the view's eager_grouped",
    ]
