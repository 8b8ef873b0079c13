"""Issue 15: drf_eager.stock, the one home of the allow-lists: which classes each shortcut
knows, looking at every class of the MRO, and what @requires changes."""

from __future__ import annotations

from functools import cached_property

import pytest
from rest_framework import pagination, relations, renderers, serializers

from drf_eager import CountOf, EagerFieldsModelSerializer, EagerFieldsSerializerMixin
from drf_eager.renderers import ORJSONRenderer
from drf_eager.serializers import _eager_class, is_generated
from drf_eager.stock import (
    COLUMNS_FIELD,
    COLUMNS_SERIALIZER,
    COLUMNS_VALUE,
    FAST_FIELD,
    FAST_PAGINATOR,
    FAST_RENDERER,
    FAST_SERIALIZER,
    PRUNED_SERIALIZER,
    declared_requires,
    hook_requires,
    is_stock_paginator,
    is_stock_renderer,
    requires,
)
from tests import models


class Shouting(serializers.CharField):
    def to_representation(self, value):
        return super().to_representation(value).upper()


class ReadsInstance(serializers.CharField):
    def get_attribute(self, instance):
        return instance.name


class Declared(serializers.CharField):
    @requires("name", "publisher.name")
    def get_attribute(self, instance):
        return f"{instance.name} ({instance.publisher.name})"


class DeclaredBelow(Declared):
    @requires("name", "email")
    def to_representation(self, value):
        return value


class Reads:
    def get_attribute(self, instance):
        return instance


class Below(Reads, serializers.CharField):
    """The override is in a mixin, not in the class itself."""


class AuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["id", "name"]


class Enveloped(AuthorSerializer):
    def to_representation(self, instance):
        return {"author": super().to_representation(instance)}


class Plain(serializers.ModelSerializer):
    class Meta:
        model = models.Author
        fields = ["id", "name"]


class PlainEnveloped(Plain):
    def to_representation(self, instance):
        return {"author": super().to_representation(instance)}


@pytest.mark.parametrize(
    ("allow_list", "cls", "override"),
    [
        # Column pruning: DRF's and drf_eager's classes, and what overrides no hook.
        (COLUMNS_FIELD, serializers.CharField, None),
        (COLUMNS_FIELD, relations.HyperlinkedIdentityField, None),
        (COLUMNS_FIELD, CountOf, None),
        (COLUMNS_FIELD, Shouting, "to_representation() (in Shouting)"),
        (COLUMNS_FIELD, ReadsInstance, "get_attribute() (in ReadsInstance)"),
        (COLUMNS_FIELD, Below, "get_attribute() (in Reads)"),
        (COLUMNS_FIELD, Declared, None),  # @requires says what it reads
        (COLUMNS_FIELD, DeclaredBelow, None),
        # A field given a column's value: its to_representation() reads only the value.
        (COLUMNS_VALUE, Shouting, None),
        (COLUMNS_VALUE, ReadsInstance, "get_attribute() (in ReadsInstance)"),
        (COLUMNS_SERIALIZER, AuthorSerializer, None),
        (COLUMNS_SERIALIZER, Enveloped, "to_representation() (in Enveloped)"),
        # Response pruning: only DRF's own classes; drf_eager's mixin is not a plain one.
        (PRUNED_SERIALIZER, Plain, None),
        (PRUNED_SERIALIZER, PlainEnveloped, "to_representation() (in PlainEnveloped)"),
        # The fast path: every hook, @requires or not, and only DRF's field classes.
        (FAST_FIELD, serializers.CharField, None),
        (FAST_FIELD, relations.SlugRelatedField, None),
        (FAST_FIELD, Shouting, "to_representation() (in Shouting)"),
        (FAST_FIELD, Declared, "get_attribute() (in Declared)"),
        (FAST_FIELD, DeclaredBelow, "to_representation() (in DeclaredBelow)"),
        (FAST_FIELD, CountOf, "__init__() (in _RelationAggregate)"),
        (FAST_SERIALIZER, serializers.ModelSerializer, None),
        (FAST_SERIALIZER, serializers.ListSerializer, None),
        (FAST_SERIALIZER, AuthorSerializer, None),
        (FAST_SERIALIZER, Enveloped, "to_representation() (in Enveloped)"),
        (FAST_SERIALIZER, _eager_class(Plain), None),
        (FAST_SERIALIZER, _eager_class(PlainEnveloped), "to_representation() (in PlainEnveloped)"),
    ],
)
def test_which_classes_each_allow_list_knows(allow_list, cls, override):
    assert allow_list.override(cls) == override
    assert allow_list.allows(cls) is (override is None)


