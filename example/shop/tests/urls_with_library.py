"""The example's URLs and the library's test views together, for the SQL render's tests,
which compare the example API's lists and the library's own relations (tests/zoo)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("shop.urls")),
    path("", include("tests.urls")),
]
