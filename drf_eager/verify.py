"""Verify mode of the fast path: serve a list by the fast path, render it by the DRF path
as well, and report the first difference (`FAST_PATH = "verify"`).

The paginators and renderers the fast path's output may be given to are allow-listed
in drf_eager.stock. See docs/fast-path.md.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from django.db import connections

__all__ = ["FastPathMismatch", "first_difference"]

logger = logging.getLogger("drf_eager.fast")

#: True while verify mode renders the DRF path: those queries are not the response's.
verifying: ContextVar[bool] = ContextVar("drf_eager_verifying", default=False)


class FastPathMismatch(AssertionError):
    """The fast path's response differs from the DRF path's (verify mode).

    An AssertionError: a bug of drf_eager's proof, for the test that met it to fail on.
    """


_MISSING = object()


def first_difference(fast: Any, drf: Any, path: str = "$") -> str | None:
    """Return the JSON path of the first difference between two responses' data and
    what differs there, or None when they render to the same bytes.

    Keys must come in the same order, values be of the same type (2 and 2.0, or 1 and
    True, render differently).
    """
    if isinstance(fast, Mapping) and isinstance(drf, Mapping):
        fast_keys, drf_keys = list(fast), list(drf)
        if fast_keys != drf_keys:
            return f"{path}: keys {fast_keys} (fast path) != {drf_keys} (DRF path)"
        for key in fast_keys:
            found = first_difference(fast[key], drf[key], f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(fast, list | tuple) and isinstance(drf, list | tuple):
        if len(fast) != len(drf):
            return f"{path}: {len(fast)} items (fast path) != {len(drf)} (DRF path)"
        for index, (a, b) in enumerate(zip(fast, drf, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if type(fast) is not type(drf) or fast != drf:
        return f"{path}: {fast!r} (fast path) != {drf!r} (DRF path)"
    return None


@contextlib.contextmanager
def uncounted() -> Iterator[None]:
    """Run the DRF path of verify mode without its queries counting as the response's:
    they are dropped from each connection's query log (which CaptureQueriesContext and
    pytest-django's django_assert_num_queries read) and from the DEBUG query count."""
    logs = {
        alias: len(connection.queries_log)
        for alias in connections
        if (connection := connections[alias]).queries_logged
    }
    token = verifying.set(True)
    try:
        yield
    finally:
        verifying.reset(token)
        for alias, before in logs.items():
            log = connections[alias].queries_log
            while len(log) > before:
                log.pop()


def report(message: str, action: str) -> None:
    """Raise FastPathMismatch with `message`, or log it when `action` is "log"."""
    if action == "log":
        logger.error(message)
        return
    raise FastPathMismatch(message)
