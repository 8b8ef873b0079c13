"""The fast path on sources that do not fit their field (a related field on a to-many
relation, a nested serializer without `many` on one, `many` on a to-one), related fields
with methods of their own, and fields it serves as DRF does: ReadOnlyField, slugs of a
non-null foreign key, a reverse one-to-one with the user's Prefetch."""

from __future__ import annotations

import json

import pytest
from django.db.models import Prefetch
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.renderers import JSONRenderer

from drf_eager import EagerFieldsModelSerializer, classproperty, prepare
from drf_eager.fast import compile_fast_plan, fast_plan_refusal
from drf_eager.serializers import resolve_params
from tests import models
from tests.serializers import AuthorProfileSerializer, AuthorSerializer, TagSerializer

render = JSONRenderer().render


class OwnAttributeField(serializers.PrimaryKeyRelatedField):
    def get_attribute(self, instance):
        return super().get_attribute(instance)


class OwnManyField(ManyRelatedField):
    def to_representation(self, iterable):
        return sorted(super().to_representation(iterable), reverse=True)


class OwnManyKeys(serializers.PrimaryKeyRelatedField):
    @classmethod
    def many_init(cls, *args, **kwargs):
        return OwnManyField(child_relation=cls(*args, **kwargs), read_only=True)


class MisfitSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["id"]

    @classproperty
    def extra(cls):
        return {
            "review_key": {
                "field": serializers.PrimaryKeyRelatedField(source="reviews", read_only=True)
            },
            "own_author_key": {"field": OwnAttributeField(source="author", read_only=True)},
            "own_tag_keys": {"field": OwnManyKeys(source="tags", many=True, read_only=True)},
            "tag_links": {
                "field": serializers.HyperlinkedRelatedField(
                    source="tags", many=True, view_name="tag-detail", read_only=True
                )
            },
            "one_tag": {"field": TagSerializer(source="tags")},
            "authors": {"field": AuthorSerializer(source="author", many=True)},
        }


REFUSALS = [
    ("review_key", "'review_key' is a related field on a non to-one source."),
    (
        "own_author_key",
        "'own_author_key': OwnAttributeField overrides get_attribute() (in OwnAttributeField).",
    ),
    (
        "own_tag_keys",
        "'own_tag_keys': OwnManyField overrides to_representation() (in OwnManyField).",
    ),
    (
        "tag_links",
        "'tag_links': HyperlinkedRelatedField is not a primary key or slug related field.",
    ),
    ("one_tag", "'one_tag' is a nested serializer on a non to-one source."),
    ("authors", "'authors' is a list on a non to-many source."),
]


@pytest.mark.parametrize(("name", "reason"), REFUSALS, ids=[name for name, _ in REFUSALS])
def test_refused_before_any_query(db, name, reason, django_assert_num_queries):
    shape = resolve_params(MisfitSerializer, fields=name)
    with django_assert_num_queries(0):
        assert compile_fast_plan(MisfitSerializer, shape) is None
        assert fast_plan_refusal(MisfitSerializer, shape) == reason


def both_paths(serializer_class, queryset, django_assert_num_queries, queries, **params):
    """Serve `params` by the DRF path and by the fast path: same bytes, same queries."""
    shape = resolve_params(serializer_class, **params)
    plan = compile_fast_plan(serializer_class, shape)
    assert plan is not None, fast_plan_refusal(serializer_class, shape)
    planned, context = prepare(serializer_class, queryset, **params)
    with django_assert_num_queries(queries):
        expected = render(serializer_class(planned, many=True, context=context).data)
    with django_assert_num_queries(queries):
        served = render(plan.serialize(queryset))
    assert served == expected
    return plan, json.loads(served)


class PlainValuesSerializer(EagerFieldsModelSerializer):
    title = serializers.ReadOnlyField()
    author = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = models.Book
        fields = ["title", "author"]


def test_read_only_fields_and_slugs_of_a_non_null_foreign_key(
    small_library, django_assert_num_queries
):
    queryset = models.Book.objects.order_by("id")
    plan, data = both_paths(PlainValuesSerializer, queryset, django_assert_num_queries, 1)
    assert data[:2] == [
        {"title": "book0-0", "author": "author0"},
        {"title": "book0-1", "author": "author0"},
    ]
    assert repr(plan) == "<FastPlan PlainValuesSerializer 1 queries>"


class ProfiledAuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["name"]

    @classproperty
    def extra(cls):
        return {
            "profile": {
                "field": AuthorProfileSerializer(),
                "prefetch": Prefetch(
                    "profile", queryset=models.AuthorProfile.objects.filter(bio="bio1")
                ),
            }
        }


def test_a_reverse_one_to_one_with_its_own_prefetch(small_library, django_assert_num_queries):
    queryset = models.Author.objects.order_by("id")
    plan, data = both_paths(
        ProfiledAuthorSerializer, queryset, django_assert_num_queries, 2, extra="profile"
    )
    assert data == [
        {"name": "author0", "profile": None},
        {"name": "author1", "profile": {"bio": "bio1", "website": "w"}},
    ]
    assert plan.query_count() == 2
