"""`body_fields` given in Python (to prepare() or in a serializer's context) rather than
parsed from a JSON body: values no JSON body can hold are refused, named by their type."""

from __future__ import annotations

import datetime

import pytest

from drf_eager import prepare
from drf_eager.exceptions import InvalidShape
from tests import models
from tests.serializers import BookSerializer


@pytest.mark.parametrize(
    ("body_fields", "message"),
    [
        ({"title", "isbn"}, "Expected an object of field names, found set."),
        (("title",), "Expected an object of field names, found a list."),
        ({"title": b"x"}, "Expected null or an object at 'title', found bytes."),
        (
            {"author": {"name": datetime.date(2024, 1, 1)}},
            "Expected null or an object at 'author.name', found date.",
        ),
        ({"title": ["isbn"]}, "Expected null or an object at 'title', found a list."),
    ],
)
def test_values_a_json_body_cannot_hold_are_named_by_their_type(body_fields, message):
    with pytest.raises(InvalidShape) as raised:
        prepare(BookSerializer, models.Book.objects.all(), body_fields=body_fields)
    assert raised.value.detail == {"fields": [message]}


def test_the_same_check_applies_to_a_serializer_context(small_library):
    book = models.Book.objects.get(title="book0-0")
    with pytest.raises(InvalidShape) as raised:
        BookSerializer(book, context={"body_fields": {"title": 1j}}).data  # noqa: B018
    assert raised.value.detail == {
        "fields": ["Expected null or an object at 'title', found complex."]
    }
