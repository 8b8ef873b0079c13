"""The `DRF_EAGER` setting: defaults, and an accessor that reads it at access time.

Reading on every access keeps `override_settings` working without reloads.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

__all__ = ["DEFAULTS", "eager_settings"]

DEFAULTS: dict[str, Any] = {
    # What to do with a name that the serializer does not declare: "raise" answers
    # 400, "ignore" drops the name (and keeps its valid siblings), as
    # drf-eager-fields did.
    "UNKNOWN_FIELDS": "raise",
    # How many nested serializers deep a request may reach; None for no limit.
    "MAX_DEPTH": 3,
    # How many error messages one 400 response carries at most.
    "MAX_ERRORS": 20,
    # Raise QueryDuringSerialization on any SQL query sent while a shaped
    # serializer renders, naming the field that sent it. For development and tests.
    "STRICT": False,
    # Query parameter names.
    "EXTRA_PARAM": "extra",
    "FIELDS_PARAM": "fields",
    "EXCLUDE_PARAM": "exclude",
}


class _EagerSettings:
    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown drf_eager setting: {name!r}")
        user = getattr(settings, "DRF_EAGER", None) or {}
        return user.get(name, DEFAULTS[name])


eager_settings = _EagerSettings()
