"""Plan the queryset for a Shape: `select_related` (JOINs) for to-one relations,
nested `Prefetch` for to-many ones, and `.only()` with the columns served plus
the keys Django needs, at every level."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from django.db import models
from django.db.models import F, Prefetch, QuerySet
from django.db.models.expressions import OrderBy
from rest_framework import relations, serializers

from .computed import Computed
from .early import CountedLevel, EarlyCount, of_instances
from .exceptions import RowBudget
from .grouped import Grouped, Grouping
from .schema import (
    COLUMN,
    GENERIC_FK,
    TO_MANY,
    TO_ONE,
    UNKNOWN,
    Attribute,
    SerializerSchema,
    model_attribute,
)
from .shape import Shape
from .sources import (
    LOOKUP_SEP,
    PARENT_LINK,
    ROOT,
    Prefix,
    RelatedQuerysetGetter,
    Source,
    back,
    base_queryset,
    default_related_queryset,
    ends_to_one,
    existing_prefetches,
    follow_path,
    relation_kind,
    within,
)
from .stock import (
    COLUMNS_FIELD,
    COLUMNS_SERIALIZER,
    COLUMNS_VALUE,
    FIXED_FIELDS,
    declared_requires,
)
from .tree import LOAD_FK_COLUMN, LOAD_NONE, LOAD_PREFETCH, FieldNode, SerializerNode, resolve
from .validation import declared_grouping

__all__ = ["RelatedQuerysetGetter", "keep_row_order", "prefetch_queryset", "within"]


def _at_path(
    getter: RelatedQuerysetGetter, path: str
) -> Callable[[type[models.Model]], QuerySet[Any]]:
    # What a computed field at `path` gets: the view's hook with the path bound.
    return lambda model: getter(model, path)


class _Child:
    """A prefetch of the plan: built when the plan is applied, so that every field that
    loads the same relation cache adds what it serves to the one query."""

    def __init__(self, lookup: str, base: QuerySet[Any], level: _Level, to_attr: str | None):
        self.lookup = lookup
        self.base = base
        self.level = level
        self.to_attr = to_attr

    def prefetch(self) -> Prefetch[str]:
        return Prefetch(self.lookup, queryset=self.level.apply(self.base), to_attr=self.to_attr)


class _Level:
    """What one queryset must load: its own rows and the rows JOINed into them."""

    def __init__(
        self,
        model: type[models.Model],
        related_queryset: RelatedQuerysetGetter,
        path: str,
        *,
        nested: bool = False,
        grouping: Grouping | None = None,
        early: EarlyCount | None = None,
    ) -> None:
        self.model = model
        self.related_queryset = related_queryset
        self.path = path
        # The to-many relations loaded grouped, JOINed to this queryset's rows.
        self.grouping = grouping or Grouping()
        # The queryset of a prefetch, not the outermost one.
        self.nested = nested
        self.columns: set[str] = set()
        self.select: set[str] = set()
        self.prefetches: dict[str, Prefetch[str] | _Child] = {}
        self.base_prefetches: dict[str, Prefetch[str]] = {}
        # (query prefix, to-one name) → the level and prefix of the row Django fills that
        # relation with: the row a one-to-one came from (see _back).
        self.same_rows: dict[tuple[str, str], tuple[_Level, Prefix]] = {}
        # Prefetches into an attribute of a to-one relation, and the ones the outer
        # queryset must run instead of this one (see apply).
        self.to_one_attrs: set[str] = set()
        self.hoisted: list[Prefetch[str]] = []
        # Computed fields of this level's own rows: (field, name, field path).
        self.computed: list[tuple[Computed, str, str]] = []
        # To-one relations prefetched for their computed fields: query → attr lookup.
        self.prefetched_to_one: dict[str, str] = {}
        # The model JOINed at each lookup of `select`.
        self.joined: dict[str, type[models.Model]] = {}
        # The rows that code we do not know reads (see opaque), by query prefix.
        self.opaque_rows: dict[str, Prefix] = {}
        # The relations `prefetch: False` fields read row by row: ORM lookup → attribute
        # path. Where another field's JOIN or prefetch fills the same cache, it holds
        # every column (see load_opaque).
        self.lazy_rows: dict[str, str] = {}
        # Every column of its rows, of the rows JOINed to them and of its prefetches.
        self.full = False
        # The response budget counted from its rows (see drf_eager.early), or None.
        self.early = early
        self.counted = CountedLevel()
        # The rows of an unordered list: read by the view's own query, as it is (see
        # prefetch_queryset()); its to-one relations are prefetched, not JOINed.
        self.as_read = False

    # Columns and JOINs -------------------------------------------------------

    def all_columns(self, prefix: Prefix, model: type[models.Model]) -> None:
        for f in model._meta.concrete_fields:
            self.columns.add(prefix.query + f.name)

    def opaque(self, prefix: Prefix, model: type[models.Model]) -> None:
        """Load every column of the rows at `prefix`, of the rows JOINed to them and of
        the rows prefetched from them: code we do not know (a field class of the
        user's, a `source="*"` or a property without `requires`) reads them, and a
        pruned column would be a query per row."""
        self.all_columns(prefix, model)
        self.opaque_rows.setdefault(prefix.query, prefix)

    def load_opaque(self) -> None:
        # Applied last, when every JOIN and prefetch of the plan is known.
        for query, attr in self.lazy_rows.items():
            # A `prefetch: False` field serializes what it finds in the relation's cache
            # (drf_eager.serializers loads it only where nothing did): where the plan
            # fills that cache for another field, by a JOIN or a prefetch, it fills it
            # as for code we do not know.
            if query in self.joined:
                self.opaque(Prefix(query + LOOKUP_SEP, attr + LOOKUP_SEP), self.joined[query])
            planned = self.prefetches.get(attr)
            if isinstance(planned, _Child):
                planned.level.full = True
        for query, prefix in self.opaque_rows.items():
            for lookup, related in self.joined.items():
                if lookup.startswith(query):
                    self.all_columns(Prefix(lookup + LOOKUP_SEP), related)
            for key, planned in self.prefetches.items():
                if isinstance(planned, _Child) and key.startswith(prefix.attr):
                    planned.level.full = True

    def join(self, model: type[models.Model], prefix: Prefix, attribute: Attribute) -> Prefix:
        """JOIN the to-one `attribute` of `model` and return the prefix of its columns."""
        lookup = prefix.query + attribute.lookup
        self.select.add(lookup)
        self.counted.joins.setdefault(prefix.attr + attribute.name, False)
        self.joined[lookup] = attribute.related_model  # type: ignore[assignment]
        if attribute.local_field:
            self.columns.add(prefix.query + attribute.local_field)
        for remote in attribute.remote_fields:
            self.columns.add(lookup + LOOKUP_SEP + remote)
        way_back = back(model, attribute)
        if way_back is not None:
            self.same_rows.setdefault((lookup + LOOKUP_SEP, way_back), (self, prefix))
        return Prefix(lookup + LOOKUP_SEP, prefix.attr + attribute.name + LOOKUP_SEP)

    def follow(
        self, model: type[models.Model], prefix: Prefix, attribute: Attribute
    ) -> tuple[_Level, Prefix]:
        """Return the level and prefix of the columns of the to-one `attribute`: a JOIN,
        or the row it came from, which Django puts in the relation's cache (a JOIN back
        to it would load a copy that Django discards)."""
        origin = self.same_rows.get((prefix.query, attribute.name))
        if origin is not None:
            return origin
        if relation_kind(model, attribute) == PARENT_LINK:
            # Multi-table inheritance: Django builds the parent from the child's own
            # columns (it ignores a select_related of the link), if they are all loaded.
            self.all_columns(prefix, attribute.related_model)  # type: ignore[arg-type]
            way_back = back(model, attribute)
            self.same_rows.setdefault((prefix.query, way_back), (self, prefix))  # type: ignore[arg-type]
            return self, Prefix(prefix.query, prefix.attr + attribute.name + LOOKUP_SEP)
        if self.as_read:
            return self.prefetch_instead(model, prefix, attribute), ROOT
        return self, self.join(model, prefix, attribute)

    def prefetch_instead(
        self, model: type[models.Model], prefix: Prefix, attribute: Attribute
    ) -> _Level:
        """Return the level of a prefetch of the to-one `attribute`, where a JOIN would
        change the order the rows are read in (see prefetch_queryset()). It loads the
        rows a JOIN would: through the foreign key, as the relation's descriptor does,
        unscoped (or from the queryset's own prefetch of it)."""
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        lookup = prefix.attr + attribute.name
        if attribute.local_field:
            self.columns.add(prefix.query + attribute.local_field)
        planned = self.prefetches.get(lookup)
        if isinstance(planned, _Child):
            return planned.level
        child = _Level(
            related,
            self.related_queryset,
            self.path,
            nested=True,
            grouping=self.grouping.below(),
            early=self.early,
        )
        child.counted.parent = (self.counted, lookup.rpartition(LOOKUP_SEP)[0], attribute.name)
        child.columns.update(attribute.remote_fields)
        if isinstance(planned, Prefetch):
            # The user's own Prefetch loads it, with the columns of its queryset.
            return child
        way_back = back(model, attribute)
        if way_back is not None:
            child.same_rows.setdefault(("", way_back), (self, prefix))
        own = self.base_prefetches.get(lookup)  # the queryset's own prefetch of it
        if own is not None and own.queryset is not None:
            base = own.queryset
        else:
            base = related._base_manager.all()
        self.prefetches[lookup] = _Child(lookup, base, child, None)
        return child

    # Fields --------------------------------------------------------------------

    def visit(self, prefix: Prefix, model: type[models.Model], node: SerializerNode) -> None:
        schema = node.schema
        if not schema.is_stock:
            # Its own to_representation() (or another hook) may serialize other rows
            # than the fields': what a plan loads for the fields could go unused.
            # Loaded as without drf_eager: every column, nothing more.
            self.opaque(prefix, model)
            return
        if node.shape.open and not FIXED_FIELDS.allows(schema.serializer_class):
            # The request did not choose its fields: its get_fields() may add some for
            # this request (`email` for staff), which read what we cannot know.
            self.opaque(prefix, model)
        if node.requires:  # its overrides declared what they read
            self.visit_requires(prefix, node.requires)
        for name in node.shape.fields:
            field_node = node.field(name)
            if field_node is None:  # not a field of the serializer's
                schema.spec(name)  # raises KeyError
            else:
                self.visit_field(prefix, model, field_node)

    def visit_requires(self, prefix: Prefix, requires: Sequence[Source]) -> None:
        for source in requires:
            self.visit_source(prefix, source, None)

    def visit_field(self, prefix: Prefix, model: type[models.Model], node: FieldNode) -> None:
        spec = node.spec
        field = spec.field
        if spec.requires is not None:
            self.visit_requires(prefix, node.requires)
        if isinstance(field, Computed):
            # Only this level's own rows can be annotated: to-one relations with a
            # computed field are prefetched, not JOINed (see visit_to_one).
            self.computed.append((field, spec.name, node.path))
            self.add_other_prefetches(prefix, "", node)
            return
        if node.source is None:  # source="*"
            # A method field's own Prefetch objects are added as they are (see
            # visit_source).
            self.add_other_prefetches(prefix, "", node)
            if node.serializer is not None:
                self.visit(prefix, model, node.serializer)
            elif spec.requires is not None:
                pass
            elif isinstance(field, relations.HyperlinkedIdentityField) and COLUMNS_FIELD.allows(
                type(field)
            ):
                self.add_column(prefix, model, field.lookup_field)
            else:
                self.opaque(prefix, model)
            return
        if spec.requires is None and not _is_known_field(node):
            # A to-many relation it reads is still prefetched (its rows in full): code
            # reads a relation through `.all()`, which the prefetch serves.
            self.opaque(prefix, model)
        self.visit_source(prefix, node.source, node)

    def add_column(self, prefix: Prefix, model: type[models.Model], name: str) -> None:
        attribute = model_attribute(model, name)
        if attribute.kind == COLUMN:
            self.columns.add(prefix.query + attribute.name)
        else:
            self.opaque(prefix, model)

    def visit_source(self, prefix: Prefix, source: Source, node: FieldNode | None) -> None:
        """Load what the source (of the field `node`, or a `requires` path) reads."""
        level = self
        own_prefix = prefix  # the serializer's model's, whatever the source walks through
        for through in source.through:
            level, prefix = level.follow(through.model, prefix, through.attribute)
        if source.stop is not None:
            # A property or method on the way: we cannot know what it reads.
            level.opaque(prefix, source.stop.model)
            return
        # The attribute loaded: for a field, the relation of the user's Prefetch whose
        # `to_attr` the source reads, if it reads one (see tree.FieldNode.step).
        step = source.last if node is None else node.step
        assert step is not None  # the source did not stop
        model, attribute = step.model, step.attribute
        relative = source.lookup if node is None else node.relative
        if attribute.kind in (TO_ONE, TO_MANY, COLUMN, UNKNOWN):
            # Prefetch objects for other relations than the field's own: what a property
            # or a method reads ("prefetch for simple fields", as drf-eager-fields
            # calls it), or a variant's neighbours.
            self.add_other_prefetches(own_prefix, relative, node)
        if attribute.kind == COLUMN:
            level.columns.add(prefix.query + attribute.name)
        elif attribute.kind == TO_ONE:
            level.visit_to_one(prefix, model, relative, attribute, node)
        elif attribute.kind == TO_MANY:
            level.visit_to_many(prefix, relative, attribute, node)
        elif attribute.kind == GENERIC_FK:
            for column in attribute.remote_fields:
                level.columns.add(prefix.query + column)
            if node is None or node.loading != LOAD_NONE:
                level.add_prefetch(Prefetch(prefix.attr + attribute.name))
        elif node is None or node.spec.requires is None:
            assert attribute.kind == UNKNOWN
            # A property or method of the model: loaded as it declares, else in full.
            required = declared_requires(getattr(model, attribute.name, None))
            if required is None:
                level.opaque(prefix, model)
            else:
                level.visit_requires(prefix, [follow_path(model, path) for path in required])

    def visit_to_one(
        self,
        prefix: Prefix,
        model: type[models.Model],
        relative: str,
        attribute: Attribute,
        node: FieldNode | None,
    ) -> None:
        # `node` is None for a `requires` path: JOINed, and read by code we do not know.
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        lookup = prefix.attr + attribute.name
        loading = None if node is None else node.loading
        if loading in (LOAD_NONE, LOAD_FK_COLUMN):  # the foreign key column, if it has one
            if attribute.local_field:
                self.columns.add(prefix.query + attribute.local_field)
            if loading == LOAD_NONE:
                self.lazy_rows.setdefault(prefix.query + attribute.lookup, lookup)
            return
        way_back = back(model, attribute)
        origin = None if way_back is None else (way_back, prefix)
        own = None if node is None else node.own
        if loading == LOAD_PREFETCH and own is not None:
            # The user's own queryset for a to-one relation: prefetch it, never JOIN,
            # or the JOIN would fill the cache and silently drop the user's filter.
            assert node is not None
            if attribute.local_field:
                self.columns.add(prefix.query + attribute.local_field)
            to_attr = node.to_attr
            base = base_queryset(related, node.path, self.related_queryset, own=own.queryset)
            self.plan_prefetch(lookup, base, node, attribute, to_attr=to_attr, origin=origin)
            return
        same_row = (prefix.query, attribute.name) in self.same_rows
        if loading == LOAD_PREFETCH and not same_row:
            # Its computed fields annotate its own query: one query, not a JOIN.
            assert node is not None
            if attribute.local_field:
                self.columns.add(prefix.query + attribute.local_field)
            base = base_queryset(related, node.path, self.related_queryset)
            self.plan_prefetch(lookup, base, node, attribute, origin=origin)
            self.prefetched_to_one[prefix.query + attribute.lookup] = lookup
            return
        # A JOIN of its own, not the row it came back to (served again, not counted).
        joined = not same_row and relation_kind(model, attribute) != PARENT_LINK
        level, column_prefix = self.follow(model, prefix, attribute)
        field = None if node is None else node.spec.field
        if node is not None and node.serializer is not None:
            if joined and column_prefix is ROOT:  # prefetched instead (see follow())
                level.counted.served = True
            elif joined:
                level.counted.joins[column_prefix.attr[: -len(LOOKUP_SEP)]] = True
            level.visit(column_prefix, related, node.serializer)
        elif isinstance(field, relations.SlugRelatedField) and COLUMNS_FIELD.allows(type(field)):
            level.add_column(column_prefix, related, field.slug_field)
        elif isinstance(field, relations.HyperlinkedRelatedField) and COLUMNS_FIELD.allows(
            type(field)
        ):
            level.add_column(column_prefix, related, field.lookup_field)
        else:  # code we do not know reads the related row (str(), a `requires`)
            level.opaque(column_prefix, related)

    def visit_to_many(
        self, prefix: Prefix, relative: str, attribute: Attribute, node: FieldNode | None
    ) -> None:
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        lookup = prefix.attr + attribute.name
        if node is not None and node.loading == LOAD_NONE:
            # Its rows in this cache, if another field of the plan prefetches it.
            self.lazy_rows.setdefault(prefix.query + attribute.lookup, lookup)
            return
        spec = None if node is None else node.spec
        path = "" if node is None else node.path
        own = None if node is None else node.own
        # Grouped: declared by the field, or by the view's eager_grouped.
        grouped = self.grouping.get(spec, path)
        base = base_queryset(
            related,
            path,
            self.related_queryset,
            own=None if own is None else own.queryset,
            grouped=None if grouped is None else grouped.queryset,
            existing=self.base_prefetches.get(lookup),
            filter=None if spec is None else spec.filter,
        )
        to_attr = None
        if node is not None and node.schema.model is not None:
            to_attr = node.to_attr
        self.plan_prefetch(lookup, base, node, attribute, to_attr=to_attr)
        if grouped is not None:
            self.grouping.add(self.model, lookup, to_attr, grouped, related, path)

    def add_other_prefetches(self, prefix: Prefix, relative: str, node: FieldNode | None) -> None:
        """Add the Prefetch objects of the field's list but the one of its relation at
        `relative`, as they are: their lookups are relative to the serializer's model,
        whose rows are this level's at `prefix`, for a to-one relation as for a to-many."""
        if node is None or node.spec.prefetch is False:
            return
        own = node.spec.own_prefetch(relative)
        for extra_prefetch in node.spec.prefetches:
            if extra_prefetch is not own:
                self.add_prefetch(_prefixed(extra_prefetch, prefix))

    def plan_prefetch(
        self,
        lookup: str,
        base: QuerySet[Any],
        node: FieldNode | None,
        attribute: Attribute,
        *,
        to_attr: str | None = None,
        origin: tuple[str, Prefix] | None = None,
    ) -> None:
        """Prefetch the relation `attribute` at `lookup` from `base`, loading what the
        field `node` serves of it. `origin` is the name of the relation back and the
        prefix of the row Django fills it with, for a one-to-one."""
        related: type[models.Model] = attribute.related_model  # type: ignore[assignment]
        key = (
            lookup
            if to_attr is None
            else LOOKUP_SEP.join([*lookup.split(LOOKUP_SEP)[:-1], to_attr])
        )
        planned = self.prefetches.get(key)
        if isinstance(planned, Prefetch):  # the user's, added first: kept as it is
            return
        if planned is None:
            path = "" if node is None else node.path
            child = _Level(
                related,
                self.related_queryset,
                path,
                nested=True,
                grouping=self.grouping.below(),
                early=self.early,
            )
            # Its rows are given to the parents at the path before the relation's name.
            parents = lookup.rpartition(LOOKUP_SEP)[0]
            child.counted.parent = (self.counted, parents, attribute.name)
            child.columns.update(attribute.remote_fields)
            self.prefetches[key] = _Child(lookup, base, child, to_attr)
            if to_attr is not None and attribute.kind == TO_ONE:
                self.to_one_attrs.add(key)
        else:
            # Another field loads the same cache (through the row a one-to-one came
            # back to, or a `requires`): its query serves both.
            child = planned.level
        if origin is not None:
            way_back, prefix = origin
            child.same_rows.setdefault(("", way_back), (self, prefix))
        child.load(related, node)

    def load(self, related: type[models.Model], node: FieldNode | None) -> None:
        """Load what the field `node` serves of this level's rows."""
        field = None if node is None else node.spec.field
        if node is not None and node.serializer is not None:
            # Each row is an object its serializer outputs, unless a list serializer of
            # the user's chooses which.
            self.counted.served |= _is_known_field(node)
            self.visit(ROOT, related, node.serializer)
        elif isinstance(field, serializers.ManyRelatedField) and COLUMNS_FIELD.allows(
            type(field.child_relation)
        ):
            relation = field.child_relation
            if isinstance(relation, relations.SlugRelatedField):
                self.add_column(ROOT, related, relation.slug_field)
            elif isinstance(relation, relations.HyperlinkedRelatedField):
                self.add_column(ROOT, related, relation.lookup_field)
            elif not isinstance(relation, relations.PrimaryKeyRelatedField):
                self.opaque(ROOT, related)
        else:  # code we do not know reads it (a `requires`, a plain field)
            self.opaque(ROOT, related)

    def add_prefetch(self, prefetch: Prefetch[str]) -> None:
        key = prefetch.prefetch_to
        planned = self.prefetches.get(key)
        if isinstance(planned, _Child):
            # The plan loads this relation cache for a field, and a user's Prefetch of
            # the same relation is for code we do not know (a property reading it):
            # the planned query serves both, with every column.
            planned.level.all_columns(ROOT, planned.level.model)
        if key not in self.prefetches:
            self.prefetches[key] = prefetch
            if prefetch.to_attr and ends_to_one(self.model, prefetch.prefetch_through):
                self.to_one_attrs.add(key)

    # Result ------------------------------------------------------------------

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = self._apply(queryset)
        if self.early is not None and of_instances(queryset):
            # Not the iterable of rows loaded grouped (see drf_eager.grouped). A copy:
            # the queryset may be one the view's get_related_queryset() returned, which
            # the fast path reads too.
            queryset = queryset.all()
            queryset._iterable_class = self.early.iterable(self.counted)
        return queryset

    def _apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        self.load_opaque()
        if self.full:
            for planned in self.prefetches.values():
                if isinstance(planned, _Child):
                    planned.level.full = True
        for key, planned in list(self.prefetches.items()):
            if isinstance(planned, _Child):
                self.prefetches[key] = planned.prefetch()
                for hoisted in planned.level.hoisted:
                    moved = copy.copy(hoisted)
                    moved.add_prefix(key)
                    if moved.prefetch_to not in self.prefetches:
                        self.prefetches[moved.prefetch_to] = moved
                        self.to_one_attrs.add(moved.prefetch_to)
        for field, name, path in self.computed:
            queryset = field.modify_queryset(queryset, name, _at_path(self.related_queryset, path))
        user_select = queryset.query.select_related
        if user_select is True:  # select_related() of every relation: leave columns alone
            self.columns.clear()
            if self.select:
                # The plan's select_related(...) would replace it: name what it JOINs.
                self.select.update(_every_non_null_join(self.model, "", 0))
        elif isinstance(user_select, dict):
            self.keep_joined(user_select, "", self.model)
        self.unjoin_prefetched()
        if self.nested:
            # Django runs the lookups of a prefetch's queryset from the outer queryset
            # too, after the prefetcher may have run them already (a reverse foreign key
            # iterates the queryset); a to-one relation loaded into an attribute of its
            # own is then walked again through the relation: a query per row where it
            # is not cached. The outer queryset runs them, once.
            for key in sorted(self.to_one_attrs):
                self.hoisted.append(cast("Prefetch[str]", self.prefetches.pop(key)))
        queryset = self.grouping.apply(queryset, self.prefetches)
        if self.select:
            queryset = queryset.select_related(*sorted(self.select))
        if self.prefetches:
            # Parents before children, or Django would load a parent on its own first.
            built = cast("list[Prefetch[str]]", list(self.prefetches.values()))  # no _Child left
            prefetches = sorted(built, key=lambda p: p.prefetch_to.count(LOOKUP_SEP))
            queryset = queryset.prefetch_related(*prefetches)
        if self.as_read:  # its columns as the view's query loads them, its own defer() too
            return queryset
        existing, defer = queryset.query.deferred_loading
        if not defer:  # the queryset already has only(): load its fields too
            self.columns.update(existing)
        elif existing:
            # The user's defer() (or a default manager's): only() below would keep it
            # (Django removes deferred names from what only() names) and a served
            # column left deferred is a query per row. The plan names what it loads.
            queryset = queryset.defer(None)
        if user_select is True:
            # Every column: an only() of the user's would leave out what is served.
            return queryset.defer(None) if existing else queryset
        pk = self.model._meta.pk.name
        self.columns.add(pk)
        all_fields = {f.name for f in self.model._meta.concrete_fields}
        pruned = not self.full and (
            any(LOOKUP_SEP in column for column in self.columns) or not all_fields <= self.columns
        )
        if pruned:
            queryset = queryset.only(*sorted(self.columns))
        if pruned or self.select:
            queryset = keep_row_order(queryset)
        return queryset

    def unjoin_prefetched(self) -> None:
        # A to-one relation prefetched for its computed fields that other fields
        # (dotted sources, requires) also JOIN: a JOIN would fill the relation's
        # cache and Django would skip the prefetch, so the prefetch loads it all.
        for query, attr in self.prefetched_to_one.items():
            if query not in self.select:
                continue
            below = query + LOOKUP_SEP
            nested = sorted(s[len(below) :] for s in self.select if s.startswith(below))
            self.select = {s for s in self.select if s != query and not s.startswith(below)}
            self.columns = {c for c in self.columns if not c.startswith(below)}
            queryset = self.prefetches[attr].queryset.defer(None)  # type: ignore[union-attr]
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
                self.all_columns(Prefix(lookup + LOOKUP_SEP), attribute.related_model)  # type: ignore[arg-type]
            self.keep_joined(below, lookup + LOOKUP_SEP, attribute.related_model)  # type: ignore[arg-type]


def keep_row_order(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Return `queryset` ordered by primary key if it has no ordering, for a query that
    loads fewer columns or JOINs more than the queryset itself: a prefetch's (the root
    rows of an unordered list are read by the view's own query, see prefetch_queryset()).

    An unordered queryset has no order of its own, but its rows come in the order the
    database reads them: without drf_eager, the primary key's on SQLite and MariaDB
    (PostgreSQL's physical order is the same until rows are updated). Fewer columns or
    a JOIN may read them in another order (SQLite reads a covering index in the index's
    order, PostgreSQL may hash a JOIN): the primary key's is kept.
    """
    query = queryset.query
    if queryset.ordered or query.is_sliced or query.distinct_fields or query.combinator:
        return queryset
    ordered: QuerySet[Any] = queryset.order_by("pk")
    return ordered


def _is_known_field(node: FieldNode) -> bool:
    """Whether drf_eager knows what the field of `node` reads: a list serializer's class,
    or a field's; a field whose source is a column is given only its value."""
    field = node.spec.field
    if isinstance(field, serializers.ListSerializer):
        return COLUMNS_SERIALIZER.allows(type(field))
    if isinstance(field, serializers.BaseSerializer):
        return True  # its own class is checked at its level (see _Level.visit)
    attribute = node.attribute
    reads_value = (
        node.schema.model is not None and attribute is not None and attribute.kind == COLUMN
    )
    return (COLUMNS_VALUE if reads_value else COLUMNS_FIELD).allows(type(field))


def _to_one_by_lookup(model: type[models.Model], lookup: str) -> Attribute | None:
    attribute = model_attribute(model, lookup)
    if attribute.kind == TO_ONE and attribute.lookup == lookup:
        return attribute
    for name in (f.get_accessor_name() for f in model._meta.related_objects if f.one_to_one):
        attribute = model_attribute(model, name or "")
        if attribute.lookup == lookup:
            return attribute
    return None


def _prefixed(prefetch: Prefetch[str], prefix: Prefix) -> Prefetch[str]:
    # The user's Prefetch is relative to its serializer's model, which may be JOINed
    # below the queryset's own: copy it (it is shared) and move it there.
    if not prefix.attr:
        return prefetch
    moved = copy.copy(prefetch)
    moved.add_prefix(prefix.attr[: -len(LOOKUP_SEP)])
    return moved


def _every_non_null_join(model: type[models.Model], prefix: str, depth: int) -> Iterator[str]:
    """The lookups select_related() with no argument JOINs: every non-null forward foreign
    key and one-to-one, followed to Django's default depth of 5."""
    if depth >= 5:
        return
    for field in model._meta.concrete_fields:
        if field.is_relation and not field.null and field.related_model is not None:
            lookup = prefix + field.name
            yield lookup
            yield from _every_non_null_join(field.related_model, lookup + LOOKUP_SEP, depth + 1)


def prefetch_queryset(
    queryset: QuerySet[Any],
    schema: SerializerSchema,
    shape: Shape,
    *,
    related_queryset: RelatedQuerysetGetter | None = None,
    grouped: Sequence[str] | Mapping[str, Grouped] | None = None,
    one_row: bool = False,
    budget: RowBudget | None = None,
) -> QuerySet[Any]:
    """Return `queryset` loading exactly what `shape` of `schema` serializes.

    The queryset's own filters, annotations, ordering, `select_related` and
    `prefetch_related` are kept; a prefetch it already has for a relation the
    shape needs gives its queryset as the base of the planned one. `grouped` names
    field paths of to-many relations to load grouped (see drf_eager.grouped), as a
    view's `eager_grouped` does. With a `budget` (MAX_ROWS), evaluating the queryset
    raises ResponseTooLarge as soon as the rows loaded serve more objects than the
    budget has left (see drf_eager.early): for a queryset whose rows are all served.

    The rows of an unordered queryset come in the order the database reads them,
    which fewer columns (a covering index) or a JOIN (another join order) change: its
    own query is sent as it is, its to-one relations prefetched. Order it, or say
    `one_row` (a detail's get(), whose order is moot), and its columns are pruned
    and its to-one relations JOINed.
    """
    if not of_instances(queryset):  # values(), values_list()
        return queryset
    level = _Level(
        queryset.model,
        related_queryset or default_related_queryset,
        "",
        grouping=Grouping(declared_grouping(grouped, schema)),
        early=None if budget is None else EarlyCount(budget),
    )
    level.counted.served = True  # the rows of the list
    level.as_read = not one_row and not queryset.ordered
    existing = list(queryset._prefetch_related_lookups)  # type: ignore[attr-defined]  # private, not in the stubs
    level.base_prefetches = existing_prefetches(queryset)
    level.visit(ROOT, queryset.model, resolve(schema, shape, queryset.model))
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
