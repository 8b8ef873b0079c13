from __future__ import annotations

from django.apps import AppConfig


class ZooConfig(AppConfig):
    """A zoo of real-world serializers, served in verify mode (issue 13)."""

    name = "tests.zoo"
    label = "zoo"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import models

        models.connect_receivers()
