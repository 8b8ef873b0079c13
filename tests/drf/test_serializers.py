"""The serializer side: shapes from the context (drf-eager-fields' keys), extras
copied per instance, nested serializers without the mixin, no shared state."""

from __future__ import annotations

import threading

import pytest
from rest_framework import serializers as drf

from drf_eager import EagerFieldsModelSerializer, EagerFieldsSerializer, InvalidShape
from drf_eager.schema import get_schema
from tests import models, serializers

pytestmark = pytest.mark.django_db


def test_no_context_gives_the_plain_fields(small_library):
    book = models.Book.objects.first()
    assert serializers.BookSerializer(book).data == {
        "id": book.pk,
        "title": "book0-0",
        "isbn": "isbn00",
        "price": "9.99",
    }


def test_context_keys_of_drf_eager_fields(small_library):
    book = models.Book.objects.first()
    data = serializers.BookSerializer(
        book,
        context={
            "extra": "author.publisher,tags",
            "fields": "title,author.name,author.publisher.name,tags.name",
        },
    ).data
    assert data == {
        "title": "book0-0",
        "author": {"name": "author0", "publisher": {"name": "Penguin"}},
        "tags": [{"name": "tag0"}, {"name": "tag1"}],
    }


def test_context_exclude_and_lists(small_library):
    book = models.Book.objects.first()
    data = serializers.BookSerializer(
        book, context={"extra": ["author"], "exclude": ["id", "isbn", "price", "author.id"]}
    ).data
    assert data == {"title": "book0-0", "author": {"name": "author0"}}


def test_context_body_fields(small_library):
    book = models.Book.objects.first()
    data = serializers.BookSerializer(
        book, context={"body_fields": {"title": None, "author": {"name": None}}, "fields": "id"}
    ).data
    assert data == {"title": "book0-0", "author": {"name": "author0"}}


def test_context_errors_raise_invalid_shape(small_library):
    book = models.Book.objects.first()
    with pytest.raises(InvalidShape) as info:
        serializers.BookSerializer(book, context={"extra": "nope"}).data  # noqa: B018
    assert info.value.detail == {
        "extra": [
            "Unknown field 'nope'. Allowed: author, author_name, chapters, comments, "
            "featured_author, good_reviews, label, reviews, tag_ids, tags."
        ]
    }


def test_meta_extra_spelling(small_library):
    class MetaExtraSerializer(EagerFieldsModelSerializer):
        class Meta:
            model = models.Author
            fields = ["name"]
            extra = {"email": {"field": drf.CharField()}}

    author = models.Author.objects.first()
    assert MetaExtraSerializer(author, context={"extra": "email"}).data == {
        "name": "author0",
        "email": "a0@example.com",
    }


def test_plain_serializer_with_mixin(small_library):
    book = models.Book.objects.first()
    data = serializers.PlainBookSerializer(book, context={"extra": "isbn", "exclude": "id"}).data
    assert data == {"title": "book0-0", "isbn": "isbn00"}
    assert isinstance(serializers.PlainBookSerializer(), EagerFieldsSerializer)


def test_nested_serializer_without_mixin_is_pruned(small_library):
    book = models.Book.objects.first()
    data = serializers.BookSerializer(book, context={"fields": "chapters.title"}).data
    assert data == {"chapters": [{"title": "ch0-0"}]}


def test_extra_fields_are_copied_per_instance(small_library):
    """A plain-dict `extra` (not a classproperty) is never bound or mutated."""
    book = models.Book.objects.first()
    author = models.Author.objects.first()
    template = serializers.AuthorSerializer.Meta.extra["email"]["field"]
    serializers.PlainBookSerializer(book, context={"extra": "isbn"}).data  # noqa: B018
    for _ in range(2):
        assert serializers.AuthorSerializer(author, context={"extra": "email"}).data["email"]
    assert template.field_name is None and template.parent is None
    plain = serializers.PlainBookSerializer.extra["isbn"]["field"]
    assert plain.parent is None


def test_schema_is_cached_per_class():
    assert get_schema(serializers.BookSerializer) is get_schema(serializers.BookSerializer)
    assert get_schema(serializers.BookDetailSerializer).default_fields == (
        "id",
        "title",
        "author",
        "chapters",
        "publisher_name",
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_see_only_their_own_shape(api):
    from tests.conftest import build_library

    build_library(2)
    shapes = {
        "/books/?fields=title": {"title"},
        "/books/?extra=tags&fields=id,tags": {"id", "tags"},
        "/books/?extra=author&exclude=isbn,price": {"id", "title", "author"},
        "/books/": {"id", "title", "isbn", "price"},
    }
    failures: list[str] = []

    def worker(url: str, keys: set[str]) -> None:
        from django.db import connections

        from tests.conftest import Client

        client = Client()
        try:
            for _ in range(10):
                response = client.get(url)
                got = [set(item) for item in response.json()]
                if response.status_code != 200 or any(k != keys for k in got):
                    failures.append(f"{url}: {response.status_code} {got[:1]}")
        finally:
            connections.close_all()  # this thread's own connections

    threads = [threading.Thread(target=worker, args=item) for item in shapes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_prepare_plans_outside_a_view(small_library, django_assert_num_queries):
    from drf_eager import prepare

    queryset, context = prepare(
        serializers.BookSerializer,
        models.Book.objects.all(),
        fields="title,good_reviews.rating,author.name",
    )
    with django_assert_num_queries(2):
        data = serializers.BookSerializer(queryset, many=True, context=context).data
    assert data[0] == {
        "title": "book0-0",
        "good_reviews": [{"rating": 5}],
        "author": {"name": "author0"},
    }
