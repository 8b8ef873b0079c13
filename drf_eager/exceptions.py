"""Errors: `InvalidShape` answers a client's bad request with a 400; the others are
for developers."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError

__all__ = [
    "DeclarationError",
    "ExtraNotPermitted",
    "InvalidShape",
    "QueryDuringSerialization",
    "ResponseTooLarge",
    "ShapeTooLarge",
]


class InvalidShape(ValidationError):
    """A request asked for a shape its serializer does not offer (400)."""

    default_code = "invalid_shape"


class ShapeTooLarge(APIException):
    """A request's body is larger than the view accepts (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class ResponseTooLarge(APIException):
    """A request asked for a response serving more objects than the view's MAX_ROWS (400)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The response is too large."
    default_code = "response_too_large"


class RowBudget:
    """How many objects a response may still serve (the MAX_ROWS limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, count: int = 1) -> None:
        """Count `count` objects served; raise ResponseTooLarge past the limit."""
        self.left -= count
        if self.left < 0:
            raise self.too_large()

    def too_large(self) -> ResponseTooLarge:
        """The error of a response past the limit."""
        return ResponseTooLarge(
            f"The response would serve more than {self.limit} objects (MAX_ROWS); "
            "ask for fewer rows or fewer nested fields."
        )


class ExtraNotPermitted(PermissionDenied):
    """A request asked for an extra its user may not see (403)."""

    default_code = "extra_not_permitted"


class QueryDuringSerialization(AssertionError):
    """Strict mode: a SQL query was sent while serializing, so a prefetch is missing."""


class DeclarationError(ImproperlyConfigured):
    """A mistake in a serializer's or a view's declarations. `id` is the system check
    that reports it (`drf_eager.E011`), `hint` how to fix it."""

    def __init__(self, message: str, *, id: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.id = id
        self.hint = hint
