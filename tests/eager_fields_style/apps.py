from __future__ import annotations

from django.apps import AppConfig


class EagerFieldsStyleConfig(AppConfig):
    """A project written the way drf-eager-fields' README writes it (issue 12)."""

    name = "tests.eager_fields_style"
    label = "eager_fields_style"
    default_auto_field = "django.db.models.BigAutoField"
