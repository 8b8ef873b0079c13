"""The SQL render: a fast plan's list served as JSON text the database writes, in one
statement per response.

The fast path (drf_eager.fast) compiles a shape into a tree of `values_list()` queries
and the nodes that say how each key of each dict is produced. This module is a second
back end of that same plan: it writes the tree as one SQL statement.

- each level's rows are its queryset as the fast path runs it (the root queryset with the
  view's filters, ordering and pagination slice; each relation's base queryset as
  `_base_queryset()` chose it), compiled by Django, with the plan's columns selected
  under aliases of ours;
- a to-one relation the plan JOINs is a JOIN of that query (the plan's `__` lookups);
- a to-many relation is a correlated subquery: the relation's queryset filtered on the
  parent's key column, its objects concatenated in its row order (on MariaDB, where a
  derived table cannot refer to the outer query, the queryset's own query selects the
  aggregate; see _Statement.mariadb_related());
- each object is the concatenation of its keys and values: the JSON functions of the
  databases write other bytes than DRF's renderer (PostgreSQL's `json_build_object()`
  writes `{"a" : 1}`), so only strings are quoted by the database (`to_json()`,
  `json_quote()`, which escape as Python's `json` does) and everything else is text
  formatted exactly as DRF's field and renderer format it.

The root objects come back one row each, in order; they are joined in Python and the
one thing DRF's JSONRenderer does to the whole text (escaping U+2028 and U+2029) is done
once on the result.

What is not served (the response takes the fast path, and `sql_refusal()` says why) is
decided per node of the plan, once per plan and kind of database; what depends on the
request (the related querysets, the time zone) is checked per response by
`prepare_sql()`. See docs/sql-render.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, FieldError
from django.db import NotSupportedError, connections, models
from django.db.models import F, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import Expression, OrderByList, RawSQL, Window
from django.db.models.functions import RowNumber
from django.db.models.sql.where import ExtraWhere
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnList

from .exceptions import RowBudget
from .fast import (
    _INT_COLUMNS,
    _STR_COLUMNS,
    FORWARD_ONE,
    REVERSE_ONE,
    FastPlan,
    FastQuery,
    _BigIntegerField,
    _Const,
    _If,
    _Node,
    _Object,
    _Query,
    _Raise,
    _Related,
    _Relation,
    _Skip,
    _Value,
)
from .prefetch import keep_row_order
from .sources import MANY_TO_MANY, REVERSE_FK

_ISO_8601 = "iso-8601"  # rest_framework.settings.ISO_8601 (the stubs leave it out)

__all__ = ["SQLList", "SQLRenderUnavailable", "SQLResponse", "prepare_sql", "sql_refusal"]

#: The databases the SQL render writes statements for.
VENDORS = ("mysql", "postgresql", "sqlite")

#: MariaDB's JSON_QUOTE() writes the escapes of these control characters with capital
#: hex digits ('\\u001B'); Python's json writes small ones. A string holding one of them
#: (rare) is escaped by hand; see _Statement.quote().
_CONTROL_ESCAPES = [
    ("\\", "\\\\"),
    ('"', '\\"'),
    *((chr(code), json.dumps(chr(code))[1:-1]) for code in range(32)),
]

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


class SQLRenderUnavailable(Exception):
    """The SQL render cannot serve this response exactly: use the fast path."""


def _literal(text: str) -> str:
    """`text` as an SQL string literal, in a statement sent with parameters (a `%` is
    written `%%`, as Django's backends expect it there)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _json_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


# What a column's value becomes ---------------------------------------------------------

# The kinds of value encoding a node may use, decided per plan and database.
TEXT = "text"  # a JSON string, quoted by the database
INTEGER = "integer"  # the column's integer, as decimal digits
LOOSE_INTEGER = "loose_integer"  # SQLite: int() of what the column holds
BOOLEAN = "boolean"
DECIMAL = "decimal"  # PostgreSQL numeric, at the field's own scale
DATE = "date"
DATETIME = "datetime"
UUID = "uuid"  # str() of the UUID: 36 lowercase characters with hyphens


def _column_field(model: type[models.Model], lookup: str) -> models.Field[Any, Any]:
    """The model field whose type the values() column `lookup` has (a foreign key's
    column has its target's type)."""
    query = models.sql.Query(model)
    _, final, targets, rest = query.names_to_path(lookup.split("__"), model._meta)
    if rest:  # pragma: no cover - the fast plan's lookups are all columns
        raise SQLRenderUnavailable(f"'{lookup}' is not a column.")
    target: Any = targets[0]
    while target.is_relation:
        target = target.target_field
    return target  # type: ignore[no-any-return]


def _iso_8601(output_format: Any) -> bool:
    # As DRF compares it (None: the value itself, rendered by the JSON encoder).
    return isinstance(output_format, str) and output_format.lower() == _ISO_8601


def _converter_field(plan: FastPlan, conv: int) -> Any:
    """The DRF field whose to_representation() the slot `conv` holds."""
    env = plan._env
    if conv in env.datetimes:
        return env.datetimes[conv]
    return getattr(env.values[conv], "__self__", None)


def _encoding(
    plan: FastPlan, vendor: str, column: models.Field[Any, Any], conv: int | None
) -> str:
    """How the SQL render writes a column through the DRF field of slot `conv` (None:
    the value as it is), or raise SQLRenderUnavailable with the reason."""
    kind = type(column)
    name = f"{column.model.__name__}.{column.name}" if hasattr(column, "model") else column.name
    if conv is None:
        if kind in _STR_COLUMNS:
            return TEXT
        if kind in _INT_COLUMNS:
            return INTEGER
        if kind is models.UUIDField:  # DRF's JSON encoder writes str() of the UUID
            return UUID
        raise SQLRenderUnavailable(
            f"{name} ({kind.__name__}) is served as the database returns it."
        )
    drf_field = _converter_field(plan, conv)
    field_kind = type(drf_field)
    representation = getattr(field_kind, "to_representation", None)
    if kind in _INT_COLUMNS and representation in (
        drf_fields.IntegerField.to_representation,
        _BigIntegerField.to_representation,
    ):
        if getattr(drf_field, "coerce_to_string", False):
            raise SQLRenderUnavailable(f"{name}: a big integer coerced to a string.")
        return LOOSE_INTEGER if vendor == "sqlite" else INTEGER
    if (
        kind in (models.BooleanField,)
        and representation is drf_fields.BooleanField.to_representation
    ):
        return BOOLEAN
    if (
        kind in _STR_COLUMNS
        and representation is drf_fields.ChoiceField.to_representation
        and all(isinstance(value, str) for value in drf_field.choice_strings_to_values.values())
    ):
        # The choice of `str(value)`, which for string keys is the value itself.
        return TEXT
    if kind is models.UUIDField and representation is drf_fields.UUIDField.to_representation:
        if drf_field.uuid_format != "hex_verbose":
            raise SQLRenderUnavailable(f"{name}: a UUIDField with a format of its own.")
        return UUID
    if kind is models.DecimalField and representation is drf_fields.DecimalField.to_representation:
        if vendor == "sqlite":
            raise SQLRenderUnavailable(
                f"{name}: a decimal on {vendor}, which does not store it as a decimal "
                "(Django rounds what it reads in Python)."
            )
        coerce = getattr(drf_field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        if (
            not coerce
            or drf_field.localize
            or getattr(drf_field, "normalize_output", False)
            or drf_field.decimal_places != column.decimal_places  # type: ignore[attr-defined]
            or drf_field.max_digits != column.max_digits  # type: ignore[attr-defined]
        ):
            # At the column's own scale, quantize() rounds nothing: PostgreSQL's text of
            # the numeric, and MariaDB's of the DECIMAL, is DRF's f'{quantized:f}'
            # ('12.30', never an exponent).
            raise SQLRenderUnavailable(
                f"{name}: a DecimalField not rendered as a string at the column's own "
                "scale and precision."
            )
        return DECIMAL
    if kind is models.DateField and representation is drf_fields.DateField.to_representation:
        if not _iso_8601(getattr(drf_field, "format", api_settings.DATE_FORMAT)):
            raise SQLRenderUnavailable(f"{name}: a DateField with a format of its own.")
        return DATE
    if (
        kind is models.DateTimeField
        and representation is drf_fields.DateTimeField.to_representation
    ):
        if not _iso_8601(getattr(drf_field, "format", api_settings.DATETIME_FORMAT)):
            raise SQLRenderUnavailable(f"{name}: a DateTimeField with a format of its own.")
        if conv not in plan._env.datetimes:
            # A time zone of the field's own, or overridden time zone methods.
            raise SQLRenderUnavailable(f"{name}: a DateTimeField with a time zone of its own.")
        return DATETIME
    raise SQLRenderUnavailable(
        f"{name} ({kind.__name__}) through {field_kind.__name__}: the database cannot write "
        "its exact bytes (floats, times, durations, JSON, custom fields)."
    )


# Compilation: per plan and database --------------------------------------------------


@dataclass
class _Level:
    """One `_Query` of the plan as the SQL render writes it: its encodings by column."""

    query: _Query
    encodings: dict[int, str] = field(default_factory=dict)
    children: list[_Level] = field(default_factory=list)


@dataclass
class _Compiled:
    root: _Level
    datetimes: bool  # whether a value depends on the request's time zone


def _compile_level(plan: FastPlan, vendor: str, query: _Query, path: str) -> _Level:
    level = _Level(query)
    for relation in query.relations:
        if relation.kind not in (REVERSE_FK, MANY_TO_MANY, FORWARD_ONE, REVERSE_ONE):
            raise SQLRenderUnavailable(
                f"'{relation.path}': a generic relation (its object id column is matched "
                "with the parent's key in Python)."
            )
        level.children.append(_compile_level(plan, vendor, relation.query, relation.path))
    _compile_node(plan, vendor, level, query.node, path)
    return level


def _compile_node(plan: FastPlan, vendor: str, level: _Level, node: _Node, path: str) -> None:
    if isinstance(node, _Object):
        for key, value in node.entries:
            _compile_node(plan, vendor, level, value, f"{path}.{key}" if path else key)
    elif isinstance(node, _If):
        _compile_node(plan, vendor, level, node.absent, path)
        _compile_node(plan, vendor, level, node.present, path)
    elif isinstance(node, _Value):
        column = _column_field(level.query.model, level.query.lookups[node.col])
        try:
            level.encodings[node.col] = _encoding(plan, vendor, column, node.conv)
        except SQLRenderUnavailable as exc:
            raise SQLRenderUnavailable(f"'{path}': {exc}") from None
    elif isinstance(node, _Raise):
        raise SQLRenderUnavailable(
            f"'{path}': a relation on the way may be missing, and the DRF path raises there."
        )
    elif isinstance(node, _Skip):
        raise SQLRenderUnavailable(f"'{path}': a key left out where a relation is missing.")
    # _Const: a field's default, rendered per response by DRF's JSONRenderer (after the
    # field's to_representation(), in the response's time zone). _Related: its level is
    # compiled with the query's relations.


@lru_cache(maxsize=512)
def _compile(plan: FastPlan, vendor: str) -> _Compiled | str:
    if vendor not in VENDORS:
        return (
            f"The SQL render writes statements for PostgreSQL, MariaDB and SQLite, not {vendor}."
        )
    try:
        root = _compile_level(plan, vendor, plan.root, "")
    except SQLRenderUnavailable as exc:
        return str(exc)
    except (FieldError, FieldDoesNotExist) as exc:  # a lookup Django does not resolve here
        return f"{type(exc).__name__}: {exc}"
    datetimes = any(DATETIME in level.encodings.values() for level in _walk(root))
    return _Compiled(root, datetimes)


def _walk(level: _Level) -> Iterator[_Level]:
    yield level
    for child in level.children:
        yield from _walk(child)


def sql_refusal(plan: FastPlan, vendor: str) -> str | None:
    """Return why the SQL render does not serve `plan` on a database of `vendor`
    (Django's `connection.vendor`), or None when it does. Cached per plan."""
    compiled = _compile(plan, vendor)
    return compiled if isinstance(compiled, str) else None


# The statement: per response ---------------------------------------------------------


class _Statement:
    """Writes the SQL of one response: fragments and their parameters, in text order."""

    def __init__(self, plan: FastPlan, query: FastQuery, vendor: str, tz: str | None) -> None:
        self.plan = plan
        self.query = query
        self.vendor = vendor
        self.tz = tz
        self.aliases = 0
        self.ops = connections[query.queryset.db].ops
        self.features = connections[query.queryset.db].features

    def literal(self, text: str) -> str:
        """`text` as an SQL string literal (MariaDB reads a backslash as an escape)."""
        if self.vendor == "mysql":
            text = text.replace("\\", "\\\\")
        return _literal(text)

    def alias(self) -> str:
        self.aliases += 1
        return self.ops.quote_name(f"eager_t{self.aliases}")

    # Values

    def value(self, encoding: str, ref: str) -> tuple[str, list[Any]]:
        """The JSON text of the column `ref` (not null) with `encoding`."""
        postgres = self.vendor == "postgresql"
        if self.vendor == "mysql":
            return self.mariadb_value(encoding, ref)
        if encoding == TEXT:
            return (f"to_json({ref}::text)::text" if postgres else f"json_quote({ref})"), []
        if encoding == INTEGER:
            return (f"{ref}::text" if postgres else f"CAST({ref} AS TEXT)"), []
        if encoding == LOOSE_INTEGER:  # SQLite: what int() makes of a stored 2.5
            return f"CAST(CAST({ref} AS INTEGER) AS TEXT)", []
        if encoding == BOOLEAN:
            return f"CASE WHEN {ref} THEN 'true' ELSE 'false' END", []
        if encoding == DECIMAL:  # PostgreSQL numeric keeps the column's scale: '12.30'
            return f"'\"' || {ref}::text || '\"'", []
        if encoding == UUID:
            if postgres:  # the uuid type's text is str() of the UUID
                return f"'\"' || {ref}::text || '\"'", []
            return self.hyphenated(ref), []
        if encoding == DATE:
            if postgres:
                return f"'\"' || to_char({ref}, 'YYYY-MM-DD') || '\"'", []
            return f"json_quote({ref})", []
        assert encoding == DATETIME
        return self.datetime(ref)

    def mariadb_value(self, encoding: str, ref: str) -> tuple[str, list[Any]]:
        if encoding == TEXT:
            return self.quote(ref), []
        if encoding == INTEGER:
            return f"CAST({ref} AS CHAR)", []
        if encoding == BOOLEAN:
            return f"CASE WHEN {ref} THEN 'true' ELSE 'false' END", []
        if encoding in (DECIMAL, DATE):  # DECIMAL keeps the column's scale: '12.30'
            return f"CONCAT('\"', CAST({ref} AS CHAR), '\"')", []
        if encoding == UUID:
            if self.features.has_native_uuid_field:  # MariaDB 10.7+: its text is str()
                return f"CONCAT('\"', CAST({ref} AS CHAR), '\"')", []
            return self.hyphenated(ref), []
        assert encoding == DATETIME
        # Django stores the UTC (or naive) datetime; DATETIME(6) as text always has six
        # digits of microseconds ('2024-05-01 10:00:00.000000'). The time zone is UTC
        # (SQLResponse refuses others: MariaDB's time zone tables are often empty).
        zone = "Z" if settings.USE_TZ else ""
        return (
            f"CONCAT('\"', REPLACE(REPLACE(CAST({ref} AS CHAR), ' ', 'T'), '.000000', ''), "
            f"'{zone}\"')"
        ), []

    def hyphenated(self, ref: str) -> str:
        """The JSON string of a UUID that Django stores as its 32 hex digits (`char(32)`
        where the database has no uuid type): str() of the UUID."""
        hex_digits = f"lower({ref})"
        parts: list[str] = []
        for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)):
            if parts:
                parts.append("'-'")
            parts.append(f"substr({hex_digits}, {start}, {length})")
        return self.concat(["'\"'", *parts, "'\"'"])

    def quote(self, ref: str) -> str:
        """MariaDB: the JSON string of the text column `ref`, as Python's json writes it.
        JSON_QUOTE() writes the escapes of some control characters with capital hex
        digits; a string holding a control character is escaped by hand instead."""
        escaped = ref
        for char, escape in _CONTROL_ESCAPES:
            escaped = f"REPLACE({escaped}, {self.char(char)}, {self.literal(escape)})"
        return (
            f"CASE WHEN {ref} REGEXP '[[:cntrl:]]' THEN CONCAT('\"', {escaped}, '\"') "
            f"ELSE JSON_QUOTE({ref}) END"
        )

    def char(self, char: str) -> str:
        return f"CHAR({ord(char)} USING utf8mb4)" if ord(char) < 32 else self.literal(char)

    def datetime(self, ref: str) -> tuple[str, list[Any]]:
        # DRF: the value in the current time zone, isoformat() (microseconds only when
        # there are some), '+00:00' written 'Z'.
        if self.vendor == "sqlite":
            # Django stores str() of the UTC (or naive) datetime: '2024-05-01 10:00:00'.
            zone = "Z" if settings.USE_TZ else ""
            return f"'\"' || replace({ref}, ' ', 'T') || '{zone}\"'", []
        if not settings.USE_TZ:  # a naive column: isoformat() has no offset
            local, offset = ref, "''"
        elif self.tz in ("UTC", "Etc/UTC"):
            local, offset = f"({ref} AT TIME ZONE 'UTC')", "'Z'"
        else:
            local = f"({ref} AT TIME ZONE %s)"
            delta = f"({local} - ({ref} AT TIME ZONE 'UTC'))"
            # to_char() writes a negative interval's sign on each field ('-03:-30'):
            # the sign, then the absolute offset; seconds only where there are some (a
            # local mean time before 1900: '-05:50:36', as Python writes it).
            size = f"(CASE WHEN {delta} < interval '0' THEN -{delta} ELSE {delta} END)"
            offset = (
                f"CASE WHEN {delta} = interval '0' THEN 'Z' ELSE "
                f"(CASE WHEN {delta} < interval '0' THEN '-' ELSE '+' END) || "
                f"to_char({size}, 'HH24:MI') || "
                f"(CASE WHEN extract(second FROM {delta}) = 0 THEN '' "
                f"ELSE to_char({size}, ':SS') END) END"
            )
        # Microseconds only when there are some: '.000000' is nowhere else in the text.
        sql = (
            f"'\"' || replace(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') "
            f"|| {offset} || '\"'"
        )
        # Each %s is the time zone (`ref` is a column of ours: it has none).
        return sql, [self.tz] * sql.count("%s")

    # Nodes

    def node(self, level: _Level, node: _Node, table: str) -> tuple[str, list[Any]]:
        if isinstance(node, _Value):
            encoding = level.encodings[node.col]
            text, params = self.value(encoding, self.column(table, node.col))
            if encoding == TEXT and self.vendor == "sqlite":
                return text, params  # json_quote(NULL) is 'null'
            return f"COALESCE({text}, 'null')", params
        if isinstance(node, _Const):
            if node.slot is None:
                return "'null'", []
            value = self.query._env[node.slot]
            if node.conv is not None:
                value = self.query._env[node.conv](value)
            return self.literal(_render_value(value)), []
        if isinstance(node, _If):
            absent, absent_params = self.node(level, node.absent, table)
            present, present_params = self.node(level, node.present, table)
            return (
                f"CASE WHEN {self.column(table, node.col)} IS NULL THEN {absent} "
                f"ELSE {present} END",
                absent_params + present_params,
            )
        if isinstance(node, _Object):
            parts: list[str] = []
            object_params: list[Any] = []
            for index, (key, value) in enumerate(node.entries):
                sql, value_params = self.node(level, value, table)
                prefix = ("{" if index == 0 else ",") + _json_key(key) + ":"
                parts += [self.literal(prefix), sql]
                object_params += value_params
            parts.append(self.literal("}" if node.entries else "{}"))
            return self.concat(parts), object_params
        if isinstance(node, _Related):
            relation = level.query.relations[node.group]
            child = level.children[node.group]
            return self.related(relation, child, self.column(table, node.col), node.many)
        raise SQLRenderUnavailable(f"Unexpected node {node!r}.")  # pragma: no cover

    def concat(self, parts: list[str]) -> str:
        if self.vendor == "mysql":  # || is OR there
            return "CONCAT(" + ", ".join(parts) + ")"
        return "(" + " || ".join(parts) + ")"

    def column(self, table: str, col: int) -> str:
        return f"{table}.{self.ops.quote_name(f'_eager_c{col}')}"

    # Queries

    def rows(
        self, level: _Level, queryset: QuerySet[Any], key: str | None = None
    ) -> tuple[str, list[Any]]:
        """The SQL of `queryset`'s rows, Django's own (filters, JOINs, ordering, slice),
        selecting the level's columns as _eager_c<i>."""
        columns: dict[str, Any] = {
            f"_eager_c{index}": F(lookup) for index, lookup in enumerate(level.query.lookups)
        }
        if self.vendor == "mysql":
            # MariaDB reads a derived table in no particular order (it drops its ORDER
            # BY): each row carries its number in the queryset's order.
            columns[_ROW_NUMBER] = Window(RowNumber(), order_by=_ordering(queryset) or None)
            if key is not None:
                columns[_KEY] = F(key)
        # EmptyResultSet (a filter Django knows matches nothing) is the caller's.
        sql, params = queryset.values(**columns).query.sql_with_params()
        return sql, list(params)

    def related(
        self, relation: _Relation, level: _Level, parent_key: str, many: bool
    ) -> tuple[str, list[Any]]:
        queryset = self.query._querysets[id(relation)]
        if self.vendor == "mysql":
            return self.mariadb_related(relation, level, queryset, parent_key, many)
        # As the fast path (and Django's prefetch) filters them, by the parent's key:
        # here the parent row's key column.
        queryset = _by_parent(queryset, relation, parent_key)
        table = self.alias()
        if many:
            # The aggregate reads the rows of the ordered subquery in its order: SQLite
            # does not flatten an ordered subquery into an aggregate query, PostgreSQL
            # aggregates the scan of the sorted subquery as it comes. The rows are those
            # of the queryset's own ORDER BY, rows that tie included, as on the DRF path.
            try:
                inner, inner_params = self.rows(level, keep_row_order(queryset))
            except EmptyResultSet:  # no rows for any parent: queryset.none(), pk__in=[]
                return "'[]'", []
            item, item_params = self.node(level, level.query.node, table)
            aggregate = "string_agg" if self.vendor == "postgresql" else "group_concat"
            sql = (
                f"COALESCE((SELECT '[' || {aggregate}({item}, ',') || ']' "
                f"FROM ({inner}) {table}), '[]')"
            )
            return sql, item_params + inner_params
        # A to-one relation with a Prefetch queryset of its own: one row per key.
        try:
            inner, inner_params = self.rows(level, queryset.order_by())
        except EmptyResultSet:
            return "'null'", []
        item, item_params = self.node(level, level.query.node, table)
        return f"COALESCE((SELECT {item} FROM ({inner}) {table} LIMIT 1), 'null')", (
            item_params + inner_params
        )

    def mariadb_related(
        self,
        relation: _Relation,
        level: _Level,
        queryset: QuerySet[Any],
        parent_key: str,
        many: bool,
    ) -> tuple[str, list[Any]]:
        # MariaDB lets no derived table refer to the outer query's columns, so the
        # relation's queryset is not wrapped as on PostgreSQL and SQLite: its own query,
        # filtered on the parent's key, selects the aggregate of its objects directly
        # (the hand-written statement's form: one index lookup per parent; SQLResponse
        # refused DISTINCT). A queryset that groups its rows (an aggregate annotation, a
        # union) cannot take another aggregate: it is read as the relation's rows for
        # every parent.
        # SQL of the queryset's own (extra(), RawSQL) names its tables, which the query's
        # aliases of its own would rename: it is read the same way.
        query = queryset.query
        if (
            query.combinator
            or query.group_by is not None
            or any(
                getattr(value, "contains_aggregate", False) for value in query.annotations.values()
            )
            or _raw_sql(query)
        ):
            return self.mariadb_derived(relation, level, queryset, parent_key, many)
        queryset = _by_parent(queryset, relation, parent_key)
        # The level's columns are written where Django compiles them: its aliases are
        # only known then (see _Aggregated).
        marker = self.marker()
        item, item_params = self.node(level, level.query.node, marker)
        ordering = _ordering(queryset) if many else []
        expression = _Aggregated(
            item,
            item_params,
            marker,
            [F(lookup) for lookup in level.query.lookups],
            ordering,
            many,
        )
        rows = queryset.order_by().values(**{_JSON: expression})
        if not many:
            rows = rows[:1]
        inner = rows.query
        # Aliases of its own, apart from any query it is nested in (a relation below
        # refers to this one's columns by them).
        inner.change_aliases(
            {
                alias: f"eager_a{self.aliases}_{index}"
                for index, alias in enumerate(inner.alias_map)
            }
        )
        self.aliases += 1
        try:
            sql, params = inner.sql_with_params()
        except EmptyResultSet:  # no rows for any parent: queryset.none(), pk__in=[]
            return ("'[]'" if many else "'null'"), []
        if many:
            return f"COALESCE(CONCAT('[', ({sql}), ']'), '[]')", list(params)
        return f"COALESCE(({sql}), 'null')", list(params)

    def marker(self) -> str:
        self.aliases += 1
        return f"\x00{self.aliases}\x00"

    def mariadb_derived(
        self,
        relation: _Relation,
        level: _Level,
        queryset: QuerySet[Any],
        parent_key: str,
        many: bool,
    ) -> tuple[str, list[Any]]:
        # The derived table is the relation's rows for every parent, with the key each
        # belongs to (as Django's prefetch reads it), and the subquery around it picks
        # the parent's. GROUP_CONCAT() joins them in the queryset's order; the statement
        # runs with no group_concat_max_len (see SQLResponse._write()).
        table = self.alias()
        try:
            inner, inner_params = self.rows(level, queryset, relation.lookup)
        except EmptyResultSet:
            return ("'[]'" if many else "'null'"), []
        item, item_params = self.node(level, level.query.node, table)
        key = f"{table}.{self.ops.quote_name(_KEY)}"
        if many:
            number = f"{table}.{self.ops.quote_name(_ROW_NUMBER)}"
            sql = (
                f"COALESCE((SELECT CONCAT('[', GROUP_CONCAT({item} ORDER BY {number} "
                f"SEPARATOR ','), ']') FROM ({inner}) {table} WHERE {key} = {parent_key}), "
                "'[]')"
            )
        else:
            sql = (
                f"COALESCE((SELECT {item} FROM ({inner}) {table} WHERE {key} = "
                f"{parent_key} LIMIT 1), 'null')"
            )
        return sql, item_params + inner_params

    def root(self) -> tuple[str, list[Any]]:
        level = _compiled(self.plan, self.vendor).root
        table = self.alias()
        item, item_params = self.node(level, level.query.node, table)
        inner, inner_params = self.rows(level, keep_row_order(self.query.queryset))
        if self.vendor == "mysql":
            number = f"{table}.{self.ops.quote_name(_ROW_NUMBER)}"
            sql = f"SELECT {item} FROM ({inner}) {table} ORDER BY {number}"
            return sql, item_params + inner_params
        # The root rows in the order of their query, as the related rows (see related()).
        return f"SELECT {item} FROM ({inner}) {table}", item_params + inner_params


