"""OpenAPI: drf-spectacular documents `extra`, `fields` and `exclude` on GET operations,
with every path they accept, and the extras as optional properties of the response
schema; DRF's own schema generator works on the same views.

Schemas are generated for tests/urls and validated against the OpenAPI specification; the
example project's schema is tested by example/shop/tests/test_openapi.py."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import include
from django.urls import path as route
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiViewExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.validation import validate_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from drf_eager import EagerFieldsViewMixin
from drf_eager.contrib.spectacular import (
    EagerSerializerExtension,
    EagerViewExtension,
    allowed_paths,
)
from drf_eager.parsing import WILDCARD
from drf_eager.schema import SerializerSchema, get_schema
from drf_eager.shape import ShapeError, build_request, resolve
from tests import models, secure, serializers

SPECTACULAR = {
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
PARTS = ("extra", "fields", "exclude")
WRITES = ("post", "put", "patch", "delete")


def generate(
    urlconf: str | None = None,
    patterns: Any = None,
    spectacular: dict[str, Any] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """Generate the schema with drf-spectacular, check it is valid OpenAPI and that
    drf_eager caused no warning."""
    with override_settings(REST_FRAMEWORK=SPECTACULAR, **settings), patched_settings(spectacular):
        generator = SchemaGenerator(urlconf=urlconf, patterns=patterns)
        schema = generator.get_schema(request=None, public=True)
        messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    validate_schema(schema)
    assert [message for message in messages if "drf_eager:" in message] == []
    return schema


@pytest.fixture(scope="module")
def library_schema() -> dict[str, Any]:
    return generate("tests.urls")


def parameters(schema: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    operation = schema["paths"][path][method]
    return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}


def enum(parameter: dict[str, Any]) -> list[str]:
    assert parameter["schema"]["type"] == "array"
    return parameter["schema"]["items"]["enum"]  # type: ignore[no-any-return]


# Parameters ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/books/", "/books/{id}/"])
def test_list_and_retrieve_take_the_three_parameters(library_schema, path):
    found = parameters(library_schema, path)
    schema = get_schema(serializers.BookSerializer)
    for part in PARTS:
        parameter = found[part]
        assert parameter["in"] == "query"
        assert "required" not in parameter
        assert parameter["style"] == "form"
        assert parameter["explode"] is False
        assert enum(parameter) == list(allowed_paths(schema, part, 3))


def test_write_operations_do_not(library_schema):
    for path, methods in (("/books/", ("post",)), ("/books/{id}/", ("put", "patch", "delete"))):
        for method in methods:
            assert not set(parameters(library_schema, path, method)) & set(PARTS), (path, method)


def test_the_allowed_values_reach_the_depth_limit(library_schema):
    found = parameters(library_schema, "/books/")
    extra, fields, exclude = (enum(found[part]) for part in PARTS)
    assert extra[:6] == [
        "author",
        "author.email",
        "author.display_name",
        "author.publisher",
        "author.publisher.authors",
        "author.publisher.authors.email",
    ]
    # `authors` is the third nested serializer: allowed, but not one below it.
    assert "author.publisher.authors.publisher" not in extra
    assert fields[:6] == ["*", "id", "title", "isbn", "price", "author"]
    assert {"author.*", "author.publisher.authors.*", "author.publisher.authors.name"} <= set(
        fields
    )
    assert "author.publisher.authors.books" not in fields
    assert WILDCARD not in exclude
    assert {"author.publisher.authors", "author.publisher.authors.books"} <= set(exclude)
    assert len(extra) == len(set(extra)) == 145
    assert len(fields) == len(set(fields)) == 375


def test_descriptions_and_examples(library_schema):
    found = parameters(library_schema, "/books/")
    assert found["extra"]["description"] == (
        "Opt-in fields to add to the response, as comma-separated paths: dotted "
        "(`tags,author.email`) or grouped (`tags,author(email)`). An extra of a nested "
        "serializer is reached through its parents. Paths reach at most 3 nested serializers."
    )
    assert found["extra"]["examples"] == {
        "Extra": {
            "value": ["tags", "author.email"],
            "summary": "Extras, at the top level and of a nested serializer",
        }
    }
    assert found["fields"]["description"].startswith(
        "Serve only these fields, at each level a path names: `id,title,author.id`, or "
        "grouped `id,title,author(id)`. `*` stands for every default field of its level; "
        "naming an extra requests it."
    )
    assert found["fields"]["examples"]["Fields"]["value"] == ["id", "title", "author.id"]
    assert found["exclude"]["description"] == (
        "Leave out these fields, at any level: `price,author.id`. Applies after `extra`, and "
        "wins over `fields`."
    )
    assert found["exclude"]["examples"]["Exclude"]["value"] == ["price", "author.id"]


def test_view_defaults_are_the_parameter_defaults(library_schema):
    found = parameters(library_schema, "/book-defaults/")
    assert found["extra"]["schema"]["default"] == ["author.publisher", "tags"]
    assert found["extra"]["description"].endswith(" Default: `author.publisher,tags`.")
    assert found["fields"]["schema"]["default"] == [
        "title",
        "author.name",
        "author.publisher.name",
        "tags.name",
    ]
    assert "default" not in found["exclude"]["schema"]
    assert "default" not in parameters(library_schema, "/books/")["extra"]["schema"]


def test_a_view_depth_limit(library_schema):
    # LimitedBookViewSet allows one nested level.
    found = parameters(library_schema, "/secure/books/")
    assert enum(found["extra"]) == list(
        allowed_paths(get_schema(serializers.BookSerializer), "extra", 1)
    )
    assert max(path.count(".") for path in enum(found["extra"])) == 1
    assert "author.publisher" not in enum(found["extra"])
    assert "Paths reach at most 1 nested serializer." in found["fields"]["description"]


def test_guarded_extras_are_named(library_schema):
    description = parameters(library_schema, "/secure/authors/")["extra"]["description"]
    assert description.endswith(
        " Some extras need a permission (403 otherwise): `email`, `books`."
    )
    assert "permission" not in parameters(library_schema, "/books/")["extra"]["description"]


def test_parameter_names_and_depth_come_from_the_settings():
    settings = {"STRICT": True, "EXTRA_PARAM": "expand", "FIELDS_PARAM": "only", "MAX_DEPTH": 1}
    schema = generate("tests.urls", DRF_EAGER=settings)
    found = parameters(schema, "/authors/")
    assert {"expand", "only", "exclude"} <= set(found)
    assert not {"extra", "fields"} & set(found)
    assert enum(found["expand"]) == list(
        allowed_paths(get_schema(serializers.AuthorSerializer), "extra", 1)
    )
    assert {"books", "books.tag_ids", "books.label"} <= set(enum(found["expand"]))
    assert "books.author" not in enum(found["expand"])


# Every allowed value is accepted, and every accepted value is allowed ------------------


def candidates(schema: SerializerSchema, levels: int, prefix: str = "") -> Iterator[str]:
    """Every dotted path through `levels` nested serializers, and one level more."""
    names = (*schema.default_fields, *schema.extra_fields, WILDCARD)
    for name in dict.fromkeys(names):
        yield prefix + name
        child = schema.nested(name) if name != WILDCARD else None
        if child is not None and levels >= 0:
            yield from candidates(child, levels - 1, f"{prefix}{name}.")


def accepted(schema: SerializerSchema, part: str, path: str, max_depth: int) -> bool:
    try:
        resolve(build_request(**{part: path}), schema, max_depth=max_depth)
    except ShapeError:
        return False
    return True


def ends_in_an_extra(schema: SerializerSchema, path: str) -> bool:
    level: SerializerSchema | None = schema
    *parents, last = path.split(".")
    for name in parents:
        level = level.nested(name) if level is not None else None
    return level is not None and last in level.extras


@pytest.mark.parametrize("max_depth", [1, 2, 3])
@pytest.mark.parametrize(
    "serializer_class",
    [
        serializers.BookSerializer,
        serializers.BookDetailSerializer,
        serializers.CategorySerializer,
        serializers.PassportSerializer,
        serializers.PlainBookSerializer,
    ],
    ids=lambda cls: cls.__name__,
)
def test_the_allowed_values_are_exactly_what_the_request_check_accepts(
    serializer_class, max_depth
):
    schema = get_schema(serializer_class)
    paths = list(candidates(schema, max_depth))
    for part in PARTS:
        allowed = allowed_paths(schema, part, max_depth)
        expected = [path for path in paths if accepted(schema, part, path, max_depth)]
        if part == "extra":  # a path ending in a default nested field adds nothing
            expected = [path for path in expected if ends_in_an_extra(schema, path)]
        if part == "exclude":  # exclude has no depth limit: listed as deep as the others
            expected = [path for path in expected if path.count(".") <= max_depth]
        assert sorted(allowed) == sorted(expected), part
        assert len(allowed) == len(set(allowed))


def test_without_a_depth_limit_paths_stop_at_a_cycle():
    schema = get_schema(serializers.CategorySerializer)
    assert allowed_paths(schema, "extra", None) == ("parent", "children")
    assert allowed_paths(schema, "fields", None) == ("*", "id", "name", "parent", "children")
    with pytest.raises(ValueError, match="Unknown part 'only'"):
        allowed_paths(schema, "only", 3)


# Response schema -----------------------------------------------------------------


def test_extras_are_optional_read_only_properties(library_schema):
    components = library_schema["components"]["schemas"]
    author = components["Author"]
    assert author["required"] == ["id", "name"]
    assert author["properties"] == {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string", "maxLength": 100},
        "email": {"type": "string", "readOnly": True},
        "display_name": {"type": "string", "readOnly": True},
        "publisher": {"allOf": [{"$ref": "#/components/schemas/Publisher"}], "readOnly": True},
        "profile": {"allOf": [{"$ref": "#/components/schemas/AuthorProfile"}], "readOnly": True},
        "books": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Book"},
            "readOnly": True,
        },
        "restaurants": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Restaurant"},
            "readOnly": True,
        },
        "passport": {"allOf": [{"$ref": "#/components/schemas/Passport"}], "readOnly": True},
        "initials": {"type": "string", "readOnly": True},
        "awards": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Award"},
            "readOnly": True,
        },
    }
    # The nested serializers are components with their own extras.
    assert components["Publisher"]["properties"]["authors"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Author"},
        "readOnly": True,
    }
    assert components["Stamp"]["properties"] == {"country": {"type": "string", "maxLength": 50}}
    assert components["Passport"]["required"] == ["number"]


@pytest.mark.parametrize(
    ("component", "serializer_class"),
    [
        ("Book", serializers.BookSerializer),
        ("Tag", serializers.TagSerializer),
        ("Category", serializers.CategorySerializer),
        ("Review", serializers.ReviewSerializer),
        ("GuardedAuthor", secure.GuardedAuthorSerializer),
    ],
)
def test_every_extra_of_every_component(library_schema, component, serializer_class):
    mapped = library_schema["components"]["schemas"][component]
    schema = get_schema(serializer_class)
    assert list(mapped["properties"]) == [*schema.default_fields, *schema.extra_fields]
    assert not set(mapped["required"]) & set(schema.extra_fields)
    for name in schema.extra_fields:
        assert mapped["properties"][name]["readOnly"] is True


def test_a_split_request_component_has_no_extras():
    schema = generate("tests.urls", spectacular={"COMPONENT_SPLIT_REQUEST": True})
    components = schema["components"]["schemas"]
    assert list(components["BookRequest"]["properties"]) == ["title", "isbn", "price"]
    assert "author" in components["Book"]["properties"]
    assert "author" not in components["Book"]["required"]


def test_descriptions_are_not_drf_eagers_docstrings(library_schema):
    components = library_schema["components"]["schemas"]
    assert "description" not in components["Book"]
    assert components["BookDetail"]["description"] == (
        "Ordinary nested serializers, declared as fields, are shaped too."
    )
    assert "description" not in library_schema["paths"]["/books/"]["get"]
    assert library_schema["paths"]["/book-defaults/"]["get"]["description"] == (
        "View defaults, as drf-eager-fields had them."
    )


# Views that document themselves too ----------------------------------------------


def annotated_viewset() -> type:
    """A view documented by hand as well. @extend_schema builds on DEFAULT_SCHEMA_CLASS
    when it decorates, so the class is made with drf-spectacular's in the settings."""

    class TaggedSchema(AutoSchema):  # type: ignore[misc]
        def get_tags(self) -> list[str]:
            return ["library"]

    @extend_schema_view(retrieve=extend_schema(summary="One book"))
    class AnnotatedBookViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):  # type: ignore[misc]
        """Books, documented by hand as well."""

        queryset = models.Book.objects.all()
        serializer_class = serializers.BookSerializer
        schema = TaggedSchema()

        @extend_schema(
            summary="The books",
            parameters=[OpenApiParameter("exclude", str, description="Hand-written.")],
        )
        def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
            return super().list(request, *args, **kwargs)

        @extend_schema(summary="The newest books")
        @action(detail=False)
        def newest(self, request: Any) -> Response:
            queryset = self.filter_queryset(self.get_queryset()).order_by("-id")[:5]
            return Response(self.get_serializer(queryset, many=True).data)

        @action(detail=True, methods=["post"])
        def archive(self, request: Any, pk: Any = None) -> Response:
            return Response(self.get_serializer(self.get_object()).data)

    return AnnotatedBookViewSet