def test_the_mixin_first_does_not_hide_what_is_below_it():
    """drf_eager wraps a plain nested serializer in a class with the mixin first: the
    mixin's own to_representation() comes first in the MRO, the user's is still seen."""
    wrapped = _eager_class(PlainEnveloped)
    assert wrapped.__mro__[1] is EagerFieldsSerializerMixin
    assert not COLUMNS_SERIALIZER.allows(wrapped)
    assert not FAST_SERIALIZER.allows(wrapped)


def test_requires_collected_from_every_overriding_class():
    assert declared_requires(Declared.get_attribute) == ("name", "publisher.name")
    assert hook_requires(serializers.CharField, COLUMNS_FIELD) is None
    assert hook_requires(Shouting, COLUMNS_FIELD) is None
    assert hook_requires(Declared, COLUMNS_FIELD) == ("name", "publisher.name")
    # In MRO order, each path once.
    assert hook_requires(DeclaredBelow, COLUMNS_FIELD) == ("name", "email", "publisher.name")
    # A hook the allow-list does not look at declares nothing for it.
    assert hook_requires(DeclaredBelow, COLUMNS_VALUE) == ("name", "publisher.name")


def test_requires_on_properties_and_cached_properties():
    class Model:
        @property
        @requires("first_name", "last_name")
        def full_name(self):
            return ""

        @cached_property
        @requires("orders")
        def order_count(self):
            return 0

    assert declared_requires(Model.__dict__["full_name"]) == ("first_name", "last_name")
    assert declared_requires(Model.__dict__["order_count"]) == ("orders",)
    assert declared_requires(Model.__dict__.get("nothing")) is None


class PageSize(pagination.PageNumberPagination):
    page_size = 3

    def get_page_size(self, request):  # reads the request: allowed
        return 3


class OwnResponse(pagination.PageNumberPagination):
    def get_paginated_response(self, data):
        return super().get_paginated_response(data)


class Static(pagination.LimitOffsetPagination):
    @staticmethod
    def helper():
        return None


class Charset(renderers.JSONRenderer):
    charset = "utf-8"


class Envelope(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render({"data": data}, accepted_media_type, renderer_context)


class FastEnvelope(ORJSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render({"data": data}, accepted_media_type, renderer_context)


def test_what_the_fast_paths_output_may_be_handed_to():
    """Settings only: a method other than the request-reading ones refuses the class."""
    assert FAST_PAGINATOR.override(PageSize) is None
    assert FAST_PAGINATOR.override(OwnResponse) == ("get_paginated_response() (in OwnResponse)")
    assert FAST_PAGINATOR.override(Static) == "helper() (in Static)"
    assert is_stock_paginator(pagination.LimitOffsetPagination())
    assert is_stock_paginator(PageSize())
    assert not is_stock_paginator(OwnResponse())
    assert not is_stock_paginator(Static())
    assert not is_stock_paginator(object())

    assert FAST_RENDERER.override(Charset) is None
    assert FAST_RENDERER.override(Envelope) == "render() (in Envelope)"
    assert is_stock_renderer(Charset())
    assert is_stock_renderer(ORJSONRenderer())
    assert not is_stock_renderer(Envelope())
    assert not is_stock_renderer(FastEnvelope())


def test_is_generated():
    """The system checks skip the classes drf_eager makes, not the user's."""
    assert is_generated(_eager_class(Plain))
    assert not is_generated(Plain)
    assert not is_generated(AuthorSerializer)
    assert not is_generated(EagerFieldsModelSerializer)
