"""Grouped loading: a to-many relation served from one query that JOINs its rows to
their parents' rows, grouped in Python, instead of the parents' query plus a prefetch
query filtered by the list of the parents' keys.

`Grouped` marks a relation (an extra's "prefetch", or a view's `eager_grouped`); the
planner hands the relation's prefetch to `Grouping`, which gives the parents' queryset an
iterable that sends the one query and fills the relation's cache as the prefetch would.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.expressions import Expression, OrderBy, RawSQL, Ref
from django.db.models.functions import RowNumber
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.db.models.query import ModelIterable, prefetch_related_objects
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler

from .iterables import iterable_class
from .routing import read_database, stand_in
from .schema import FieldSpec
from .sources import LOOKUP_SEP, MANY_TO_MANY, REVERSE_FK, to_many

__all__ = ["Grouped"]


# Columns the grouped query adds to the parents' and the rows' queries.
_PREFIX = "_eager_g"
_RANK = f"{_PREFIX}rank"


class Grouped:
    """Load a to-many relation together with its parents, in one query that JOINs the
    related rows to the parents' rows, instead of a prefetch query of its own.

    Use it as an extra's `prefetch`, or name the field in a view's `eager_grouped`:

        "orders": {"field": OrderSerializer(many=True), "prefetch": Grouped()},

    `queryset` is the related rows' queryset (its filter, ordering, or a slice for the
    first rows of each parent), as a `Prefetch` queryset is. The response is the one the
    prefetch gives: parents without a matching row are served with an empty list, unless
    `only_with_children=True`, which leaves them out of the parents' queryset itself (so
    the paginator counts and pages only parents with matching rows).
    """

    def __init__(
        self, queryset: QuerySet[Any] | None = None, *, only_with_children: bool = False
    ) -> None:
        if queryset is not None and (
            not isinstance(queryset, QuerySet)
            or not issubclass(queryset._iterable_class, ModelIterable)
        ):
            raise ImproperlyConfigured(
                "Grouped(queryset) takes a queryset of model instances, not "
                f"{type(queryset).__name__} (values() and values_list() cannot be grouped)."
            )
        self.queryset = queryset
        self.only_with_children = only_with_children

    def __repr__(self) -> str:
        options = []
        if self.queryset is not None:
            options.append(f"queryset of {self.queryset.model.__name__}")
        if self.only_with_children:
            options.append("only_with_children=True")
        return f"Grouped({', '.join(options)})"


def is_grouped(queryset: Any) -> bool:
    """Return whether `queryset` loads a relation grouped (see Grouped)."""
    iterable = getattr(queryset, "_iterable_class", None)
    return isinstance(iterable, type) and issubclass(iterable, _GroupedIterable)


def grouped_prefetch(queryset: Any) -> Prefetch[Any] | None:
    """Return the prefetch that `queryset` loads grouped instead (its lookup, its
    queryset, its `to_attr`), or None."""
    if not is_grouped(queryset):
        return None
    return queryset._iterable_class.load.prefetch  # type: ignore[no-any-return]


# The relation -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Relation:
    """How the rows of a to-many relation point at their parent."""

    accessor: str  # the parent's attribute (its related manager)
    cache_name: str  # the key of the parent's prefetch cache the manager reads
    key: str  # the lookup, from the related model, of the parent's value
    target: str  # the parent's field that value is (attname)
    own_column: bool  # whether `key` is a column of the related model's own table
    back: models.ForeignKey[Any, Any] | None  # a reverse foreign key: set on each row


def _relation(model: type[models.Model], accessor: str, path: str) -> _Relation:
    # The kinds of relation Grouped serves, told apart by sources.to_many().
    found = to_many(model, accessor)
    if found is not None and found.kind == REVERSE_FK:
        fk = found.field
        if len(fk.foreign_related_fields) == 1:
            return _Relation(
                accessor, found.cache_name, fk.attname, fk.target_field.attname, True, fk
            )
    elif found is not None and found.kind == MANY_TO_MANY and not found.query_name.endswith("+"):
        target = found.field.target_field.attname
        return _Relation(accessor, found.cache_name, found.query_name, target, False, None)
    raise ImproperlyConfigured(
        f"'{path}' is loaded with Grouped, which serves reverse foreign keys and "
        f"many-to-many relations with a query name; {model.__name__}.{accessor} is "
        "neither. Use an ordinary prefetch for it."
    )


def check_groupable(model: type[models.Model], accessor: str, path: str) -> None:
    """Raise ImproperlyConfigured unless Grouped serves the relation `accessor` of
    `model` (the field at `path`): a reverse foreign key, or a many-to-many relation
    with a query name."""
    _relation(model, accessor, path)


# The plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Load:
    """A relation loaded grouped: the plan's prefetch of it, and how its rows point back."""

    prefetch: Prefetch[Any]  # with its queryset
    relation: _Relation

    @property
    def queryset(self) -> QuerySet[Any]:
        return cast("QuerySet[Any]", self.prefetch.queryset)


