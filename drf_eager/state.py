"""What a view with EagerFieldsViewMixin learns about one request, kept in one place.

DRF makes a view instance per request, so the view keeps this object as `view.eager_state`:
the mixin's steps (initial(), filter_queryset(), paginate_queryset(), get_serializer(),
perform_create() ...) fill it in the order a request runs them, and read what the steps
before them decided instead of deciding it again. `manage.py explain_shape` and the
explorer read the fast path's decision and its reason from it.

It is for reading: the mixin alone writes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from django.db import models
    from django.db.models import QuerySet

    from .exceptions import RowBudget
    from .fast import FastQuery
    from .shape import Shape, ShapeRequest
    from .sql import SQLList, SQLResponse

__all__ = ["FastPathDecision", "RequestState"]

#: The reason of a list the fast path serves.
FAST = "fast (values_list() rows, drf_eager.fast)"


class FastPathDecision:
    """Whether the fast path serves the list of `planned`, decided once, when the view
    planned it (filter_queryset()), and why.

    `planned` is the queryset the view's filter_queryset() returned (the one its list()
    pages and serializes), `base` the same before drf_eager's plan (the fast path reads
    its own rows from it), `query` the fast path's query of it, or None when the DRF
    path serves the list, and `reason` says which path serves it and why, as
    `explain_shape` prints it.
    """

    def __init__(
        self,
        planned: QuerySet[Any],
        base: QuerySet[Any],
        shape: Shape,
        query: FastQuery | None,
        reason: str,
    ) -> None:
        self.planned = planned
        self.base = base
        self.shape = shape
        self.query = query
        self.reason = reason

    def __repr__(self) -> str:
        return f"<FastPathDecision {self.reason}>"


class RequestState:
    """The per-request state of a view with EagerFieldsViewMixin (`view.eager_state`)."""

    def __init__(self) -> None:
        #: The resolved Shape (None: the serializer is not shaped); read `resolved`
        #: first: get_shape() resolves it once, in initial().
        self.shape: Shape | None = None
        self.resolved = False
        #: The shape parameters the client sent (their names); None when a
        #: get_shape_request() of the user's own built the request (then every
        #: parameter counts as the client's: it read the client's input).
        self.client_params: set[str] | None = None
        #: What get_shape_request() could build of a request it refused, so that
        #: get_shape() names every bad path in one 400.
        self.partial_request: ShapeRequest | None = None
        #: get_serializer_class()'s answer, keyed by the request and the action it was
        #: asked for (the browsable API asks again under another method).
        self.serializer_class: tuple[tuple[Any, Any], Any] | None = None
        #: get_related_queryset()'s answers, once per relation: the plan and the fast
        #: path share them.
        self.related_querysets: dict[tuple[type[models.Model], str], QuerySet[Any]] = {}
        #: The fast path's decision for the list the view planned (None: no list was
        #: planned: a view without a shape, a write, or its own prefetch_queryset()).
        self.fast: FastPathDecision | None = None
        #: The page the paginator cut from the fast path's rows, and the query of it.
        self.fast_page: tuple[Any, FastQuery] | None = None
        #: What this response may still serve (MAX_ROWS), shared by its serializers and
        #: the fast path; None when unbounded. Set with the shape (see `budgeted`).
        self.budget: RowBudget | None = None
        self.budgeted = False
        #: True while a write's response is serialized again in the requested shape.
        self.reloading = False
        #: The SQL render's decision for the fast path's query (drf_eager.sql): its
        #: response, or the reason it does not write the list; None: not asked.
        self.sql: SQLResponse | str | None = None
        #: The page the paginator cut for the SQL render: (page, response, slice).
        self.sql_page: tuple[Any, SQLResponse, slice | None] | None = None
        #: The list's JSON text, which the renderer writes as it is, or the response
        #: sent as its rows are read (an unpaginated list, SQL_STREAM).
        self.sql_text: SQLList | None = None
        self.sql_stream: SQLResponse | None = None

    def __repr__(self) -> str:
        shape = self.shape if self.resolved else "unresolved"
        return f"<RequestState shape={shape!r} fast={self.fast!r}>"
