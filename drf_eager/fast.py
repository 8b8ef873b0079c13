"""The fast path: serve a Shape from `values_list()` rows, with the output of the DRF path.

The DRF path builds a model instance per row and runs DRF's field machinery on it; once
N+1 queries are gone, that is most of the cost of a response. The fast path loads, per
level, one `values_list()` query with the served columns (to-one relations are JOINed
columns of the same query) and one query per to-many relation, filtered by the parent
keys exactly as Django's prefetch filters them, and builds the dicts directly with code
generated once per serializer class and shape.

The output is the DRF path's: the same keys in the same order, and every value goes
through the DRF field's own `to_representation()`, skipped only where it returns its
input unchanged (an `IntegerField` on an integer column, a `CharField` on a text
column). A shape the fast path cannot prove it serves identically gets no plan:

    plan = compile_fast_plan(CustomerSerializer, shape)  # None: use the DRF path
    if plan is not None:
        data = plan.serialize(queryset, related_queryset=view.get_related_queryset)

With a paginator, hand it the root rows, so that it counts and slices them without
building model instances (PageNumberPagination and LimitOffsetPagination only count and
slice; CursorPagination reads its ordering field from each row: use the DRF path):

    query = plan.prepare(queryset, related_queryset=view.get_related_queryset)
    page = view.paginate_queryset(query.rows)
    data = query.serialize(page)

`fast_plan_refusal()` tells why a shape gets no plan. `FastPlan.prepare()` raises
`FastPathUnavailable`, before any query, for a queryset it cannot serve.

What gets no plan, because the DRF path's output there is code the fast path cannot see
through: a serializer (or list serializer) with a class anywhere in its MRO, other than
DRF's and the mixin, defining `to_representation`, `get_attribute`, `get_default`,
`get_fields`, `fields`, `__init__`, `bind`, `many_init` or `data` (also when it calls
super(): the mixin first does not hide what is below it), or with the mixin after DRF's
classes; a field with a class outside DRF defining `__init__`, `to_representation`,
`get_attribute`, `get_default` or `bind`; a field class other than DRF's standard model
field classes (SerializerMethodField, computed fields,
ModelField, FileField, StringRelatedField, hyperlinked fields ...); `source='*'` on a
field that is not a serializer; a source that is a property, a method, an annotation or
a generic foreign key, or goes through a to-many relation; a model field read through a
descriptor other than Django's plain one; `prefetch: False`; a callable default on a
dotted source; a foreign key on the way with `db_constraint=False`; a relation that does
not point at its parent's primary key; a sliced Prefetch queryset of a to-one or a
generic relation (Django refuses it too). Sliced Prefetch querysets of reverse foreign
keys and many-to-many relations are served: they are filtered with Django's own window
function, as the prefetch filters them. A model on the way that overrides `from_db()`
or has `pre_init`/`post_init` receivers, and a queryset with an aggregate whose ordering
may tie (values_list() groups by other columns), are refused by `prepare()`. See
docs/fast-path.md.

Queries: one for the root rows, one per relation loaded by a query of its own (none for
a relation without parent rows), as the planned DRF path. A `prefetch_related()` of the
root queryset that the shape does not serve is not run (the DRF path runs it for
nothing); one it serves is the base of its relation, as in the planner.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from inspect import getattr_static
from typing import Any, cast

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Prefetch, Q, QuerySet, signals
from django.db.models.fields.related_descriptors import (  # type: ignore[attr-defined]
    ForeignKeyDeferredAttribute,
    ForwardManyToOneDescriptor,
    ForwardOneToOneDescriptor,
    ReverseOneToOneDescriptor,
    _filter_prefetch_queryset,  # private: the stubs leave it out
)
from django.db.models.query_utils import DeferredAttribute
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import Field, empty
from rest_framework.settings import api_settings

from .early import of_instances
from .exceptions import RowBudget
from .prefetch import keep_row_order
from .routing import read_database, stand_in
from .schema import COLUMN, TO_MANY, TO_ONE, Attribute, get_schema, model_attribute
from .serializers import SHAPE_CONTEXT_KEY, EagerFieldsSerializerMixin
from .shape import Shape
from .sources import (
    GENERIC,
    LOOKUP_SEP,
    MANY_TO_MANY,
    REVERSE_FK,
    REVERSE_ONE_TO_ONE,
    ROOT,
    Prefix,
    RelatedQuerysetGetter,
    Source,
    Step,
    back,
    base_queryset,
    default_related_queryset,
    existing_prefetches,
    relation_kind,
    to_many,
)
from .stock import FAST_FIELD, FAST_SERIALIZER
from .tree import (
    LOAD_GROUPED,
    LOAD_NONE,
    LOAD_PREFETCH,
    FieldNode,
    SerializerNode,
    resolve,
    resolve_at,
    resolve_field,
)

__all__ = [
    "SUBQUERY_THRESHOLD",
    "FastPathUnavailable",
    "FastPlan",
    "FastQuery",
    "compile_fast_plan",
    "fast_plan_refusal",
]

#: From this many parent rows on, a to-many relation of the root rows is filtered by a
#: subquery of the root queryset instead of a literal list of keys, when the whole
#: (unsliced) root queryset is served: cheaper to send and to plan for the database.
SUBQUERY_THRESHOLD = 500


class FastPathUnavailable(Exception):
    """The fast path cannot serve this: serve it with the DRF path.

    `FastPlan.prepare()` raises it before any query is sent.
    """


# The plan ------------------------------------------------------------------------


# What one row becomes, as a tree of nodes compiled to Python source by _Writer.


@dataclass(frozen=True)
class _Value:
    """`row[col]`, through the converter `env[conv]` unless it is None."""

    col: int
    conv: int | None = None


@dataclass(frozen=True)
class _Const:
    """`env[slot]` through `env[conv]` (a field's default), or None when slot is None."""

    slot: int | None = None
    conv: int | None = None


@dataclass(frozen=True)
class _Raise:
    """Call `env[slot]`, which raises what the DRF path raises."""

    slot: int


@dataclass(frozen=True)
class _Skip:
    """The key is left out, as DRF leaves out a field that raised SkipField."""


@dataclass(frozen=True)
class _If:
    """`absent` when `row[col]` is None (a to-one relation is missing), else `present`."""

    col: int
    absent: _Node
    present: _Node


@dataclass(frozen=True)
class _Object:
    """A serializer's dict: its keys in field order."""

    entries: tuple[tuple[str, _Node], ...]


@dataclass(frozen=True)
class _Related:
    """The rows of the query's relation number `group`, by the parent key `row[col]`."""

    group: int
    col: int
    many: bool


_Node = _Value | _Const | _Raise | _Skip | _If | _Object | _Related
_NONE = _Const()
_SKIP = _Skip()

# Relations loaded by a query of their own: REVERSE_FK, MANY_TO_MANY, GENERIC (the
# relation kinds of sources.py), and
FORWARD_ONE = "forward_one"  # a to-one relation with the user's own Prefetch queryset
REVERSE_ONE = "reverse_one"


class _Query:
    """One `values_list()` query: a level's own columns and those JOINed into it."""

    def __init__(self, model: type[models.Model], is_root: bool = False) -> None:
        self.model = model
        self.is_root = is_root
        self.lookups: list[str] = []
        self._index: dict[str, int] = {}
        self.relations: list[_Relation] = []
        self.node: _Node = _NONE
        self.key: int | None = None  # the column child rows are grouped by
        self.key_conv: int | None = None
        self.many = True
        self.source = ""
        self.build: Callable[[Iterable[tuple[Any, ...]], tuple[Any, ...], Sequence[Any]], Any]

    def column(self, lookup: str) -> int:
        """Return the index of `lookup` in the rows, adding it to the query."""
        index = self._index.get(lookup)
        if index is None:
            index = self._index[lookup] = len(self.lookups)
            self.lookups.append(lookup)
        return index

    def walk(self) -> Iterable[_Query]:
        yield self
        for relation in self.relations:
            yield from relation.query.walk()


@dataclass
class _Relation:
    """A relation loaded by a query of its own, filtered by the keys of its parent rows."""

    kind: str
    path: str  # the serializer field path, for get_related_queryset() and messages
    model: type[models.Model]  # the related model
    parent_model: type[models.Model] | None  # None: the root queryset's model
    parent_col: int  # the parent key in the parent rows
    # The parent's primary key in the parent rows (None: not selected), for the
    # routers' instance hint.
    parent_pk_col: int | None
    query: _Query
    lookup: str  # what the parent keys filter
    own: QuerySet[Any] | None  # the user's Prefetch queryset
    root_lookup: str | None  # matched against the root queryset's prefetch_related()
    filter: Q | None  # the extra's `filter`
    by_subquery: bool  # the parent key is the root rows' primary key
    through_table: str | None = None  # many-to-many
    content_type_field: str | None = None  # generic relation
    for_concrete_model: bool = True
    # The attribute path of the relation from its query's rows ("profile__author__books"),
    # whatever way back it takes: the instance cache the DRF path fills.
    way: str = ""
    # The same path, ways back taken out ("books"): where the DRF path's prefetch is.
    instance: str = ""
    # Another relation of the same query reads the same rows by the same parent key on
    # another way (see FastQuery._read): whether the statements are the same is seen per
    # response.
    twin: bool = False


class _Env:
    """The constants and converters the generated code reads, by slot."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        # Slots holding a DateTimeField's to_representation, re-bound per request to a
        # copy whose time zone is resolved once (see FastPlan._env()).
        self.datetimes: dict[int, drf_fields.DateTimeField] = {}

    def add(self, value: Any) -> int:
        self.values.append(value)
        return len(self.values) - 1


# DRF 3.17 added BigIntegerField; with DRF 3.16 big integers are IntegerFields.
_BigIntegerField = getattr(drf_fields, "BigIntegerField", drf_fields.IntegerField)

# Fields whose to_representation() the fast path calls as the DRF path does. A subclass
# that overrides it, or get_attribute() or bind(), is refused: its output is its own.
_VALUE_REPRESENTATIONS = frozenset(
    cls.to_representation
    for cls in (
        drf_fields.BooleanField,
        drf_fields.CharField,
        drf_fields.UUIDField,
        drf_fields.IntegerField,
        _BigIntegerField,
        drf_fields.FloatField,
        drf_fields.DecimalField,
        drf_fields.DateTimeField,
        drf_fields.DateField,
        drf_fields.TimeField,
        drf_fields.DurationField,
        drf_fields.ChoiceField,
        drf_fields.ListField,
        drf_fields.DictField,
        drf_fields.JSONField,
        drf_fields.ReadOnlyField,
        drf_fields._UnvalidatedField,
    )
)

# Model field classes whose values are always `str` / `int`: CharField.to_representation
# (`str(value)`) and IntegerField.to_representation (`int(value)`, also BigIntegerField's
# unless it coerces to strings) return them as they are.
_STR_COLUMNS = frozenset(
    {models.CharField, models.TextField, models.SlugField, models.EmailField, models.URLField}
)
_INT_COLUMNS = frozenset(
    {
        models.AutoField,
        models.BigAutoField,
        models.SmallAutoField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveBigIntegerField,
        models.PositiveSmallIntegerField,
    }
)

_TO_ONE_DESCRIPTORS = (ForwardManyToOneDescriptor, ForwardOneToOneDescriptor)


def _check_field_class(field: Field[Any, Any, Any, Any], path: str) -> None:
    found = FAST_FIELD.override(type(field))
    if found is not None:
        raise FastPathUnavailable(f"'{path}': {type(field).__name__} overrides {found}.")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Compiler:
    """Walks the serializer tree of a shape, as the DRF path would instantiate it, and
    builds the queries and the nodes. Raises FastPathUnavailable with the reason."""

    def __init__(self, loose_integers: bool = False) -> None:
        self.env = _Env()
        # SQLite stores what it is given: a 2.5 in an integer column comes back a float,
        # which IntegerField.to_representation() makes 2. Its integer columns are then
        # converted as DRF converts them (all but a primary key: SQLite's rowid).
        self.loose_integers = loose_integers
        # Every model an instance of which the DRF path builds (see _check_model()).
        self.models: set[type[models.Model]] = set()
        # (query, prefix, attribute) of a one-to-one's way back: the prefix of the row it
        # leads back to (see join()).
        self.same_rows: dict[tuple[int, str, str], Prefix] = {}

    # Serializers -------------------------------------------------------------------

    def root(self, serializer_class: type, shape: Shape) -> _Query:
        schema = get_schema(serializer_class)
        model = schema.model
        if model is None:
            raise FastPathUnavailable(f"{schema.label} has no Meta.model.")
        self.check_class(serializer_class, schema.label)
        meta = getattr(serializer_class, "Meta", None)
        list_class = getattr(meta, "list_serializer_class", None)
        if list_class is not None:
            self.check_class(list_class, schema.label)
        serializer = serializer_class(context={SHAPE_CONTEXT_KEY: shape})
        query = _Query(model, is_root=True)
        query.column(model._meta.pk.name)
        query.node = self.object(query, ROOT, model, serializer, "", resolve(schema, shape))
        return query

    def check_class(self, cls: type, path: str) -> None:
        mro = cls.__mro__
        if (
            EagerFieldsSerializerMixin in mro
            and serializers.BaseSerializer in mro
            and mro.index(EagerFieldsSerializerMixin) > mro.index(serializers.BaseSerializer)
        ):
            # DRF's get_fields() and to_representation() run, not the mixin's.
            raise FastPathUnavailable(
                f"'{path or cls.__name__}': {cls.__name__} has "
                f"EagerFieldsSerializerMixin after DRF's serializer classes."
            )
        found = FAST_SERIALIZER.override(cls)
        if found is not None:
            where = path or cls.__name__
            raise FastPathUnavailable(f"'{where}': {cls.__name__} overrides {found}.")

    def object(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        serializer: serializers.BaseSerializer,  # type: ignore[type-arg]
        path: str,
        level: SerializerNode | None,
    ) -> _Object:
        """The dict of `serializer` (the fields of the resolved `level`, if it has one)."""
        self.check_class(type(serializer), path)
        self.models.add(model)
        schema = get_schema(type(serializer))
        if level is not None and level.schema is not schema:
            # A plain nested serializer, given its shape by a class with the mixin
            # (serializers._with_shape): the same fields, read from that class.
            level = resolve_at(schema, level.shape, model, path)
        entries = []
        for field in serializer._readable_fields:  # type: ignore[attr-defined]
            name = field.field_name
            spec = schema.defaults.get(name) or schema.extras.get(name)
            field_path = _join(path, name)
            if spec is None:
                raise FastPathUnavailable(f"'{field_path}' is not a field the schema knows.")
            node = None if level is None else level.field(name)
            if node is None:  # a nested serializer's default fields
                node = resolve_field(schema, name, None, model, field_path)
            # The loading the tree decided: what the DRF path loads row by row, or
            # JOINs grouped, the values path does not reproduce.
            if node.loading == LOAD_NONE:
                raise FastPathUnavailable(
                    f"'{field_path}' has prefetch=False: the DRF path loads it row by row."
                )
            if node.loading == LOAD_GROUPED:
                raise FastPathUnavailable(
                    f"'{field_path}' is loaded grouped (Grouped): the DRF path JOINs it."
                )
            if field.source not in (spec.source, schema.read_source(name)):
                raise FastPathUnavailable(f"'{field_path}': its source changed at run time.")
            entries.append((name, self.field(query, prefix, model, node, field, field_path)))
        return _Object(tuple(entries))

    def field(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        node: FieldNode,
        field: Field[Any, Any, Any, Any],
        path: str,
    ) -> _Node:
        if isinstance(field, serializers.ListSerializer):
            return self.many_serializer(query, prefix, model, node, field, path)
        if isinstance(field, serializers.BaseSerializer):
            return self.one_serializer(query, prefix, model, node, field, path)
        _check_field_class(field, path)
        if isinstance(field, relations.ManyRelatedField):
            return self.many_related(query, prefix, model, node, field, path)
        if isinstance(field, relations.RelatedField):
            return self.one_related(query, prefix, model, node, field, path)
        return self.value(query, prefix, model, node, field, path)

    # Sources -----------------------------------------------------------------------

    def walk(
        self,
        query: _Query,
        prefix: Prefix,
        source: Source,
        field: Field[Any, Any, Any, Any],
        path: str,
    ) -> tuple[Prefix, type[models.Model], list[tuple[int, _Node]]]:
        """JOIN the to-one relations a dotted source walks through (as the tree resolved
        them); return where the last one is JOINed, its model, and the guards of the
        ones that may be missing.

        A missing forward relation makes DRF's get_attribute() fail on the next
        attribute (the field's default, null, skip or the error); a missing reverse
        one-to-one raises ObjectDoesNotExist, which DRF turns into None.
        """
        guards: list[tuple[int, _Node]] = []
        for step in source.through:
            model, attribute = step.model, step.attribute
            presence = self.presence(query, prefix, model, attribute, path)
            if presence is not None:
                forward = attribute.local_field is not None
                guards.append((presence, self.missing(field, path) if forward else _NONE))
            prefix = self.join(query, prefix, model, attribute)
            self.models.add(attribute.related_model)  # type: ignore[arg-type]
        if source.stop is not None:
            attr = source.attrs[len(source.through)]
            raise FastPathUnavailable(
                f"'{path}': its source goes through '{attr}', which is not a to-one "
                f"relation of {source.stop.model.__name__}."
            )
        return prefix, source.model, guards

    def join(
        self, query: _Query, prefix: Prefix, model: type[models.Model], attribute: Attribute
    ) -> Prefix:
        """The prefix of the columns of the to-one `attribute` of `model` in `query`: a
        JOIN, or the row it leads back to (an author's profile's author), which Django
        puts in a one-to-one's cache, as the planner does (a JOIN would read it again)."""
        joined = prefix.join(attribute, model)
        origin = self.same_rows.get((id(query), prefix.query, attribute.name))
        if origin is not None:
            # Its columns are the origin's; its attribute path, which names the instance
            # caches (the root queryset's prefetch_related()), is its own.
            return Prefix(origin.query, joined.attr, origin.trim, origin.instance)
        way_back = back(model, attribute)
        if way_back is not None:
            self.same_rows.setdefault((id(query), joined.query, way_back), prefix)
        return joined

    def presence(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        attribute: Attribute,
        path: str,
    ) -> int | None:
        """Return the column that is None when the to-one `attribute` is missing, or
        None when it never is (a non-null foreign key, the way back to a row)."""
        _check_descriptor(model, attribute, path)
        if (id(query), prefix.query, attribute.name) in self.same_rows:
            return None
        if attribute.local_field is not None:  # forward: the foreign key column
            fk = model._meta.get_field(attribute.name)
            if not fk.db_constraint:  # type: ignore[union-attr]
                # A dangling key would be None in the DRF path and a row of Nones here.
                raise FastPathUnavailable(
                    f"'{path}': {model.__name__}.{fk.name} has db_constraint=False."
                )
            if not fk.null:
                return None
            return query.column(prefix.lookup(attribute.local_field))
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        return query.column(prefix.join(attribute, model).lookup(related._meta.pk.name))

    def missing(self, field: Field[Any, Any, Any, Any], path: str) -> _Node:
        """What DRF's Field.get_attribute() gives when an attribute on the way is None."""
        if field.default is not empty:
            if callable(field.default):
                raise FastPathUnavailable(f"'{path}' has a callable default.")
            if field.default is None:
                return _NONE
            conv = self.env.add(field.to_representation)
            self.datetime(conv, field)
            return _Const(self.env.add(field.default), conv)
        if field.allow_null:
            return _NONE
        if not field.required:
            return _SKIP
        return _Raise(self.env.add(_raiser(path)))

    def source(self, node: FieldNode, path: str) -> Source:
        if node.source is None:
            raise FastPathUnavailable(f"'{path}' has source='*'.")
        return node.source

    def column_field(
        self, model: type[models.Model], attr: str, path: str, attribute: Attribute | None = None
    ) -> tuple[str, models.Field[Any, Any]]:
        """Return the values() lookup and the model field of the column `attr`, refusing
        what is not a plain column (a property, a method, a file field's descriptor).

        `attribute`: what `attr` is, as the tree resolved it; a related field's
        `slug_field`, which no field of the tree reads, is looked up here."""
        if attribute is None:
            attribute = model_attribute(model, attr)
        if attribute.kind != COLUMN:
            what = "a relation" if attribute.kind != "unknown" else "not a model field"
            raise FastPathUnavailable(
                f"'{path}' reads {model.__name__}.{attr}, which is {what} (a property or a "
                f"method of the model cannot be read from values())."
            )
        self.models.add(model)
        model_field = model._meta.get_field(attribute.name)
        if attr == "pk":
            plain = getattr_static(model, "pk", None) is vars(models.Model)["pk"]
        else:
            descriptor = getattr_static(model, attr, None)
            plain = (
                type(descriptor) in (DeferredAttribute, ForeignKeyDeferredAttribute)
                and descriptor.field is model_field
            )
        if not plain:
            raise FastPathUnavailable(
                f"'{path}': {model.__name__}.{attr} is not read through Django's plain "
                f"field descriptor."
            )
        return attribute.name, model_field  # type: ignore[return-value]

    # Value fields ------------------------------------------------------------------

    def check_value_field(self, field: Field[Any, Any, Any, Any], path: str) -> None:
        self.check_representation(field, path)
        cls = type(field)
        if cls.get_attribute is not Field.get_attribute or cls.bind is not Field.bind:
            raise FastPathUnavailable(
                f"'{path}': {cls.__name__} overrides get_attribute() or bind()."
            )

    def check_representation(self, field: Field[Any, Any, Any, Any], path: str) -> None:
        _check_field_class(field, path)
        cls = type(field)
        if cls.to_representation not in _VALUE_REPRESENTATIONS:
            raise FastPathUnavailable(
                f"'{path}': {cls.__name__} is not one of DRF's standard model field classes "
                f"(or overrides to_representation())."
            )
        child = getattr(field, "child", None)  # ListField, DictField
        if child is not None:
            self.check_representation(child, path)

    def converter(
        self, field: Field[Any, Any, Any, Any], model_field: models.Field[Any, Any] | None
    ) -> int | None:
        """Return the slot of `field.to_representation`, or None where it returns the
        value as it is."""
        representation = type(field).to_representation
        if representation is drf_fields.ReadOnlyField.to_representation:
            return None
        column = type(model_field)
        if representation is drf_fields.CharField.to_representation and column in _STR_COLUMNS:
            return None
        loose = self.loose_integers and not getattr(model_field, "primary_key", False)
        if (
            column in _INT_COLUMNS
            and not loose
            and (
                representation is drf_fields.IntegerField.to_representation
                or (
                    representation is _BigIntegerField.to_representation
                    # Read at call time; settings change only with setting_changed, which
                    # drops the compiled plans.
                    and not getattr(
                        field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING
                    )
                )
            )
        ):
            return None
        slot = self.env.add(field.to_representation)
        self.datetime(slot, field)
        return slot

    def datetime(self, slot: int, field: Field[Any, Any, Any, Any]) -> None:
        # DateTimeField looks the current time zone up for every value; it cannot
        # change during one response, so a copy resolves it once (FastPlan._env()).
        if (
            isinstance(field, drf_fields.DateTimeField)
            and not hasattr(field, "timezone")
            and type(field).default_timezone is drf_fields.DateTimeField.default_timezone
            and type(field).enforce_timezone is drf_fields.DateTimeField.enforce_timezone
        ):
            self.env.datetimes[slot] = field

    def value(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        node: FieldNode,
        field: Field[Any, Any, Any, Any],
        path: str,
    ) -> _Node:
        self.check_value_field(field, path)
        source = self.source(node, path)
        prefix, model, guards = self.walk(query, prefix, source, field, path)
        last = cast("Step", source.last)  # walk() refused a source that stops
        lookup, model_field = self.column_field(model, source.attrs[-1], path, last.attribute)
        built = _Value(query.column(prefix.lookup(lookup)), self.converter(field, model_field))
        return _guarded(guards, built)

    # Related fields ----------------------------------------------------------------

    def one_related(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        node: FieldNode,
        field: relations.RelatedField[Any, Any, Any],
        path: str,
    ) -> _Node:
        cls = type(field)
        if cls.get_attribute is not relations.RelatedField.get_attribute or (
            cls.bind is not Field.bind
        ):
            raise FastPathUnavailable(f"'{path}': {cls.__name__} overrides get_attribute().")
        source = self.source(node, path)
        prefix, model, guards = self.walk(query, prefix, source, field, path)
        attribute = cast("Step", source.last).attribute
        if attribute.kind != TO_ONE:
            raise FastPathUnavailable(f"'{path}' is a related field on a non to-one source.")
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        if self.pk_related(field):
            # The primary key, read from the foreign key column without a JOIN (DRF's
            # PKOnlyObject), or from the JOINed row of a reverse one-to-one.
            if attribute.local_field is not None:
                _check_descriptor(model, attribute, path)
                lookup = prefix.lookup(attribute.local_field)
            else:
                lookup = prefix.join(attribute, model).lookup(related._meta.pk.name)
            return _guarded(guards, _Value(query.column(lookup), self.pk_converter(field, path)))
        if self.slug_related(field):
            presence = self.presence(query, prefix, model, attribute, path)
            slug = field.slug_field  # type: ignore[attr-defined]
            column, _ = self.column_field(related, slug, path)
            built: _Node = _Value(query.column(prefix.join(attribute, model).lookup(column)))
            if presence is not None:
                built = _If(presence, _NONE, built)
            return _guarded(guards, built)
        raise FastPathUnavailable(
            f"'{path}': {cls.__name__} is not a primary key or slug related field."
        )

    def pk_related(self, field: relations.RelatedField[Any, Any, Any]) -> bool:
        cls = type(field)
        return (
            cls.to_representation is relations.PrimaryKeyRelatedField.to_representation
            and cls.use_pk_only_optimization
            is relations.PrimaryKeyRelatedField.use_pk_only_optimization
        )

    def slug_related(self, field: relations.RelatedField[Any, Any, Any]) -> bool:
        cls = type(field)
        return (
            cls.to_representation is relations.SlugRelatedField.to_representation
            and cls.use_pk_only_optimization is relations.RelatedField.use_pk_only_optimization
            and LOOKUP_SEP not in field.slug_field  # type: ignore[attr-defined]
        )

    def pk_converter(self, field: relations.RelatedField[Any, Any, Any], path: str) -> int | None:
        pk_field = field.pk_field  # type: ignore[attr-defined]
        if pk_field is None:
            return None
        self.check_representation(pk_field, path)
        slot = self.env.add(pk_field.to_representation)
        self.datetime(slot, pk_field)
        return slot

    def many_related(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        node: FieldNode,
        field: relations.ManyRelatedField,
        path: str,
    ) -> _Node:
        cls = type(field)
        if (
            cls.get_attribute is not relations.ManyRelatedField.get_attribute
            or cls.to_representation is not relations.ManyRelatedField.to_representation
        ):
            raise FastPathUnavailable(f"'{path}': {cls.__name__} overrides its methods.")
        child = field.child_relation
        _check_field_class(child, path)

        def item(child_query: _Query) -> _Node:
            related = child_query.model
            if self.pk_related(child):
                pk = child_query.column(related._meta.pk.name)
                return _Value(pk, self.pk_converter(child, path))
            if self.slug_related(child):
                slug = child.slug_field  # type: ignore[attr-defined]
                column, _ = self.column_field(related, slug, path)
                return _Value(child_query.column(column))
            raise FastPathUnavailable(
                f"'{path}': {type(child).__name__} is not a primary key or slug related field."
            )

        return self.to_many(query, prefix, node, field, path, item)

    # Nested serializers ------------------------------------------------------------

    def one_serializer(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        node: FieldNode,
        field: serializers.BaseSerializer,  # type: ignore[type-arg]
        path: str,
    ) -> _Node:
        if node.source is None:  # source="*": the same row, seen by another serializer
            return self.object(query, prefix, model, field, path, node.serializer)
        source = self.source(node, path)
        prefix, model, guards = self.walk(query, prefix, source, field, path)
        attribute = cast("Step", source.last).attribute
        if attribute.kind != TO_ONE:
            raise FastPathUnavailable(f"'{path}' is a nested serializer on a non to-one source.")
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        own = node.own
        if node.loading == LOAD_PREFETCH and own is not None:  # the user's queryset
            built: _Node = self.own_to_one(query, prefix, model, attribute, own, node, field, path)
        else:  # JOINed (prefetched for its computed fields, which are refused below)
            presence = self.presence(query, prefix, model, attribute, path)
            built = self.object(
                query,
                self.join(query, prefix, model, attribute),
                related,
                field,
                path,
                node.serializer,
            )
            if presence is not None:
                built = _If(presence, _NONE, built)
        return _guarded(guards, built)

    def many_serializer(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        node: FieldNode,
        field: serializers.ListSerializer[Any],
        path: str,
    ) -> _Node:
        self.check_class(type(field), path)
        # A ListSerializer's child is the serializer of each item, never None.
        child = cast("serializers.BaseSerializer[Any]", field.child)

        def item(child_query: _Query) -> _Node:
            return self.object(child_query, ROOT, child_query.model, child, path, node.serializer)

        return self.to_many(query, prefix, node, field, path, item)

    # Relations with a query of their own --------------------------------------------

    def to_many(
        self,
        query: _Query,
        prefix: Prefix,
        node: FieldNode,
        field: Field[Any, Any, Any, Any],
        path: str,
        item: Callable[[_Query], _Node],
    ) -> _Node:
        """A to-many relation (a list of related fields or of nested serializers, whose
        `item` builds each row): a query of its own, keyed by the parents' rows."""
        source = self.source(node, path)
        prefix, model, guards = self.walk(query, prefix, source, field, path)
        attribute = cast("Step", source.last).attribute
        if attribute.kind != TO_MANY:
            raise FastPathUnavailable(f"'{path}' is a list on a non to-many source.")
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        found = to_many(model, attribute.name)
        own = node.own
        own_queryset = own.queryset if own is not None else None
        child = _Query(related)
        child.column(related._meta.pk.name)
        pk = model._meta.pk
        relation = _Relation(
            kind="",
            path=path,
            model=related,
            parent_model=None if query.is_root and not prefix.query else model,
            parent_col=query.column(prefix.lookup(pk.name)),
            parent_pk_col=query.column(prefix.lookup(pk.name)),
            query=child,
            lookup="",
            own=own_queryset,
            root_lookup=prefix.attr + attribute.name if query.is_root else None,
            way=prefix.attr + attribute.name,
            instance=prefix.instance + attribute.name,
            filter=node.spec.filter,
            by_subquery=query.is_root and not prefix.query,
        )
        if found is None:
            raise FastPathUnavailable(f"'{path}': {attribute.name} is not a plain relation.")
        if found.kind == REVERSE_FK:
            self.check_target(found.field, pk, path)
        elif found.kind == MANY_TO_MANY:
            if found.query_name.endswith("+"):
                raise FastPathUnavailable(f"'{path}': a many-to-many without a query name.")
            self.check_target(found.field, pk, path)
            relation.through_table = cast("type[models.Model]", found.through)._meta.db_table
        else:
            generic = found.field
            relation.content_type_field = generic.content_type_field_name
            relation.for_concrete_model = generic.for_concrete_model
            # Django matches `pk.to_python(object_id)` with the parent's primary key.
            child.key_conv = self.env.add(pk.to_python)
        relation.kind, relation.lookup = found.kind, found.query_name
        child.key = child.column(found.query_name)
        if own_queryset is not None:
            _check_queryset(own_queryset, related, path, sliced=relation.kind != GENERIC)
        child.node = item(child)
        query.relations.append(relation)
        return _guarded(guards, _Related(len(query.relations) - 1, relation.parent_col, many=True))

    def own_to_one(
        self,
        query: _Query,
        prefix: Prefix,
        model: type[models.Model],
        attribute: Attribute,
        own: Prefetch[str],
        node: FieldNode,
        field: serializers.BaseSerializer,  # type: ignore[type-arg]
        path: str,
    ) -> _Related:
        """A to-one relation with the user's Prefetch queryset: a query of its own, as
        the planner prefetches it (a JOIN would drop the user's filter)."""
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        descriptor = getattr_static(model, attribute.name, None)
        _check_queryset(own.queryset, related, path, sliced=False)
        child = _Query(related)
        child.column(related._meta.pk.name)
        child.many = False
        if not _is_plain_to_one(model, attribute):
            raise FastPathUnavailable(f"'{path}': {attribute.name} is not a plain relation.")
        if relation_kind(model, attribute) == REVERSE_ONE_TO_ONE:
            fk = descriptor.related.field
            self.check_target(fk, model._meta.pk, path)
            kind, lookup, parent = REVERSE_ONE, fk.name, prefix.lookup(model._meta.pk.name)
            child.key = child.column(fk.name)
        else:  # a foreign key, a one-to-one or a parent link
            fk = descriptor.field
            if len(fk.foreign_related_fields) != 1:
                raise FastPathUnavailable(f"'{path}': a multi-column relation.")
            target = fk.target_field
            kind, lookup, parent = FORWARD_ONE, target.name, prefix.lookup(fk.name)
            child.key = child.column(target.name)
        relation = _Relation(
            kind=kind,
            path=path,
            model=related,
            parent_model=model,
            parent_col=query.column(parent),
            parent_pk_col=query.column(parent) if kind == REVERSE_ONE else None,
            query=child,
            lookup=lookup,
            own=own.queryset,
            root_lookup=None,
            filter=None,
            by_subquery=False,
            way=prefix.attr + attribute.name,
            instance=prefix.instance + attribute.name,
        )
        child.node = self.object(child, ROOT, related, field, path, node.serializer)
        query.relations.append(relation)
        return _Related(len(query.relations) - 1, relation.parent_col, many=False)

    def check_target(self, fk: Any, pk: Any, path: str) -> None:
        if len(fk.foreign_related_fields) != 1 or fk.target_field != pk:
            raise FastPathUnavailable(
                f"'{path}': the relation does not point at the primary key of its parent."
            )


def _is_plain_to_one(model: type[models.Model], attribute: Attribute) -> bool:
    """Whether the to-one `attribute` is read through Django's own descriptor."""
    descriptor = type(getattr_static(model, attribute.name, None))
    if attribute.local_field is not None:
        return descriptor in _TO_ONE_DESCRIPTORS
    return descriptor is ReverseOneToOneDescriptor


def _check_descriptor(model: type[models.Model], attribute: Attribute, path: str) -> None:
    """Refuse a to-one relation read through a descriptor other than Django's own."""
    if not _is_plain_to_one(model, attribute):
        raise FastPathUnavailable(f"'{path}': {attribute.name} has a custom descriptor.")


def _guarded(guards: list[tuple[int, _Node]], node: _Node) -> _Node:
    for column, absent in reversed(guards):
        node = _If(column, absent, node)
    return node


def _raiser(path: str) -> Callable[[], Any]:
    def fail() -> Any:
        raise AttributeError(
            f"Got AttributeError when attempting to get a value for field '{path}': a "
            f"relation on the way is None and the field has no default, is not "
            f"allow_null and is required."
        )

    return fail


def _is_total_order(queryset: QuerySet[Any]) -> bool:
    query = queryset.query
    meta = queryset.model._meta
    ordering = query.order_by or (meta.ordering if query.default_ordering else ())
    unique = {"pk"} | {
        name
        for field in meta.concrete_fields
        if field.unique and not field.null
        for name in (field.name, field.attname)
    }
    return any(isinstance(item, str) and item.lstrip("-") in unique for item in ordering)


def _check_model(model: type[models.Model]) -> None:
    """Refuse a model whose instances are not the values of their columns: the DRF path
    builds them through from_db() and __init__(), and sends pre_init and post_init."""
    base = models.Model
    if (
        getattr(model.from_db, "__func__", None) is not vars(base)["from_db"].__func__
        or model.__init__ is not base.__init__
        or model.__getattribute__ is not base.__getattribute__
        or hasattr(model, "__getattr__")
    ):
        raise FastPathUnavailable(
            f"{model.__name__} overrides from_db(), __init__() or attribute access."
        )
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        raise FastPathUnavailable(f"{model.__name__} has pre_init or post_init receivers.")


def _check_queryset(queryset: Any, model: type[models.Model], path: str, *, sliced: bool) -> None:
    """Refuse a queryset whose rows values() could not reproduce."""
    where = f"'{path}'" if path else "The root queryset"
    if not isinstance(queryset, QuerySet) or not of_instances(queryset):
        raise FastPathUnavailable(f"{where}: not a queryset of model instances.")
    if queryset.model._meta.concrete_model is not model._meta.concrete_model:
        raise FastPathUnavailable(f"{where}: a queryset of {queryset.model.__name__}.")
    query = queryset.query
    if query.combinator:
        raise FastPathUnavailable(f"{where}: a {query.combinator}() queryset.")
    if query.extra or query.extra_tables:
        raise FastPathUnavailable(f"{where}: a queryset with extra().")
    if query.distinct_fields:
        raise FastPathUnavailable(f"{where}: a queryset with distinct(*fields).")
    grouped = query.group_by is not None or any(
        getattr(annotation, "contains_aggregate", False)
        or getattr(annotation, "contains_over_clause", False)
        for annotation in query.annotations.values()
    )
    if grouped and not _is_total_order(queryset):
        # values_list() selects other columns, so the database groups by other columns:
        # rows that tie on the ordering may come back in another order, and pages differ
        # between the paths. An ordering ending on a unique column has no ties.
        raise FastPathUnavailable(
            f"{where}: a queryset with an aggregate (GROUP BY) and an ordering that may "
            f"tie (order it by a unique column too)."
        )
    if query.is_sliced and not sliced:
        raise FastPathUnavailable(f"{where}: a sliced queryset.")


# Code generation ----------------------------------------------------------------------


def _can_skip(node: _Node) -> bool:
    if isinstance(node, _Skip):
        return True
    if isinstance(node, _If):
        return _can_skip(node.absent) or _can_skip(node.present)
    return False


class _Writer:
    """Writes the Python source that turns a query's rows into dicts."""

    def __init__(self) -> None:
        self.env: set[int] = set()
        self.groups: set[int] = set()
        self.helpers: list[list[str]] = []

    def expr(self, node: _Node) -> str:
        if isinstance(node, _Value):
            cell = f"row[{node.col}]"
            if node.conv is None:
                return cell
            self.env.add(node.conv)
            return f"(None if {cell} is None else e{node.conv}({cell}))"
        if isinstance(node, _Const):
            if node.slot is None:
                return "None"
            self.env.add(node.slot)
            if node.conv is None:
                return f"e{node.slot}"
            self.env.add(node.conv)
            return f"e{node.conv}(e{node.slot})"
        if isinstance(node, _Raise):
            self.env.add(node.slot)
            return f"e{node.slot}()"
        if isinstance(node, _If):
            absent, present = self.expr(node.absent), self.expr(node.present)
            return f"({absent} if row[{node.col}] is None else {present})"
        if isinstance(node, _Related):
            # The child rows are grouped, not their dicts: each parent row builds its own
            # (two parents may share a key, as two instances share a related one).
            group = node.group
            self.groups.add(group)
            found = f"g{group}.get(row[{node.col}])"
            if node.many:
                return f"[i{group}(r) for r in g{group}.get(row[{node.col}], ())]"
            return f"(None if (t{group} := {found}) is None else i{group}(t{group}))"
        if isinstance(node, _Object):
            return self.object(node)
        raise TypeError(node)  # pragma: no cover - _Skip is handled by assign()

    def object(self, node: _Object) -> str:
        if not any(_can_skip(value) for _, value in node.entries):
            items = ", ".join(f"{key!r}: {self.expr(value)}" for key, value in node.entries)
            return "{" + items + "}"
        # A key that may be left out needs statements: a helper function.
        name = f"o{len(self.helpers)}"
        self.helpers.append([])  # reserve the name before nested helpers take theirs
        body = [f"def {name}(row):", "    d = {}"]
        for key, value in node.entries:
            body.extend(self.assign(key, value, 1))
        body.append("    return d")
        self.helpers[int(name[1:])] = body
        return f"{name}(row)"

    def assign(self, key: str, node: _Node, depth: int) -> list[str]:
        pad = "    " * depth
        if isinstance(node, _Skip):
            return [f"{pad}pass"]
        if isinstance(node, _If) and _can_skip(node):
            return [
                f"{pad}if row[{node.col}] is None:",
                *self.assign(key, node.absent, depth + 1),
                f"{pad}else:",
                *self.assign(key, node.present, depth + 1),
            ]
        return [f"{pad}d[{key!r}] = {self.expr(node)}"]


def _generate(query: _Query) -> None:
    """Compile `query.build(rows, groups, env)`: the list of dicts of a root query, or
    the dicts of a child query by parent key (a list each, or one for a to-one)."""
    writer = _Writer()
    item = writer.expr(query.node)
    key = f"row[{query.key}]"
    if query.key_conv is not None:
        writer.env.add(query.key_conv)
        key = f"e{query.key_conv}({key})"
    lines = ["def build(rows, G, E):"]
    lines += [f"    e{slot} = E[{slot}]" for slot in sorted(writer.env)]
    lines += [f"    g{group}, i{group} = G[{group}]" for group in sorted(writer.groups)]
    for helper in writer.helpers:
        lines += ["    " + line for line in helper]
    if query.key is None:
        lines.append(f"    return [{item} for row in rows]")
    else:
        # A child query returns its rows by parent key and the function that builds
        # the dict of one: the parent calls it per use, for a fresh dict each time.
        lines += ["    def item(row):", f"        return {item}"]
        lines += ["    groups = {}", "    get = groups.get", "    for row in rows:"]
        if query.many:
            lines += [
                f"        key = {key}",
                "        bucket = get(key)",
                "        if bucket is None:",
                "            groups[key] = [row]",
                "        else:",
                "            bucket.append(row)",
            ]
        else:
            lines += [
                f"        key = {key}",
                "        if key not in groups:",
                "            groups[key] = row",
            ]
        lines.append("    return groups, item")
    query.source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = {}
    code = compile(query.source, f"<drf_eager.fast {query.model.__name__}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own source: indices, slots and repr() keys
    query.build = namespace["build"]


# The public API -----------------------------------------------------------------------


class FastPlan:
    """How to serve one shape of one serializer class from values() rows.

    Made by compile_fast_plan() and shared by every request with that shape: it holds
    no request state.
    """

    def __init__(
        self,
        serializer_class: type,
        shape: Shape,
        root: _Query,
        env: _Env,
        model_classes: frozenset[type[models.Model]] = frozenset(),
        loose_integers: bool = False,
    ) -> None:
        self.serializer_class = serializer_class
        self.shape = shape
        self.models = model_classes
        #: Compiled for SQLite, which may return a float from an integer column.
        self.loose_integers = loose_integers
        self.model: type[models.Model] = root.model
        self.root = root
        self._env = env
        # What one row of each query serves, for the response budget (see _Tally).
        self.tallies = {id(query): _tally(query.node) for query in root.walk()}

    def __repr__(self) -> str:
        return f"<FastPlan {self.serializer_class.__name__} {self.query_count()} queries>"

    def query_count(self) -> int:
        """The most queries a response costs: 1 for the root rows, 1 per relation loaded
        by a query of its own (none is sent for a relation without parent rows)."""
        return len(list(self.root.walk()))

    @property
    def source(self) -> str:
        """The generated code, for reading and debugging."""
        return "\n".join(query.source for query in self.root.walk())

    def prepare(
        self,
        queryset: QuerySet[Any],
        *,
        related_queryset: RelatedQuerysetGetter | None = None,
        budget: RowBudget | None = None,
        one_row: bool = False,
    ) -> FastQuery:
        """Check `queryset` and the related querysets, and return the query to run.

        `queryset` is the view's root queryset (filtered, ordered, maybe sliced, planned
        or not). `related_queryset(model, path)` is the view's get_related_queryset();
        it defaults to the related model's default manager, as in the planner. Raise
        FastPathUnavailable, before any query, for a queryset the fast path cannot
        serve identically: an unordered one among them, unless it is read for
        `one_row`.

        `budget` (MAX_ROWS) counts the objects the response serves, each nested object
        where it is served, from each query's rows by parent key as they arrive (the
        rows of a relation that loops back are served under every parent).
        """
        _check_queryset(queryset, self.model, "", sliced=True)
        if not one_row and not queryset.ordered:
            # Its rows come in the order the database reads the view's own query, which
            # the root query here (other columns, JOINs) need not keep; the DRF path
            # sends that query as it is (see drf_eager.prefetch.prefetch_queryset()).
            raise FastPathUnavailable("The queryset has no ordering.")
        # Receivers connect at any time: checked per response, not per plan.
        for model in self.models:
            _check_model(model)
        self._check_database(queryset)
        getter = related_queryset or default_related_queryset
        bases = existing_prefetches(queryset)
        querysets = {}
        for query in self.root.walk():
            for relation in query.relations:
                querysets[id(relation)] = base = _base_queryset(relation, bases, getter)
                self._check_database(base)
                if relation.way != relation.instance and query.is_root:
                    _check_way_back(relation, bases)
            _check_twins(query, querysets)
        return FastQuery(self, queryset.prefetch_related(None), querysets, self.env(), budget)

    def _check_database(self, queryset: QuerySet[Any]) -> None:
        if not self.loose_integers and connections[queryset.db].vendor == "sqlite":
            raise FastPathUnavailable(
                "A plan compiled for another database than SQLite (see compile_fast_plan())."
            )

    def env(self) -> tuple[Any, ...]:
        """The slots of the generated code for one response: DateTimeFields resolve the
        current time zone once (DRF's default_timezone(), as every value would)."""
        values = list(self._env.values)
        for slot, field in self._env.datetimes.items():
            pinned = copy.copy(field)
            # None without USE_TZ, as DRF allows; the stubs say a tzinfo.
            pinned.timezone = field.default_timezone()  # type: ignore[assignment]
            values[slot] = pinned.to_representation
        return tuple(values)

    def serialize(
        self,
        queryset: QuerySet[Any],
        *,
        related_queryset: RelatedQuerysetGetter | None = None,
    ) -> list[dict[str, Any]]:
        """Return what `Serializer(queryset, many=True).data` returns on the DRF path."""
        return self.prepare(queryset, related_queryset=related_queryset).serialize()

    def serialize_one(
        self,
        queryset: QuerySet[Any],
        *,
        related_queryset: RelatedQuerysetGetter | None = None,
    ) -> dict[str, Any]:
        """Return the dict of the one row of `queryset` (a retrieve), raising the model's
        DoesNotExist or MultipleObjectsReturned as `queryset.get()` would."""
        query = self.prepare(queryset, related_queryset=related_queryset, one_row=True)
        rows = list(query.rows[:2])
        if not rows:
            raise queryset.model.DoesNotExist(
                f"{queryset.model._meta.object_name} matching query does not exist."
            )
        if len(rows) > 1:
            raise queryset.model.MultipleObjectsReturned(
                f"get() returned more than one {queryset.model._meta.object_name}."
            )
        return query.serialize(rows)[0]


def _base_queryset(
    relation: _Relation, bases: dict[str, Prefetch[str]], getter: RelatedQuerysetGetter
) -> QuerySet[Any]:
    """The queryset a relation's rows come from: sources.base_queryset(), as the
    planner chooses it (a relation loaded grouped gets no fast plan), checked."""
    queryset = base_queryset(
        relation.model,
        relation.path,
        getter,
        own=relation.own,
        existing=bases.get(relation.root_lookup) if relation.root_lookup else None,
        filter=relation.filter,
    )
    _check_queryset(
        queryset,
        relation.model,
        relation.path,
        sliced=relation.kind in (REVERSE_FK, MANY_TO_MANY),
    )
    if relation.through_table is not None:
        joins = [
            alias
            for alias, join in queryset.query.alias_map.items()
            if join.table_name == relation.through_table
        ]
        if len(joins) > 1:
            # Django's prefetch reads the key from the first of them, values() the last.
            raise FastPathUnavailable(
                f"'{relation.path}': the queryset joins {relation.through_table} twice."
            )
    unprefetched: QuerySet[Any] = queryset.prefetch_related(None)
    return unprefetched


def _check_way_back(relation: _Relation, bases: dict[str, Prefetch[str]]) -> None:
    # The root queryset's own prefetch of a relation reached through a way back (or of
    # the relation of the same instance) fills the one cache both ways read on the DRF
    # path, with rows of its own queryset, first: served here from one way only.
    for lookup in (relation.way, relation.instance):
        if lookup in bases:
            raise FastPathUnavailable(
                f"'{relation.path}': the queryset's prefetch_related('{lookup}') fills the "
                f"cache of '{relation.instance}', which a way back reaches."
            )


def _check_twins(query: _Query, querysets: dict[int, QuerySet[Any]]) -> None:
    # Relations of one instance reached on different ways are one prefetch on the DRF path,
    # with one queryset: the view's related querysets must not scope them apart.
    groups: dict[str, set[Any]] = {}
    for relation in query.relations:
        if relation.twin:
            try:
                statement: Any = querysets[id(relation)].query.sql_with_params()
                hash(statement)
            except EmptyResultSet:
                statement = None
            except TypeError:  # parameters of no hash: told apart
                statement = object()
            groups.setdefault(relation.instance, set()).add(statement)
    for instance, statements in groups.items():
        if len(statements) > 1:
            raise FastPathUnavailable(
                f"'{instance}': the related querysets of the ways that reach it differ."
            )


def _no_rows() -> tuple[dict[Any, Any], None]:
    return {}, None


class _Tally:
    """What one row of a query serves, counted from its node before anything is built:
    `objects` dicts (its own and those of the to-one relations JOINed into it), the rows
    of each relation loaded by a query of its own (`related`: the relation's group and
    the parent key column, as the generated code reads them), and what depends on a
    JOINed to-one being present (`branches`: the column and the absent and present
    tallies, as `_If` chooses)."""

    def __init__(self) -> None:
        self.objects = 0
        self.related: list[tuple[int, int]] = []
        self.branches: list[tuple[int, _Tally, _Tally]] = []


def _tally(node: _Node, into: _Tally | None = None) -> _Tally:
    tally = _Tally() if into is None else into
    if isinstance(node, _Object):
        tally.objects += 1
        for _, value in node.entries:
            _tally(value, tally)
    elif isinstance(node, _Related):
        tally.related.append((node.group, node.col))
    elif isinstance(node, _If):
        tally.branches.append((node.col, _tally(node.absent), _tally(node.present)))
    return tally


def _add_row(
    tally: _Tally, row: tuple[Any, ...], times: int, by_key: dict[int, dict[Any, int]]
) -> int:
    # The objects `row` serves `times` times; its parent keys are added to `by_key`.
    objects = tally.objects * times
    for group, col in tally.related:
        counts = by_key.setdefault(group, {})
        key = row[col]
        counts[key] = counts.get(key, 0) + times
    for col, absent, present in tally.branches:
        objects += _add_row(absent if row[col] is None else present, row, times, by_key)
    return objects


class FastQuery:
    """One response of a FastPlan: the root rows to serve, and how to load the rest."""

    def __init__(
        self,
        plan: FastPlan,
        queryset: QuerySet[Any],
        querysets: dict[int, QuerySet[Any]],
        env: tuple[Any, ...],
        budget: RowBudget | None = None,
    ) -> None:
        self.plan = plan
        self.queryset = queryset
        self._querysets = querysets
        self._env = env
        self._db = queryset.db
        #: The root rows: a lazy values_list() queryset a paginator can count and slice.
        self.rows: QuerySet[Any] = keep_row_order(queryset).values_list(*plan.root.lookups)
        self._subquery: QuerySet[Any] | None = None
        self._budget = budget
        # The rows each twin relation read, by its instance and columns: a relation
        # served twice at one level (an author's books, and the books of the author of
        # the author's profile, the same row) is read once, as the DRF path's prefetch
        # finds it on the same instance.
        self._read: dict[Any, tuple[str, list[tuple[Any, ...]]]] = {}

    def serialize(self, rows: Iterable[tuple[Any, ...]] | None = None) -> list[dict[str, Any]]:
        """Return the list of dicts of `rows` (the root rows, as `rows` yields them: a
        paginator's page of it), or of every root row.

        With a budget (see FastPlan.prepare()), raise ResponseTooLarge as soon as the
        rows loaded serve more objects than it has left: before the next query runs and
        before any dict is built.
        """
        self._subquery = None
        self._read = {}
        if rows is None:
            rows = self.rows
            if not self.queryset.query.is_sliced:
                # Every root row is served: its children may be filtered by the root
                # queryset itself rather than by a list of thousands of keys.
                self._subquery = self.queryset.values("pk").using(self._db)
        build = self._run(self.plan.root, rows, self.queryset.model, self._db)
        return build()  # type: ignore[no-any-return]

    def _run(
        self,
        query: _Query,
        rows: Iterable[tuple[Any, ...]],
        model: type[models.Model],
        db: str,
        served: dict[Any, int] | None = None,
    ) -> Callable[[], Any]:
        # Run the query of `rows` and those below it; return what builds their dicts.
        # Every query runs before anything is built, so that the budget refuses a
        # response before any dict is built.
        # `db`: the database `rows` were read from, as their instances' _state.db.
        # `served`: with a budget, how many times the rows of each parent key are served
        # (None for the root rows: once each).
        loaded = rows if isinstance(rows, list) else list(rows)
        by_key = {} if self._budget is None else self._spend(query, loaded, served)
        loads = [
            self._load(query, relation, loaded, model, db, by_key.get(group))
            for group, relation in enumerate(query.relations)
        ]
        env = self._env
        return lambda: query.build(loaded, tuple(load() for load in loads), env)

    def _spend(
        self, query: _Query, rows: list[tuple[Any, ...]], served: dict[Any, int] | None
    ) -> dict[int, dict[Any, int]]:
        # Spend the objects `rows` serve; return, per relation (group), how many times the
        # rows of each of its parent keys will be served.
        tally: _Tally = self.plan.tallies[id(query)]
        by_key: dict[int, dict[Any, int]] = {}
        times = None if served is None else self._times(query, rows, served)
        if tally.branches or tally.related:
            objects = 0
            for row, count in zip(rows, times or itertools.repeat(1), strict=False):
                if count:
                    objects += _add_row(tally, row, count, by_key)
        else:  # no relation below and no JOINed to-one that may be missing: no walk
            objects = tally.objects * (len(rows) if times is None else sum(times))
        assert self._budget is not None
        self._budget.spend(objects)
        return by_key

    def _times(
        self, query: _Query, rows: list[tuple[Any, ...]], served: dict[Any, int]
    ) -> list[int]:
        # How many times each child row is served: as often as its parent key, keyed as
        # the generated code keys it; a to-one serves the first row of each key only.
        col = cast(int, query.key)
        convert = None if query.key_conv is None else self._env[query.key_conv]
        keys = (
            [row[col] for row in rows] if convert is None else [convert(row[col]) for row in rows]
        )
        get = served.get
        if query.many:
            return [get(key, 0) for key in keys]
        seen: set[Any] = set()
        times = []
        for key in keys:
            times.append(0 if key in seen else get(key, 0))
            seen.add(key)
        return times

    def _load(
        self,
        query: _Query,
        relation: _Relation,
        rows: list[tuple[Any, ...]],
        root_model: type[models.Model],
        parent_db: str,
        served: dict[Any, int] | None,
    ) -> Callable[[], tuple[dict[Any, Any], Any]]:
        col = relation.parent_col
        keys = {row[col] for row in rows}
        keys.discard(None)
        if not keys:  # as Django's prefetch: no parent, no query
            return _no_rows
        parent = relation.parent_model or root_model
        queryset = self._querysets[id(relation)]
        # As Django's prefetch: the queryset's .using(), else the routers' choice for
        # the related model given the first parent, else the parent's database.
        pk_col = relation.parent_pk_col
        hint = stand_in(parent, parent_db, None if pk_col is None else rows[0][pk_col])
        db = read_database(queryset, hint)
        queryset = queryset.using(db)
        kind = relation.kind
        # Twins read the same rows where they select the same columns: prepare() refused
        # twins whose querysets differ (_check_twins()).
        read_key = (
            (id(query), relation.instance, db, tuple(relation.query.lookups))
            if relation.twin
            else None
        )
        read = None if read_key is None else self._read.get(read_key)
        if read is not None and read[0] != relation.way:  # read already, on another way
            return self._run(relation.query, read[1], relation.model, db, served or {})
        if kind in (REVERSE_FK, MANY_TO_MANY):
            values: Any = list(keys)
            subquery = self._subquery if relation.by_subquery else None
            # The root queryset as a subquery only on its own database: Django refuses
            # a subquery across databases.
            if subquery is not None and len(keys) >= SUBQUERY_THRESHOLD and db == self._db:
                values = subquery
            queryset = _filter_prefetch_queryset(queryset, relation.lookup, values)
        elif kind == GENERIC:
            from django.contrib.contenttypes.models import ContentType

            # Django reads the parent's content type from the parent's database.
            content_type = ContentType.objects.db_manager(parent_db).get_for_model(
                parent, for_concrete_model=relation.for_concrete_model
            )
            field = relation.content_type_field
            queryset = queryset.filter(
                Q.create([(f"{field}__pk", content_type.pk), (f"{relation.lookup}__in", keys)])
            )
        else:  # a to-one relation: one row per key, in no particular order
            queryset = queryset.filter(**{f"{relation.lookup}__in": list(keys)})
            queryset.query.clear_ordering()
        if kind in (REVERSE_FK, MANY_TO_MANY, GENERIC):
            # The served columns alone may be read in another order (see keep_row_order).
            queryset = keep_row_order(queryset)
        child_rows = list(queryset.values_list(*relation.query.lookups))
        if read_key is not None:
            self._read.setdefault(read_key, (relation.way, child_rows))
        return self._run(relation.query, child_rows, relation.model, db, served or {})


# Compilation and its cache ---------------------------------------------------------------


@lru_cache(maxsize=512)
def _compile(serializer_class: type, shape: Shape, loose_integers: bool) -> FastPlan | str:
    compiler = _Compiler(loose_integers)
    try:
        root = compiler.root(serializer_class, shape)
    except FastPathUnavailable as exc:
        return str(exc)
    except (FieldDoesNotExist, AttributeError, TypeError) as exc:
        # A serializer the schema reads but the fast path does not understand.
        return f"{type(exc).__name__}: {exc}"
    for query in root.walk():
        _generate(query)
        _find_twins(query)
    return FastPlan(
        serializer_class,
        shape,
        root,
        compiler.env,
        frozenset(compiler.models),
        loose_integers,
    )


def _find_twins(query: _Query) -> None:
    # The relations read by the same parent key on different ways: the same relation of
    # the same instance on the DRF path (an author's books, and its profile's author's).
    # Two on the same way are variants the DRF path reads apart (`tags(id)`, `tag_ids`).
    groups: dict[Any, list[_Relation]] = {}
    for relation in query.relations:
        key = (relation.parent_col, relation.model, relation.kind, relation.lookup)
        groups.setdefault(key, []).append(relation)
    for group in groups.values():
        if len({relation.way for relation in group}) > 1:
            for relation in group:
                relation.twin = True


def _is_sqlite(using: str | None) -> bool:
    return connections[using or DEFAULT_DB_ALIAS].vendor == "sqlite"


def compile_fast_plan(
    serializer_class: type, shape: Shape, *, using: str | None = None
) -> FastPlan | None:
    """Return the fast plan of `shape` of `serializer_class`, or None when its output
    cannot be proven identical to the DRF path's (see fast_plan_refusal()).

    `using` is the database alias the rows come from (the default database when None):
    a plan for SQLite converts integer columns, as SQLite may return a float from them.
    Cached per serializer class, shape and kind of database.
    """
    compiled = _compile(serializer_class, shape, _is_sqlite(using))
    return compiled if isinstance(compiled, FastPlan) else None


def fast_plan_refusal(
    serializer_class: type, shape: Shape, *, using: str | None = None
) -> str | None:
    """Return why `shape` of `serializer_class` has no fast plan, or None when it has."""
    compiled = _compile(serializer_class, shape, _is_sqlite(using))
    return None if isinstance(compiled, FastPlan) else compiled


def _clear_cache(**kwargs: Any) -> None:
    # Serializer fields read settings when they are built (REST_FRAMEWORK, USE_TZ ...):
    # a plan compiled under other settings must not outlive them (tests override them).
    _compile.cache_clear()


setting_changed.connect(_clear_cache)
