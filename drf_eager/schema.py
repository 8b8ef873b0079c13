"""What drf_eager knows of a serializer class: its default fields, its extras, and
how each field reads the model (columns, to-one and to-many relations).

A `SerializerSchema` is built once per serializer class and cached on the class;
both the shape resolver and the queryset planner read it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models import Prefetch, Q
from django.db.models.constants import LOOKUP_SEP
from rest_framework import serializers
from rest_framework.fields import Field

from .shape import Shape, ShapeRequest, resolve
from .stock import COLUMNS_FIELD, COLUMNS_SERIALIZER, declared_requires, hook_requires

if TYPE_CHECKING:  # pragma: no cover
    from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation

__all__ = [
    "Attribute",
    "FieldSpec",
    "SerializerSchema",
    "get_schema",
    "model_attribute",
]

_CACHE_ATTR = "_drf_eager_schema"

COLUMN = "column"
TO_ONE = "to_one"
TO_MANY = "to_many"
GENERIC_FK = "generic_fk"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Attribute:
    """How an attribute of a model instance is loaded."""

    kind: str  # COLUMN, TO_ONE, TO_MANY, GENERIC_FK or UNKNOWN
    name: str  # the name to use in ORM lookups (field name or accessor)
    related_model: type[models.Model] | None = None
    # TO_ONE: the FK column on this model (forward), or None (reverse one-to-one).
    local_field: str | None = None
    # TO_ONE reverse / TO_MANY reverse FK / generic relation: the column(s) on the
    # related model that point back, which a prefetch or `only()` must keep.
    remote_fields: tuple[str, ...] = ()
    # The name in query lookups (`select_related`, `only`) when it is not `name`: a
    # reverse relation's `related_query_name`. Prefetches follow `name`, the accessor.
    query_name: str | None = None

    @property
    def lookup(self) -> str:
        return self.query_name or self.name


@cache
def _model_attributes(model: type[models.Model]) -> Mapping[str, Attribute]:
    attributes: dict[str, Attribute] = {}
    opts = model._meta
    for f in opts.get_fields(include_hidden=False):
        if isinstance(f, models.ForeignObjectRel):
            accessor = f.get_accessor_name()
            if not accessor:
                continue
            remote: tuple[str, ...] = (f.field.name,)
            if f.one_to_one:
                attributes[accessor] = Attribute(
                    TO_ONE, accessor, f.related_model, None, remote, query_name=f.name
                )
            elif f.one_to_many:
                attributes[accessor] = Attribute(TO_MANY, accessor, f.related_model, None, remote)
            else:
                attributes[accessor] = Attribute(TO_MANY, accessor, f.related_model)
        elif hasattr(f, "object_id_field_name"):  # GenericRelation
            generic = cast("GenericRelation", f)
            remote = (generic.object_id_field_name, generic.content_type_field_name)
            attributes[f.name] = Attribute(TO_MANY, f.name, f.related_model, None, remote)
        elif f.many_to_many:
            attributes[f.name] = Attribute(TO_MANY, f.name, f.related_model)
        elif f.is_relation and f.concrete and (f.many_to_one or f.one_to_one):
            attributes[f.name] = Attribute(TO_ONE, f.name, f.related_model, f.name)
            attributes[f.attname] = Attribute(COLUMN, f.name)
        elif hasattr(f, "ct_field"):  # GenericForeignKey
            gfk = cast("GenericForeignKey", f)
            attributes[f.name] = Attribute(
                GENERIC_FK, f.name, None, None, (gfk.ct_field, gfk.fk_field)
            )
        elif f.concrete:
            attributes[f.name] = Attribute(COLUMN, f.name)
            attributes.setdefault(f.attname, Attribute(COLUMN, f.name))
    attributes.setdefault("pk", Attribute(COLUMN, opts.pk.name))
    return attributes


def model_attribute(model: type[models.Model], name: str) -> Attribute:
    """Return how `model` loads the attribute `name` (UNKNOWN for properties and methods)."""
    return _model_attributes(model).get(name) or Attribute(UNKNOWN, name)


def _nested_serializer(field: Field) -> serializers.BaseSerializer | None:  # type: ignore[type-arg]
    if isinstance(field, serializers.ListSerializer):
        child = field.child
        return child if isinstance(child, serializers.BaseSerializer) else None
    if isinstance(field, serializers.BaseSerializer):
        return field
    return None


class FieldSpec:
    """One field a serializer may output: a default field or an extra."""

    def __init__(
        self,
        name: str,
        field: Field[Any, Any, Any, Any],
        *,
        is_extra: bool = False,
        prefetch: Any = None,
        requires: Sequence[str] | None = None,
        permissions: Sequence[Any] = (),
        filter: Q | None = None,
    ) -> None:
        self.name = name
        self.field = field
        self.is_extra = is_extra
        self.prefetch = prefetch
        self.permissions = tuple(permissions)
        self.filter = filter
        if requires is None:
            requires = getattr(field, "requires", None)
        if requires is None and not isinstance(field, serializers.BaseSerializer):
            requires = hook_requires(type(field), COLUMNS_FIELD)
        self.requires = tuple(requires) if requires is not None else None

    def __repr__(self) -> str:
        return f"<FieldSpec {self.name!r} {type(self.field).__name__}>"

    @property
    def source(self) -> str:
        return self.field.source or self.name

    @cached_property
    def serializer(self) -> serializers.BaseSerializer[Any] | None:
        """The nested serializer (the child of a `many=True` one), or None."""
        return _nested_serializer(self.field)

    @cached_property
    def child_schema(self) -> SerializerSchema | None:
        serializer = self.serializer
        return None if serializer is None else get_schema(type(serializer))

    @cached_property
    def prefetches(self) -> tuple[Prefetch[str], ...]:
        """The user's own Prefetch objects, in the order given."""
        if isinstance(self.prefetch, Prefetch):
            return (self.prefetch,)
        if isinstance(self.prefetch, list | tuple):
            return tuple(self.prefetch)
        return ()

    def own_prefetch(self, lookup: str) -> Prefetch[str] | None:
        """Return the user's Prefetch for the relation `lookup`, if any."""
        for prefetch in self.prefetches:
            if prefetch.prefetch_through == lookup:
                return prefetch
        return None

    def prefetch_into(self, attr: str) -> Prefetch[str] | None:
        """Return the user's Prefetch of one relation that stores into `attr` (its
        `to_attr`), for a field whose source reads that attribute."""
        for prefetch in self.prefetches:
            if prefetch.to_attr == attr and LOOKUP_SEP not in prefetch.prefetch_through:
                return prefetch
        return None

    def to_attr(self, lookup: str) -> str | None:
        """The attribute a prefetch of the relation at the end of `lookup` stores into.

        A field whose name is the relation's own name reads the relation's cache;
        any other field reading the same relation (a variant, such as
        `last_10_orders` of `orders`) gets an attribute of its own, so variants
        never conflict.
        """
        own = self.own_prefetch(lookup)
        if own is not None and own.to_attr:
            return own.to_attr
        if lookup.rsplit(LOOKUP_SEP, 1)[-1] == self.name and self.filter is None:
            return None
        # A filtered relation never fills the relation's own cache: code that reads
        # the relation expects all of its rows.
        return f"_eager_{self.name}"

    def to_one_attr(self, lookup: str) -> str | None:
        """The attribute a user's Prefetch of a to-one relation stores into, or None
        when the relation is JOINed.

        Always an attribute of its own: the relation's cache may be filled by a JOIN
        that another field needs, and Django skips a prefetch whose cache is filled.
        """
        own = self.own_prefetch(lookup)
        if own is None or own.queryset is None:
            return None
        return own.to_attr or f"_eager_{self.name}"


