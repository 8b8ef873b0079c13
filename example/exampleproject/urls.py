from __future__ import annotations

from django.apps import apps
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

# A browser asks for /favicon.ico on pages without an icon (the API's JSON): answered, so
# neither the console nor the server log reports a 404.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#2a5db0"/></svg>'
)

urlpatterns = [
    path("favicon.ico", lambda request: HttpResponse(FAVICON, content_type="image/svg+xml")),
    path("", include("shop.urls")),
    # Log in as the demo user (demo / demo) to be allowed the guarded extra `email`.
    path("login/", auth_views.LoginView.as_view(template_name="shop/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The shape explorer: DEBUG only (it answers 404 otherwise).
    path("eager/explorer/", include("drf_eager.contrib.explorer")),
]

if apps.is_installed("drf_spectacular"):
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    urlpatterns += [
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    ]
