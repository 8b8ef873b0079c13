"""EagerFieldsViewMixin: reads the requested shape once per request, checks it,
plans the queryset for it and hands it to the serializer."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import (
    ImproperlyConfigured,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import connections, models
from django.db.models import QuerySet
from django.http import Http404, HttpResponseBase
from rest_framework import generics, mixins, pagination, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.utils.serializer_helpers import ReturnList

from .bases import put_mixin_first
from .exceptions import ExtraNotPermitted, InvalidShape, RowBudget, ShapeTooLarge
from .fast import FastPathUnavailable, FastQuery, compile_fast_plan, fast_plan_refusal
from .grouped import Grouped
from .parsing import count_paths
from .permissions import (
    PermittedLevel,
    forbidden_named_paths,
    forbidden_paths,
    names_path,
    permitted_level,
    without_paths,
)
from .prefetch import RelatedQuerysetGetter, prefetch_queryset
from .schema import SerializerSchema, get_schema
from .serializers import (
    BUDGET_CONTEXT_KEY,
    SHAPE_CONTEXT_KEY,
    VIEW_SHAPE_CONTEXT_KEY,
    EagerFieldsSerializerMixin,
    asks_shape,
    resolve_request,
)
from .settings import LIMITS, eager_settings
from .shape import Shape, ShapeError, ShapeRequest, build_request
from .sql import LazyRows, PassThroughRenderer, SQLList, SQLResponse
from .state import FAST, FastPathDecision, RequestState
from .stock import is_stock_paginator, is_stock_renderer
from .verify import first_difference, report, uncounted
from .verify import verifying as _verifying

if TYPE_CHECKING:  # pragma: no cover
    from rest_framework.response import Response
    from rest_framework.views import APIView

__all__ = ["EagerFieldsAPIView", "EagerFieldsViewMixin", "data_predicate"]

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

#: With DEBUG on, each response of a view with the mixin carries its SQL query count.
QUERY_COUNT_HEADER = "X-Eager-Queries"

_QuerysetHook = TypeVar("_QuerysetHook", bound=Callable[..., QuerySet[Any]])


def data_predicate(*paths: str) -> Callable[[_QuerysetHook], _QuerysetHook]:
    """Run a view method on the queryset only when the response serves one of `paths`.

        @data_predicate("author", "author.accounts")
        def with_author_flags(self, queryset):
            return queryset.annotate(...)

    Paths are dotted serializer field paths. A request that names no shape is
    served the default fields, so the hooks of the default fields run. Hooks run
    before the plan, which keeps what they add (see prefetch_queryset()).
    """

    def decorate(method: _QuerysetHook) -> _QuerysetHook:
        method.eager_data_predicate = paths  # type: ignore[attr-defined]
        return method

    return decorate


def _data_predicates(view_class: type) -> list[tuple[tuple[str, ...], str]]:
    found = view_class.__dict__.get("_eager_data_predicates")
    if found is None:
        found = [
            (paths, name)
            for name in dir(view_class)
            if not name.startswith("__")
            and (paths := getattr(getattr(view_class, name, None), "eager_data_predicate", None))
        ]
        view_class._eager_data_predicates = found  # type: ignore[attr-defined]
    return found


class EagerFieldsViewMixin:
    """Lets each request choose its response shape and loads exactly that data.

    Works with `GenericAPIView` and ViewSets. Clients send `?extra=`, `?fields=`
    and `?exclude=` (dotted paths or `a(b,c)`), or on GET a JSON body
    `{"fields": {...}}`; the view's `serializer_extra`, `serializer_fields` and
    `serializer_exclude` are the defaults of each parameter.
    """

    serializer_extra: str | list[str] | None = None
    serializer_fields: str | list[str] | None = None
    serializer_exclude: str | list[str] | None = None

    extra_query_param: str | None = None
    fields_query_param: str | None = None
    exclude_query_param: str | None = None

    #: Overrides of the DRF_EAGER limits for this view, e.g. `{"MAX_DEPTH": 5}`.
    eager_limits: Mapping[str, int | None] = {}

    #: Serve list responses by the fast path where it applies; None: the FAST_PATH setting.
    #: "verify": serve by the fast path, render by the DRF path too and compare (tests).
    eager_fast_path: bool | str | None = None

    #: Field paths of to-many relations to load grouped, JOINed to their parents' query
    #: (a list, or a dict of paths to `Grouped(...)`); see drf_eager.grouped.
    eager_grouped: Sequence[str] | Mapping[str, Grouped] = ()

    #: Serve a list the fast path serves as JSON text written by the database, in one
    #: statement (drf_eager.sql); None: the SQL_RENDER setting.
    eager_sql_render: bool | None = None
    #: Send an unpaginated list the SQL render serves as its rows are read; None: the
    #: SQL_STREAM setting.
    eager_sql_stream: bool | None = None

    request: Request

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # `class V(generics.ListCreateAPIView, EagerFieldsAPIView)` works as the
        # mixin-first order does (see drf_eager.bases).
        put_mixin_first(cls, EagerFieldsViewMixin)

    @property
    def eager_state(self) -> RequestState:
        """What the view has learned about this request (see drf_eager.state): the
        shape, the parameters the client chose, the fast path's decision and its reason,
        the response budget. DRF makes a view per request; the mixin alone writes it."""
        state: RequestState | None = self.__dict__.get("_eager_state")
        if state is None:
            state = self.__dict__["_eager_state"] = RequestState()
        return state

    def get_eager_limit(self, name: str) -> int | None:
        """Return the limit `name` (MAX_DEPTH, MAX_PATHS, MAX_PARAM_LENGTH, MAX_BODY_SIZE
        or MAX_ROWS) of this view: its `eager_limits`, else the setting."""
        if name not in LIMITS:
            raise ValueError(f"Unknown limit {name!r}; choose from {', '.join(LIMITS)}.")
        if name in self.eager_limits:
            return self.eager_limits[name]
        return getattr(eager_settings, name)  # type: ignore[no-any-return]

    # Parameters ------------------------------------------------------------------

    def get_serializer_extra(self) -> str | list[str] | None:
        """Return the default of `extra`. You may want to override this to vary it
        by action, for instance to give `retrieve` more extras than `list`."""
        return self.serializer_extra

    def get_serializer_fields(self) -> str | list[str] | None:
        """Return the default of `fields`; see get_serializer_extra()."""
        return self.serializer_fields

    def get_serializer_exclude(self) -> str | list[str] | None:
        """Return the default of `exclude`; see get_serializer_extra()."""
        return self.serializer_exclude

    def get_query_params_names(self) -> dict[str, str]:
        return {
            "extra": self.extra_query_param or eager_settings.EXTRA_PARAM,
            "fields": self.fields_query_param or eager_settings.FIELDS_PARAM,
            "exclude": self.exclude_query_param or eager_settings.EXCLUDE_PARAM,
        }

    def get_body_fields(self) -> Any:
        """Return the `fields` object of a GET request's JSON body, or None."""
        request = self.request
        if request.method not in _SAFE_METHODS or not _has_body(request):
            return None
        size, limit = _content_length(request), self.get_eager_limit("MAX_BODY_SIZE")
        if limit is not None and size > limit:  # before anything reads the body
            raise ShapeTooLarge(
                {"fields": [f"The request body has {size} bytes; the maximum is {limit}."]}
            )
        try:
            data = request.data
        except RecursionError:  # json nests by recursion: a deep body would be a 500
            raise InvalidShape(
                {"fields": ["The request body is nested too deeply to be parsed."]}
            ) from None
        if not isinstance(data, Mapping):
            raise InvalidShape(
                {
                    "fields": [
                        "The request body must be a JSON object such as "
                        '{"fields": {"name": null}}.'
                    ]
                }
            )
        if not data:
            return None
        unknown = sorted(set(data) - {"fields"})
        if unknown:
            raise InvalidShape(
                {"fields": [f"Unknown key '{unknown[0]}' in the request body. Allowed: fields."]}
            )
        return data["fields"]

    # Shape -----------------------------------------------------------------------

    def get_shape_request(self) -> ShapeRequest:
        """Merge view defaults, query parameters and the JSON body into a ShapeRequest.

        Per parameter a non-empty query value replaces the view default; a JSON
        body with `fields` replaces all three. Raise InvalidShape (400) on syntax
        errors and exceeded limits.
        """
        errors: dict[str, list[str]] = {}
        request = self._build_shape_request(errors)
        if errors:
            # get_shape() checks what could be built as well, to name every bad path.
            self.eager_state.partial_request = request
            raise InvalidShape(errors)
        return request  # type: ignore[return-value]

    def _build_shape_request(self, errors: dict[str, list[str]]) -> ShapeRequest | None:
        # Adds every problem to `errors`; returns what could be built of the request.
        body = self.get_body_fields()
        try:
            if body is not None:
                self.eager_state.client_params = {"fields"}
                request = build_request(body_fields=body)
            else:
                request = self._query_request(errors)
        except ShapeError as exc:
            errors.update(exc.errors)
            return None
        limit = self.get_eager_limit("MAX_PATHS")
        chosen = self.eager_state.client_params or set()
        client = [
            (param, getattr(request, part))
            for part, param in request.params.items()
            if param in chosen
        ]
        count = sum(count_paths(tree or {}) for _, tree in client)
        if limit is not None and count > limit:
            param = max(client, key=lambda item: count_paths(item[1] or {}))[0]
            errors.setdefault(param, []).append(
                f"The request names {count} paths; the maximum is {limit}."
            )
        return request

    def _query_request(self, errors: dict[str, list[str]]) -> ShapeRequest:
        names = self.get_query_params_names()
        query = self.request.query_params
        values = {part: query.get(name, "") for part, name in names.items()}
        chosen = self.eager_state.client_params = {
            names[part] for part, value in values.items() if value.strip()
        }
        limit = self.get_eager_limit("MAX_PARAM_LENGTH")
        defaults = {
            "extra": self.get_serializer_extra(),
            "fields": self.get_serializer_fields(),
            "exclude": self.get_serializer_exclude(),
        }
        for part, value in list(values.items()):
            if limit is not None and len(value) > limit:
                errors[names[part]] = [
                    f"The parameter has {len(value)} characters; the maximum is {limit}."
                ]
                values[part] = ""  # left out; the error above answers the request
                chosen.discard(names[part])
            elif not value.strip():
                values[part] = defaults[part]  # type: ignore[assignment]
        return build_request(**values, params=names)

    def get_shape(self) -> Shape | None:
        """Return the resolved Shape of this request, parsed and checked once.

        Return None when the serializer does not use EagerFieldsSerializerMixin.
        Raise InvalidShape (400) naming every bad path.
        """
        state = self.eager_state
        if state.resolved:
            return state.shape
        serializer_class = self._eager_serializer_class()
        shape = None
        if isinstance(serializer_class, type) and issubclass(
            serializer_class, EagerFieldsSerializerMixin
        ):
            errors: dict[str, list[str]] = {}
            request: ShapeRequest | None
            try:
                request = self.get_shape_request()
            except InvalidShape as exc:
                if not isinstance(exc.detail, Mapping):  # a hook's InvalidShape("message")
                    raise
                errors = _error_lists(exc.detail)
                request, state.partial_request = state.partial_request, None
            # The serializer as this user sees it: the extras it may not ask for are
            # named in no message, and naming one is a 403 before the names below it
            # are checked (their errors would tell the guarded extra's fields).
            level = permitted_level(get_schema(serializer_class), self.request, self)
            if request is not None:
                self._refuse_forbidden(request, level)
                self._refuse_below_unplanned(request, get_schema(serializer_class), errors)
                try:
                    shape = resolve_request(
                        request,
                        serializer_class,
                        max_depth=self.get_eager_limit("MAX_DEPTH"),
                        level=level,
                    )
                except ShapeError as exc:
                    self._raise_shape_error(exc, errors)
            if errors:
                raise InvalidShape(errors)
            shape = self._check_permissions(request, serializer_class, shape, level)  # type: ignore[arg-type]
        state.shape, state.resolved = shape, True
        return shape

    def _eager_serializer_class(self) -> Any:
        # The view's get_serializer_class(), asked once per request as DRF asks it once:
        # the shape, the plan, the fast path and get_serializer() share what it returns.
        # Keyed by the request and action: the browsable API renders its forms with
        # another method (DRF's override_method), which may pick another class.
        key = (getattr(self, "request", None), getattr(self, "action", None))
        cached = self.eager_state.serializer_class
        if cached is not None and cached[0][0] is key[0] and cached[0][1] == key[1]:
            return cached[1]
        get_class = self.__dict__.get("get_serializer_class")
        lend = get_class is None or get_class == self._eager_serializer_class
        if lend:  # the class's method (an instance's own, from as_view(), is called as is)
            method = getattr(type(self), "get_serializer_class", None)
            get_class = None if method is None else partial(method, self)
        serializer_class = None if get_class is None else get_class()
        self.eager_state.serializer_class = (key, serializer_class)
        if lend and get_class is not None:
            # The view's own code asks too: DRF's get_serializer() (reached through an
            # override of it, after the mixin or in place of its), a list() of the
            # user's, the browsable API. It gets the answer of this request and action.
            self.__dict__["get_serializer_class"] = self._eager_serializer_class
        return serializer_class

    def _refuse_forbidden(self, request: ShapeRequest, level: PermittedLevel) -> None:
        # A forbidden extra the client named (in `extra` or `fields`) is a 403.
        client = self._client_params(set(request.params.values()))
        denied: dict[str, list[str]] = {}
        for part in ("extra", "fields"):
            param = request.params[part]
            if param not in client:
                continue
            for path in forbidden_named_paths(level, getattr(request, part)):
                message = f"You do not have permission to request '{path}'."
                if message not in denied.setdefault(param, []):
                    denied[param].append(message)
        if denied:
            raise ExtraNotPermitted(denied)

    def _refuse_below_unplanned(
        self, request: ShapeRequest, schema: SerializerSchema, errors: dict[str, list[str]]
    ) -> None:
        # What is below a `prefetch: False` field is loaded by code drf_eager does not
        # plan (the view's queryset, the field itself): a client may not extend it.
        client = self._client_params(set(request.params.values()))
        for part in ("extra", "fields"):
            param = request.params[part]
            if param not in client:
                continue
            for path in _below_unplanned(schema, getattr(request, part)):
                errors.setdefault(param, []).append(
                    f"Fields below '{path}' cannot be chosen: the view loads it as it "
                    "declares (prefetch: False), with its own fields."
                )

    def _check_permissions(
        self, request: ShapeRequest, serializer_class: type, shape: Shape, level: PermittedLevel
    ) -> Shape:
        # A forbidden extra the client named is a 403; one that only a view default
        # asks for is left out.
        forbidden = forbidden_paths(
            get_schema(serializer_class), shape, self.request, self, level.decisions.decided
        )
        if not forbidden:
            return shape
        client = self._client_params(set(request.params.values()))
        denied: dict[str, list[str]] = {}
        for part in ("extra", "fields"):
            param = request.params[part]
            tree = getattr(request, part)
            for path in forbidden:
                if param in client and names_path(tree, path):
                    message = f"You do not have permission to request '{path}'."
                    if message not in denied.setdefault(param, []):
                        denied[param].append(message)
        if denied:
            raise ExtraNotPermitted(denied)
        return without_paths(shape, forbidden)

    def _client_params(self, every: set[str]) -> set[str]:
        # The parameters the client sent; all of them when a get_shape_request() of the
        # user's own built the request without ours (it read the client's input).
        chosen = self.eager_state.client_params
        return every if chosen is None else chosen

    def _raise_shape_error(self, exc: ShapeError, errors: dict[str, list[str]]) -> None:
        client = self._client_params(set(exc.errors))
        bad = {param: messages for param, messages in exc.errors.items() if param not in client}
        if bad:
            # A view default names something the serializer does not have: a bug.
            raise ImproperlyConfigured(
                f"{type(self).__name__}'s serializer_* defaults do not fit "
                f"{self._eager_serializer_class().__name__}: {bad}"
            )
        for param, messages in exc.errors.items():
            errors.setdefault(param, []).extend(messages)
        raise InvalidShape(errors)

    # Queryset --------------------------------------------------------------------

    def get_related_queryset(self, model: type[models.Model], path: str) -> QuerySet[Any]:
        """Return the queryset the rows of a prefetched relation are loaded from.

        `path` is the serializer field path (`orders.article`). The default is the
        related model's default manager. You may want to override this to scope
        nested data as the view scopes its own rows, for instance by tenant.
        """
        queryset: QuerySet[Any] = model._default_manager.all()
        return queryset

    def prefetch_queryset(self, queryset: QuerySet[Any], shape: Shape) -> QuerySet[Any]:
        """Return `queryset` loading exactly what `shape` serializes.

        The view's @data_predicate methods for the paths the shape serves run first.
        """
        return self._plan(self._run_data_predicates(queryset, shape), shape)

    def _run_data_predicates(self, queryset: QuerySet[Any], shape: Shape) -> QuerySet[Any]:
        for paths, name in _data_predicates(type(self)):
            if any(shape.has_path(path) for path in paths):
                queryset = getattr(self, name)(queryset)
        return queryset

    def get_eager_grouped(self) -> Sequence[str] | Mapping[str, Grouped]:
        """Return the field paths of the to-many relations to load grouped: the view's
        `eager_grouped`. You may want to override this to group by action, or to ask
        `Grouped(only_with_children=True)` from a query parameter."""
        return self.eager_grouped

    def _plan(self, queryset: QuerySet[Any], shape: Shape) -> QuerySet[Any]:
        schema = get_schema(self._eager_serializer_class())
        if schema.model is not None and not issubclass(queryset.model, schema.model):
            # Another model's rows (get_object() in an @action with its own serializer):
            # the shape does not describe them.
            return queryset
        return prefetch_queryset(
            queryset,
            schema,
            shape,
            related_queryset=self._related_querysets(),
            grouped=self.get_eager_grouped(),
            # get_object() reads one row: its order is moot (get() drops any ordering).
            one_row=self._is_detail(),
            budget=self._early_budget(),
        )

    def _related_querysets(self) -> RelatedQuerysetGetter:
        # get_related_queryset(), asked once per relation and request: the plan and the
        # fast path share what it returns.
        cache = self.eager_state.related_querysets

        def related_queryset(model: type[models.Model], path: str) -> QuerySet[Any]:
            key = (model, path)
            if key not in cache:
                cache[key] = self.get_related_queryset(model, path)
            return cache[key]

        return related_queryset

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)  # type: ignore[misc]
        if self.request.method not in _SAFE_METHODS or not isinstance(queryset, QuerySet):
            return queryset
        shape = self.get_shape()
        if shape is None:
            return queryset
        paginator = getattr(self, "paginator", None)
        if isinstance(paginator, pagination.CursorPagination) and not self._is_detail():
            # The paginator orders by its own ordering after this; ordered by it now,
            # the plan keeps the columns the cursor reads from each page's rows.
            view = cast("APIView", self)  # the mixin is always on an APIView
            queryset = queryset.order_by(*paginator.get_ordering(self.request, queryset, view))
        if type(self).prefetch_queryset is not EagerFieldsViewMixin.prefetch_queryset:
            return self.prefetch_queryset(queryset, shape)
        base = self._run_data_predicates(queryset, shape)
        planned = self._plan(base, shape)
        # Decided here, once: whether the fast path serves the list of `planned`, from
        # the queryset before the plan.
        self.eager_state.fast = self._decide_fast_path(planned, base, shape)
        return planned

    def _is_detail(self) -> bool:
        kwargs = getattr(self, "kwargs", None) or {}
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        return lookup in kwargs

    def get_object(self) -> Any:
        try:
            return super().get_object()  # type: ignore[misc]
        except OverflowError:
            # A lookup value past the database's integer range: SQLite's driver raises
            # where Django guards only integer fields, not a one-to-one key (a parent
            # link). DRF answers other values that cannot match with a 404; so do we.
            raise Http404 from None

    # Fast path ---------------------------------------------------------------------

    def use_fast_path(self) -> bool:
        """Return whether this request's list may be served by the fast path: the view's
        `eager_fast_path`, else the FAST_PATH setting, for a stock `list()` rendered as
        JSON. Each response is still checked (see drf_eager.fast)."""
        if not self._fast_path_mode() or not _is_stock_list(self):
            return False
        # A renderer of its own may read what only DRF's data carries (data.serializer).
        return is_stock_renderer(getattr(self.request, "accepted_renderer", None))

    def _fast_path_mode(self) -> bool | str:
        mode = self.eager_fast_path
        return eager_settings.FAST_PATH if mode is None else mode

    def _decide_fast_path(
        self, planned: QuerySet[Any], base: QuerySet[Any], shape: Shape
    ) -> FastPathDecision:
        # Whether the fast path serves the list of `planned`, and why (what explain_shape
        # and the explorer print): each reason in the order it is checked.
        def drf(reason: str) -> FastPathDecision:
            return FastPathDecision(planned, base, shape, None, f"DRF ({reason})")

        if not self.use_fast_path():
            if not _is_stock_list(self):
                return drf("the fast path serves lists")
            return drf("the fast path is off, or the response is not rendered as JSON")
        if any(shape.has_path(path) for path in self.get_eager_grouped()):
            return drf("the view loads a relation grouped: eager_grouped")
        serializer_class = self._eager_serializer_class()
        plan = compile_fast_plan(serializer_class, shape, using=base.db)
        if plan is None:
            refusal = fast_plan_refusal(serializer_class, shape, using=base.db)
            return drf(f"no fast plan: {refusal}")
        try:
            query = plan.prepare(
                base, related_queryset=self._related_querysets(), budget=self._row_budget()
            )
        except FastPathUnavailable:
            return drf("the queryset or a related queryset cannot be served by the fast path")
        return FastPathDecision(planned, base, shape, query, FAST)

    def _fast_query(self, queryset: Any) -> FastQuery | None:
        # The fast path's query of the list's queryset, or None for the DRF path.
        decision = self.eager_state.fast
        if decision is None or decision.planned is not queryset:
            return None
        return decision.query

    def paginate_queryset(self, queryset: Any) -> Any:
        paginator = getattr(self, "paginator", None)
        if paginator is None:
            return None
        query = self._fast_query(queryset)
        if query is None or not is_stock_paginator(paginator):
            # A paginator with code of its own may read the page's objects.
            return super().paginate_queryset(queryset)  # type: ignore[misc]
        sql = self._sql_response(query)
        if sql is not None:
            # The paginator counts the rows and names the page; the statement reads it.
            rows = LazyRows(query.rows)
            page = super().paginate_queryset(rows)  # type: ignore[misc]
            if page is not None:
                self.eager_state.sql_page = (page, sql, rows.slice)
            return page
        # The paginator counts and slices the root rows, not model instances.
        page = super().paginate_queryset(query.rows)  # type: ignore[misc]
        if page is not None:
            self.eager_state.fast_page = (page, query)
        return page

    def _sql_response(self, query: FastQuery) -> SQLResponse | None:
        # The SQL render of the fast path's query, or None (the reason is kept for
        # explain_shape).
        from .sql import sql_response

        state = self.eager_state
        if state.sql is None:
            state.sql = sql_response(self, query, eager_settings.SQL_RENDER)
        found = state.sql
        return found if isinstance(found, SQLResponse) and found.query is query else None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # After authentication and permissions, before the filter backends and the
        # handler query anything: a bad shape is a 400 (a forbidden extra a 403) that
        # costs no query, and on a write it comes before anything is saved.
        if _has_serializer_class(self):
            self.get_shape()

    # Debugging -------------------------------------------------------------------

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.DEBUG:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]
        # With DEBUG on, tell the client what its shape cost.
        count = 0

        def counter(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
            nonlocal count
            count += not _verifying.get()  # verify mode's DRF render is not the response
            return execute(sql, params, many, context)

        with contextlib.ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(counter))
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        response[QUERY_COUNT_HEADER] = str(count)
        return response  # type: ignore[no-any-return]

    # Errors ----------------------------------------------------------------------

    def handle_exception(self, exc: Exception) -> Response:
        # Django refuses some requests by raising where DRF's handler does not look;
        # answer them as DRF does, in JSON, instead of with Django's HTML page.
        if isinstance(exc, RequestDataTooBig):
            exc = ShapeTooLarge(str(exc))
        elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            exc = ParseError(str(exc))
        return super().handle_exception(exc)  # type: ignore[misc, no-any-return]

    # Serializer ------------------------------------------------------------------

    def get_serializer_context(self) -> dict[str, Any]:
        """Add the request's `extra`, `fields` and `exclude` (the query value, else
        the view's default) and, on GET, the body's `body_fields`, as drf-eager-fields
        did, for serializers and method fields that read `self.context["extra"]`.

        They are for reading only: the serializers of this view are shaped by the
        resolved Shape get_serializer() puts under SHAPE_CONTEXT_KEY, or not at all
        (None), never from these keys.
        """
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        request = getattr(self, "request", None)
        if request is None:  # schema generation
            return context
        query = request.query_params
        defaults = {
            "extra": self.get_serializer_extra,
            "fields": self.get_serializer_fields,
            "exclude": self.get_serializer_exclude,
        }
        for part, name in self.get_query_params_names().items():
            value = query.get(name, "")
            context[part] = value if value.strip() else defaults[part]()
        # The body as get_shape() read it: never read here for a view that shapes nothing.
        body = self.get_body_fields() if self.eager_state.shape is not None else None
        if body is not None:
            context["body_fields"] = body
        context[SHAPE_CONTEXT_KEY] = None
        if self._shapes_own_context():
            # A get_serializer() of the project's own may build the view's serializer
            # with this context, or give the mixin's one of its own: that class, and it
            # only, still serves the shape the queryset was planned for.
            shape = self.get_shape()
            if shape is not None:
                serializer_class = self._eager_serializer_class()
                context[VIEW_SHAPE_CONTEXT_KEY] = (serializer_class, shape, self._row_budget())
        return context

    def _shapes_own_context(self) -> bool:
        # Not for a schema generator's view, which documents the serializer whole (drf-
        # spectacular builds it with get_serializer_context()), nor for a view with no
        # serializer class of its own (its code builds whatever it serializes).
        return (
            self._shapes_response()
            and not getattr(self, "swagger_fake_view", False)
            and _has_serializer_class(self)
        )

    def _shapes_response(self) -> bool:
        # A serializer that reads input (`data=`) is never shaped: the shape changes only
        # what the response shows, not what is validated or saved.
        return self.request.method in _SAFE_METHODS or self.eager_state.reloading

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        request = getattr(self, "request", None)
        if request is None:  # schema generation (DRF's generator gives no request)
            return super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        if len(args) == 1 and kwargs == {"many": True}:
            fast = self._fast_list(args[0])
            if fast is not None:
                return fast
        shape = None
        if self._shapes_response() and "data" not in kwargs and len(args) < 2:
            shape = self.get_shape()
        given: dict[str, Any] | None = kwargs.get("context")
        if shape is not None and given is None:
            context = self.get_serializer_context()
            context[SHAPE_CONTEXT_KEY] = shape
            context[BUDGET_CONTEXT_KEY] = self._row_budget()
            kwargs["context"] = context
        elif (
            shape is not None
            and given is not None
            and self._shapes_own_context()
            and SHAPE_CONTEXT_KEY not in given
            and not asks_shape(given)
        ):
            # A context of the view's own (`{"request": ..., "currency": ...}`): the
            # response's serializer still serves the shape its queryset was planned for.
            # (The view's get_serializer_context() says it under VIEW_SHAPE_CONTEXT_KEY.)
            budget = self._row_budget()
            kwargs["context"] = {**given, SHAPE_CONTEXT_KEY: shape, BUDGET_CONTEXT_KEY: budget}
        if _next_get_serializer(type(self)) is generics.GenericAPIView.get_serializer:
            # DRF's own get_serializer(), with the class this request already resolved.
            serializer_class = self._eager_serializer_class()
            kwargs.setdefault("context", self.get_serializer_context())
            return serializer_class(*args, **kwargs)
        return super().get_serializer(*args, **kwargs)  # type: ignore[misc]

    def _fast_list(self, instance: Any) -> FastList | None:
        state = self.eager_state
        if state.sql_page is not None and state.sql_page[0] is instance:
            return self._sql_list(
                instance, state.sql_page[1], paginated=True, rows=state.sql_page[2]
            )
        query = self._fast_query(instance)
        sql = None if query is None else self._sql_response(query)
        if sql is not None:
            return self._sql_list(instance, sql, paginated=False, rows=None)
        page = state.fast_page
        paginated = page is not None and page[0] is instance
        query = page[1] if page is not None and paginated else self._fast_query(instance)
        if query is None:
            return None
        # The budget (given to prepare()) is spent from each query's rows as they arrive:
        # a response past it is refused before the next query and before any dict is built.
        data = query.serialize(instance if paginated else None)
        fast = FastList(instance, data)
        if self._fast_path_mode() == "verify":
            self._verify_fast_list(fast.data, paginated)
        return fast

    def _sql_list(
        self, instance: Any, sql: SQLResponse, *, paginated: bool, rows: slice | None
    ) -> FastList:
        # The list served by the SQL render: its JSON text, which the response's renderer
        # writes as it is (see finalize_response()).
        from .sql import streams, verify_sql

        if not paginated and streams(self):
            # Sent as the rows are read, by finalize_response().
            self.eager_state.sql_stream = sql
            return self._sql_data(instance, SQLList(""))
        # A page past the end (LimitOffsetPagination names no slice): no statement.
        text = "[]" if paginated and rows is None else sql.render(rows, self._row_budget())
        if self._fast_path_mode() == "verify":
            with uncounted():
                expected = self._drf_list(paginated)
            verify_sql(self, text, expected, eager_settings.FAST_PATH_VERIFY)
        return self._sql_data(instance, SQLList(text))

    def _sql_data(self, instance: Any, data: SQLList) -> FastList:
        self.eager_state.sql_text = data
        fast = FastList(instance, [])
        data.serializer = fast  # type: ignore[assignment]  # as FastList's ReturnList
        fast.data = data  # the renderer puts the text there
        return fast

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        stream = self.eager_state.sql_stream
        if stream is not None and response.status_code == 200:
            from .sql import streaming_response

            return streaming_response(response, stream)
        text = self.eager_state.sql_text
        if text is not None and getattr(response, "accepted_renderer", None) is not None:
            # The list is the database's JSON text: the renderer writes around it.
            response.accepted_renderer = PassThroughRenderer(response.accepted_renderer, text)
        return response

    def _row_budget(self) -> RowBudget | None:
        # The objects this response may still serve (MAX_ROWS), shared by its serializers.
        # Only a shape the client chose is bounded: the view's own shape is the response
        # it served without drf_eager, which a budget must not start to refuse. (A
        # get_shape_request() of the user's own reads the client: it is bounded.)
        state = self.eager_state
        if not state.budgeted:
            limit = self.get_eager_limit("MAX_ROWS")
            chosen = state.client_params != set()
            state.budget = RowBudget(limit) if limit is not None and chosen else None
            state.budgeted = True
        return state.budget

    def _early_budget(self) -> RowBudget | None:
        # The budget the plan counts from each query's rows (see drf_eager.early): only
        # for DRF's own list(), whose every planned row is served (a page cut by a stock
        # paginator, or every row). A detail is not: its object's permissions are checked
        # after its queries, and a 400 must not tell a user who may not see the object
        # how much it serves; the serializers count it.
        if not _is_stock_list(self):
            return None
        paginator = getattr(self, "paginator", None)
        if paginator is not None and not is_stock_paginator(paginator):
            return None  # CursorPagination loads one row more than it serves
        return self._row_budget()

    def _verify_fast_list(self, data: list[Any], paginated: bool) -> None:
        # Render the same rows by the DRF path (the planned queryset, paged by a copy of
        # the paginator) and compare. Its queries are not counted as the response's.
        shape = cast(FastPathDecision, self.eager_state.fast).shape
        with uncounted():
            expected = self._drf_list(paginated)
        difference = first_difference(data, expected)
        if difference is not None:
            report(
                f"{type(self).__name__}: the fast path's response differs from the DRF "
                f"path's for {shape!r}, at {difference}",
                eager_settings.FAST_PATH_VERIFY,
            )

    def _drf_list(self, paginated: bool) -> Any:
        # The list's data by the DRF path: the planned queryset, paged by a copy of the
        # paginator.
        decision = cast(FastPathDecision, self.eager_state.fast)
        planned, shape = decision.planned, decision.shape
        instances: Any = planned
        if paginated:
            paginator = copy.copy(self.paginator)  # type: ignore[attr-defined]
            instances = paginator.paginate_queryset(planned, self.request, view=self)
        context = self.get_serializer_context()
        context[SHAPE_CONTEXT_KEY] = shape
        serializer_class = self._eager_serializer_class()
        return serializer_class(instances, many=True, context=context).data

    def _reload_for_response(self, serializer: Any) -> None:
        # The response of a write shows the requested shape, loaded by the plan:
        # the saved instance has none of it (and DRF drops its prefetch cache).
        shape = self.get_shape()
        instance = serializer.instance
        if shape is None or not isinstance(instance, models.Model):
            return
        if not isinstance(serializer, EagerFieldsSerializerMixin):
            # A get_serializer() of the user's own saved through another class: its own
            # representation is the response (DRF's cache of it is not ours to write).
            return
        # Read back from the database written, not the one the routers read from (a
        # replica may not have the write yet); the relations follow Django's routing.
        queryset = self.get_queryset().using(instance._state.db)  # type: ignore[attr-defined]
        queryset = self.prefetch_queryset(queryset, shape)
        reloaded = queryset.filter(pk=instance.pk).first()
        self.eager_state.reloading = True
        try:
            response = self.get_serializer(reloaded if reloaded is not None else instance)
            serializer.eager_represent(response.data)
        finally:
            self.eager_state.reloading = False

    def perform_create(self, serializer: Any) -> None:
        super().perform_create(serializer)  # type: ignore[misc]
        self._reload_for_response(serializer)

    def perform_update(self, serializer: Any) -> None:
        super().perform_update(serializer)  # type: ignore[misc]
        self._reload_for_response(serializer)


