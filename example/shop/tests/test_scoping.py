"""Nested data is scoped as the root is: soft-deleted orders (the default manager
hides them) appear for no path the example API allows, at any depth."""

from __future__ import annotations

import pytest
from django.test import Client

from drf_eager.parsing import format_tree
from drf_eager.schema import get_schema
from shop import views
from shop.management.commands.seed_demo import seed
from shop.models import Order

ENDPOINTS = [
    ("/api/countries/", views.CountryViewSet),
    ("/api/customers/", views.CustomerViewSet),
    ("/api/articles/", views.ArticleViewSet),
    ("/api/orders/", views.OrderViewSet),
    ("/api/order-details/", views.OrderDetailViewSet),
    ("/api/customer-summaries/", views.CustomerSummaryView),
    ("/api/customer-orders/", views.CustomerOrdersView),
]


def every_relation(schema, depth):
    """The tree of every nested field (default or extra) `depth` levels down."""
    tree = {}
    if depth == 0:
        return tree
    for name in (*schema.default_fields, *schema.extra_fields):
        child = schema.nested(name)
        if child is not None:
            tree[name] = every_relation(child, depth - 1)
    return tree


@pytest.fixture
def shop(db, settings):
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_PATHS": None, "MAX_PARAM_LENGTH": None}
    seed(customers=8)
    assert Order.all_objects.filter(deleted=True).count() == 2
    return Order.all_objects.filter(deleted=True)


@pytest.mark.parametrize(("url", "view"), ENDPOINTS, ids=[url for url, _ in ENDPOINTS])
def test_deleted_rows_appear_for_no_path(shop, url, view):
    tree = every_relation(get_schema(view.serializer_class), 3)
    assert tree, "every endpoint reaches some relation"
    client = Client()
    response = client.get(url, {"extra": format_tree(tree), "page_size": 100})
    assert response.status_code == 200, response.content
    assert b"DELETED" not in response.content
    # The same shape on one row, through the detail route where there is one.
    results = response.json()["results"]
    if hasattr(view, "retrieve") and results:
        detail = client.get(f"{url}{results[0]['id']}/", {"extra": format_tree(tree)})
        assert detail.status_code == 200
        assert b"DELETED" not in detail.content


def test_a_deleted_order_is_not_found_by_its_own_route(shop):
    order = shop.first()
    assert Client().get(f"/api/orders/{order.pk}/").status_code == 404


def test_the_shape_with_everything_reaches_the_deleted_orders_customers(shop):
    # The canary customers themselves are served, with their live orders only.
    customer = shop.first().customer
    data = Client().get(f"/api/customers/{customer.pk}/", {"extra": "orders"}).json()
    codes = [order["code"] for order in data["orders"]]
    assert codes == list(
        Order.objects.filter(customer=customer).order_by("id").values_list("code", flat=True)
    )
    assert len(codes) == 7