_ROW_NUMBER = "_eager_n"
_KEY = "_eager_k"
_JSON = "_eager_j"
_PLACEHOLDER = re.compile(r"%[%s]")


class _Aggregated(Expression):
    """MariaDB: the JSON text of a relation's objects, as an expression of its query.

    `item` is the SQL of one object, written with `marker` for the table of the level's
    columns (`<marker>.`_eager_c<i>``); they are the query's own columns, compiled with
    it. Many: GROUP_CONCAT() of the items in the queryset's order (an aggregate Django
    is not told of: the query has no GROUP BY, it aggregates all its rows).
    """

    contains_aggregate = False

    def __init__(
        self,
        item: str,
        item_params: list[Any],
        marker: str,
        columns: list[Any],
        ordering: list[Any],
        many: bool,
    ) -> None:
        super().__init__(output_field=models.TextField())
        self.item = item
        self.item_params = item_params
        self.columns = columns
        self.ordering = OrderByList(*ordering) if ordering else None
        self.many = many
        self.pattern = re.compile(re.escape(marker) + r"\.`_eager_c(\d+)`")

    def get_source_expressions(self) -> list[Any]:
        return [*self.columns, self.ordering]

    def set_source_expressions(self, exprs: Any) -> None:
        *self.columns, self.ordering = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        compiled = [compiler.compile(column) for column in self.columns]
        parts: list[str] = []
        params: list[Any] = []
        remaining = list(self.item_params)
        position = 0
        for match in self.pattern.finditer(self.item):
            text = self.item[position : match.start()]
            taken = sum(1 for p in _PLACEHOLDER.findall(text) if p == "%s")
            parts.append(text)
            params += remaining[:taken]
            del remaining[:taken]
            sql, column_params = compiled[int(match.group(1))]
            parts.append(sql)
            params += column_params
            position = match.end()
        parts.append(self.item[position:])
        params += remaining
        sql = "".join(parts)
        if not self.many:
            return sql, params
        if self.ordering is None:
            return f"GROUP_CONCAT({sql} SEPARATOR ',')", params
        order, order_params = compiler.compile(self.ordering)
        return f"GROUP_CONCAT({sql} {order} SEPARATOR ',')", params + list(order_params)