def declared_extra(serializer_class: type) -> Any:
    """Return the `extra` a serializer class declares (on the class or its Meta)."""
    extra = getattr(serializer_class, "extra", None)
    if extra is None:
        meta = getattr(serializer_class, "Meta", None)
        extra = getattr(meta, "extra", None)
    return extra


def _extra_specs(serializer_class: type) -> dict[str, FieldSpec]:
    # drf_eager.validation reads schemas, so it is imported here rather than above.
    from .validation import extra_errors

    extra = declared_extra(serializer_class)
    errors = extra_errors(serializer_class.__name__, extra)
    if errors:
        raise errors[0]  # the system checks report them all
    specs = {}
    for name, entry in (extra or {}).items():
        if isinstance(entry, Field):  # the short form {"name": Field()}
            entry = {"field": entry}
        specs[name] = FieldSpec(
            name,
            entry["field"],
            is_extra=True,
            prefetch=entry.get("prefetch"),
            requires=entry.get("requires"),
            permissions=entry.get("permissions", ()),
            filter=entry.get("filter"),
        )
    return specs


class SerializerSchema:
    """The fields of a serializer class, its extras, and the model it reads.

    Built from an instance made without context: a `get_fields()` that depends on
    the request must still return every field a shape may name.
    """

    def __init__(self, serializer_class: type[serializers.BaseSerializer]) -> None:  # type: ignore[type-arg]
        self.serializer_class = serializer_class
        self.label = serializer_class.__name__
        meta = getattr(serializer_class, "Meta", None)
        self.model: type[models.Model] | None = getattr(meta, "model", None)
        # Whether the serializer serializes its fields as DRF does (see
        # stock.COLUMNS_SERIALIZER), else what its own to_representation() and co.
        # declared with @requires.
        self.is_stock = COLUMNS_SERIALIZER.allows(serializer_class)
        self.hook_requires = hook_requires(serializer_class, COLUMNS_SERIALIZER)
        self.extras = _extra_specs(serializer_class)
        instance = serializer_class(context={})
        instance._eager_introspecting = True  # type: ignore[attr-defined]
        try:
            fields = instance.get_fields()  # type: ignore[attr-defined]
        finally:
            instance._eager_introspecting = False  # type: ignore[attr-defined]
        self.defaults = {
            name: FieldSpec(name, field, requires=self._method_requires(name, field))
            for name, field in fields.items()
            if not field.write_only
        }
        for name, spec in self.extras.items():
            if spec.requires is None:
                spec.requires = self._method_requires(name, spec.field)
        self.default_fields = tuple(self.defaults)
        self.extra_fields = tuple(self.extras)

    def __repr__(self) -> str:
        return f"<SerializerSchema {self.label}>"

    def _method_requires(
        self, name: str, field: Field[Any, Any, Any, Any]
    ) -> tuple[str, ...] | None:
        if not isinstance(field, serializers.SerializerMethodField):
            return None
        method = getattr(self.serializer_class, field.method_name or f"get_{name}", None)
        return declared_requires(method)

    def spec(self, name: str) -> FieldSpec:
        return self.defaults.get(name) or self.extras[name]

    def nested(self, name: str) -> SerializerSchema | None:
        spec = self.defaults.get(name) or self.extras.get(name)
        return None if spec is None else spec.child_schema

    @cached_property
    def default_shape(self) -> Shape:
        """The shape of a response when the request asks for nothing."""
        return resolve(ShapeRequest(), self)

    def relation_lookup(self, name: str) -> tuple[list[str], Attribute] | None:
        """Follow the source of field `name` through to-one relations, as the resolved
        tree does (tree.declared()).

        Return the attribute names walked and how the last one loads, or None when
        the serializer has no model or the source is `*`.
        """
        from .tree import declared  # the tree is built of this module's schemas

        if self.model is None:
            return None
        node = declared(self, name)
        source = node.source
        if source is None:
            return None
        if node.relative != source.lookup:
            # The source is the attribute the user's Prefetch of a relation stores into.
            return [node.relative], cast("Attribute", node.attribute)
        attrs = list(source.attrs)
        if source.stop is not None:
            return attrs, Attribute(UNKNOWN, attrs[len(source.through)])
        return attrs, cast("Attribute", node.attribute)

    @cached_property
    def _read_sources(self) -> dict[str, str | None]:
        from .tree import declared

        sources: dict[str, str | None] = {}
        for name in (*self.defaults, *self.extras):
            found = self.relation_lookup(name)
            sources[name] = None
            if found is None:
                continue
            to_attr = declared(self, name).to_attr
            if to_attr is not None:
                sources[name] = ".".join([*found[0][:-1], to_attr])
        return sources

    def read_source(self, name: str) -> str | None:
        """Return the source field `name` must read instead of its own, or None.

        A to-many variant (a field whose name is not its relation's) reads the
        attribute its prefetch stores into (see FieldSpec.to_attr).
        """
        return self._read_sources.get(name)

    def new_extra_field(self, name: str) -> Field[Any, Any, Any, Any]:
        """Return a fresh copy of the extra field `name` for one serializer instance."""
        return copy.deepcopy(self.extras[name].field)


def get_schema(serializer_class: type) -> SerializerSchema:
    """Return the cached SerializerSchema of `serializer_class`."""
    schema: SerializerSchema | None = serializer_class.__dict__.get(_CACHE_ATTR)
    if schema is None:
        schema = SerializerSchema(serializer_class)
        setattr(serializer_class, _CACHE_ATTR, schema)
    return schema
