"""Verify mode of the fast path: serve a list by the fast path, render it by the DRF path
as well, and report the first difference (`FAST_PATH = "verify"`).

Also the allow-lists of the paginators and renderers the fast path's output may be
given to. See docs/fast-path.md.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from functools import cached_property
from inspect import isfunction
from typing import Any

from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from rest_framework import pagination, renderers

__all__ = ["FastPathMismatch", "first_difference", "is_stock_paginator", "is_stock_renderer"]

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


# What the fast path's data may be given to ------------------------------------------

_METHODS = (staticmethod, classmethod, property, cached_property)


def _defines_code(klass: type, allowed: frozenset[str] = frozenset()) -> str | None:
    for name, value in vars(klass).items():
        if name in allowed:
            continue
        if isfunction(value) or isinstance(value, _METHODS):
            return name
    return None


def _only_settings(cls: type, modules: frozenset[str], allowed: frozenset[str]) -> bool:
    # Subclasses of the stock classes that set class attributes (page_size, charset,
    # media_type ...) are the stock class; one that adds code is not.
    return all(
        klass.__module__ in modules or _defines_code(klass, allowed) is None
        for klass in cls.__mro__
        if klass is not object
    )


# Methods a paginator subclass may override: they read the request, not the page's rows.
_PAGINATOR_HOOKS = frozenset(
    {
        "get_page_size",
        "get_page_number",
        "get_limit",
        "get_offset",
        "get_paginated_response_schema",
        "get_schema_operation_parameters",
        "get_schema_fields",
    }
)


def is_stock_paginator(paginator: Any) -> bool:
    """Whether `paginator` is DRF's PageNumberPagination or LimitOffsetPagination, or a
    subclass that changes only settings and the page size: the fast path hands it
    tuples, which only code that counts and slices them cannot tell from instances."""
    cls = type(paginator)
    if not issubclass(cls, pagination.PageNumberPagination | pagination.LimitOffsetPagination):
        return False
    django_paginator = getattr(paginator, "django_paginator_class", None)
    if django_paginator is not None and django_paginator is not DjangoPaginator:
        return False
    return _only_settings(cls, frozenset({"rest_framework.pagination"}), _PAGINATOR_HOOKS)


def is_stock_renderer(renderer: Any) -> bool:
    """Whether `renderer` is a stock JSON renderer (DRF's or drf_eager's ORJSONRenderer)
    or a subclass that changes only settings: one with code of its own may read what
    the DRF path's data carries (`data.serializer`, as JSON:API renderers do)."""
    from .renderers import ORJSONRenderer

    if not isinstance(renderer, renderers.JSONRenderer | ORJSONRenderer):
        return False
    modules = frozenset({"rest_framework.renderers", "drf_eager.renderers"})
    return _only_settings(type(renderer), modules, frozenset())
