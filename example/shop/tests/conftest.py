from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def example_urls(settings):
    """The example's tests run in the library's test session (tests.settings, which
    installs the `shop` app) against the example's URLs: tests.urls holds the library's
    test views only. shop.urls rather than exampleproject.urls: the project's URLconf
    adds login, the explorer and drf-spectacular's views, which fix their schema class
    at first use (example/shop/tests/test_openapi.py generates that schema)."""
    settings.ROOT_URLCONF = "shop.urls"


from tests.conftest import _plan_queries  # noqa: E402, F401 - the `plan_queries` marker