def _ordering(queryset: QuerySet[Any]) -> list[Any]:
    """MariaDB: the ordering of `queryset`'s rows, as order_by() takes it, the primary key
    last: rows that tie come in the order the DRF path's query reads them in (InnoDB
    reads by the primary key), not GROUP_CONCAT()'s."""
    query = queryset.query
    if query.extra_order_by or "?" in query.order_by:
        raise SQLRenderUnavailable("An ordering MariaDB's statement cannot number rows by.")
    if not query.standard_ordering:
        raise SQLRenderUnavailable("A reversed ordering (reverse()) on MariaDB.")
    ordering = _ordering_names(queryset)
    for item in ordering:
        if isinstance(item, str) and _follows_model_ordering(query, item.lstrip("-+")):
            raise SQLRenderUnavailable(
                f"An ordering by a relation ('{item}'), by its model's ordering, on MariaDB."
            )
    return ordering


def _ordering_names(queryset: QuerySet[Any]) -> list[Any]:
    """The ordering of `queryset`'s rows, as Django reads it: its order_by(), else its
    model's Meta.ordering."""
    query = queryset.query
    if query.extra_order_by:
        return list(query.extra_order_by)
    if query.order_by:
        return list(query.order_by)
    if query.default_ordering:
        return list(queryset.model._meta.ordering)
    return []


