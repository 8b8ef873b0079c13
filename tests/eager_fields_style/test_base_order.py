"""Issue 12.1: the mixins work whether a class lists them before or after DRF's classes;
a layout no order of the bases can fix is an error when the class is created."""

from __future__ import annotations

import pytest
from rest_framework import generics, mixins, serializers, viewsets

from drf_eager.exceptions import DeclarationError
from drf_eager.serializers import EagerFieldsSerializerMixin
from drf_eager.views import EagerFieldsAPIView, EagerFieldsViewMixin
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
