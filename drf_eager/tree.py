"""The resolved tree: a shape of a serializer class, resolved once.

Every consumer of a (serializer, Shape) pair needs the same facts about each field it
serves: its spec, what its source reads (the to-one relations walked through, the
attribute at the end, the `to_attr` of the user's Prefetch it reads instead), what kind
of relation that is, and how it is loaded. `resolve()` works them out once per
serializer schema, shape and model, and caches the tree:

    tree = resolve(get_schema(CustomerSerializer), shape)
    for node in tree.fields:
        node.path, node.kind, node.loading, node.serializer  # a nested SerializerNode

The queryset planner (prefetch.py) and the values planner (fast.py) are back ends of
this tree, as a compiler's back ends read one intermediate representation: what a
field reads and which loading it gets are decided here, so the two paths cannot
disagree on them. The model-level rules the tree is made of (following a source,
relation kinds, base querysets) are in sources.py.

The loading recorded is what the serializer declares and the shape implies. Two things
of the request are the planner's to add: the view's `eager_grouped` (a relation it
names is loaded grouped) and a to-one relation whose row Django already fills (a
one-to-one back to the row it came from is never loaded again).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import cast

from django.db import models
from django.db.models import Prefetch
from rest_framework import relations

from .computed import Computed
from .grouped import Grouped
from .schema import (
    COLUMN,
    GENERIC_FK,
    TO_MANY,
    TO_ONE,
    Attribute,
    FieldSpec,
    SerializerSchema,
)
from .shape import Shape
from .sources import KIND_UNKNOWN, Source, Step, back, follow, follow_path
from .stock import declared_requires

__all__ = [
    "LOAD_ANNOTATION",
    "LOAD_COLUMN",
    "LOAD_FK_COLUMN",
    "LOAD_FULL_ROW",
    "LOAD_GROUPED",
    "LOAD_JOIN",
    "LOAD_NONE",
    "LOAD_PREFETCH",
    "LOAD_REQUIRES",
    "LOAD_SAME_ROW",
    "FieldNode",
    "SerializerNode",
    "resolve",
    "resolve_at",
    "resolve_field",
]

# Kinds of a field beyond the relation kinds of sources.py.
COMPUTED = "computed"  # a computed field (CountOf, Exists, Computed): an annotation
SAME_ROW = "*"  # source="*": the serializer's own row

# How a field is loaded.
LOAD_COLUMN = "column"  # a column of the row, or of a row JOINed to it
LOAD_JOIN = "join"  # a to-one relation, JOINed (select_related(), values() columns)
LOAD_PREFETCH = "prefetch"  # a query of its own, filtered by the parent keys
LOAD_GROUPED = "grouped"  # JOINed to its parent's query (Grouped)
LOAD_FK_COLUMN = "fk_column"  # a to-one relation's value is its foreign key column
LOAD_ANNOTATION = "annotation"  # a computed field: an annotation of the level's query
LOAD_SAME_ROW = "same_row"  # source="*": what the field reads of its serializer's row
LOAD_REQUIRES = "requires"  # a property or method: what its @requires declares
LOAD_FULL_ROW = "full_row"  # code drf_eager does not know reads the row: every column
LOAD_NONE = "none"  # prefetch=False: loaded row by row, as without drf_eager


@dataclass(frozen=True, eq=False)
class FieldNode:
    """One field of a shape, resolved."""

    name: str
    path: str  # the dotted field path from the root serializer
    schema: SerializerSchema  # of the serializer the field is on
    spec: FieldSpec
    # The model of the rows the field's serializer is given (None: not known, as below
    # a field whose source is not a relation).
    model: type[models.Model] | None
    # The source followed from `model`; None for source="*" or without a model.
    source: Source | None
    # The attribute the field loads, on the model it is read from: the source's last,
    # or the relation of the user's Prefetch whose `to_attr` the source reads
    # (`source="top_rated"`); None where the source is "*" or stops on the way.
    step: Step | None
    # The ORM lookup of that attribute, relative to `model`.
    relative: str
    kind: str  # a relation kind of sources.py, COMPUTED or SAME_ROW
    # The nested serializer's fields, for a nested serializer in the shape.
    serializer: SerializerNode | None
    # The `requires` paths of the field, followed from `model`.
    requires: tuple[Source, ...] = ()

    @property
    def attribute(self) -> Attribute | None:
        return None if self.step is None else self.step.attribute

    @property
    def own(self) -> Prefetch[str] | None:
        """The user's Prefetch of the field's relation, if it gives a queryset."""
        own = self.spec.own_prefetch(self.relative) if self.step is not None else None
        return own if own is not None and own.queryset is not None else None

    @cached_property
    def loading(self) -> str:
        """How the field is loaded (LOAD_*): decided on first use, as it may call the
        field's own use_pk_only_optimization()."""
        return _loading(self)

    def walk(self) -> Iterator[FieldNode]:
        yield self
        if self.serializer is not None:
            yield from self.serializer.walk()


@dataclass(frozen=True, eq=False)
class SerializerNode:
    """The fields of one serializer in a shape, resolved."""

    schema: SerializerSchema
    shape: Shape
    model: type[models.Model] | None
    path: str
    fields: tuple[FieldNode, ...]
    # What the serializer's own hooks declared with @requires, followed from `model`.
    requires: tuple[Source, ...] = ()

    @cached_property
    def _by_name(self) -> dict[str, FieldNode]:
        return {node.name: node for node in self.fields}

    def field(self, name: str) -> FieldNode | None:
        return self._by_name.get(name)

    def walk(self) -> Iterator[FieldNode]:
        """Every field node, depth first."""
        for node in self.fields:
            yield from node.walk()

    @cached_property
    def computes(self) -> bool:
        """Whether the shape serves a computed field of this serializer's own rows: at
        its level, or through a one-to-one and back to the same row."""
        for node in self.fields:
            if node.kind == COMPUTED:
                return True
            child = node.serializer
            if child is None or node.model is None or self.schema.model is None:
                continue
            way_back = node.step and back(node.step.model, node.step.attribute)
            if not way_back:
                continue
            for back_node in child.fields:
                if (
                    back_node.spec.source == way_back
                    and back_node.serializer is not None
                    and back_node.serializer.computes
                ):
                    return True
        return False


