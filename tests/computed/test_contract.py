"""What the `Computed` base class gives a subclass (a queryset left alone, a read-only
field of the whole instance) and what it asks of it (`read()`), and the relations
`CountOf` and `Exists` refuse."""

from __future__ import annotations

import pytest

from drf_eager import Computed, CountOf, EagerFieldsModelSerializer, Exists, prepare
from tests import models


class TitleLength(Computed):
    """Reads the instance only: the base modify_queryset() is enough."""

    requires = ("title",)

    def read(self, instance, name):
        return len(instance.title)


class Unfinished(Computed):
    """Forgot read()."""


class BookComputedSerializer(EagerFieldsModelSerializer):
    title_length = TitleLength()

    class Meta:
        model = models.Book
        fields = ["id", "title_length"]
        extra = {"unfinished": {"field": Unfinished()}}


def test_the_base_class_is_a_read_only_field_of_the_whole_instance():
    field = TitleLength()
    assert field.read_only
    assert field.source == "*"
    assert Computed.attname("num_orders") == "_eager_num_orders"


def test_the_default_modify_queryset_leaves_the_queryset_as_it_is(small_library):
    queryset = models.Book.objects.filter(title__startswith="book0")
    assert TitleLength().modify_queryset(queryset, "title_length", lambda model: None) is queryset
    planned, context = prepare(BookComputedSerializer, models.Book.objects.order_by("id"))
    assert planned.query.deferred_loading == (frozenset({"id", "title"}), False)
    data = BookComputedSerializer(planned, many=True, context=context).data
    assert [row["title_length"] for row in data] == [7, 7, 7, 7]


def test_a_subclass_without_read_says_what_it_must_implement(small_library):
    queryset, context = prepare(
        BookComputedSerializer, models.Book.objects.all(), fields="unfinished"
    )
    with pytest.raises(NotImplementedError, match=r"^Unfinished must implement read\(\)\.$"):
        BookComputedSerializer(queryset.first(), context=context).data  # noqa: B018


@pytest.mark.parametrize("computed", [CountOf, Exists])
def test_a_to_one_relation_is_refused_with_the_way_out(db, computed):
    class BookAuthorCountSerializer(EagerFieldsModelSerializer):
        author_count = computed("author")

        class Meta:
            model = models.Book
            fields = ["author_count"]

    with pytest.raises(
        TypeError,
        match=r"^'author' is not a reverse relation or a many-to-many field; "
        r"write a Computed subclass for it\.$",
    ):
        prepare(BookAuthorCountSerializer, models.Book.objects.all())
