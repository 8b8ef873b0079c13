from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from drf_eager.contrib.explorer import explorer_urls
from tests import secure

secure_router = SimpleRouter()
secure_router.register("authors", secure.GuardedAuthorViewSet, basename="guarded-author")
secure_router.register("publishers", secure.GuardedPublisherViewSet, basename="guarded-publisher")
secure_router.register("books", secure.LimitedBookViewSet, basename="limited-book")
secure_router.register("scoped-books", secure.ScopedBookViewSet, basename="scoped-book")

urlpatterns = [
    path("eager-explorer/", include("drf_eager.contrib.explorer")),
    path("eager-explorer-open/", include(explorer_urls(allow_without_debug=True))),
    path("secure/", include(secure_router.urls)),
    path("secure/author-defaults/", secure.GuardedDefaultsView.as_view()),
    path("zoo/", include("tests.zoo.urls")),
    path("tenancy/", include("tests.tenancy.urls")),
    path("eager-fields-style/", include("tests.eager_fields_style.urls")),
    path("", include("tests.urls_library")),
]
