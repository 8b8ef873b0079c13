"""Django app config: registers the system checks."""

from __future__ import annotations

from django.apps import AppConfig


class DrfEagerConfig(AppConfig):
    name = "drf_eager"
    verbose_name = "drf_eager"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
