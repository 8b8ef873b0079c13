"""Issue 12.1: the mixins work whether a class lists them before or after DRF's classes;
a layout no order of the bases can fix is an error when the class is created."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import generics, mixins, serializers, viewsets

from drf_eager.exceptions import DeclarationError
from drf_eager.schema import get_schema
from drf_eager.serializers import EagerFieldsModelSerializer, EagerFieldsSerializerMixin, prepare
from drf_eager.views import EagerFieldsAPIView, EagerFieldsViewMixin
from tests import serializers as library_serializers
from tests.eager_fields_style import models

#: Every method of the view mixin that a DRF class also defines.
VIEW_HOOKS = [
    "dispatch",
    "initial",
    "handle_exception",
    "get_object",
    "filter_queryset",
    "paginate_queryset",
    "get_serializer",
    "get_serializer_context",
    "perform_create",
    "perform_update",
]


@pytest.mark.parametrize(
    "bases",
    [
        (generics.ListCreateAPIView, EagerFieldsAPIView),
        (generics.RetrieveUpdateAPIView, EagerFieldsViewMixin),
        (viewsets.ModelViewSet, EagerFieldsViewMixin),
        (mixins.CreateModelMixin, mixins.UpdateModelMixin, EagerFieldsAPIView),
        (EagerFieldsViewMixin, generics.ListCreateAPIView),
    ],
    ids=lambda bases: ",".join(base.__name__ for base in bases),
)
def test_every_view_hook_is_the_mixins_in_any_order(bases):
    view = type("View", bases, {})
    for name in VIEW_HOOKS:
        assert getattr(view, name) is getattr(EagerFieldsViewMixin, name), name


class Countries(serializers.ModelSerializer, EagerFieldsSerializerMixin):
    class Meta:
        model = models.Country
        fields = ["id", "name"]


def test_a_serializer_subclass_keeps_the_order():
    class Named(Countries):
        def get_fields(self):
            return super().get_fields()

    assert Named.__mro__[1:3] == (Countries, EagerFieldsSerializerMixin)
    data = Named(models.Country(id=1, name="USA"), context={"fields": "name"}).data
    assert data == {"name": "USA"}


def test_a_user_base_before_the_mixin_is_kept_before_drf():
    """The user's own serializer base with a get_fields() of its own still answers,
    below the mixin, as with the mixin listed first."""

    class Renaming(serializers.ModelSerializer):
        def get_fields(self):
            fields = super().get_fields()
            fields["label"] = fields.pop("name")
            fields["label"].source = "name"
            return fields

    class Labelled(Renaming, EagerFieldsSerializerMixin):
        class Meta:
            model = models.Country
            fields = ["id", "name"]

    assert Labelled.__bases__ == (EagerFieldsSerializerMixin, Renaming)
    data = Labelled(models.Country(id=1, name="USA"), context={"fields": "label"}).data
    assert data == {"label": "USA"}


def test_a_layout_no_order_can_fix_is_an_error_at_class_creation():
    """Issue 12.1: never silently wrong output."""

    class Plain:
        pass

    class Brings(Plain, EagerFieldsSerializerMixin):
        pass

    class Base(serializers.ModelSerializer, Plain):
        pass

    with pytest.raises(DeclarationError) as caught:

        class Broken(Base, Brings):
            pass

    assert caught.value.id == "drf_eager.E030"
    assert str(caught.value).startswith(
        "test_a_layout_no_order_can_fix_is_an_error_at_class_creation.<locals>.Broken has "
        "EagerFieldsSerializerMixin after ModelSerializer, Serializer, BaseSerializer, Field "
        "in its MRO, and no order of its bases puts it first"
    )
    assert caught.value.hint == (
        "List EagerFieldsSerializerMixin (or the class of yours that brings it) first: "
        "class Broken(EagerFieldsSerializerMixin, ...)."
    )


def test_a_layout_already_mixin_first_but_still_shadowed_is_an_error():
    class Plain:
        pass

    class Brings(Plain, EagerFieldsSerializerMixin):
        pass

    class Base(serializers.ModelSerializer, Plain):
        pass

    with pytest.raises(DeclarationError, match="no order of its bases puts it first"):

        class Broken(Brings, Base):
            pass


def test_bases_python_refuses_to_reassign_are_an_error():
    """A metaclass (or a layout) that refuses the reordering: E030 with Python's reason."""

    class Frozen(serializers.SerializerMetaclass):
        def __setattr__(cls, name, value):
            if name == "__bases__":
                raise TypeError("bases are frozen")
            super().__setattr__(name, value)

    with pytest.raises(DeclarationError, match=r"puts it first \(bases are frozen\)"):

        class Broken(serializers.ModelSerializer, EagerFieldsSerializerMixin, metaclass=Frozen):
            pass


def _mixin_after(cls):
    """`cls` (declared as `EagerFieldsModelSerializer` subclass) declared the way
    drf-eager-fields' example does: `ModelSerializer` first, the mixin after it."""
    skip = {"__dict__", "__weakref__", "_declared_fields"}
    attrs = {k: v for k, v in vars(cls).items() if k not in skip and "schema" not in k}
    attrs.update(cls._declared_fields)
    return type(cls.__name__, (serializers.ModelSerializer, EagerFieldsSerializerMixin), attrs)


LIBRARY = [
    cls
    for cls in vars(library_serializers).values()
    if isinstance(cls, type)
    and issubclass(cls, EagerFieldsModelSerializer)
    and cls.__module__ == library_serializers.__name__
]


@pytest.mark.parametrize("serializer_class", LIBRARY, ids=lambda cls: cls.__name__)
def test_every_library_serializer_shapes_the_same_declared_mixin_after(
    small_library, serializer_class
):
    """Issue 12.1: each serializer of the library's tests, declared mixin after, serves
    its default shape and each of its extras as the mixin-first one does, with the same
    queries."""
    after = _mixin_after(serializer_class)
    schema = get_schema(serializer_class)
    queryset = schema.model._default_manager.order_by("pk")
    for extra in [None, *schema.extra_fields]:
        served = []
        for cls in (serializer_class, after):
            planned, context = prepare(cls, queryset, extra=extra)
            with CaptureQueriesContext(connection) as queries:
                data = cls(planned, many=True, context=context).data
            served.append((json.dumps(data, default=str), len(queries)))
        assert served[0] == served[1], extra
