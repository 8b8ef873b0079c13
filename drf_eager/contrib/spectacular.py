"""drf-spectacular support: the `extra`, `fields` and `exclude` query parameters on every
GET operation of an EagerFieldsViewMixin view, with the paths they accept, and the
extras of each serializer in its response schema, as optional read-only properties.

drf_eager's app config imports this module when drf-spectacular is installed; nothing
else in drf_eager imports drf-spectacular. Both extensions find their targets by dotted
name and have a priority below the default, so an extension of your own for a view or a
serializer replaces them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from drf_spectacular.drainage import has_override, warn
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiViewExtension
from drf_spectacular.plumbing import get_class, get_doc, safe_ref
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter

from ..parsing import WILDCARD, Tree
from ..schema import SerializerSchema, get_schema
from ..settings import eager_settings
from ..shape import ShapeError, build_request
from ..validation import HOOK_ERRORS

__all__ = [
    "EagerSchemaMixin",
    "EagerSerializerExtension",
    "EagerViewExtension",
    "allowed_paths",
    "eager_parameters",
]

PARTS = ("extra", "fields", "exclude")


# Allowed values --------------------------------------------------------------------


def allowed_paths(schema: SerializerSchema, part: str, max_depth: int | None) -> tuple[str, ...]:
    """Return every dotted path the parameter `part` (`extra`, `fields` or `exclude`)
    accepts for the serializer of `schema`, in declaration order, depth first.

    A path names at most `max_depth` nested serializers, as the request check counts
    them. With no limit (None), a path stops where it would enter a serializer class
    it already went through. `extra` lists the paths ending in an extra, `fields` has
    the wildcard `*` at each level, and `exclude` lists every field.
    """
    if part not in PARTS:
        raise ValueError(f"Unknown part {part!r}; choose from {', '.join(PARTS)}.")
    return _allowed_paths(schema, part, max_depth)


@cache
def _allowed_paths(schema: SerializerSchema, part: str, max_depth: int | None) -> tuple[str, ...]:
    return tuple(_walk(schema, part, max_depth, 0, "", frozenset({schema})))


def _walk(
    schema: SerializerSchema,
    part: str,
    max_depth: int | None,
    depth: int,
    prefix: str,
    seen: frozenset[SerializerSchema],
) -> Iterator[str]:
    if part == "fields":
        yield prefix + WILDCARD
    names = (*schema.default_fields, *(n for n in schema.extra_fields if n not in schema.defaults))
    for name in names:
        child = schema.nested(name)
        is_extra = name in schema.extras
        path = prefix + name
        # Requesting a nested serializer (as an extra, or with names below it) counts
        # towards the depth limit; naming a default nested field alone does not.
        deep_enough = max_depth is None or depth + 1 <= max_depth
        if part == "extra":
            if is_extra and (child is None or deep_enough):
                yield path
        elif part == "fields":
            if child is None or not is_extra or deep_enough:
                yield path
        else:
            yield path
        if child is not None and deep_enough and (max_depth is not None or child not in seen):
            yield from _walk(child, part, max_depth, depth + 1, path + ".", seen | {child})


def _leaf_paths(tree: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for name, below in tree.items():
        if below:
            yield from _leaf_paths(below, f"{prefix}{name}.")
        else:
            yield prefix + name


# Parameters ------------------------------------------------------------------------

_DESCRIPTIONS = {
    "extra": (
        "Opt-in fields to add to the response, as comma-separated paths: dotted "
        "(`{nested}`) or grouped (`{grouped}`). An extra of a nested serializer is reached "
        "through its parents."
    ),
    "fields": (
        "Serve only these fields, at each level a path names: `{nested}`, or grouped "
        "`{grouped}`. `*` stands for every default field of its level; naming an extra "
        "requests it. A GET request may send the whole shape as a JSON body instead: "
        '`{{"fields": {{"name": null}}}}`.'
    ),
    "exclude": (
        "Leave out these fields, at any level: `{nested}`. Applies after `extra`, and wins "
        "over `fields`."
    ),
}


def eager_parameters(view: Any, method: str) -> list[OpenApiParameter]:
    """Return the OpenAPI parameters `extra`, `fields` and `exclude` of one operation.

    Only GET operations of an EagerFieldsViewMixin view whose serializer has
    EagerFieldsSerializerMixin take them; the names come from the view's
    get_query_params_names() and the depth limit from its MAX_DEPTH.
    """
    from ..serializers import EagerFieldsSerializerMixin
    from ..views import EagerFieldsViewMixin

    if method.upper() != "GET" or not isinstance(view, EagerFieldsViewMixin):
        return []
    try:
        serializer_class = view.get_serializer_class()  # type: ignore[attr-defined]
    except HOOK_ERRORS as exc:
        # The view's own code, run for a request drf-spectacular makes up (no user, no
        # URL kwargs): a warning, as drf-spectacular warns of its own such failures.
        # Anything else is a bug in the view, which generating the schema shows.
        warn(f"drf_eager: {type(view).__name__}.get_serializer_class() raised {exc!r}.")
        return []
    if not (
        isinstance(serializer_class, type)
        and issubclass(serializer_class, EagerFieldsSerializerMixin)
    ):
        return []
    schema = get_schema(serializer_class)
    names = view.get_query_params_names()
    limit = getattr(view, "get_eager_limit", None)
    max_depth = limit("MAX_DEPTH") if callable(limit) else eager_settings.MAX_DEPTH
    defaults = _view_defaults(view)
    parameters = []
    for part in PARTS:
        values = allowed_paths(schema, part, max_depth)
        if not values:
            continue
        example = _example(schema, part, values)
        description = _DESCRIPTIONS[part].format(
            nested=",".join(example), grouped=_grouped(example)
        )
        if part != "exclude" and max_depth is not None:
            description += (
                f" Paths reach at most {max_depth} nested "
                f"serializer{'s' if max_depth != 1 else ''}."
            )
        if part == "extra":
            guarded = _guarded_paths(schema, values)
            if guarded:
                description += (
                    " Some extras need a permission (403 otherwise): "
                    + ", ".join(f"`{path}`" for path in guarded)
                    + "."
                )
        default = defaults.get(part)
        if default:
            description += f" Default: `{','.join(default)}`."
        parameters.append(
            OpenApiParameter(
                names[part],
                type={"type": "array", "items": {"type": "string", "enum": list(values)}},
                location=OpenApiParameter.QUERY,
                description=description,
                style="form",
                explode=False,
                default=default or None,
                examples=[
                    OpenApiExample(
                        part,
                        value=example,
                        summary=_EXAMPLE_SUMMARIES[part] if "." in example[-1] else "",
                    )
                ],
            )
        )
    return parameters


def _view_defaults(view: Any) -> dict[str, list[str]]:
    # The view's serializer_extra/fields/exclude, as flat lists of dotted paths.
    getters = {
        "extra": view.get_serializer_extra,
        "fields": view.get_serializer_fields,
        "exclude": view.get_serializer_exclude,
    }
    defaults = {}
    for part, getter in getters.items():
        try:
            request = build_request(**{part: getter()})
        except ShapeError:  # a broken default is reported when the view answers
            continue
        tree: Tree | None = getattr(request, part)
        if tree:
            defaults[part] = list(_leaf_paths(tree))
    return defaults


def _example(schema: SerializerSchema, part: str, values: tuple[str, ...]) -> list[str]:
    """A short value that shows a plain name and a nested path."""
    nested = [value for value in values if "." in value and not value.endswith(WILDCARD)]
    root = nested[0].split(".", 1)[0] if nested else None
    plain = [value for value in values if "." not in value and value not in (WILDCARD, root)]
    if part == "fields":
        plain = [name for name in plain if name in schema.defaults][:2]
    elif part == "exclude":
        plain = [name for name in plain if name in schema.defaults][-1:]
    example = [*plain[:1], *nested[:1]] if part != "fields" else [*plain, *nested[:1]]
    return example or list(values[:1])


_EXAMPLE_SUMMARIES = {
    "extra": "Extras, at the top level and of a nested serializer",
    "fields": "Fields, and a field of a nested serializer",
    "exclude": "Fields, at the top level and of a nested serializer",
}


def _grouped(paths: list[str]) -> str:
    """`a,b.c,b.d` in the partial-response syntax: `a,b(c,d)`."""
    from ..parsing import format_tree, merge_trees, parse

    return format_tree(merge_trees(*(parse(path) for path in paths)))


def _guarded_paths(schema: SerializerSchema, values: tuple[str, ...]) -> list[str]:
    guarded = []
    for value in values:
        level: SerializerSchema | None = schema
        *parents, last = value.split(".")
        for name in parents:
            level = level.nested(name) if level is not None else None
        spec = level.extras.get(last) if level is not None else None
        if spec is not None and spec.permissions:
            guarded.append(value)
    return guarded


# Extensions ------------------------------------------------------------------------


def _library_docs() -> set[str]:
    # drf-spectacular describes a class by the first docstring in its MRO: without
    # this, every view and serializer with no docstring of its own would be described
    # by the docstring of drf_eager's base class.
    from ..serializers import (
        EagerFieldsModelSerializer,
        EagerFieldsSerializer,
        EagerFieldsSerializerMixin,
    )
    from ..views import EagerFieldsAPIView, EagerFieldsViewMixin

    classes = (
        EagerFieldsAPIView,
        EagerFieldsViewMixin,
        EagerFieldsModelSerializer,
        EagerFieldsSerializer,
        EagerFieldsSerializerMixin,
    )
    return {get_doc(cls) for cls in classes} - {""}


class EagerSchemaMixin:
    """Adds the eager parameters to an AutoSchema's override parameters.

    Yours (from @extend_schema) come after them, so a parameter of the same name
    replaces ours.
    """

    view: Any
    method: str

    def get_override_parameters(self) -> list[Any]:
        parameters = super().get_override_parameters()  # type: ignore[misc]
        return [*eager_parameters(self.view, self.method), *parameters]

    def get_description(self) -> str:
        description: str = super().get_description()  # type: ignore[misc]
        return "" if description in _library_docs() else description


@cache
def _eager_schema_class(base: type) -> type:
    if issubclass(base, EagerSchemaMixin):
        return base
    return type(f"Eager{base.__name__}", (EagerSchemaMixin, base), {"__module__": __name__})


def _with_schema(method: Any, schema_class: type) -> Any:
    # A copy of a view method whose @extend_schema schema has the eager parameters.
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        return method(self, *args, **kwargs)

    wrapped.__dict__.update(method.__dict__)
    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(wrapped, attribute, getattr(method, attribute))
    wrapped.kwargs = {**method.kwargs, "schema": schema_class}  # type: ignore[attr-defined]
    return wrapped


class EagerViewExtension(OpenApiViewExtension):  # type: ignore[no-untyped-call]
    """Gives each EagerFieldsViewMixin view a schema class with the eager parameters,
    for the view and for each of its methods that has an @extend_schema of its own."""

    target_class = "drf_eager.views.EagerFieldsViewMixin"
    match_subclasses = True
    priority = -1

    def view_replacement(self) -> type:
        view_class: type = self.target
        attributes: dict[str, Any] = {
            "__module__": view_class.__module__,
            "__qualname__": view_class.__qualname__,
            "__doc__": view_class.__doc__,
            "schema": _eager_schema_class(get_class(view_class.schema))(),  # type: ignore[attr-defined]
        }
        actions = getattr(self.target_callback, "actions", None)
        names = set(actions.values()) if actions else set(view_class.http_method_names)  # type: ignore[attr-defined]
        for name in sorted(names):
            method = getattr(view_class, name, None)
            schema = getattr(method, "kwargs", {}).get("schema")
            if schema is not None:
                attributes[name] = _with_schema(method, _eager_schema_class(get_class(schema)))
        return type(view_class.__name__, (view_class,), attributes)


class EagerSerializerExtension(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """Maps an EagerFieldsSerializerMixin serializer as drf-spectacular does, then adds
    its extras as read-only properties that are not required, each with its own schema
    (a nested serializer becomes a component, with its own extras)."""

    target_class = "drf_eager.serializers.EagerFieldsSerializerMixin"
    match_subclasses = True
    priority = -1

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        serializer = self.target
        mapped: dict[str, Any] = auto_schema._map_basic_serializer(serializer, direction)
        if not has_override(serializer, "description") and (
            mapped.get("description") in _library_docs()
        ):
            del mapped["description"]
        if direction == "request" and spectacular_settings.COMPONENT_SPLIT_REQUEST:
            return mapped  # extras are never read from a request
        schema = get_schema(type(serializer))
        properties = mapped.setdefault("properties", {})
        for name in schema.extra_fields:
            if name in schema.defaults or name in properties:
                continue
            field = schema.new_extra_field(name)
            field.bind(field_name=name, parent=serializer)
            field.read_only = True
            field_schema = auto_schema._map_serializer_field(field, direction)
            if field_schema is None:
                continue
            auto_schema._insert_field_validators(field, field_schema)
            properties[name] = safe_ref(field_schema)
        return mapped
