from __future__ import annotations

from django.urls import include, path

from . import api


def routes(variant):
    return [
        path("products/", variant.ProductList.as_view()),
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
        "categories/<int:category_pk>/products/<slug:slug>/",
        api.plain.ProductDetail.as_view(),
        name="existing-product-detail",
    ),
    path("plain/", include(routes(api.plain))),
    path("unplanned/", include(routes(api.unplanned))),
    path("eager/", include(routes(api.eager))),
]
