"""The plugin interface of computed fields, data predicates on the default shape,
and the checks of the `filter` key."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Avg, OuterRef, Q, Subquery
from rest_framework import serializers, viewsets
from rest_framework.test import APIRequestFactory

from drf_eager import (
    Computed,
    CountOf,
    EagerFieldsModelSerializer,
    EagerFieldsViewMixin,
    Exists,
    data_predicate,
    prepare,
)
from drf_eager.schema import get_schema
from tests import models
from tests.serializers import BookSerializer


class AverageRating(Computed):
    """A plugin of its own: an annotation, and a value read from it."""

    def modify_queryset(self, queryset, name, related):
        reviews = related(models.Review).filter(book=OuterRef("pk")).order_by()
        average = reviews.values("book").annotate(value=Avg("rating")).values("value")
        return queryset.annotate(**{self.attname(name): Subquery(average)})

    def read(self, instance, name):
        if hasattr(instance, self.attname(name)):
            value = getattr(instance, self.attname(name))
        else:  # not planned: a serializer used on its own
            value = instance.reviews.aggregate(value=Avg("rating"))["value"]
        return None if value is None else round(value, 1)


class RatedBookSerializer(EagerFieldsModelSerializer):
    average_rating = AverageRating()
    has_good_reviews = Exists("reviews", filter=Q(rating__gte=4))

    class Meta:
        model = models.Book
        fields = ["title", "average_rating", "has_good_reviews"]
        extra = {
            "num_tags": {"field": CountOf("tags")},
            "num_bad_reviews": {"field": CountOf("reviews", filter=Q(rating__lt=3))},
        }


class AuthorWithRatedBooks(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["name"]
        extra = {"books": {"field": RatedBookSerializer(many=True)}}


def test_a_plugin_and_the_built_in_computations(small_library, django_assert_num_queries):
    models.Review.objects.create(book=models.Book.objects.get(title="book1-1"), rating=1)
    queryset, context = prepare(
        RatedBookSerializer, models.Book.objects.order_by("id"), extra="num_tags,num_bad_reviews"
    )
    with django_assert_num_queries(1):
        data = RatedBookSerializer(queryset, many=True, context=context).data
    assert [dict(row) for row in data] == [
        {
            "title": "book0-0",
            "average_rating": 3.5,
            "has_good_reviews": True,
            "num_tags": 2,
            "num_bad_reviews": 1,
        },
        {
            "title": "book0-1",
            "average_rating": 3.5,
            "has_good_reviews": True,
            "num_tags": 2,
            "num_bad_reviews": 1,
        },
        {
            "title": "book1-0",
            "average_rating": 3.5,
            "has_good_reviews": True,
            "num_tags": 2,
            "num_bad_reviews": 1,
        },
        {
            "title": "book1-1",
            "average_rating": 2.7,
            "has_good_reviews": True,
            "num_tags": 2,
            "num_bad_reviews": 2,
        },
    ]


def test_computed_fields_in_a_prefetched_level(small_library, django_assert_num_queries):
    queryset, context = prepare(
        AuthorWithRatedBooks,
        models.Author.objects.order_by("id"),
        fields="name,books(title,num_tags)",
    )
    with django_assert_num_queries(2):
        data = AuthorWithRatedBooks(queryset, many=True, context=context).data
    assert data[0]["books"] == [
        {"title": "book0-0", "num_tags": 2},
        {"title": "book0-1", "num_tags": 2},
    ]


def test_unplanned_computed_fields_still_give_the_right_value(small_library):
    # Used without a view or prepare(): one query per row, but never a wrong value.
    book = models.Book.objects.get(title="book0-0")
    data = RatedBookSerializer(book, context={"extra": "num_tags"}).data
    assert data["average_rating"] == 3.5
    assert data["has_good_reviews"] is True
    assert data["num_tags"] == 2


def test_computed_fields_need_no_columns(small_library):
    shape_columns = prepare(RatedBookSerializer, models.Book.objects.all(), fields="num_tags")[0]
    assert shape_columns.query.deferred_loading == (frozenset({"id"}), False)


class PredicateViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Book.objects.order_by("id")
    serializer_class = BookSerializer
    ran: list[str] = []

    @data_predicate("title")
    def on_title(self, queryset):
        self.ran.append("title")
        return queryset

    @data_predicate("author.name", "tags")
    def on_author_name_or_tags(self, queryset):
        self.ran.append("author.name|tags")
        return queryset.filter(author__name="author1")


@pytest.mark.parametrize(
    ("params", "ran", "titles"),
    [
        ({}, ["title"], ["book0-0", "book0-1", "book1-0", "book1-1"]),  # the default shape
        ({"fields": "isbn"}, [], [None] * 4),
        (
            {"extra": "author", "fields": "title,author.id"},
            ["title"],
            ["book0-0", "book0-1", "book1-0", "book1-1"],
        ),
        ({"extra": "tags"}, ["author.name|tags", "title"], ["book1-0", "book1-1"]),
        ({"fields": "author(name)"}, ["author.name|tags"], [None, None]),
    ],
)
def test_data_predicates_run_for_the_paths_served(small_library, params, ran, titles):
    PredicateViewSet.ran = []
    view = PredicateViewSet.as_view({"get": "list"})
    response = view(APIRequestFactory().get("/", params))
    assert response.status_code == 200
    assert sorted(PredicateViewSet.ran) == ran
    assert [row.get("title") for row in response.data] == titles


def test_the_filter_key_takes_a_q():
    class Bad(EagerFieldsModelSerializer):
        class Meta:
            model = models.Book
            fields = ["id"]
            extra = {
                "reviews": {"field": serializers.CharField(), "filter": {"rating": 5}},
            }

    with pytest.raises(ImproperlyConfigured, match=r"\['filter'\] must be a Q object"):
        get_schema(Bad)