def _total(queryset: QuerySet[Any], ordering: list[Any]) -> bool:
    """Whether `ordering` (as _ordering() returns it) leaves no two rows of `queryset`
    tied: it orders by a unique, non-null column of the model's own."""
    meta = queryset.model._meta
    for item in ordering:
        if isinstance(item, str):
            name = item.lstrip("-+")
        elif isinstance(getattr(item, "expression", None), F):  # F("id").desc()
            name = item.expression.name
        else:
            continue
        if name == "pk":
            return True
        try:
            column = meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(column, "unique", False) and not getattr(column, "null", True):
            return True
    return False


def _follows_model_ordering(query: Any, name: str) -> bool:
    # Django orders by a relation's model's own ordering where a name ends at the
    # relation (`order_by("author")`), not at its column (`author_id`).
    if name == "pk" or name in query.annotations:
        return False
    pieces = name.split(LOOKUP_SEP)
    try:
        _, field, _, rest = query.names_to_path(pieces, query.get_meta(), fail_on_missing=True)
    except FieldError:
        return False  # Django's own error, when it compiles the query
    return (
        not rest
        and field.is_relation
        and bool(field.related_model._meta.ordering)
        and getattr(field, "attname", None) != pieces[-1]
    )


def _by_parent(queryset: QuerySet[Any], relation: _Relation, parent_key: str) -> QuerySet[Any]:
    """`queryset` filtered on the parent row's key column `parent_key`, as the fast path and
    Django's prefetch filter it on the parents' keys: reusing every JOIN the queryset has
    (a filter of its own on the same many-to-many relation is the same JOIN)."""
    key_field = _column_field(relation.model, relation.query.lookups[relation.query.key])  # type: ignore[index]
    queryset = queryset._chain()  # type: ignore[attr-defined]
    condition = Q(**{relation.lookup: RawSQL(parent_key, (), output_field=key_field)})
    queryset.query.add_q(condition, reuse_all=True)
    return queryset


