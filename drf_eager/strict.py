"""Strict mode: fail on any SQL query sent while a serializer renders, naming the
field path that sent it, so a missing prefetch shows in development and tests."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections

from .exceptions import QueryDuringSerialization

__all__ = ["forbid_queries"]

_path: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "drf_eager_path", default=None
)
# The field whose name `_path` ends with, so that a nested serializer knows whether its
# parent recorded it already.
_field: contextvars.ContextVar[object] = contextvars.ContextVar("drf_eager_field", default=None)


def _blocker(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    path = _path.get()
    where = ".".join(path) if path else "(root)"
    raise QueryDuringSerialization(
        f"SQL query sent while serializing '{where}': a prefetch or select_related is "
        f"missing, or a field reads data it did not declare. Query: {sql}"
    )


@contextlib.contextmanager
def forbid_queries() -> Iterator[None]:
    """Raise QueryDuringSerialization on any SQL query sent inside the block.

    Use it in tests around code that must not query, such as `serializer.data`.
    """
    token = _path.set(_path.get() or ())
    with contextlib.ExitStack() as stack:
        for connection in connections.all(initialized_only=True):
            stack.enter_context(connection.execute_wrapper(_blocker))
        try:
            yield
        finally:
            _path.reset(token)


def is_forbidding() -> bool:
    return _path.get() is not None


@contextlib.contextmanager
def field_path(name: str, field: object = None) -> Iterator[None]:
    """Record that the fields serialized inside the block are below `name`, the name
    of `field` when it is given (see `records`)."""
    path = _path.get()
    if path is None:
        yield
        return
    token = _path.set((*path, name))
    field_token = _field.set(field)
    try:
        yield
    finally:
        _field.reset(field_token)
        _path.reset(token)


def records(field: object) -> bool:
    """Return whether the recorded path ends with the name of `field`."""
    return field is not None and _field.get() is field
