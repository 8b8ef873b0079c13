"""`manage.py explain_shape URL`: how drf_eager serves one GET request.

Runs the view in-process (Django's request factory: nothing goes over the network)
and prints the shape the request resolved to, the queryset plan (JOINs, prefetches,
columns) and every SQL statement the response cost, with their count.

    $ python manage.py explain_shape '/api/customers/?extra=orders.article&fields=name,orders.code'
    $ python manage.py explain_shape /api/customers/1/ --body '{"fields": {"name": null}}'
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Prefetch, QuerySet
from django.urls import Resolver404, resolve
from rest_framework.test import APIRequestFactory, force_authenticate

from ...grouped import grouped_prefetch
from ...parsing import format_tree
from ...shape import Shape
from ...verify import verifying
from ...views import EagerFieldsViewMixin

__all__ = ["Command", "describe_plan", "shape_tree"]


def shape_tree(shape: Shape) -> dict[str, Any]:
    """The Shape as a tree of names, the form `format_tree` prints."""
    tree: dict[str, Any] = {}
    for name in shape.fields:
        child = shape.child(name)
        tree[name] = shape_tree(child) if child is not None else {}
    return tree


def _tree_lines(tree: Mapping[str, Any], indent: str) -> Iterator[str]:
    for name, below in tree.items():
        yield indent + name
        yield from _tree_lines(below, indent + "  ")


def _joined(tree: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for name, below in tree.items():
        yield prefix + name
        yield from _joined(below, f"{prefix}{name}__")


def describe_plan(queryset: QuerySet[Any], indent: str = "") -> list[str]:
    """The loading plan of `queryset`: its JOINs, its columns and its prefetches, each
    prefetch's own queryset below it."""
    query = queryset.query
    lines = [f"{indent}{queryset.model._meta.label}"]
    inner = indent + "  "
    select = query.select_related
    if select is True:
        lines.append(f"{inner}select_related: every relation")
    elif select:
        lines.append(f"{inner}select_related: {', '.join(sorted(_joined(select)))}")
    names, defer = query.deferred_loading
    if not defer:
        lines.append(f"{inner}only: {', '.join(sorted(names))}")
    elif names:
        lines.append(f"{inner}defer: {', '.join(sorted(names))}")
    else:
        # No only()/defer(): every concrete column of the model, named so the line can be
        # checked against the SQL (a JOINed relation's columns follow its select_related).
        columns = ", ".join(field.attname for field in queryset.model._meta.concrete_fields)
        lines.append(f"{inner}columns: {columns} (all)")
    for lookup in queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
        if not isinstance(lookup, Prefetch):
            lines.append(f"{inner}prefetch_related: {lookup}")
            continue
        into = f" into {lookup.to_attr}" if lookup.to_attr else ""
        lines.append(f"{inner}prefetch_related: {lookup.prefetch_through}{into}")
        if lookup.queryset is not None:
            lines.extend(describe_plan(lookup.queryset, inner + "  "))
    grouped = grouped_prefetch(queryset)
    if grouped is not None:
        into = f" into {grouped.to_attr}" if grouped.to_attr else ""
        lines.append(f"{inner}grouped (JOINed to these rows): {grouped.prefetch_through}{into}")
        assert grouped.queryset is not None  # the grouping gives it one
        lines.extend(describe_plan(grouped.queryset, inner + "  "))
    return lines