def _raw_sql(query: Any) -> bool:
    """Whether `query` holds SQL text of its own (extra(), RawSQL), which names tables."""
    if query.extra or query.extra_tables:
        return True
    pending = [query.where, *query.annotations.values()]
    while pending:
        node = pending.pop()
        if isinstance(node, (RawSQL, ExtraWhere)):
            return True
        children = getattr(node, "children", None)
        if children is not None:  # a WhereNode
            pending.extend(children)
        else:
            # An expression's, and a lookup's two sides (`title__startswith=...`).
            pending.extend(
                expression
                for expression in getattr(node, "get_source_expressions", list)()
                if expression is not None
            )
    return False


def _render_value(value: Any) -> str:
    from rest_framework.renderers import JSONRenderer

    return JSONRenderer().render(value).decode()


def _compiled(plan: FastPlan, vendor: str) -> _Compiled:
    compiled = _compile(plan, vendor)
    if isinstance(compiled, str):
        raise SQLRenderUnavailable(compiled)
    return compiled


class SQLResponse:
    """One response of the SQL render: its statement, ready to run."""

    def __init__(self, query: FastQuery) -> None:
        self.query = query
        self.plan = query.plan
        self.db = query.queryset.db
        self.vendor = connections[self.db].vendor
        compiled = _compiled(self.plan, self.vendor)
        tz = None
        if compiled.datetimes and settings.USE_TZ:
            zone = _current_zone(query)
            if self.vendor == "sqlite" and zone != "UTC":
                raise SQLRenderUnavailable(
                    f"A datetime in the time zone {zone}: SQLite converts none."
                )
            if self.vendor == "mysql" and zone not in ("UTC", "Etc/UTC"):
                # CONVERT_TZ() needs the server's time zone tables, often not loaded.
                raise SQLRenderUnavailable(
                    f"A datetime in the time zone {zone}: MariaDB's statement writes UTC only."
                )
            tz = zone
        self.tz = tz
        if self.vendor == "mysql":
            _check_mariadb(connections[self.db], query.queryset)
        for relation in _relations(self.plan.root):
            queryset = query._querysets[id(relation)]
            if queryset.query.is_sliced:
                # Django filters a sliced prefetch with a window function over the
                # parents' keys, which one correlated subquery per parent is not.
                raise SQLRenderUnavailable(f"'{relation.path}': a sliced Prefetch queryset.")
            if any(
                getattr(value, "contains_over_clause", False)
                for value in queryset.query.annotations.values()
            ):
                # A window over the rows of every parent (Django's prefetch reads them in
                # one query), which one correlated subquery per parent is not.
                raise SQLRenderUnavailable(f"'{relation.path}': a window function.")
            # Rows that tie in the queryset's ordering come in the order each statement's
            # sort leaves them: the sort per parent and the DRF path's over every
            # parent's rows were seen to differ, on PostgreSQL and MariaDB alike, so the
            # ordering must be total (a unique column last, as `"id"`).
            many = relation.kind in (REVERSE_FK, MANY_TO_MANY)
            if many and not _total(queryset, _ordering_names(queryset)):
                raise SQLRenderUnavailable(
                    f"'{relation.path}': an ordering whose rows may tie (order by a unique "
                    "column last)."
                )
            if self.vendor == "mysql" and many:
                _ordering(queryset)  # raises where MariaDB's statement cannot write it
            if self.vendor == "mysql" and queryset.query.distinct:
                # Each row is numbered in the queryset's order: DISTINCT keeps them all.
                raise SQLRenderUnavailable(f"'{relation.path}': a distinct queryset on MariaDB.")
            if queryset.db != self.db:
                raise SQLRenderUnavailable(f"'{relation.path}': rows of another database.")
        # Written now, before any query: a queryset Django cannot write as a subquery of
        # ours is the fast path's, not an error of the response.
        self._statement: tuple[str, list[Any]] | None = None
        try:
            self._statement = self._write(None)
        except EmptyResultSet:
            pass
        except (FieldError, FieldDoesNotExist, NotSupportedError, ValueError) as exc:
            raise SQLRenderUnavailable(f"Django cannot write it as one statement: {exc}") from exc

    def statement(self, rows: slice | None = None) -> tuple[str, list[Any]]:
        """The statement and its parameters; `rows`: the page of the root rows. Raise
        EmptyResultSet where Django knows no row matches (no statement is sent)."""
        if rows is None:
            if self._statement is None:
                raise EmptyResultSet
            return self._statement
        return self._write(rows)

    def _write(self, rows: slice | None) -> tuple[str, list[Any]]:
        query = self.query if rows is None else _sliced(self.query, rows)
        sql, params = _Statement(self.plan, query, self.vendor, self.tz).root()
        if self.vendor == "mysql":
            # GROUP_CONCAT() cuts its text at group_concat_max_len (1 MB by default)
            # with a warning only: lifted for this statement, not the connection's.
            sql = f"SET STATEMENT group_concat_max_len = {2**32 - 1} FOR {sql}"
        return sql, params

    def stream(self, chunk: int = 1000) -> Iterator[bytes]:
        """Run the statement and yield the list's JSON text as the rows are read, `chunk`
        rows at a time (a server-side cursor on PostgreSQL)."""
        try:
            sql, params = self.statement()
        except EmptyResultSet:
            yield b"[]"
            return
        yield b"["
        separator = ""
        with _streaming_cursor(connections[self.db]) as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(chunk):
                text = separator + ",".join(row[0] for row in rows)
                separator = ","
                yield text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
        yield b"]"

    def render(self, rows: slice | None = None, budget: RowBudget | None = None) -> str:
        """Run the statement and return the JSON text of the list, as DRF's JSONRenderer
        writes it. With a row `budget` (MAX_ROWS), its objects are counted: those of a
        whole list as the rows are read (a server-side cursor on PostgreSQL), and a list
        past it is not read further (ResponseTooLarge)."""
        try:
            sql, params = self.statement(rows)
        except EmptyResultSet:  # no root rows: Django sends no query either
            return "[]"
        connection = connections[self.db]
        texts: list[str] = []
        if budget is None or rows is not None:
            # A page is small: one round trip, counted once read.
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                texts = [row[0] for row in cursor.fetchall()]
            if budget is not None:
                budget.spend(sum(count_objects(text) for text in texts))
        else:
            with _chunked_cursor(connection) as cursor:
                cursor.execute(sql, params)
                while chunk := [row[0] for row in cursor.fetchmany(100)]:
                    budget.spend(sum(count_objects(text) for text in chunk))
                    texts += chunk
        text = "[" + ",".join(texts) + "]"
        # What DRF's JSONRenderer does to the whole text (JavaScript's line terminators).
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _check_mariadb(connection: Any, queryset: QuerySet[Any]) -> None:
    """Refuse what the MariaDB statement cannot write (raise SQLRenderUnavailable)."""
    if not connection.mysql_is_mariadb or connection.mysql_version < (10, 3):
        # SET STATEMENT (which lifts group_concat_max_len) is MariaDB's.
        raise SQLRenderUnavailable("MySQL, or MariaDB before 10.3.")
    if queryset.query.distinct:
        # Each row is numbered in the queryset's order: DISTINCT keeps them all.
        raise SQLRenderUnavailable("A distinct queryset on MariaDB.")


