"""Plan the queryset for a Shape: `select_related` (JOINs) for to-one relations,
nested `Prefetch` for to-many ones, and `.only()` with the columns served plus
the keys Django needs, at every level."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, NamedTuple

from django.db import models
from django.db.models import F, Prefetch, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.query import ModelIterable
from rest_framework import relations, serializers

from .computed import Computed
from .schema import (
    COLUMN,
    GENERIC_FK,
    TO_MANY,
    TO_ONE,
    UNKNOWN,
    Attribute,
    FieldSpec,
    SerializerSchema,
    declared_requires,
    model_attribute,
)
from .shape import Shape

__all__ = ["RelatedQuerysetGetter", "prefetch_queryset"]

#: `(model, path) -> QuerySet`: the queryset a relation's rows are loaded from,
#: before the planner adds its own loading. `path` is the serializer field path.
RelatedQuerysetGetter = Callable[[type[models.Model], str], QuerySet[Any]]

SEP = "__"


def _default_related_queryset(model: type[models.Model], path: str) -> QuerySet[Any]:
    return model._default_manager.all()


class _Prefix(NamedTuple):
    """Where a JOINed model sits: `query` prefixes ORM lookups (`select_related`,
    `only`), `attr` prefixes attribute paths (`prefetch_related`). They differ only
    where a reverse relation's `related_query_name` is not its accessor."""

    query: str = ""
    attr: str = ""


_ROOT = _Prefix()


