"""How a field's source reads the model, and where a relation's rows come from: the
rules both planners (the queryset planner, `prefetch.py`, and the values planner,
`fast.py`) and grouped loading (`grouped.py`) follow, written once.

- `follow()`: a dotted source walked through to-one relations, once per model and path.
- `relation_kind()` and `to_many()`: what kind of relation an attribute is (a forward
  foreign key, a parent link, a reverse one-to-one, a reverse foreign key, a
  many-to-many, a generic relation ...), and how a to-many relation's rows point back
  at their parent.
- `base_queryset()`: the queryset a relation's rows are loaded from, before a planner
  adds its own loading.
- `Prefix`: where a JOINed model sits in a query.

The resolved tree (`tree.py`) reads these for every field of a shape; the planners read
the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from inspect import getattr_static
from typing import Any, NamedTuple, cast

from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.related_descriptors import (
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
)

from .schema import COLUMN, GENERIC_FK, TO_MANY, TO_ONE, UNKNOWN, Attribute, model_attribute

__all__ = [
    "LOOKUP_SEP",
    "RelatedQuerysetGetter",
    "base_queryset",
    "default_related_queryset",
    "existing_prefetches",
    "follow",
    "follow_path",
    "lookup_steps",
    "relation_kind",
    "to_many",
    "within",
]

#: `(model, path) -> QuerySet`: the queryset a relation's rows are loaded from,
#: before the planner adds its own loading. `path` is the serializer field path.
RelatedQuerysetGetter = Callable[[type[models.Model], str], QuerySet[Any]]


# Relation kinds ----------------------------------------------------------------------

# What an attribute of a model is, finer than schema.Attribute.kind: the planners load
# each kind its own way (a parent link is never JOINed, a reverse one-to-one is filled
# back from the row it came from ...).
KIND_COLUMN = "column"
FORWARD_FK = "forward_fk"
FORWARD_ONE_TO_ONE = "forward_one_to_one"
PARENT_LINK = "parent_link"  # multi-table inheritance: the child's link to its parent
REVERSE_ONE_TO_ONE = "reverse_one_to_one"
REVERSE_FK = "reverse_fk"
MANY_TO_MANY = "many_to_many"
GENERIC = "generic"  # a GenericRelation
KIND_GENERIC_FK = "generic_fk"
OTHER_TO_MANY = "other_to_many"  # a to-many relation read through a descriptor of its own
KIND_UNKNOWN = "unknown"  # a property or a method of the model


def relation_kind(model: type[models.Model], attribute: Attribute) -> str:
    """Return what kind of attribute `attribute` of `model` is (see the kinds above)."""
    if attribute.kind == COLUMN:
        return KIND_COLUMN
    if attribute.kind == GENERIC_FK:
        return KIND_GENERIC_FK
    if attribute.kind == UNKNOWN:
        return KIND_UNKNOWN
    if attribute.kind == TO_ONE:
        if attribute.local_field is None:
            return REVERSE_ONE_TO_ONE
        field = model._meta.get_field(attribute.name)
        if field.remote_field.parent_link:  # type: ignore[union-attr]
            return PARENT_LINK
        return FORWARD_ONE_TO_ONE if field.one_to_one else FORWARD_FK
    found = to_many(model, attribute.name)
    return OTHER_TO_MANY if found is None else found.kind


def back(model: type[models.Model], attribute: Attribute) -> str | None:
    """The relation back from a one-to-one `attribute` of `model`, which Django fills
    with the row it came from when it loads the relation (JOIN or prefetch)."""
    if attribute.kind != TO_ONE:
        return None
    if attribute.local_field is None:  # a reverse one-to-one: its forward field
        return attribute.remote_fields[0]
    field = model._meta.get_field(attribute.name)
    if not field.one_to_one:  # a foreign key: its way back is to-many
        return None
    return field.remote_field.get_accessor_name()  # type: ignore[union-attr]


@dataclass(frozen=True)
class ToMany:
    """How the rows of a to-many relation, read through Django's own descriptor, point
    at their parent."""

    kind: str  # REVERSE_FK, MANY_TO_MANY or GENERIC
    # REVERSE_FK: the related model's foreign key; MANY_TO_MANY: the through model's
    # foreign key to the parent; GENERIC: the GenericRelation.
    field: Any
    # The lookup, from the related model, of the parent's key (a generic relation's
    # object id field); for a many-to-many ending in "+" there is none.
    query_name: str
    # The key of the parent's prefetch cache the related manager reads.
    cache_name: str
    through: type[models.Model] | None = None


def to_many(model: type[models.Model], accessor: str) -> ToMany | None:
    """Return how the to-many relation `accessor` of `model` points back, or None when
    it is read through a descriptor other than Django's own."""
    descriptor: Any = getattr_static(model, accessor, None)
    if type(descriptor) is ReverseManyToOneDescriptor:
        fk = descriptor.field
        return ToMany(REVERSE_FK, fk, fk.name, fk.remote_field.cache_name)
    if type(descriptor) is ManyToManyDescriptor:
        rel = descriptor.rel
        if descriptor.reverse:
            query_name, cache_name = rel.field.name, rel.field.related_query_name()
            source = rel.field.m2m_reverse_field_name()
        else:
            query_name, cache_name = rel.field.related_query_name(), rel.field.name
            source = rel.field.m2m_field_name()
        through = cast("type[models.Model]", rel.through)  # set once the apps are loaded
        return ToMany(
            MANY_TO_MANY, through._meta.get_field(source), query_name, cache_name, through
        )
    if _is_generic(descriptor):
        generic = descriptor.field
        return ToMany(GENERIC, generic, generic.object_id_field_name, generic.attname)
    return None


