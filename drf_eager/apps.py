"""Django app config: registers the system checks, and the drf-spectacular extensions
when drf-spectacular is installed."""

from __future__ import annotations

from importlib.util import find_spec

from django.apps import AppConfig


class DrfEagerConfig(AppConfig):
    name = "drf_eager"
    verbose_name = "drf_eager"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks

        if find_spec("drf_spectacular") is not None:
            from .contrib import spectacular  # noqa: F401 - registers the extensions
