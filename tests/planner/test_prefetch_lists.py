"""An extra's `prefetch` as a list of Prefetch objects: the one of the field's relation
gives its queryset, and every other one is added, relative to the serializer's model
wherever that model is loaded (the root, JOINed below it, inside a prefetch), for to-one
and to-many relations alike.

Strict mode is on (tests/settings.py), so a serialization that needs a query the plan
did not make fails; each test counts the queries, the same for 2 and 50 authors."""

from __future__ import annotations

import pytest
from django.db.models import Prefetch
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from drf_eager import EagerFieldsModelSerializer, classproperty, prepare
from tests import models
from tests.serializers import TagSerializer

pytestmark = pytest.mark.django_db


def good_reviews() -> Prefetch:
    return Prefetch(
        "reviews", queryset=models.Review.objects.filter(rating__gte=4), to_attr="good_reviews"
    )


class AuthorNameSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["name"]


class ListedBookSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["title"]

    @classproperty
    def extra(cls):
        return {
            # A to-one relation with a queryset of its own: prefetched.
            "author": {
                "field": AuthorNameSerializer(),
                "prefetch": [
                    Prefetch("author", queryset=models.Author.objects.order_by("id")),
                    good_reviews(),
                ],
            },
            # A to-one relation without a Prefetch of its own: JOINed.
            "writer": {
                "field": AuthorNameSerializer(source="author"),
                "prefetch": [Prefetch("chapter_set"), good_reviews()],
            },
            "tags": {
                "field": TagSerializer(many=True),
                "prefetch": [Prefetch("tags"), good_reviews()],
            },
        }


class ListedReviewSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Review
        fields = ["rating"]
        extra = {
            "book": {"field": ListedBookSerializer()},
            # A dotted source: the list is still relative to the review.
            "book_author": {
                "field": AuthorNameSerializer(source="book.author"),
                "prefetch": [Prefetch("book__chapter_set")],
            },
        }


class ListedAuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["name"]
        extra = {"books": {"field": ListedBookSerializer(many=True)}}


def serialize(serializer_class, queryset, django_assert_num_queries, queries, extra):
    planned, context = prepare(serializer_class, queryset, extra=extra)
    context["request"] = Request(APIRequestFactory().get("/"))
    with django_assert_num_queries(queries):
        data = serializer_class(planned, many=True, context=context).data
        rows = list(planned)
    return rows, [dict(row) for row in data]


def assert_loaded(book, django_assert_num_queries, chapters=False):
    with django_assert_num_queries(0):
        assert [review.rating for review in book.good_reviews] == [5]
        if chapters:
            assert [chapter.title for chapter in book.chapter_set.all()] == [
                book.title.replace("book", "ch")
            ]


@pytest.mark.parametrize(
    ("extra", "queries", "chapters"),
    [
        # books, their authors, their good reviews
        ("author", 3, False),
        # books JOINed to their authors, their chapters, their good reviews
        ("writer", 3, True),
        # books, their tags, their good reviews
        ("tags", 3, False),
    ],
)
def test_every_prefetch_of_the_list_is_added(
    library, django_assert_num_queries, extra, queries, chapters
):
    queryset = models.Book.objects.order_by("id")
    rows, data = serialize(
        ListedBookSerializer, queryset, django_assert_num_queries, queries, extra
    )
    assert len(data) == 2 * library
    name = "writer" if extra == "writer" else extra
    if extra == "tags":
        assert [tag["name"] for tag in data[0]["tags"]] == ["tag0", "tag1"]
    else:
        assert data[0] == {"title": "book0-0", name: {"name": "author0"}}
        assert data[-1][name] == {"name": f"author{library - 1}"}
    for book in (rows[0], rows[-1]):
        assert_loaded(book, django_assert_num_queries, chapters)


@pytest.mark.parametrize(
    ("extra", "queries", "chapters"),
    [
        # reviews JOINed to their books, the books' authors, the books' good reviews
        ("book.author", 3, False),
        ("book.writer", 3, True),
        ("book.tags", 3, False),
    ],
)
def test_below_a_join_the_list_moves_below_it(
    library, django_assert_num_queries, extra, queries, chapters
):
    queryset = models.Review.objects.order_by("id")
    rows, data = serialize(
        ListedReviewSerializer, queryset, django_assert_num_queries, queries, extra
    )
    assert len(data) == 4 * library
    name = extra.split(".")[1]
    if name != "tags":
        assert data[0]["book"] == {"title": "book0-0", name: {"name": "author0"}}
    for review in (rows[0], rows[-1]):
        assert_loaded(review.book, django_assert_num_queries, chapters)


def test_a_dotted_source_adds_the_list_relative_to_its_serializer(
    library, django_assert_num_queries
):
    queryset = models.Review.objects.order_by("id")
    # reviews JOINed to their books and the books' authors, the books' chapters
    rows, data = serialize(
        ListedReviewSerializer, queryset, django_assert_num_queries, 2, "book_author"
    )
    assert data[0] == {"rating": 2, "book_author": {"name": "author0"}}
    with django_assert_num_queries(0):
        assert [c.title for c in rows[-1].book.chapter_set.all()] == [f"ch{library - 1}-1"]


@pytest.mark.parametrize(
    ("extra", "queries", "chapters"),
    [
        # authors, their books, the books' authors, the books' good reviews
        ("books.author", 4, False),
        # authors, their books (JOINed to their authors), their chapters, good reviews
        ("books.writer", 4, True),
        ("books.tags", 4, False),
    ],
)
def test_inside_a_prefetch_the_list_is_added_to_it(
    library, django_assert_num_queries, extra, queries, chapters
):
    queryset = models.Author.objects.order_by("id")
    rows, data = serialize(
        ListedAuthorSerializer, queryset, django_assert_num_queries, queries, extra
    )
    assert len(data) == library
    name = extra.split(".")[1]
    if name != "tags":
        assert data[0]["books"][1] == {"title": "book0-1", name: {"name": "author0"}}
    for author in (rows[0], rows[-1]):
        for book in author.books.all():
            assert_loaded(book, django_assert_num_queries, chapters)
