"""System checks for mistakes a developer can make in the `DRF_EAGER` setting."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .settings import DEFAULTS, LIMITS

__all__ = ["check_settings"]


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    user = getattr(settings, "DRF_EAGER", None)
    if user is None:
        return []
    if not isinstance(user, dict):
        return [Error("DRF_EAGER must be a dict.", id="drf_eager.E001")]
    for key in sorted(set(user) - set(DEFAULTS)):
        errors.append(
            Error(
                f"Unknown DRF_EAGER setting {key!r}.",
                hint=f"Choose from: {', '.join(sorted(DEFAULTS))}.",
                id="drf_eager.E002",
            )
        )
    if user.get("UNKNOWN_FIELDS", "raise") not in ("raise", "ignore"):
        errors.append(
            Error("DRF_EAGER['UNKNOWN_FIELDS'] must be 'raise' or 'ignore'.", id="drf_eager.E003")
        )
    for key in LIMITS:
        value = user.get(key)
        if value is not None and (type(value) is not int or value < 1):
            errors.append(
                Error(
                    f"DRF_EAGER[{key!r}] must be a positive integer or None.", id="drf_eager.E004"
                )
            )
    for key in ("STRICT", "FAST_PATH"):
        if key in user and type(user[key]) is not bool:
            errors.append(Error(f"DRF_EAGER[{key!r}] must be True or False.", id="drf_eager.E005"))
    return errors