def resolve(
    schema: SerializerSchema, shape: Shape, model: type[models.Model] | None = None
) -> SerializerNode:
    """Return the resolved tree of `shape` of the serializer `schema` describes, for
    rows of `model` (the serializer's Meta.model by default). Cached."""
    return resolve_at(schema, shape, model or schema.model, "")


def resolve_at(
    schema: SerializerSchema, shape: Shape, model: type[models.Model] | None, path: str
) -> SerializerNode:
    """resolve(), for a serializer nested at the field path `path`."""
    # Shape equality leaves out `open` (one output for a serializer whose fields are the
    # same for every request), but the planner reads it (a get_fields() of the user's
    # may add fields to an open level): the cache tells the two apart.
    return _resolve_at(schema, shape, _openness(shape), model, path)


def _openness(shape: Shape) -> tuple[object, ...]:
    return (shape.open, tuple((name, _openness(child)) for name, child in shape.children))


@lru_cache(maxsize=1024)
def _resolve_at(
    schema: SerializerSchema,
    shape: Shape,
    openness: tuple[object, ...],
    model: type[models.Model] | None,
    path: str,
) -> SerializerNode:
    # A name the serializer does not have (a shape resolved for another class) is left
    # out, as the serializer leaves it out.
    fields = tuple(
        resolve_field(schema, name, shape.child(name), model, _join(path, name))
        for name in shape.fields
        if name in schema.defaults or name in schema.extras
    )
    requires = _requires(model, schema.hook_requires)
    return SerializerNode(schema, shape, model, path, fields, requires)


def resolve_field(
    schema: SerializerSchema,
    name: str,
    shape: Shape | None,
    model: type[models.Model] | None,
    path: str,
) -> FieldNode:
    """Resolve the field `name` of `schema`, served with `shape` (its nested
    serializer's), on rows of `model`."""
    spec = schema.spec(name)
    requires = _requires(model, spec.requires)
    source = step = None
    relative = ""
    if spec.source == "*":
        kind = SAME_ROW
    elif model is None:
        kind = KIND_UNKNOWN
    else:
        source = follow(model, tuple(spec.source.split(".")))
        step = source.last
        relative = source.lookup
        into = spec.prefetch_into(relative)
        if into is not None and step is not None:
            # The source reads what the user's Prefetch stores in its `to_attr`
            # (`source="top_rated"`): the field loads that relation, through it.
            step = follow(step.model, (into.prefetch_through,)).last
            relative = into.prefetch_through
        kind = KIND_UNKNOWN if step is None else step.kind
    if isinstance(spec.field, Computed):
        kind = COMPUTED
    child = None
    if spec.serializer is not None and shape is not None:
        child_model = model if kind == SAME_ROW else None
        if step is not None and step.attribute.kind in (TO_ONE, TO_MANY):
            child_model = step.attribute.related_model
        child = resolve_at(cast("SerializerSchema", spec.child_schema), shape, child_model, path)
    return FieldNode(
        name, path, schema, spec, model, source, step, relative, kind, child, requires
    )


def _loading(node: FieldNode) -> str:
    spec = node.spec
    if node.kind == COMPUTED:
        return LOAD_ANNOTATION
    if node.kind == SAME_ROW:
        return LOAD_SAME_ROW
    attribute = node.attribute
    if attribute is None:  # no model, or a property or method on the way
        return LOAD_FULL_ROW
    if attribute.kind == COLUMN:
        return LOAD_COLUMN
    if attribute.kind == TO_ONE:
        if spec.prefetch is False:
            return LOAD_NONE
        field = spec.field
        pk_only = isinstance(field, relations.RelatedField) and field.use_pk_only_optimization()
        if pk_only and attribute.local_field:  # the foreign key column holds the value
            return LOAD_FK_COLUMN
        if node.own is not None:
            # The user's own queryset: prefetched, never JOINed, or the JOIN would fill
            # the cache and silently drop the user's filter.
            return LOAD_PREFETCH
        if node.serializer is not None and node.serializer.computes:
            # Its computed fields annotate its own query: one query, not a JOIN.
            return LOAD_PREFETCH
        return LOAD_JOIN
    if attribute.kind == TO_MANY:
        if spec.prefetch is False:
            return LOAD_NONE
        if isinstance(spec.prefetch, Grouped):
            return LOAD_GROUPED
        return LOAD_PREFETCH
    if attribute.kind == GENERIC_FK:
        return LOAD_NONE if spec.prefetch is False else LOAD_PREFETCH
    # A property or method of the model: loaded as it declares, else in full.
    if spec.requires is not None:
        return LOAD_REQUIRES
    step = cast("Step", node.step)
    found = declared_requires(getattr(step.model, attribute.name, None))
    return LOAD_FULL_ROW if found is None else LOAD_REQUIRES


def _requires(
    model: type[models.Model] | None, paths: tuple[str, ...] | None
) -> tuple[Source, ...]:
    if model is None or not paths:
        return ()
    return tuple(follow_path(model, path) for path in paths if isinstance(path, str))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