def _chunked_cursor(connection: Any) -> Any:
    """Django's chunked cursor (a server-side cursor on PostgreSQL), unless the database's
    DISABLE_SERVER_SIDE_CURSORS says none (a transaction-pooling PgBouncer), as
    QuerySet.iterator() does."""
    if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        return connection.cursor()
    return connection.chunked_cursor()


def _streaming_cursor(connection: Any) -> Any:
    """A cursor that reads the rows as they are fetched: Django's chunked cursor (a
    server-side cursor on PostgreSQL), or on MariaDB the driver's unbuffered cursor
    (Django's reads the whole result into memory on execute())."""
    if connection.vendor != "mysql":
        return _chunked_cursor(connection)
    from django.db.backends.mysql.base import CursorWrapper

    # mysqlclient's, or PyMySQL's installed as MySQLdb (both have SSCursor).
    from MySQLdb.cursors import SSCursor  # type: ignore[import-untyped]

    connection.ensure_connection()
    # Wrapped as Django wraps its own (its error classes, execute wrappers, the queries
    # DEBUG logs): what connection.cursor() does with create_cursor()'s cursor.
    return connection._prepare_cursor(CursorWrapper(connection.connection.cursor(SSCursor)))


def _sliced(query: FastQuery, rows: slice) -> FastQuery:
    sliced = FastQuery.__new__(FastQuery)
    sliced.__dict__.update(query.__dict__)
    sliced.queryset = keep_row_order(query.queryset)[rows]
    return sliced


