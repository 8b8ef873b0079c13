"""Test helpers: run your test suite with the fast path in verify mode.

In verify mode every list the fast path serves is also rendered by the DRF path and
compared; a difference raises FastPathMismatch naming the view, the shape and the first
differing JSON path. Put it in your test settings:

    DRF_EAGER = {"FAST_PATH": "verify"}

or turn it on where you want it:

    from drf_eager.testing import verify_fast_path

    with verify_fast_path():
        response = client.get("/api/customers/?extra=orders")

    @verify_fast_path()
    def test_customers(client): ...

With pytest, `from drf_eager.testing import fast_path_verified` in a conftest.py makes
a fixture of that name (use it, or mark tests with `usefixtures`).

Verify mode's DRF render runs queries of its own; they are left out of the query log
that `assertNumQueries` and pytest-django's `django_assert_num_queries` read, so query
count assertions keep counting the response's queries only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.test.utils import override_settings

from .verify import FastPathMismatch

__all__ = ["FastPathMismatch", "fast_path_verified", "verify_fast_path"]


def verify_fast_path(on_difference: str = "raise") -> override_settings:
    """Return an override_settings (a context manager and a decorator) that turns the
    fast path's verify mode on; `on_difference` is "raise" or "log"."""
    if on_difference not in ("raise", "log"):
        raise ValueError(f"on_difference must be 'raise' or 'log', not {on_difference!r}.")
    current: dict[str, Any] = dict(getattr(settings, "DRF_EAGER", None) or {})
    current.update(FAST_PATH="verify", FAST_PATH_VERIFY=on_difference)
    return override_settings(DRF_EAGER=current)


def _fast_path_verified() -> Iterator[None]:
    """A pytest fixture: the test runs with the fast path in verify mode."""
    with verify_fast_path():
        yield


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is not installed
    pass
else:
    fast_path_verified = pytest.fixture(_fast_path_verified)
