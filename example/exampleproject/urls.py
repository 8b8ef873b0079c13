from __future__ import annotations

from django.apps import apps
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
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