def _relations(query: _Query) -> Iterator[_Relation]:
    for relation in query.relations:
        yield relation
        yield from _relations(relation.query)


def _current_zone(query: FastQuery) -> str:
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    key = getattr(zone, "key", None)
    if not isinstance(key, str):
        raise SQLRenderUnavailable(f"The current time zone {zone} has no IANA name.")
    return key


def prepare_sql(query: FastQuery) -> SQLResponse:
    """Return the SQL render of the fast path's `query`, or raise SQLRenderUnavailable
    with the reason, before any query."""
    return SQLResponse(query)


def count_objects(text: str) -> int:
    """The JSON objects in `text` (the row budget counts them): its `{` outside strings."""
    count = text.count("{")
    if count and '"' in text:
        count = _STRING.sub("", text).count("{")
    return count


# Serving it: what the view needs ------------------------------------------------------


class LazyRows:
    """The root rows as a stock paginator sees them: it counts them (one COUNT query)
    and takes a slice, which only records the slice. The statement reads the page."""

    def __init__(self, rows: QuerySet[Any]) -> None:
        self.rows = rows
        self.ordered = rows.ordered  # Django's paginator warns on an unordered list
        self.slice: slice | None = None

    def count(self) -> int:
        return self.rows.count()

    def __len__(self) -> int:  # pragma: no cover - stock paginators call count()
        return self.count()

    def __getitem__(self, index: slice) -> list[Any]:
        if not isinstance(index, slice):  # pragma: no cover - paginators slice
            raise TypeError("The SQL render's rows are read by slices.")
        self.slice = index
        return []


