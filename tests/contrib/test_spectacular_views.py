"""drf-spectacular support on views the schema generator meets in real projects: a
serializer class that depends on the request, a serializer without the mixin or
without extras, broken view defaults, and views that bring a schema class of their own."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.openapi import AutoSchema
from rest_framework import generics, serializers
from rest_framework.test import APIRequestFactory

from drf_eager import EagerFieldsModelSerializer, EagerFieldsViewMixin
from drf_eager.contrib import spectacular
from drf_eager.contrib.spectacular import (
    EagerSchemaMixin,
    EagerViewExtension,
    _eager_schema_class,
    eager_parameters,
)
from tests import models
from tests.serializers import BookSerializer


class TagOnlySerializer(EagerFieldsModelSerializer):
    """No extras: `extra` accepts nothing, so it is not a parameter."""

    class Meta:
        model = models.Tag
        fields = ["id", "name"]


class PlainTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Tag
        fields = ["id", "name"]


def view_of(serializer_class: Any = BookSerializer, **attributes: Any) -> Any:
    view_class = type(
        "SchemaView",
        (EagerFieldsViewMixin, generics.ListAPIView),
        {"queryset": models.Tag.objects.all(), "serializer_class": serializer_class, **attributes},
    )
    return view_class()


def names(parameters: list[Any]) -> list[str]:
    return [parameter.name for parameter in parameters]


def test_only_get_operations_of_views_with_the_mixin_take_the_parameters():
    assert names(eager_parameters(view_of(), "get")) == ["extra", "fields", "exclude"]
    assert eager_parameters(view_of(), "POST") == []
    assert eager_parameters(generics.ListAPIView(), "GET") == []


def test_a_serializer_without_the_mixin_takes_none():
    assert eager_parameters(view_of(PlainTagSerializer), "GET") == []


def test_a_serializer_without_extras_takes_no_extra_parameter():
    assert names(eager_parameters(view_of(TagOnlySerializer), "GET")) == ["fields", "exclude"]


def test_a_serializer_class_that_needs_a_request_is_a_warning_not_a_failure(monkeypatch):
    warnings: list[str] = []
    monkeypatch.setattr(spectacular, "warn", warnings.append)

    def get_serializer_class(self: Any) -> type:
        return BookSerializer if self.request.user.is_staff else TagOnlySerializer

    view = view_of(get_serializer_class=get_serializer_class)
    assert eager_parameters(view, "GET") == []
    assert warnings == [
        "drf_eager: SchemaView.get_serializer_class() raised "
        "AttributeError(\"'SchemaView' object has no attribute 'request'\")."
    ]


def test_a_broken_view_default_is_left_out_of_the_defaults():
    view = view_of(serializer_extra="tags", serializer_fields="title,(")
    parameters = {parameter.name: parameter for parameter in eager_parameters(view, "GET")}
    assert parameters["extra"].default == ["tags"]
    assert parameters["fields"].default is None


def test_a_schema_class_that_already_has_the_mixin_is_kept():
    class OwnEagerSchema(EagerSchemaMixin, AutoSchema):
        pass

    assert _eager_schema_class(OwnEagerSchema) is OwnEagerSchema
    wrapped = _eager_schema_class(AutoSchema)
    assert issubclass(wrapped, EagerSchemaMixin) and issubclass(wrapped, AutoSchema)
    assert _eager_schema_class(AutoSchema) is wrapped


@pytest.mark.django_db
def test_the_replacement_of_a_view_serves_what_the_view_serves(small_library):
    from drf_spectacular.utils import extend_schema

    class AnnotatedTagView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Tag.objects.order_by("id")
        serializer_class = TagOnlySerializer
        schema = AutoSchema()

        @extend_schema(summary="Tags", description="All the tags.")
        def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            return super().get(request, *args, **kwargs)

    extension = EagerViewExtension(AnnotatedTagView.as_view())
    replacement = extension.view_replacement()
    assert replacement.get.__name__ == "get"
    assert replacement.get.__qualname__ == AnnotatedTagView.get.__qualname__
    own_schema = AnnotatedTagView.get.kwargs["schema"]
    assert replacement.get.kwargs["schema"] is _eager_schema_class(own_schema)
    request = APIRequestFactory().get("/?fields=name")
    response = replacement.as_view()(request)
    assert response.data == [{"name": "tag0"}, {"name": "tag1"}, {"name": "tag2"}]