class Grouping:
    """The grouped relations of one queryset of a plan.

    The planner asks `get()` whether a to-many relation is grouped, reports the ones it
    plans with `add()`, and `apply()` takes the first one of the queryset's own rows out
    of the queryset's prefetches, to load it grouped. The others are prefetched as usual:
    two relations JOINed into one query would multiply each other's rows.
    """

    def __init__(self, declared: Mapping[str, Grouped] | None = None) -> None:
        self.declared: Mapping[str, Grouped] = declared or {}
        self.relations: list[tuple[str, str | None, Grouped, _Relation, type[models.Model]]] = []

    def below(self) -> Grouping:
        """The grouping of a queryset nested in this one's (a prefetch's)."""
        return Grouping(self.declared)

    def get(self, spec: FieldSpec | None, path: str) -> Grouped | None:
        """Return how the relation field `spec` at `path` is grouped, or None."""
        if spec is not None and isinstance(spec.prefetch, Grouped):
            return spec.prefetch
        return self.declared.get(path)

    def add(
        self,
        model: type[models.Model],
        lookup: str,
        to_attr: str | None,
        grouped: Grouped,
        related: type[models.Model],
        path: str,
    ) -> None:
        """Group the prefetch of `lookup` (into `to_attr`) of the rows of `model`."""
        if LOOKUP_SEP in lookup:
            # A relation of a JOINed to-one relation's rows: those rows come from the
            # JOIN, not from a queryset of their own, so the relation is prefetched.
            return
        relation = _relation(model, lookup, path)
        self.relations.append((lookup, to_attr, grouped, relation, related))

    def apply(self, queryset: QuerySet[Any], prefetches: dict[str, Any]) -> QuerySet[Any]:
        """Return `queryset` loading its first grouped relation grouped, and left without
        the parents that have no rows where `only_with_children` asks it.

        The relation's prefetch is removed from `prefetches`.
        """
        grouping: _Load | None = None
        for lookup, to_attr, grouped, relation, related in self.relations:
            key, prefetch = _find_prefetch(prefetches, lookup, to_attr)
            if prefetch is None:
                continue
            if prefetch.queryset is None:
                prefetch = Prefetch(
                    prefetch.prefetch_through,
                    queryset=related._default_manager.all(),
                    to_attr=prefetch.to_attr,
                )
            if grouped.only_with_children:
                queryset = queryset.filter(
                    _has_rows(cast("QuerySet[Any]", prefetch.queryset), relation)
                )
            if grouping is None:
                del prefetches[key]
                grouping = _Load(prefetch, relation)
        if grouping is not None:
            queryset = queryset._chain()  # type: ignore[attr-defined]
            queryset._iterable_class = grouped_iterable(grouping)
        return queryset


def _find_prefetch(
    prefetches: dict[str, Any], lookup: str, to_attr: str | None
) -> tuple[str, Prefetch[Any] | None]:
    for key, prefetch in prefetches.items():
        if (
            isinstance(prefetch, Prefetch)
            and prefetch.prefetch_through == lookup
            and (prefetch.to_attr or None) == to_attr
        ):
            return key, prefetch
    return "", None


def _has_rows(rows: QuerySet[Any], relation: _Relation) -> Exists:
    # A slice keeps its offset: EXISTS then asks for more rows than the offset.
    rows = rows._chain()  # type: ignore[attr-defined]
    low, high = rows.query.low_mark, rows.query.high_mark
    rows.query.clear_limits()
    rows = rows.filter(**{relation.key: OuterRef(relation.target)})
    rows.query.set_limits(low, high)
    return Exists(rows)


# The query --------------------------------------------------------------------------


class _Unsupported(Exception):
    """A queryset the grouped query cannot be built from: it is prefetched instead."""


class _Column(Expression):
    """A column of one of the grouped query's derived tables."""

    def __init__(self, table: str, alias: str) -> None:
        super().__init__()
        self.table, self.alias = table, alias

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        quote = connection.ops.quote_name
        return f"{quote(self.table)}.{quote(self.alias)}", ()