def _below_unplanned(schema: SerializerSchema, tree: Mapping[str, Any] | None) -> list[str]:
    """The dotted paths of the `prefetch: False` fields below which `tree` names fields."""
    found = []
    stack: list[tuple[SerializerSchema, Mapping[str, Any], str]] = [(schema, tree or {}, "")]
    while stack:
        level, node, prefix = stack.pop()
        for name, below in node.items():
            spec = level.defaults.get(name) or level.extras.get(name)
            if not below or spec is None:
                continue
            if spec.prefetch is False:
                found.append(prefix + name)
            elif spec.child_schema is not None:
                stack.append((spec.child_schema, below, f"{prefix}{name}."))
    return sorted(found)


def _error_lists(detail: Mapping[Any, Any]) -> dict[str, list[str]]:
    return {
        str(param): [str(message) for message in messages] for param, messages in detail.items()
    }


def _content_length(request: Request) -> int:
    try:
        return max(int(request._request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _has_body(request: Request) -> bool:
    meta = request._request.META
    return _content_length(request) > 0 or "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "")


def _has_serializer_class(view: Any) -> bool:
    # A view whose GET serializes nothing has no shape to check; nor has a plain APIView
    # (no get_serializer_class() or get_queryset()), whose `serializer_class` attribute
    # only its own code reads.
    get_class = getattr(type(view), "get_serializer_class", None)
    if get_class is None or not hasattr(view, "get_queryset"):
        return False
    if getattr(view, "serializer_class", None) is not None:
        return True
    return get_class is not generics.GenericAPIView.get_serializer_class


def _next_get_serializer(view_class: type) -> Any:
    # The get_serializer() the mixin's own calls with super(): DRF's, or a class's after
    # the mixin in the MRO.
    mro = view_class.__mro__
    for cls in mro[mro.index(EagerFieldsViewMixin) + 1 :]:
        if "get_serializer" in cls.__dict__:
            return cls.__dict__["get_serializer"]
    return None


class FastList:
    """What get_serializer(..., many=True) returns for a list served by the fast path:
    its `data` is what the serializer's would be."""

    many = True

    def __init__(self, instance: Any, data: list[dict[str, Any]]) -> None:
        self.instance = instance
        # The stubs want a serializer; ReturnList only keeps it, as DRF's templates do.
        self.data = ReturnList(data, serializer=self)  # type: ignore[call-overload]


_STOCK_LIST_GETS = (generics.ListAPIView.get, generics.ListCreateAPIView.get)


def _is_stock_list(view: Any) -> bool:
    # DRF's own list(), reached by a ViewSet's list action or a generic list view's GET,
    # with the mixin's prefetch_queryset() and get_serializer().
    cls = type(view)
    if getattr(cls, "list", None) is not mixins.ListModelMixin.list:
        return False
    if cls.prefetch_queryset is not EagerFieldsViewMixin.prefetch_queryset:
        return False
    if cls.get_serializer is not EagerFieldsViewMixin.get_serializer:
        return False
    if isinstance(view, viewsets.ViewSetMixin):
        return getattr(view, "action", None) == "list"
    return getattr(cls, "get", None) in _STOCK_LIST_GETS and view.request.method == "GET"


# The stubs type View.request as an HttpRequest and APIView.request as a Request.
class EagerFieldsAPIView(EagerFieldsViewMixin, generics.GenericAPIView[Any]):  # type: ignore[misc]
    """A GenericAPIView with the eager fields mixin."""
