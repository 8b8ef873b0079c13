"""Errors: `InvalidShape` answers a client's bad request with a 400; the others are
for developers."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError

__all__ = ["InvalidShape", "QueryDuringSerialization"]


class InvalidShape(ValidationError):
    """A request asked for a shape its serializer does not offer (400)."""

    default_code = "invalid_shape"


class QueryDuringSerialization(AssertionError):
    """Strict mode: a SQL query was sent while serializing, so a prefetch is missing."""