def _is_generic(descriptor: object) -> bool:
    try:
        from django.contrib.contenttypes.fields import ReverseGenericManyToOneDescriptor
    except ImportError:  # pragma: no cover - contenttypes is not installed
        return False
    return type(descriptor) is ReverseGenericManyToOneDescriptor


# Sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One attribute of a source, on the model it is read from."""

    model: type[models.Model]
    attribute: Attribute

    @property
    def kind(self) -> str:
        return relation_kind(self.model, self.attribute)


@dataclass(frozen=True)
class Source:
    """A dotted source (or `requires` path) followed from a model.

    `through` are the to-one relations walked through; then either `last`, the
    attribute read, or `stop`, the first attribute on the way that is not a to-one
    relation (a property, a to-many relation): nothing below it can be known.
    """

    attrs: tuple[str, ...]
    through: tuple[Step, ...]
    last: Step | None
    stop: Step | None = None

    @property
    def lookup(self) -> str:
        """The ORM lookup relative to the model the source starts from."""
        return LOOKUP_SEP.join(self.attrs)

    @property
    def model(self) -> type[models.Model]:
        """The model the last attribute (or the stop) is read from."""
        step = self.last or self.stop
        return cast("Step", step).model


@lru_cache(maxsize=4096)
def follow(model: type[models.Model], attrs: tuple[str, ...]) -> Source:
    """Follow the names `attrs` from `model` through to-one relations."""
    through: list[Step] = []
    for attr in attrs[:-1]:
        attribute = model_attribute(model, attr)
        if attribute.kind != TO_ONE:
            return Source(attrs, tuple(through), None, Step(model, attribute))
        through.append(Step(model, attribute))
        model = attribute.related_model  # type: ignore[assignment]
    return Source(attrs, tuple(through), Step(model, model_attribute(model, attrs[-1])))


def follow_path(model: type[models.Model], path: str) -> Source:
    """Follow a `requires` path (dotted, or with `__`)."""
    return follow(model, tuple(path.replace(LOOKUP_SEP, ".").split(".")))


# Where a JOINed model sits -----------------------------------------------------------


class Prefix(NamedTuple):
    """Where a JOINed model sits in a query: `query` prefixes ORM lookups
    (`select_related`, `only`, `values()`), `attr` prefixes attribute paths
    (`prefetch_related`). They differ only where a reverse relation's
    `related_query_name` is not its accessor."""

    query: str = ""
    attr: str = ""
    # Below a foreign key, for values(): (the foreign key's own lookup, the field it
    # points at). See lookup().
    trim: tuple[str, str] | None = None
    # After a one-to-one's way back to a row (the fast path's), the attribute path of
    # that row: the instance whose caches the DRF path fills, whichever way reaches it.
    same: str | None = None

    @property
    def instance(self) -> str:
        """The attribute path of the instance at this prefix, ways back taken out."""
        return self.attr if self.same is None else self.same

    def join(self, attribute: Attribute, model: type[models.Model]) -> Prefix:
        """The prefix of the columns of the to-one `attribute` of `model`, JOINed."""
        trim = None
        if attribute.local_field is not None:
            fk = model._meta.get_field(attribute.name)
            trim = (self.lookup(fk.name), fk.target_field.name)  # type: ignore[union-attr]
        return Prefix(
            self.query + attribute.lookup + LOOKUP_SEP,
            self.attr + attribute.name + LOOKUP_SEP,
            trim,
            None if self.same is None else self.same + attribute.name + LOOKUP_SEP,
        )

    def lookup(self, name: str) -> str:
        """The values() lookup of the field `name` of the model at this prefix.

        The field a foreign key points at is the foreign key's own column (Django
        selects `author_id` for `author__id`): one lookup per column, as the window
        function Django filters sliced prefetches with drops a column selected twice.
        """
        if self.trim is not None and name == self.trim[1]:
            return self.trim[0]
        return self.query + name