class _Level:
    """What one queryset must load: its own rows and the rows JOINed into them."""

    def __init__(
        self, model: type[models.Model], related_queryset: RelatedQuerysetGetter, path: str
    ) -> None:
        self.model = model
        self.related_queryset = related_queryset
        self.path = path
        self.columns: set[str] = set()
        self.select: set[str] = set()
        self.prefetches: dict[str, Prefetch] = {}
        self.base_prefetches: dict[str, Prefetch] = {}
        # Computed fields of this level's own rows: (field, name, field path).
        self.computed: list[tuple[Computed, str, str]] = []
        # To-one relations prefetched for their computed fields: query → attr lookup.
        self.prefetched_to_one: dict[str, str] = {}

    # Columns and JOINs -------------------------------------------------------

    def all_columns(self, prefix: _Prefix, model: type[models.Model]) -> None:
        for f in model._meta.concrete_fields:
            self.columns.add(prefix.query + f.name)

    def join(self, prefix: _Prefix, attribute: Attribute) -> _Prefix:
        """JOIN the to-one `attribute` and return the prefix of its columns."""
        lookup = prefix.query + attribute.lookup
        self.select.add(lookup)
        if attribute.local_field:
            self.columns.add(prefix.query + attribute.local_field)
        for remote in attribute.remote_fields:
            self.columns.add(lookup + SEP + remote)
        return _Prefix(lookup + SEP, prefix.attr + attribute.name + SEP)

    # Fields --------------------------------------------------------------------

    def visit(
        self,
        prefix: _Prefix,
        model: type[models.Model],
        schema: SerializerSchema,
        shape: Shape,
        path: str,
    ) -> None:
        for name in shape.fields:
            spec = schema.spec(name)
            field_path = f"{path}.{name}" if path else name
            self.visit_field(prefix, model, schema, spec, shape.child(name), field_path)

    def visit_requires(
        self, prefix: _Prefix, model: type[models.Model], requires: tuple[str, ...]
    ) -> None:
        for required in requires:
            attrs = required.replace(SEP, ".").split(".")
            self.visit_source(prefix, model, attrs, None, None, None, required)

    def visit_field(
        self,
        prefix: _Prefix,
        model: type[models.Model],
        schema: SerializerSchema,
        spec: FieldSpec,
        shape: Shape | None,
        path: str,
    ) -> None:
        field = spec.field
        if spec.requires is not None:
            self.visit_requires(prefix, model, spec.requires)
        if isinstance(field, Computed):
            # Only this level's own rows can be annotated: to-one relations with a
            # computed field are prefetched, not JOINed (see visit_to_one).
            self.computed.append((field, spec.name, path))
            return
        source = spec.source
        if source == "*":
            if spec.serializer is not None and shape is not None:
                self.visit(prefix, model, spec.child_schema, shape, path)  # type: ignore[arg-type]
            elif isinstance(field, relations.HyperlinkedIdentityField):
                self.add_column(prefix, model, field.lookup_field)
            elif spec.requires is None:
                self.all_columns(prefix, model)
            return
        self.visit_source(prefix, model, source.split("."), spec, schema, shape, path)

    def add_column(self, prefix: _Prefix, model: type[models.Model], name: str) -> None:
        attribute = model_attribute(model, name)
        if attribute.kind == COLUMN:
            self.columns.add(prefix.query + attribute.name)
        else:
            self.all_columns(prefix, model)

    def visit_source(
        self,
        prefix: _Prefix,
        model: type[models.Model],
        attrs: list[str],
        spec: FieldSpec | None,
        schema: SerializerSchema | None,
        shape: Shape | None,
        path: str,
    ) -> None:
        for attr in attrs[:-1]:
            attribute = model_attribute(model, attr)
            if attribute.kind != TO_ONE:
                # A property or method on the way: we cannot know what it reads.
                self.all_columns(prefix, model)
                return
            prefix = self.join(prefix, attribute)
            model = attribute.related_model  # type: ignore[assignment]
        attribute = model_attribute(model, attrs[-1])
        relative = SEP.join(attrs)  # the lookup relative to the serializer's model
        if attribute.kind == COLUMN:
            self.columns.add(prefix.query + attribute.name)
        elif attribute.kind == TO_ONE:
            self.visit_to_one(prefix, relative, attribute, spec, shape, path)
        elif attribute.kind == TO_MANY:
            self.visit_to_many(prefix, relative, attribute, spec, schema, shape, path)
        elif attribute.kind == GENERIC_FK:
            for column in attribute.remote_fields:
                self.columns.add(prefix.query + column)
            if spec is None or spec.prefetch is not False:
                self.add_prefetch(Prefetch(prefix.attr + attribute.name))
        elif spec is None or spec.requires is None:
            assert attribute.kind == UNKNOWN
            # A property or method of the model: loaded as it declares, else in full.
            required = declared_requires(getattr(model, attrs[-1], None))
            if required is None:
                self.all_columns(prefix, model)
            else:
                self.visit_requires(prefix, model, required)

    def visit_to_one(
        self,
        prefix: _Prefix,
        relative: str,
        attribute: Attribute,
        spec: FieldSpec | None,
        shape: Shape | None,
        path: str,
    ) -> None:
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        lookup = prefix.attr + attribute.name
        field = spec.field if spec is not None else None
        if spec is not None and spec.prefetch is False:
            if attribute.local_field:
                self.columns.add(prefix.query + attribute.local_field)
            return
        pk_only = isinstance(field, relations.RelatedField) and field.use_pk_only_optimization()
        if pk_only and attribute.local_field:  # the FK column holds the value
            self.columns.add(prefix.query + attribute.local_field)
            return
        own = spec.own_prefetch(relative) if spec is not None else None
        if own is not None and own.queryset is not None:
            # The user's own queryset for a to-one relation: prefetch it, never JOIN,
            # or the JOIN would fill the cache and silently drop the user's filter.
            if attribute.local_field:
                self.columns.add(prefix.query + attribute.local_field)
            child = self.child_queryset(own.queryset, related, spec, shape, attribute, path)
            to_attr = spec.to_one_attr(relative)  # type: ignore[union-attr]
            self.add_prefetch(Prefetch(lookup, queryset=child, to_attr=to_attr))
            return
        if spec is not None and shape is not None and _computes(spec.child_schema, shape):
            # Its computed fields annotate its own query: one query, not a JOIN.
            if attribute.local_field:
                self.columns.add(prefix.query + attribute.local_field)
            base = self.related_queryset(related, path)
            child = self.child_queryset(base, related, spec, shape, attribute, path)
            self.add_prefetch(Prefetch(lookup, queryset=child))
            self.prefetched_to_one[prefix.query + attribute.lookup] = lookup
            return
        column_prefix = self.join(prefix, attribute)
        if spec is not None and spec.serializer is not None and shape is not None:
            self.visit(column_prefix, related, spec.child_schema, shape, path)  # type: ignore[arg-type]
        elif isinstance(field, relations.SlugRelatedField):
            self.add_column(column_prefix, related, field.slug_field)
        elif isinstance(field, relations.HyperlinkedRelatedField):
            self.add_column(column_prefix, related, field.lookup_field)
        else:
            self.all_columns(column_prefix, related)

    def visit_to_many(
        self,
        prefix: _Prefix,
        relative: str,
        attribute: Attribute,
        spec: FieldSpec | None,
        schema: SerializerSchema | None,
        shape: Shape | None,
        path: str,
    ) -> None:
        if spec is not None and spec.prefetch is False:
            return
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        lookup = prefix.attr + attribute.name
        own = spec.own_prefetch(relative) if spec is not None else None
        if own is not None and own.queryset is not None:
            base = own.queryset
        elif lookup in self.base_prefetches and self.base_prefetches[lookup].queryset is not None:
            base = self.base_prefetches[lookup].queryset
        else:
            base = self.related_queryset(related, path)
        if spec is not None and spec.filter is not None:
            base = base.filter(spec.filter)
        to_attr = None
        if spec is not None and schema is not None and schema.model is not None:
            to_attr = spec.to_attr(relative)
        child = self.child_queryset(base, related, spec, shape, attribute, path)
        self.add_prefetch(Prefetch(lookup, queryset=child, to_attr=to_attr))
        if spec is not None:
            for extra_prefetch in spec.prefetches:
                if extra_prefetch is not own:
                    self.add_prefetch(_prefixed(extra_prefetch, prefix))

    def child_queryset(
        self,
        base: QuerySet[Any],
        related: type[models.Model],
        spec: FieldSpec | None,
        shape: Shape | None,
        attribute: Attribute,
        path: str,
    ) -> QuerySet[Any]:
        if spec is None:
            return base
        child = _Level(related, self.related_queryset, path)
        child.columns.update(attribute.remote_fields)
        field = spec.field
        if spec.serializer is not None and shape is not None:
            child.visit(_ROOT, related, spec.child_schema, shape, path)  # type: ignore[arg-type]
        elif isinstance(field, serializers.ManyRelatedField):
            relation = field.child_relation
            if isinstance(relation, relations.SlugRelatedField):
                child.add_column(_ROOT, related, relation.slug_field)
            elif isinstance(relation, relations.HyperlinkedRelatedField):
                child.add_column(_ROOT, related, relation.lookup_field)
            elif not isinstance(relation, relations.PrimaryKeyRelatedField):
                child.all_columns(_ROOT, related)
        else:
            child.all_columns(_ROOT, related)
        return child.apply(base)

    def add_prefetch(self, prefetch: Prefetch) -> None:
        key = prefetch.prefetch_to
        if key not in self.prefetches:
            self.prefetches[key] = prefetch

    # Result ------------------------------------------------------------------

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        for field, name, path in self.computed:
            queryset = field.modify_queryset(
                queryset, name, lambda model, path=path: self.related_queryset(model, path)
            )
        user_select = queryset.query.select_related
        if user_select is True:  # select_related() of every relation: leave columns alone
            self.columns.clear()
        elif isinstance(user_select, dict):
            self.keep_joined(user_select, "", self.model)
        self.unjoin_prefetched()
        if self.select:
            queryset = queryset.select_related(*sorted(self.select))
        if self.prefetches:
            # Parents before children, or Django would load a parent on its own first.
            prefetches = sorted(self.prefetches.values(), key=lambda p: p.prefetch_to.count(SEP))
            queryset = queryset.prefetch_related(*prefetches)
        existing, defer = queryset.query.deferred_loading
        if not defer:  # the queryset already has only(): load its fields too
            self.columns.update(existing)
        if user_select is True:
            return queryset
        pk = self.model._meta.pk.name
        self.columns.add(pk)
        all_fields = {f.name for f in self.model._meta.concrete_fields}
        if any(SEP in column for column in self.columns) or not all_fields <= self.columns:
            queryset = queryset.only(*sorted(self.columns))
        return queryset

    def unjoin_prefetched(self) -> None:
        # A to-one relation prefetched for its computed fields that other fields
        # (dotted sources, requires) also JOIN: a JOIN would fill the relation's
        # cache and Django would skip the prefetch, so the prefetch loads it all.
        for query, attr in self.prefetched_to_one.items():
            if query not in self.select:
                continue
            below = query + SEP
            nested = sorted(s[len(below) :] for s in self.select if s.startswith(below))
            self.select = {s for s in self.select if s != query and not s.startswith(below)}
            self.columns = {c for c in self.columns if not c.startswith(below)}
            queryset = self.prefetches[attr].queryset.defer(None)
            if nested:
                queryset = queryset.select_related(*nested)
            self.prefetches[attr] = Prefetch(attr, queryset=queryset)

    def keep_joined(self, tree: dict[str, Any], prefix: str, model: type[models.Model]) -> None:
        # JOINs the queryset had before the plan: their rows are for code we do not
        # know, so they keep every column.
        for name, below in tree.items():
            attribute = _to_one_by_lookup(model, name)
            if attribute is None:
                continue
            lookup = prefix + name
            if lookup not in self.select:
                if attribute.local_field:
                    self.columns.add(prefix + attribute.local_field)
                self.all_columns(_Prefix(lookup + SEP), attribute.related_model)  # type: ignore[arg-type]
            self.keep_joined(below, lookup + SEP, attribute.related_model)  # type: ignore[arg-type]