def test_views_with_their_own_schema_annotations():
    router = SimpleRouter()
    with override_settings(REST_FRAMEWORK=SPECTACULAR):
        router.register("books", annotated_viewset(), basename="annotated-book")
    schema = generate(patterns=router.urls)
    paths = schema["paths"]
    # @extend_schema on the method: its summary, our parameters, and its own parameter
    # of the same name replaces ours.
    listed = paths["/books/"]["get"]
    assert listed["summary"] == "The books"
    assert listed["tags"] == ["library"]
    found = parameters(schema, "/books/")
    assert set(found) == {"extra", "fields", "exclude"}
    assert found["exclude"] == {
        "in": "query",
        "name": "exclude",
        "schema": {"type": "string"},
        "description": "Hand-written.",
    }
    # extend_schema_view on the class.
    assert paths["/books/{id}/"]["get"]["summary"] == "One book"
    assert paths["/books/{id}/"]["get"]["tags"] == ["library"]
    assert {"extra", "fields", "exclude"} <= set(parameters(schema, "/books/{id}/"))
    # A GET action is shaped like any other GET; a POST action is not documented so.
    assert paths["/books/newest/"]["get"]["summary"] == "The newest books"
    assert set(parameters(schema, "/books/newest/")) == {"extra", "fields", "exclude"}
    assert not set(parameters(schema, "/books/{id}/archive/", "post")) & set(PARTS)
    assert paths["/books/"]["get"]["description"] == "Books, documented by hand as well."