ROOT = Prefix()


# Base querysets ------------------------------------------------------------------------


def default_related_queryset(model: type[models.Model], path: str) -> QuerySet[Any]:
    """The related queryset of a view without get_related_queryset(): every row."""
    queryset: QuerySet[Any] = model._default_manager.all()
    return queryset


def within(queryset: QuerySet[Any], scope: QuerySet[Any]) -> QuerySet[Any]:
    """Return `queryset` (a serializer's own Prefetch or Grouped queryset, declared once
    for every request) restricted to the rows of `scope`, the view's
    get_related_queryset() for its relation: a slice is kept, taken of those rows."""
    default = scope.model._default_manager.all()
    if scope.query.where == default.query.where:  # the hook scopes nothing
        return queryset
    restricted: QuerySet[Any] = queryset._chain()  # type: ignore[attr-defined]
    low, high = restricted.query.low_mark, restricted.query.high_mark
    restricted.query.clear_limits()
    restricted = restricted.filter(pk__in=scope.values("pk"))
    restricted.query.set_limits(low, high)
    return restricted


def existing_prefetches(queryset: QuerySet[Any]) -> dict[str, Prefetch[str]]:
    """The queryset's own prefetch_related() lookups, as Prefetch objects by where
    they store."""
    found: dict[str, Prefetch[str]] = {}
    for lookup in queryset._prefetch_related_lookups:  # type: ignore[attr-defined]  # private, not in the stubs
        prefetch = lookup if isinstance(lookup, Prefetch) else Prefetch(lookup)
        found[prefetch.prefetch_to] = prefetch
    return found


def base_queryset(
    model: type[models.Model],
    path: str,
    getter: RelatedQuerysetGetter,
    *,
    own: QuerySet[Any] | None = None,
    grouped: QuerySet[Any] | None = None,
    existing: Prefetch[str] | None = None,
    filter: Q | None = None,
) -> QuerySet[Any]:
    """The queryset the rows of a relation to `model` at the field path `path` come
    from, before a planner adds its own loading.

    In this order: the field's own Prefetch queryset (`own`), else the queryset of its
    Grouped loading, each restricted to the view's get_related_queryset() (see
    within()); else the queryset of the root queryset's own prefetch_related() of the
    relation (`existing`), as it is; else get_related_queryset(). Then the extra's
    `filter`.
    """
    if own is not None:
        queryset = within(own, getter(model, path))
    elif grouped is not None:
        queryset = within(grouped, getter(model, path))
    elif existing is not None and existing.queryset is not None:
        queryset = existing.queryset
    else:
        queryset = getter(model, path)
    if filter is not None:
        queryset = queryset.filter(filter)
    return queryset


def lookup_steps(model: type[models.Model], lookup: str) -> Iterator[tuple[str, Step | None]]:
    """The names of an ORM lookup of relations (a Prefetch's `prefetch_through`), each
    with the attribute it names on the model it is read from, from `model`: they end
    after the first name that is not a relation; a name beyond a generic foreign key
    (whose rows may be of any model) comes with None."""
    related: type[models.Model] | None = model
    for name in lookup.split(LOOKUP_SEP):
        if related is None:
            yield name, None
            return
        attribute = model_attribute(related, name)
        yield name, Step(related, attribute)
        if attribute.kind not in (TO_ONE, TO_MANY, GENERIC_FK):
            return
        related = attribute.related_model


def ends_to_one(model: type[models.Model], lookup: str) -> bool:
    """Whether the relations of `lookup` resolve from `model` and end in a to-one."""
    steps = [step for _, step in lookup_steps(model, lookup)]
    return (
        all(step is not None and step.attribute.kind in (TO_ONE, TO_MANY) for step in steps)
        and cast("Step", steps[-1]).attribute.kind == TO_ONE
    )
