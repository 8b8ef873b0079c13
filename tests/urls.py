from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    # The example's index is "/" and its API is under "api/"; the library's own
    # test views take the other paths.
    path("", include("shop.urls")),
    path("", include("tests.urls_library")),
]