class SQLList(ReturnList[Any]):
    """What `serializer.data` is for a list the SQL render serves: its JSON text (`json`),
    which the response's renderer writes as it is (see PassThroughRenderer).

    It is DRF's ReturnList (with its `serializer`): code that reads it (a test,
    `finalize_response()`, middleware) gets the list of dicts the text holds, parsed on the
    first read; the response is then rendered from the list, with any change made to it.
    """

    def __init__(self, text: str, serializer: Any = None) -> None:
        super().__init__(serializer=serializer)
        self.json = text
        self.read = False

    def _load(self) -> None:
        if not self.read:
            self.read = True
            # A streamed list's text is sent as it is read: nothing to parse here.
            super().extend(json.loads(self.json) if self.json else [])


def _reading(name: str) -> Any:
    method = getattr(list, name)

    def read(self: SQLList, *args: Any, **kwargs: Any) -> Any:
        self._load()
        return method(self, *args, **kwargs)

    read.__name__ = name
    return read


for _name in (
    "__iter__", "__len__", "__getitem__", "__setitem__", "__delitem__", "__contains__",
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__repr__", "__reversed__",
    "__add__", "__iadd__", "__mul__", "__imul__", "__bool__", "index", "count", "copy",
    "append", "extend", "insert", "pop", "remove", "clear", "reverse", "sort",
):  # fmt: skip
    if hasattr(list, _name):
        setattr(SQLList, _name, _reading(_name))
SQLList.__hash__ = None  # as list's


class PassThroughRenderer:
    """Renders the response with the view's JSON renderer and writes the database's JSON
    text where the list is: the envelope of a paginated list (count, next, previous) is
    the renderer's, the list is the database's bytes, not re-encoded. A list that was
    read (maybe changed) is rendered by the renderer."""

    def __init__(self, renderer: Any, data: SQLList) -> None:
        self.renderer = renderer
        self.data = data
        self.media_type = renderer.media_type
        self.format = renderer.format
        self.charset = renderer.charset

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        listed = self.data
        if listed.read:
            rendered: bytes = self.renderer.render(data, accepted_media_type, renderer_context)
            return rendered
        placeholder = f"\x00drf_eager.sql:{id(listed):x}\x00"
        if data is listed:
            data = placeholder
        elif isinstance(data, dict):  # a stock paginator's envelope
            data = {key: placeholder if value is listed else value for key, value in data.items()}
        rendered = self.renderer.render(data, accepted_media_type, renderer_context)
        head, found, tail = rendered.partition(json.dumps(placeholder).encode())
        if not found:  # the data was replaced by other data: the renderer wrote it
            return rendered
        return head + listed.json.encode() + tail


def renderer_refusal(view: Any) -> str | None:
    """Why the SQL render's bytes would not be the response's renderer's, or None: it
    writes what DRF's JSONRenderer writes with its defaults (compact, UTF-8)."""
    from rest_framework.renderers import JSONRenderer
    from rest_framework.utils.encoders import JSONEncoder

    from .stock import is_stock_renderer

    request = view.request
    renderer = getattr(request, "accepted_renderer", None)
    if not isinstance(renderer, JSONRenderer) or not is_stock_renderer(renderer):
        return "the response is not rendered by DRF's JSONRenderer"
    if renderer.ensure_ascii or not renderer.compact or renderer.encoder_class is not JSONEncoder:
        return (
            "the JSONRenderer escapes non-ASCII text or is not compact (UNICODE_JSON, "
            "COMPACT_JSON) or has an encoder of its own"
        )
    context = view.get_renderer_context()
    if renderer.get_indent(getattr(request, "accepted_media_type", "") or "", context):
        return "an indented response was asked for"
    return None


def sql_response(view: Any, query: FastQuery, setting: bool) -> SQLResponse | str | None:
    """The SQL render of the list `query` the fast path would serve for `view`, or why
    the fast path serves it instead; None when the SQL render is off."""
    mode = getattr(view, "eager_sql_render", None)
    if not (setting if mode is None else mode):
        return None
    refusal = renderer_refusal(view)
    if refusal is not None:
        return refusal
    try:
        return prepare_sql(query)
    except SQLRenderUnavailable as exc:
        return str(exc)


def verify_sql(view: Any, text: str, expected: Any, action: str) -> None:
    """Verify mode: compare the SQL render's text with the DRF path's data rendered by
    DRF's JSONRenderer, byte for byte."""
    from rest_framework.renderers import JSONRenderer

    from .verify import first_difference, report

    rendered = JSONRenderer().render(expected).decode()
    if rendered == text:
        return
    where = next(
        (index for index, (a, b) in enumerate(zip(text, rendered, strict=False)) if a != b),
        min(len(text), len(rendered)),
    )
    found = first_difference(json.loads(text), json.loads(rendered))
    report(
        f"{type(view).__name__}: the SQL render's response differs from the DRF path's "
        f"for {view.get_shape()!r}, at character {where}: "
        f"{text[max(0, where - 40) : where + 40]!r} (SQL) != "
        f"{rendered[max(0, where - 40) : where + 40]!r} (DRF path)"
        + (f"; {found}" if found else ""),
        action,
    )


def streams(view: Any) -> bool:
    """Whether the SQL render sends `view`'s unpaginated list as its rows are read."""
    from .settings import eager_settings

    mode = getattr(view, "eager_sql_stream", None)
    if not (eager_settings.SQL_STREAM if mode is None else mode):
        return False
    # Verify mode and the row budget read the whole text first; DEBUG's query count
    # header is written before a streamed statement runs.
    return (
        view._fast_path_mode() != "verify"
        and view._row_budget() is None
        and not settings.DEBUG
        and view.request.method == "GET"
    )


def streaming_response(response: Any, sql: SQLResponse) -> Any:
    """The StreamingHttpResponse of DRF's `response` (its status and headers) whose
    content is the SQL render's list, sent as the database returns it."""
    from django.http import StreamingHttpResponse

    renderer = response.accepted_renderer
    content_type = response.content_type
    if content_type is None:
        content_type = renderer.media_type
        if renderer.charset:
            content_type = f"{content_type}; charset={renderer.charset}"
    streaming = StreamingHttpResponse(
        sql.stream(), status=response.status_code, content_type=content_type
    )
    for header, value in response.items():
        if header.lower() != "content-type":
            streaming[header] = value
    return streaming
