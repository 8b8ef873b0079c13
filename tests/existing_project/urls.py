"""The URLconf of the existing project's tests (their ROOT_URLCONF): kept out of the
suite's own, whose fuzzing would request these views without this project's data."""

from __future__ import annotations

from django.urls import include, path

from . import api


def routes(variant):
    return [
        path("products/", variant.ProductList.as_view()),
        path("ordered-products/", variant.OrderedProductList.as_view()),
        path("products/<slug:slug>/", variant.ProductDetail.as_view()),
        path("product-details/", variant.ProductDetailList.as_view()),
        path("product-cards/", variant.ProductCardList.as_view()),
        path("admin/products/", variant.AdminProductList.as_view()),
        path("orders/", variant.OrderList.as_view()),
        path("reports/categories/", variant.CategoryReport.as_view()),
    ]


urlpatterns = [
    # The products' links, the same in every variant's responses.
    path(
        "existing/categories/<int:category_pk>/products/<slug:slug>/",
        api.plain.ProductDetail.as_view(),
        name="existing-product-detail",
    ),
    path("existing/plain/", include(routes(api.plain))),
    path("existing/unplanned/", include(routes(api.unplanned))),
    path("existing/eager/", include(routes(api.eager))),
]