class _Side:
    """One derived table of the grouped query: a queryset's compiled SQL, and the model
    instances of its rows, built by Django's own ModelIterable from the rows sent."""

    def __init__(self, query: Query, queryset: QuerySet[Any], added: set[str]) -> None:
        connection = connections[queryset.db]
        compiler: SQLCompiler = query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql(with_col_aliases=True)
        self.params = tuple(params)
        select = compiler.select
        self.aliases: list[str] = [alias for _, _, alias in select]
        if compiler.qualify and len({expr for expr, _, _ in select}) != len(select):  # type: ignore[attr-defined]
            # Django names the columns of a window-filtered query by expression, so a
            # column selected twice would shift the others.
            raise _Unsupported("a column selected twice in a window-filtered query")
        # The columns added for the grouped query are not the instances' attributes.
        compiler.annotation_col_map = {
            name: position
            for name, position in compiler.annotation_col_map.items()
            if name not in added
        }
        self.compiler, self.connection = compiler, connection
        self.queryset, self.query = queryset, query
        self.width = len(select)

    def position(self, alias: str) -> int:
        return self.aliases.index(alias)

    def instances(self, rows: list[Sequence[Any]]) -> list[models.Model]:
        """The model instances of `rows` (this side's columns), as the queryset's own
        iteration builds them: converters, JOINed relations, annotations, known
        related objects, fetch modes."""
        if not rows:
            return []
        compiler = self.compiler
        compiler.execute_sql = lambda *args, **kwargs: [rows]  # type: ignore[method-assign, assignment]
        prepared = self.queryset._chain()  # type: ignore[attr-defined]
        prepared._query = _Compiled(compiler)
        return list(ModelIterable(prepared))


class _Compiled:
    """Stands for a query whose compiler has its rows already."""

    values_select = ()

    def __init__(self, compiler: SQLCompiler) -> None:
        self.compiler = compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> SQLCompiler:
        return self.compiler


class _Columns:
    """Names the expressions a query must select for the grouped query: the column it
    already selects, or an annotation added to it."""

    def __init__(self, query: Query, connection: Any) -> None:
        self.query = query
        probe = query.get_compiler(connection=connection)
        probe.setup_query(with_col_aliases=True)
        self.selected = [(expr, alias) for expr, _, alias in probe.select]
        self.added: set[str] = set()

    def name(self, expression: Any, *, reuse: bool = True) -> str:
        if isinstance(expression, Ref):  # an ordering by an extra(select=...) column
            expression = expression.source  # type: ignore[attr-defined]
        if reuse:
            for selected, alias in self.selected:
                if alias is not None and selected == expression:
                    return alias  # type: ignore[no-any-return]
        alias = f"{_PREFIX}{len(self.added)}"
        self.query.add_annotation(expression, alias)
        self.added.add(alias)
        return alias

    def column(self, name: str) -> str:
        """The alias of the model field `name` of the query's own table."""
        return self.name(F(name).resolve_expression(self.query, allow_joins=False))


def _ordering(query: Query, connection: Any) -> list[OrderBy]:
    if query.combinator or query.extra_order_by or query.select_for_update:
        raise _Unsupported("a combined, extra()-ordered or select_for_update() queryset")
    compiler = query.get_compiler(connection=connection)
    return [expression for expression, _ in compiler.get_order_by()]


def _unref(order: OrderBy) -> OrderBy:
    # Inside a window, an ordering by a selected column must be its expression.
    if not isinstance(order.expression, Ref):
        return order
    order = order.copy()
    order.set_source_expressions([order.expression.source])  # type: ignore[union-attr]
    return order


def _keyed(order: OrderBy, table: str, alias: str) -> OrderBy:
    return OrderBy(
        _Column(table, alias),
        descending=order.descending,
        nulls_first=order.nulls_first,
        nulls_last=order.nulls_last,
    )


def _tiebreak(order: list[OrderBy], table: str, alias: str) -> None:
    # Ordered by a unique column last, unless the ordering already has it.
    if not any(getattr(item.expression, "alias", None) == alias for item in order):
        order.append(OrderBy(_Column(table, alias)))


_PARENTS, _NUMBERED, _ROWS, _PAGE = (
    f"{_PREFIX}parents",
    f"{_PREFIX}numbered",
    f"{_PREFIX}rows",
    f"{_PREFIX}page",
)


