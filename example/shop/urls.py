from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("countries", views.CountryViewSet)
router.register("customers", views.CustomerViewSet)
router.register("articles", views.ArticleViewSet)
router.register("orders", views.OrderViewSet)
router.register("order-details", views.OrderDetailViewSet, basename="order-detail")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("regions", views.CountryViewSetWithRoutes, basename="region")

urlpatterns = [
    path("", views.index, name="index"),
    path("api/", include(router.urls)),
    path("api/customer-summaries/", views.CustomerSummaryView.as_view()),
    path("api/customer-orders/", views.CustomerOrdersView.as_view()),
]
