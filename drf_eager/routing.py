"""Which database the rows of a relation are read from, decided as Django's prefetch
decides it, for the paths that load relations without Django's prefetch (the fast path,
grouped loading).

Django's `prefetch_related()` reads a related queryset from the database its `.using()`
names, else from the one the database routers choose for the related model, given the
first parent instance as the `instance` hint, else from that instance's own database
(`get_prefetch_querysets()` in django/db/models/fields/related_descriptors.py).
"""

from __future__ import annotations

from typing import Any

from django.db import models, router
from django.db.models import QuerySet
from django.db.models.base import ModelState

__all__ = ["read_database", "stand_in"]


def read_database(queryset: QuerySet[Any], instance: models.Model) -> str:
    """Return the database Django's prefetch reads `queryset` from, as the related
    rows of `instance` (the first parent) and its siblings."""
    using: str | None = queryset._db  # type: ignore[attr-defined]  # private: .using()'s alias
    if using:
        return using
    hints = {**queryset._hints, "instance": instance}  # type: ignore[attr-defined]
    return router.db_for_read(queryset.model, **hints)


def stand_in(model: type[models.Model], database: str, pk: Any) -> models.Model:
    """Return an instance of `model` that stands for a parent row read from `database`,
    as the routers' `instance` hint where no instance is built: it has the row's
    primary key and database, no other field."""
    # Built without __init__: no model hooks and no signals, as no instance is loaded.
    instance = model.__new__(model)
    state = ModelState()
    state.db, state.adding = database, False
    instance._state = state
    # Set even when unknown (None), so that reading `pk` cannot query for it.
    instance.__dict__[model._meta.pk.attname] = pk
    return instance