class _Statement:
    """The grouped query of a parents' queryset and one relation: the parents as a
    derived table, numbered in their own order, LEFT JOINed to their rows as another,
    ordered by that number then the rows' ordering."""

    def __init__(self, queryset: QuerySet[Any], load: _Load) -> None:
        self.db = db = queryset.db
        # One query reads the rows with their parents: only where Django's prefetch
        # would read the rows from the parents' database too (the routers' choice for
        # the first parent is checked again once it is read, see _run()).
        if read_database(load.queryset, stand_in(queryset.model, db, None)) != db:
            raise _Unsupported("the related rows are read from another database")
        connection = connections[db]
        relation = load.relation
        quote = connection.ops.quote_name

        # The parents: the queryset as it is (slice, filters, DISTINCT), selecting its
        # ordering's values, which number its rows outside it: a window inside it would
        # number every row before the slice (and defeat a DISTINCT).
        parents = queryset.query.chain()
        parent_order = _ordering(parents, connection)
        parent_columns = _Columns(parents, connection)
        self.parent_key = parent_columns.column(relation.target)
        numbering = [_keyed(o, _NUMBERED, parent_columns.name(o.expression)) for o in parent_order]
        if not parents.is_sliced:  # numbered outside it
            parents.clear_ordering(force=True)
        self.parents = _Side(parents, queryset, parent_columns.added)
        compiler = self.parents.compiler
        over: list[str] = []
        params: list[Any] = []
        for item in numbering:
            item_sql, item_params = compiler.compile(item)
            over.append(item_sql)
            params += item_params
        params += self.parents.params
        # The SQL of the numbering here; the expression of the slice below.
        window: str | Window = (
            f"ROW_NUMBER() OVER ({'ORDER BY ' if over else ''}{', '.join(over)})"
        )
        numbered = (
            f"(SELECT {quote(_NUMBERED)}.*, {window} AS {quote(_RANK)} "
            f"FROM ({self.parents.sql}) {quote(_NUMBERED)}) {quote(_PARENTS)}"
        )

        # The rows: their queryset, with the key of their parent and their ordering;
        # their instances are marked as read from the parents' database.
        rows_queryset = load.queryset.using(db)
        rows = rows_queryset.query.chain()
        row_order = _ordering(rows, connection)
        row_columns = _Columns(rows, connection)
        if relation.own_column:
            self.row_key = row_columns.column(relation.key)
            key_lookup = relation.key
        else:  # through the many-to-many table: a row per parent
            self.row_key = key_lookup = row_columns.name(F(relation.key), reuse=False)
        rows_order = [_keyed(o, _ROWS, row_columns.name(o.expression)) for o in row_order]
        _tiebreak(rows_order, _ROWS, row_columns.column(rows.get_meta().pk.attname))
        if parents.is_sliced or parents.where:
            # Only these parents' rows, so that the database reads no others (a page's
            # children, not every child). The parents' query is a derived table inside
            # the IN, which MariaDB accepts with a LIMIT, where it refuses IN (... LIMIT).
            page = RawSQL(
                f"SELECT {quote(_PAGE)}.{quote(self.parent_key)} "
                f"FROM ({self.parents.sql}) {quote(_PAGE)}",
                self.parents.params,
            )
            rows.add_q(Q(**{f"{key_lookup}__in": page}))
        if rows.is_sliced:
            # The first rows of each parent, as Django's prefetch filters a sliced queryset.
            low, high = rows.low_mark, rows.high_mark
            rows.clear_limits()
            window = Window(
                RowNumber(),
                partition_by=[F(key_lookup)],
                order_by=[_unref(o) for o in row_order] or None,
            )
            predicate = Q(GreaterThan(window, low))
            if high is not None:
                predicate &= Q(LessThanOrEqual(window, high))
            rows.add_q(predicate)
        rows.clear_ordering(force=True)
        try:
            self.rows: _Side | None = _Side(rows, rows_queryset, row_columns.added)
        except EmptyResultSet:
            self.rows = None

        columns = [f"{quote(_PARENTS)}.{quote(a)}" for a in [_RANK, *self.parents.aliases]]
        sql = [f"FROM {numbered}"]
        order = [OrderBy(_Column(_PARENTS, _RANK))]
        if self.rows is not None:
            columns += [f"{quote(_ROWS)}.{quote(a)}" for a in self.rows.aliases]
            sql.append(
                f"LEFT OUTER JOIN ({self.rows.sql}) {quote(_ROWS)} ON "
                f"({quote(_ROWS)}.{quote(self.row_key)} = "
                f"{quote(_PARENTS)}.{quote(self.parent_key)})"
            )
            params += self.rows.params
            order += rows_order
        ordering = []
        for item in order:
            item_sql, item_params = compiler.compile(item)
            ordering.append(item_sql)
            params += item_params
        self.sql = " ".join(
            [f"SELECT {', '.join(columns)}", *sql, f"ORDER BY {', '.join(ordering)}"]
        )
        self.params = tuple(params)
        self.connection = connection


