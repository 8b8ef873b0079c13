from __future__ import annotations

from django.apps import AppConfig


class ExistingProjectConfig(AppConfig):
    name = "tests.existing_project"
    label = "existing_project"
    default_auto_field = "django.db.models.BigAutoField"
