"""The DRF path's response budget (MAX_ROWS), counted from each planned query's rows as
Django loads them: a list past the budget is refused before the prefetch levels below
the query that crossed it run, and before anything is serialized.

Django's `prefetch_related()` runs every level of a queryset when it is evaluated, and
a relation that loops back serves its rows once per parent: `?extra=doctor.patients` on
1,000 patients of one doctor loads 2,000 rows and serves 1,000,000 objects. The
serializers count each object they output (the authority, see
EagerFieldsSerializerMixin.to_representation()), but only after every query ran.

Here each planned queryset (the list's own and each planned Prefetch's) gets an
iterable class that counts what its rows will serve, as the rows arrive: each object
times the number of times it is served. A row of the list is served once; an object
JOINed into a row (select_related) as often as that row; a prefetched row as often as
the parents that Django gives it to, which are the rows loaded before it at the
relation's path, grouped by the key Django matches them by. Only objects a serializer
outputs are counted, so the count is never more than the serializers would count: it
refuses only what serializing would refuse, at the same object.

What cannot be known from the rows alone counts nothing here and is left to the
serializers: many-to-many and generic relations (their parent key is in the join
table), a relation below a row that is not JOINed or prefetched by the plan, and rows
loaded grouped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.db.models.query import ModelIterable

from .exceptions import RowBudget
from .iterables import _same, iterable_class
from .schema import model_attribute
from .sources import (
    FORWARD_FK,
    FORWARD_ONE_TO_ONE,
    LOOKUP_SEP,
    PARENT_LINK,
    REVERSE_FK,
    REVERSE_ONE_TO_ONE,
    relation_kind,
    to_many,
)
from .verify import verifying

__all__ = ["EarlyCount", "of_instances"]

#: How a prefetch matches its rows to their parents: the parent's key, the row's key.
Keys = tuple[Callable[[models.Model], Any], Callable[[models.Model], Any]]


def relation_keys(model: type[models.Model], name: str) -> Keys | None:
    """The keys Django's prefetcher of the relation `name` of `model` matches rows to
    parents by (its `instance_attr` and `rel_obj_attr`), or None for a relation whose
    key is not on the rows: many-to-many and generic relations."""
    kind = relation_kind(model, model_attribute(model, name))
    if kind in (FORWARD_FK, FORWARD_ONE_TO_ONE, PARENT_LINK):
        field = model._meta.get_field(name)
        return field.get_local_related_value, field.get_foreign_related_value  # type: ignore[union-attr]
    if kind == REVERSE_ONE_TO_ONE:
        field = getattr(model, name).related.field
        return field.get_foreign_related_value, field.get_local_related_value
    found = to_many(model, name) if kind == REVERSE_FK else None
    if found is not None:
        field = found.field
        return field.get_foreign_related_value, field.get_local_related_value
    return None


def of_instances(queryset: QuerySet[Any]) -> bool:
    """Whether `queryset` yields model instances as Django's own ModelIterable builds
    them: its own iterable, or one that counts the budget from them."""
    iterable = queryset._iterable_class
    return iterable is ModelIterable or issubclass(iterable, _CountedIterable)


class CountedLevel:
    """What one planned queryset's rows serve: whether each row is served as an object
    (`served`), the to-one relations JOINed into it (`joins`: attribute path → whether
    its object is served), and the relation whose rows it loads (`parent`: the parent
    level, the attribute path of the parents in its rows, the relation's name), None
    for the list's own queryset."""

    def __init__(self) -> None:
        self.served = False
        self.joins: dict[str, bool] = {}
        self.parent: tuple[CountedLevel, str, str] | None = None

    def walks(self) -> list[tuple[str, list[str], bool]]:
        # Each JOIN's path, the attributes to walk to it, and whether it is served;
        # the shorter first, so that a JOIN's parent is walked before it.
        paths = sorted(self.joins, key=lambda path: path.count(LOOKUP_SEP))
        return [(path, path.split(LOOKUP_SEP), self.joins[path]) for path in paths]


class EarlyCount:
    """One planned queryset's early count of the budget: the objects one evaluation of
    it serves, and the instances each level loaded, for the levels below to find their
    parents in."""

    def __init__(self, budget: RowBudget) -> None:
        self.budget = budget
        self.count = 0
        #: (level, attribute path) → the instances there and how often each is served.
        self.loaded: dict[tuple[int, str], list[tuple[models.Model, int]]] = {}

    def iterable(self, level: CountedLevel) -> type[ModelIterable[Any]]:
        """The iterable class of `level`'s queryset."""
        # Pickled (a queryset cached whole) as Django's own: what this one counts belongs
        # to the response that evaluates it.
        return iterable_class(  # type: ignore[no-any-return]
            "CountedIterable",
            _CountedIterable,
            {"early": self, "level": level},
            pickled=(_same, (ModelIterable,)),
        )

    def times(self, level: CountedLevel, model: type[models.Model]) -> Callable[[Any], int]:
        """How often a row of `level` is served: once for the list's own rows, else as
        often as the parents Django gives it to."""
        if level.parent is None:
            self.count = 0
            self.loaded.clear()
            return lambda row: 1
        parent, path, name = level.parent
        parents = self.loaded.get((id(parent), path), [])
        keys = relation_keys(type(parents[0][0]), name) if parents else None
        if keys is None:
            return lambda row: 0
        parent_key, row_key = keys
        by_key: dict[Any, int] = {}
        for instance, served in parents:
            key = parent_key(instance)
            if None not in key:  # Django gives no row to a parent without a key
                by_key[key] = by_key.get(key, 0) + served
        return lambda row: by_key.get(row_key(row), 0)

    def spend(self, count: int) -> None:
        self.count += count
        if self.count > self.budget.left:
            # The serializers would refuse the response at its object number `left + 1`:
            # refused now, with their error.
            raise self.budget.too_large()


class _CountedIterable(ModelIterable):  # type: ignore[type-arg]
    early: EarlyCount
    level: CountedLevel

    def __iter__(self) -> Iterator[Any]:
        rows = super().__iter__()
        # An iterator() (chunked: Django prefetches each chunk of rows on its own) and
        # verify mode's second rendering (not the response) are not counted.
        if self.chunked_fetch or verifying.get():
            yield from rows
            return
        early, level = self.early, self.level
        times = early.times(level, self.queryset.model)
        walks = level.walks()
        own: list[tuple[models.Model, int]] = []
        joined: dict[str, list[tuple[models.Model, int]]] = {path: [] for path, _, _ in walks}
        early.loaded[(id(level), "")] = own
        for path, instances in joined.items():
            early.loaded[(id(level), path)] = instances
        for row in rows:
            served = times(row)
            if served:
                own.append((row, served))
                count = served if level.served else 0
                for path, names, counted in walks:
                    instance: Any = row
                    for name in names:
                        instance = instance._state.fields_cache.get(name)
                        if instance is None:
                            break
                    if instance is not None:
                        joined[path].append((instance, served))
                        count += served if counted else 0
                early.spend(count)
            yield row