def _computes(schema: SerializerSchema | None, shape: Shape) -> bool:
    """Whether `shape` of `schema` serves a computed field at its own level."""
    return schema is not None and any(
        isinstance(schema.spec(name).field, Computed) for name in shape.fields
    )


def _to_one_by_lookup(model: type[models.Model], lookup: str) -> Attribute | None:
    attribute = model_attribute(model, lookup)
    if attribute.kind == TO_ONE and attribute.lookup == lookup:
        return attribute
    for name in (f.get_accessor_name() for f in model._meta.related_objects if f.one_to_one):
        attribute = model_attribute(model, name or "")
        if attribute.lookup == lookup:
            return attribute
    return None


def _prefixed(prefetch: Prefetch, prefix: _Prefix) -> Prefetch:
    # The user's Prefetch is relative to its serializer's model, which may be JOINed
    # below the queryset's own: copy it (it is shared) and move it there.
    if not prefix.attr:
        return prefetch
    moved = copy.copy(prefetch)
    moved.add_prefix(prefix.attr[: -len(SEP)])
    return moved


def prefetch_queryset(
    queryset: QuerySet[Any],
    schema: SerializerSchema,
    shape: Shape,
    *,
    related_queryset: RelatedQuerysetGetter | None = None,
) -> QuerySet[Any]:
    """Return `queryset` loading exactly what `shape` of `schema` serializes.

    The queryset's own filters, annotations, ordering, `select_related` and
    `prefetch_related` are kept; a prefetch it already has for a relation the
    shape needs gives its queryset as the base of the planned one.
    """
    if queryset._iterable_class is not ModelIterable:  # values(), values_list()
        return queryset
    level = _Level(queryset.model, related_queryset or _default_related_queryset, "")
    existing = list(queryset._prefetch_related_lookups)
    for lookup in existing:
        if isinstance(lookup, Prefetch):
            level.base_prefetches[lookup.prefetch_to] = lookup
        else:
            level.base_prefetches[lookup] = Prefetch(lookup)
    level.visit(_ROOT, queryset.model, schema, shape, "")
    # The user's lookups for a relation the plan loads are merged into the plan's.
    kept = [
        lookup
        for lookup in existing
        if (lookup.prefetch_to if isinstance(lookup, Prefetch) else lookup) not in level.prefetches
    ]
    queryset = queryset.prefetch_related(None)
    if kept:
        queryset = queryset.prefetch_related(*kept)
    level.columns.update(_ordering_columns(queryset))
    # A related manager's queryset (`author.books.all()`) reads each row's foreign key back.
    level.columns.update(f.name for f in queryset._known_related_objects)  # type: ignore[attr-defined]
    return level.apply(queryset)


def _ordering_columns(queryset: QuerySet[Any]) -> set[str]:
    """The queryset's own columns it is ordered by: code that pages by them (DRF's
    CursorPagination) reads them from the rows, which `.only()` must then keep."""
    query = queryset.query
    ordering = query.order_by
    if not ordering and query.default_ordering:
        ordering = query.get_meta().ordering or ()
    columns = set()
    for item in ordering:
        expression = item.expression if isinstance(item, OrderBy) else item
        if isinstance(expression, F):
            name: str = expression.name  # type: ignore[attr-defined]
        elif isinstance(expression, str):
            name = expression.lstrip("-+")
        else:
            continue
        attribute = model_attribute(queryset.model, name)
        if attribute.kind == COLUMN:
            columns.add(attribute.name)
    return columns