def test_the_extensions_rank_below_yours():
    assert EagerViewExtension.priority < 0
    assert EagerSerializerExtension.priority < 0
    assert EagerViewExtension in OpenApiViewExtension._registry
    assert EagerSerializerExtension in OpenApiSerializerExtension._registry


# DRF's own schema generator ------------------------------------------------------


def drf_schema(request: Any) -> dict[str, Any]:
    # Not tests.urls: django-filter 25 dropped DjangoFilterBackend's DRF schema support,
    # so DRF's generator fails on the integration views whatever their mixins.
    from rest_framework.schemas.openapi import SchemaGenerator as DRFSchemaGenerator

    from tests import urls, urls_library, views

    patterns = [
        route("secure/", include(urls.secure_router.urls)),
        route("eager-fields-style/", include("tests.eager_fields_style.urls")),
        route("", include(urls_library.router.urls)),
        route("book-defaults/", views.BookDefaultsView.as_view()),
    ]
    generator = DRFSchemaGenerator(patterns=patterns)
    with warnings.catch_warnings():
        # Duplicate operationIds, and components that differ between a GET (shaped by
        # the view's defaults) and a write: DRF's generator warns, and carries on.
        warnings.simplefilter("ignore", UserWarning)
        return generator.get_schema(request=request, public=request is None)  # type: ignore[no-any-return]


