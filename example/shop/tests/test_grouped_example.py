"""The example's grouped endpoint (/api/customer-orders/) serves what the customers
endpoint serves for the same shape, with one query less."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shop.examples import DATETIMES
from shop.management.commands.seed_demo import seed
from shop.models import Customer, Order
from tests.conftest import planned

SHAPE = "name,orders(code,created_at,article.code)"


@pytest.fixture
def shop(db):
    seed(customers=30)


def get(url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(url, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def test_the_same_document_as_the_prefetch(shop):
    grouped, grouped_queries = get("/api/customer-orders/")
    expected, queries = get("/api/customers/", fields=SHAPE)
    assert grouped["results"] == expected["results"]
    # The SQL render (a SQL_RENDER=1 run) serves the prefetch's list where it writes
    # datetimes in the suite's time zone.
    rendered = 2 if connection.vendor in DATETIMES else 3
    assert (grouped_queries, queries) == (2, planned(3, rendered=rendered))


def test_the_children_filter_keeps_every_customer(shop):
    data, _ = get("/api/customer-orders/", since="2024-12-01")
    assert data["count"] == Customer.objects.count() == 30
    dates = [order["created_at"] for c in data["results"] for order in c["orders"]]
    assert dates and all(date >= "2024-12-01" for date in dates)
    assert any(not c["orders"] for c in data["results"])


def test_only_customers_with_matching_orders(shop):
    data, _ = get("/api/customer-orders/", since="2024-12-01", with_orders=1)
    matching = Order.objects.filter(created_at__gte="2024-12-01T00:00:00Z")
    assert data["count"] == matching.values("customer").distinct().count()
    assert 0 < data["count"] < 30
    assert all(c["orders"] for c in data["results"])


def test_a_bad_date_is_a_400(shop):
    response = Client().get("/api/customer-orders/", {"since": "soon"})
    assert response.status_code == 400
    assert response.json() == {"since": ["Expected a date such as 2024-12-01."]}


def test_a_grouped_extra(shop):
    data, queries = get("/api/customer-orders/", fields="name,recent_orders(code,created_at)")
    expected, _ = get("/api/customers/", fields="name,last_10_orders(code,created_at)")
    assert queries == 2
    assert [(c["name"], c["recent_orders"]) for c in data["results"]] == [
        (c["name"], c["last_10_orders"][:3]) for c in expected["results"]
    ]
