"""Computed fields: values the database computes in the query that loads their
level, instead of one query per row.

    class CustomerSerializer(EagerFieldsModelSerializer):
        num_orders = CountOf("orders")
        has_profile = Exists("profile")

A `Computed` field has two halves: `modify_queryset()` changes the queryset of the
level it is served at (an annotation, a prefetch), and `read()` takes its value
from the loaded instance. Annotations are correlated subqueries, so they never
multiply rows, and a paginator's COUNT stays right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from rest_framework import serializers

__all__ = ["Computed", "CountOf", "Exists"]


class Computed(serializers.Field):  # type: ignore[type-arg]
    """A read-only field whose value is prepared by the queryset of its level.

    Subclass it and implement `modify_queryset()` and `read()`. Set `requires` to
    the model fields and relations `read()` needs beyond what `modify_queryset()`
    adds (dotted paths, as for @requires); they are loaded only when the field is
    in the shape.
    """

    requires: tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def modify_queryset(
        self,
        queryset: QuerySet[Any],
        name: str,
        related: Callable[[type[models.Model]], QuerySet[Any]],
    ) -> QuerySet[Any]:
        """Return `queryset` changed to prepare the value of the field `name`.

        `related(Model)` is the queryset the rows of `Model` at this level are loaded
        from: the view's get_related_queryset() with this level's path (see
        drf_eager.prefetch.RelatedQuerysetGetter), which a subquery starts from so
        that it counts the rows the view would serve.
        """
        return queryset

    def read(self, instance: Any, name: str) -> Any:
        """Return the value of the field `name` from a loaded instance."""
        raise NotImplementedError(f"{type(self).__name__} must implement read().")

    def to_representation(self, instance: Any) -> Any:
        assert self.field_name is not None  # DRF binds a field before it serializes
        return self.read(instance, self.field_name)

    @staticmethod
    def attname(name: str) -> str:
        """The attribute an annotation for the field `name` is stored into."""
        return f"_eager_{name}"


class _RelationAggregate(Computed):
    """A computation over the rows of a relation, optionally filtered by a Q."""

    def __init__(self, relation: str, filter: Q | None = None, **kwargs: Any) -> None:
        self.relation = relation
        self.filter = filter
        super().__init__(**kwargs)

    def rows(
        self, model: type[models.Model], related: Callable[[type[models.Model]], QuerySet[Any]]
    ) -> QuerySet[Any]:
        """The related rows of the outer row, as a correlated subquery."""
        field = model._meta.get_field(self.relation)
        back = _lookup_back(field)
        rows: QuerySet[Any] = related(field.related_model).filter(**{back: OuterRef("pk")})  # type: ignore[arg-type]
        if self.filter is not None:
            rows = rows.filter(self.filter)
        unordered: QuerySet[Any] = rows.order_by()
        return unordered

    def loaded(self, instance: Any, name: str) -> Any:
        """Return the annotated value, or None when the queryset was not planned."""
        return getattr(instance, self.attname(name), None)

    def manager(self, instance: Any) -> QuerySet[Any]:
        """The related rows of `instance`, for a value the queryset did not prepare: from
        the view's get_related_queryset() (the rows the plan would have counted), or the
        related model's default manager outside a view."""
        field = type(instance)._meta.get_field(self.relation)
        view = self.context.get("view") if self.parent is not None else None
        getter = getattr(view, "get_related_queryset", None)
        related: type[models.Model] = field.related_model
        if getter is not None:
            base: QuerySet[Any] = getter(related, field_path(self))
        else:
            base = related._default_manager.all()
        rows: QuerySet[Any] = base.filter(**{_lookup_back(field): instance.pk})
        return rows.filter(self.filter) if self.filter is not None else rows


class Exists(_RelationAggregate):
    """Whether the relation has any row (matching `filter`): one EXISTS subquery."""

    def modify_queryset(
        self,
        queryset: QuerySet[Any],
        name: str,
        related: Callable[[type[models.Model]], QuerySet[Any]],
    ) -> QuerySet[Any]:
        rows = self.rows(queryset.model, related)
        annotated: QuerySet[Any] = queryset.annotate(**{self.attname(name): models.Exists(rows)})
        return annotated

    def read(self, instance: Any, name: str) -> bool:
        value = self.loaded(instance, name)
        if value is None:  # not planned (a serializer used outside a view)
            return self.manager(instance).exists()
        return bool(value)


class CountOf(_RelationAggregate):
    """How many rows the relation has (matching `filter`): one COUNT subquery."""

    def modify_queryset(
        self,
        queryset: QuerySet[Any],
        name: str,
        related: Callable[[type[models.Model]], QuerySet[Any]],
    ) -> QuerySet[Any]:
        # COUNT without GROUP BY: one row per outer row, 0 when there is none.
        count = self.rows(queryset.model, related).annotate(
            _eager_count=Func(F("pk"), function="COUNT")
        )
        value = Coalesce(Subquery(count.values("_eager_count")[:1]), 0)
        annotated: QuerySet[Any] = queryset.annotate(**{self.attname(name): value})
        return annotated

    def read(self, instance: Any, name: str) -> int:
        value = self.loaded(instance, name)
        if value is None:
            return self.manager(instance).count()
        return int(value)


def field_path(field: Any) -> str:
    """The dotted field path of a bound `field` from its root serializer (`orders.items`),
    as the plan names it to get_related_queryset()."""
    names = []
    node = field
    while node is not None and node.parent is not None:
        if node.field_name:
            names.append(node.field_name)
        node = node.parent
    return ".".join(reversed(names))


def _lookup_back(field: Any) -> str:
    """The lookup from a relation's rows back to the model it belongs to."""
    if field.auto_created and not field.concrete:  # a reverse relation
        return field.field.name  # type: ignore[no-any-return]
    # Not `field.concrete`: Django 6.0 made many-to-many fields non-concrete (no column).
    if field.many_to_many and not field.auto_created:  # a forward many-to-many
        return field.related_query_name()  # type: ignore[no-any-return]
    raise TypeError(
        f"{field.name!r} is not a reverse relation or a many-to-many field; "
        f"write a Computed subclass for it."
    )