def grouped_iterable(load: _Load) -> Any:
    """The iterable class of a queryset whose relation `load` is loaded grouped (pickled
    as a call that makes it again)."""
    return iterable_class(
        "GroupedIterable", _GroupedIterable, {"load": load}, pickled=(grouped_iterable, (load,))
    )


class _GroupedIterable(ModelIterable):  # type: ignore[type-arg]
    """Yields the parents of its queryset with the grouped relation's rows in its cache."""

    load: _Load

    def __iter__(self) -> Iterator[models.Model]:
        queryset, load = self.queryset, self.load
        try:
            statement = _Statement(queryset, load)
        except EmptyResultSet:  # no parents: no query, as Django sends none
            return
        except _Unsupported:
            parents: list[models.Model] = list(
                ModelIterable(queryset, self.chunked_fetch, self.chunk_size)
            )
            prefetch_related_objects(parents, copy.copy(load.prefetch))
            yield from parents
            return
        yield from _run(statement, load)


def _run(statement: _Statement, load: _Load) -> list[models.Model]:
    with statement.connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        rows = cursor.fetchall()
    parents_side, rows_side = statement.parents, statement.rows
    # Each row: the parent's number, its columns, then its child's, if any.
    end = 1 + parents_side.width
    key_at = None if rows_side is None else end + rows_side.position(statement.row_key)
    # The rows come ordered by parent: a parent's first row starts its group.
    parent_rows: list[Sequence[Any]] = []
    child_rows: list[Sequence[Any]] = []
    owners: list[int] = []
    last: Any = None
    for raw in rows:
        if raw[0] != last:
            last = raw[0]
            parent_rows.append(raw[1:end])
        if key_at is not None and raw[key_at] is not None:  # else a parent without rows
            child_rows.append(raw[end:])
            owners.append(len(parent_rows) - 1)
    parents = parents_side.instances(parent_rows)
    if parents and read_database(load.queryset, parents[0]) != statement.db:
        # The routers send the first parent's rows elsewhere: read them from there.
        prefetch_related_objects(parents, copy.copy(load.prefetch))
        return parents
    groups: list[list[models.Model]] = [[] for _ in parents]
    children = rows_side.instances(child_rows) if rows_side is not None else []
    rows_queryset = load.queryset
    lookups = [copy.copy(lookup) for lookup in rows_queryset._prefetch_related_lookups]  # type: ignore[attr-defined]
    below = grouped_prefetch(rows_queryset)
    if below is not None:  # grouped below grouped: prefetched under it
        lookups.append(copy.copy(below))
    if lookups and children:
        # Before the parents are set on the rows, as Django's prefetch runs them: a
        # prefetch of the way back (the plan's, for what is served below it: computed
        # fields, relations scoped by the view) loads it instead of the parent row.
        prefetch_related_objects(children, *lookups)
    back = load.relation.back
    for child, owner in zip(children, owners, strict=True):
        # As Django's prefetch of a reverse foreign key: each row's parent is the parent.
        if back is not None and not back.is_cached(child):
            setattr(child, back.name, parents[owner])
        groups[owner].append(child)
    _store(parents, groups, load)
    return parents


_FILTERS_IN_PLACE = hasattr(QuerySet, "_avoid_cloning")


def _store(parents: list[models.Model], groups: list[list[models.Model]], load: _Load) -> None:
    # What Django's prefetch stores: a list in the attribute, or the manager's queryset
    # with the rows as its result cache.
    to_attr = load.prefetch.to_attr
    relation = load.relation
    rows_queryset = load.queryset
    if rows_queryset.query.is_sliced:
        # Django's prefetch takes the slice off its queryset when it filters it by a
        # window, and caches that queryset; the same is cached here.
        rows_queryset = rows_queryset._chain()  # type: ignore[attr-defined]
        rows_queryset.query.clear_limits()
    store: Callable[[models.Model, list[models.Model]], None]
    if to_attr:

        def store(parent: models.Model, group: list[models.Model]) -> None:
            setattr(parent, to_attr, group)

    else:

        def store(parent: models.Model, group: list[models.Model]) -> None:
            manager = getattr(parent, relation.accessor)
            # Django 6.1's managers filter the queryset given without cloning it.
            given = rows_queryset._chain() if _FILTERS_IN_PLACE else rows_queryset  # type: ignore[attr-defined]
            cached = manager._apply_rel_filters(given)
            cached._result_cache = group
            cached._prefetch_done = True
            caches = parent.__dict__.setdefault("_prefetched_objects_cache", {})
            caches[relation.cache_name] = cached

    for parent, group in zip(parents, groups, strict=True):
        store(parent, group)
