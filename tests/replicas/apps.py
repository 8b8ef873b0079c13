from __future__ import annotations

from django.apps import AppConfig


class ReplicasConfig(AppConfig):
    """Read replicas and routers (issue 18): views and tests over two databases."""

    name = "tests.replicas"
    label = "replicas"
