"""The `DRF_EAGER` setting: defaults, the enumerated values of its keys, and an
accessor that reads it at access time.

Reading on every access keeps `override_settings` working without reloads.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["DEFAULTS", "FastPathVerify", "UnknownFields", "eager_settings"]


class UnknownFields(str, Enum):
    """What a request naming a field the serializer does not declare gets
    (`UNKNOWN_FIELDS`). A str, so that the setting may be given as the string."""

    #: A 400 naming the unknown name and the names allowed there.
    RAISE = "raise"
    #: The name is dropped, and its valid siblings served, as drf-eager-fields did.
    IGNORE = "ignore"


class FastPathVerify(str, Enum):
    """What verify mode does when the fast path's response differs from the DRF
    path's (`FAST_PATH_VERIFY`)."""

    #: Raise drf_eager.verify.FastPathMismatch.
    RAISE = "raise"
    #: Log it, as an error of the logger `drf_eager.fast`, and serve the fast path's.
    LOG = "log"


DEFAULTS: dict[str, Any] = {
    # What to do with a name that the serializer does not declare: "raise" answers
    # 400, "ignore" drops the name (and keeps its valid siblings), as
    # drf-eager-fields did.
    "UNKNOWN_FIELDS": UnknownFields.RAISE,
    # Limits on what a client may ask for, checked before any query runs; each can
    # be None for no limit, and a view's `eager_limits` dict overrides them.
    # How many relations deep a request may reach (`orders.article.customer` is 3).
    "MAX_DEPTH": 3,
    # How many paths (names, at any level) extra, fields and exclude may name together.
    "MAX_PATHS": 100,
    # How many characters one query parameter may have.
    "MAX_PARAM_LENGTH": 2000,
    # How many bytes a GET request's JSON body may have; past it, a 413.
    "MAX_BODY_SIZE": 16384,
    # How many objects one response may serve, each nested object counted where it
    # is served (a relation that loops back serves its rows once per parent); past
    # it, a 400 naming MAX_ROWS: on the fast path from each query's rows as they
    # arrive, before anything is built; on the DRF path as the objects are serialized.
    # Only a shape the client chose counts: the view's own shape is never refused.
    "MAX_ROWS": 20000,
    # How many error messages one 400 response carries at most.
    "MAX_ERRORS": 20,
    # Raise QueryDuringSerialization on any SQL query sent while a shaped
    # serializer renders, naming the field that sent it. For development and tests.
    "STRICT": False,
    # Serve list responses from values_list() rows where the output is provably the
    # DRF path's (drf_eager.fast); a view's `eager_fast_path` overrides it. "verify"
    # serves by the fast path, renders by the DRF path too and compares (for tests).
    "FAST_PATH": True,
    # What verify mode does on a difference: "raise" FastPathMismatch, or "log" it (as
    # an error of the logger drf_eager.fast) and serve the fast path's response.
    "FAST_PATH_VERIFY": FastPathVerify.RAISE,
    # Serve a list the fast path serves as the JSON text one SQL statement writes
    # (drf_eager.sql), where the database can write the DRF path's exact bytes; a view's
    # `eager_sql_render` overrides it. Verify mode compares its bytes too.
    "SQL_RENDER": False,
    # Send an unpaginated list the SQL render serves as the database returns its rows
    # (a server-side cursor where there is one; a StreamingHttpResponse), so that memory
    # does not grow with the list; a view's `eager_sql_stream` overrides it. Not in
    # verify mode, with a row budget (MAX_ROWS on a shape the client chose) or DEBUG on.
    "SQL_STREAM": False,
    # Query parameter names.
    "EXTRA_PARAM": "extra",
    "FIELDS_PARAM": "fields",
    "EXCLUDE_PARAM": "exclude",
}

#: The settings a view's `eager_limits` may override.
LIMITS = ("MAX_DEPTH", "MAX_PATHS", "MAX_PARAM_LENGTH", "MAX_BODY_SIZE", "MAX_ROWS")


#: The settings whose value is one of an Enum's; given as the Enum or its value.
CHOICES: dict[str, type[Enum]] = {
    "UNKNOWN_FIELDS": UnknownFields,
    "FAST_PATH_VERIFY": FastPathVerify,
}


def choice(name: str, value: object) -> Enum:
    """Return the member of the Enum of the setting `name` that `value` is or names;
    raise ImproperlyConfigured (the system check drf_eager.E003 or E005) for another."""
    enum = CHOICES[name]
    try:
        return enum(value)
    except ValueError:
        allowed = " or ".join(repr(member.value) for member in enum)
        raise ImproperlyConfigured(
            f"DRF_EAGER[{name!r}] must be {allowed} (or drf_eager.settings."
            f"{enum.__name__}), not {value!r}."
        ) from None


class _EagerSettings:
    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown drf_eager setting: {name!r}")
        user = getattr(settings, "DRF_EAGER", None) or {}
        value = user.get(name, DEFAULTS[name])
        return choice(name, value) if name in CHOICES else value


eager_settings = _EagerSettings()