class _Queries:
    """Records the SQL of every database (or of `database` only), in the order sent.

    An execute wrapper rather than CaptureQueriesContext, which connects to the
    database it watches: a database the view does not use is never connected to."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        self.captured: list[tuple[str, str]] = []
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> _Queries:
        for connection in connections.all():
            if self.database is None or connection.alias == self.database:
                self._stack.enter_context(connection.execute_wrapper(self._record))
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stack.close()

    def _record(
        self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        connection = context["connection"]
        if verifying.get():  # verify mode's DRF render is not the response's cost
            return execute(sql, params, many, context)
        try:
            return execute(sql, params, many, context)
        finally:
            cursor = getattr(context["cursor"], "cursor", context["cursor"])
            shown = sql if many else connection.ops.last_executed_query(cursor, sql, params)
            self.captured.append((connection.alias, shown))


class _Recorder:
    """What one run of the view planned."""

    def __init__(self) -> None:
        self.view: Any = None
        self.plans: list[QuerySet[Any]] = []


def _recording_callback(callback: Any, recorder: _Recorder) -> Callable[..., Any]:
    # The view class, subclassed to record its instance and the querysets it plans.
    view_class = callback.cls

    class Recording(view_class):  # type: ignore[misc, valid-type]
        def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            recorder.view = self
            return super().dispatch(request, *args, **kwargs)

        def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
            # Recorded here, not in prefetch_queryset(): overriding that one would turn
            # the fast path off.
            planned: QuerySet[Any] = super().filter_queryset(queryset)
            decision = self.eager_state.fast
            if decision is not None and decision.planned is planned:
                recorder.plans.append(planned)
            return planned

    for attribute in ("__name__", "__qualname__", "__module__", "__doc__"):
        setattr(Recording, attribute, getattr(view_class, attribute))
    initkwargs = getattr(callback, "initkwargs", {})
    actions = getattr(callback, "actions", None)
    if actions is not None:  # a ViewSet
        return Recording.as_view(actions, **initkwargs)  # type: ignore[no-any-return]
    return Recording.as_view(**initkwargs)  # type: ignore[no-any-return]


def _path(view: Any) -> str:
    # Which path built the response, and why not the fast path: the view decided it
    # once, when it planned the list (drf_eager.state.FastPathDecision).
    decision = view.eager_state.fast
    if decision is None:
        return "DRF (no list was planned)"
    return decision.reason  # type: ignore[no-any-return]


def _sql_decision(view: Any) -> str | None:
    # Whether the SQL render (drf_eager.sql) wrote the list, or why the fast path did;
    # nothing when the fast path did not serve the list.
    decision = view.eager_state.sql if isinstance(view, EagerFieldsViewMixin) else None
    if decision is None:
        return None
    if isinstance(decision, str):
        return f"no ({decision}): the fast path built it"
    return "yes (one statement writes the list's JSON, drf_eager.sql)"


def _default_host() -> str:
    # A host the project accepts, so that links (pagination, hyperlinks) can be built.
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")
    return "localhost"


def _error_lines(data: Any) -> list[str]:
    if isinstance(data, Mapping):
        lines = []
        for key, value in data.items():
            for message in value if isinstance(value, list) else [value]:
                lines.append(f"  {key}: {message}")
        return lines
    if isinstance(data, list):
        return [f"  {message}" for message in data]
    return [f"  {data}"]


class Command(BaseCommand):
    help = (
        "Explain how drf_eager serves a GET request: the shape it resolves to, the "
        "queryset plan and each SQL statement, with their count. The view runs in this "
        "process; no request goes over the network."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "url", help="The path and query string, e.g. '/api/customers/?extra=orders'."
        )
        parser.add_argument(
            "--body",
            help='A JSON body for the GET request, e.g. \'{"fields": {"name": null}}\'.',
        )
        parser.add_argument("--user", help="Send the request as this user (a username).")
        parser.add_argument(
            "--host", help="The request's host; by default the first of ALLOWED_HOSTS."
        )
        parser.add_argument(
            "--database",
            default=None,
            help="Show only this database's queries. Defaults to every database's.",
        )
        parser.add_argument(
            "--response", action="store_true", help="Print the response body as well."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url: str = options["url"]
        parts = urlsplit(url)
        path = parts.path or "/"
        try:
            match = resolve(path)
        except Resolver404:
            raise CommandError(f"No view answers {path}.") from None
        callback = match.func
        view_class = getattr(callback, "cls", None)
        if not (isinstance(view_class, type) and issubclass(view_class, EagerFieldsViewMixin)):
            served_by = view_class or callback
            raise CommandError(
                f"{path} is served by {served_by.__module__}.{served_by.__qualname__}, "
                f"which does not use EagerFieldsViewMixin."
            )
        request = self._request(path, parts.query, parts.netloc, parts.scheme, options)

        recorder = _Recorder()
        view = _recording_callback(callback, recorder)
        queries = _Queries(options["database"])
        with queries:
            response: Any = view(request, *match.args, **match.kwargs)
            render = getattr(response, "render", None)
            if callable(render):
                render()

        target = f"{path}?{parts.query}" if parts.query else path
        write = self.stdout.write
        write(f"GET {target}")
        action = getattr(recorder.view, "action", None)
        write(
            f"View: {view_class.__module__}.{view_class.__qualname__}"
            + (f" ({action})" if action else "")
        )
        serializer_class = recorder.view.get_serializer_class()
        write(f"Serializer: {serializer_class.__module__}.{serializer_class.__qualname__}")
        reason = getattr(response, "reason_phrase", "")
        write(f"Response: {response.status_code} {reason}".rstrip())
        if response.status_code >= 400:
            data = getattr(response, "data", None)
            raise CommandError(
                "\n".join(
                    [f"GET {target} was answered {response.status_code} {reason}:"]
                    + _error_lines(data if data is not None else response.content.decode())
                )
            )

        shape = recorder.view.get_shape()
        write("")
        if shape is None:
            write("Shape: none (the serializer has no EagerFieldsSerializerMixin)")
        else:
            tree = shape_tree(shape)
            write(f"Shape: fields={format_tree(tree)}")
            for line in _tree_lines(tree, "  "):
                write(line)

        write("")
        if not recorder.plans:
            write("Plan: none (no queryset was planned)")
        for planned in recorder.plans:
            write("Plan:")
            for line in describe_plan(planned, "  "):
                write(line)

        write("")
        write(f"Path: {_path(recorder.view)}")
        sql = _sql_decision(recorder.view)
        if sql is not None:
            write(f"SQL render: {sql}")

        write("")
        count = len(queries.captured)
        header = f"SQL: {count} {'query' if count == 1 else 'queries'}"
        counts = Counter(alias for alias, _ in queries.captured)
        # Named per database once a query ran on another database than the default.
        named = bool(set(counts) - {DEFAULT_DB_ALIAS})
        if named:
            header += " (" + ", ".join(f"{alias}: {n}" for alias, n in counts.items()) + ")"
        write(header)
        for number, (alias, sql) in enumerate(queries.captured, 1):
            write(f"  {number}. [{alias}] {sql}" if named else f"  {number}. {sql}")

        if options["response"]:
            write("")
            write("Response body:")
            write(response.content.decode())

    def _request(self, path: str, query: str, netloc: str, scheme: str, options: Any) -> Any:
        host = options["host"] or netloc or _default_host()
        secure = scheme == "https"
        body = options["body"]
        factory = APIRequestFactory()
        target = f"{path}?{query}" if query else path
        if body is None:
            request = factory.get(target, HTTP_HOST=host, secure=secure)
        else:
            try:
                json.loads(body)
            except ValueError as exc:
                raise CommandError(f"--body is not valid JSON: {exc}.") from None
            request = factory.generic(
                "GET", target, body, content_type="application/json", secure=secure, HTTP_HOST=host
            )
        username = options["user"]
        if username:
            user_model = get_user_model()
            try:
                user = user_model._default_manager.get_by_natural_key(username)
            except user_model.DoesNotExist:
                raise CommandError(f"No user is named {username!r}.") from None
            force_authenticate(request, user=user)
        return request