def test_drf_schema_generator_with_a_request():
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    schema = drf_schema(Request(APIRequestFactory().get("/openapi/")))
    response = schema["paths"]["/books/"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Book"},
    }
    assert "/eager-fields-style/customers/{id}/" in schema["paths"]
    assert "/secure/books/{id}/" in schema["paths"]
    assert "/book-defaults/" in schema["paths"]


def test_drf_schema_generator_without_a_request():
    schema = drf_schema(None)
    assert "/books/" in schema["paths"]


# Optional dependency -------------------------------------------------------------


def run(code: str) -> str:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=root
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_drf_eager_does_not_import_drf_spectacular():
    code = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings';"
        "sys.path[:0] = ['.', 'example'];"
        "import drf_eager.views, drf_eager.serializers, drf_eager.prefetch;"
        "print('drf_spectacular' in sys.modules);"
        "import django; django.setup();"
        "print('drf_eager.contrib.spectacular' in sys.modules)"
    )
    assert run(code).split() == ["False", "True"]


def test_without_drf_spectacular_the_app_still_loads():
    code = (
        "import sys; sys.modules['drf_spectacular'] = None;"
        "from django.conf import settings;"
        "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes',"
        " 'django.contrib.auth', 'rest_framework', 'drf_eager']);"
        "import django; django.setup();"
        "print(sorted(m for m in sys.modules if m.startswith('drf_eager.contrib')))"
    )
    assert run(code) == "[]"
