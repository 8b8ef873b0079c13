"""Every example request of the index page: its status and its exact query count,
the same for 3 customers and for 60 (with the SQL render on, its `rendered` count where
the render serves the list)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils.html import escape

from shop.examples import EXAMPLE_REQUESTS, expand, explorer_url, run
from shop.management.commands.seed_demo import seed
from shop.models import Customer
from tests.conftest import planned


@pytest.fixture(params=[3, 60], ids=["3customers", "60customers"])
def demo_data(request, db):
    seed(customers=request.param)
    return request.param


@pytest.mark.parametrize("example", EXAMPLE_REQUESTS, ids=lambda e: e.url)
def test_example_request(example, demo_data):
    result = run(example)
    assert result["status"] == example.status, result["data"]
    expected = planned(example.queries, rendered=example.rendered_queries(connection.vendor))
    assert result["queries"] == expected, "\n".join(result["sql"])


def test_shapes(db):
    seed(customers=3)
    customer = Customer.objects.order_by("pk").first()
    example = next(e for e in EXAMPLE_REQUESTS if "{customer}" in e.url and "countries" in e.url)
    data = run(example)["data"]
    assert data["id"] == customer.pk
    assert set(data) == {"id", "name", "orders", "countries"}
    assert set(data["orders"][0]) == {"id", "code", "created_at", "article"}
    assert set(data["orders"][0]["article"]) == {"id", "code", "name", "price"}

    bad = next(e for e in EXAMPLE_REQUESTS if "ordrs" in e.url)
    assert run(bad)["data"] == {
        "extra": [
            "Unknown field 'ordrs'. Allowed: articles, countries, expensive_articles, "
            "has_profile, last_10_orders, num_countries, num_orders, orders, profile."
        ],
        "fields": [
            "Unknown field 'cde' at 'orders'. Allowed: *, article, code, created_at, customer, id."
        ],
    }

    variants = next(e for e in EXAMPLE_REQUESTS if "last_10_orders" in e.url)
    customers = run(variants)["data"]["results"]
    assert len(customers[0]["orders"]) == 7
    dates = [order["created_at"] for order in customers[0]["last_10_orders"]]
    assert len(dates) == 7 and dates == sorted(dates, reverse=True)


def test_last_10_orders_is_a_per_parent_limit(db):
    seed(customers=2, orders_per_customer=12)
    data = run(next(e for e in EXAMPLE_REQUESTS if "last_10_orders" in e.url))["data"]
    assert [len(c["last_10_orders"]) for c in data["results"]] == [10, 10]
    assert [len(c["orders"]) for c in data["results"]] == [12, 12]


def test_the_guarded_extra_for_the_demo_user(db):
    """Issue 16.2: anonymous, `email` is a 403 before any query; as the demo user, the
    same request is a 200 in 2 queries (COUNT + page), for 3 customers and for 12."""
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    example = next(e for e in EXAMPLE_REQUESTS if "email" in e.url)
    call_command("seed_demo", customers=3)
    assert run(example)["status"] == 403
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="demo")
    for customers in (3, 12):
        call_command("seed_demo", "--reset", customers=customers)
        result = run(example, request)
        assert (result["status"], result["queries"]) == (200, 2), result["data"]
        assert result["data"]["results"][0] == {
            "id": Customer.objects.order_by("pk")[0].pk,
            "name": "Mario 0",
            "email": "mario0@example.com",
        }
        assert result["path"] == "fast (values_list() rows, drf_eager.fast)"


def test_index_page(client, db, caplog):
    """Issue 16.2: the previews' links name the page's own host, and rendering the
    examples that show errors logs nothing ("Bad Request", "Request Entity Too Large")."""
    seed(customers=25)  # two pages: the previews hold `next` links
    with caplog.at_level("INFO"):
        response = client.get("/", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    html = response.content.decode()
    for example in EXAMPLE_REQUESTS:
        assert escape(example.title) in html
    assert "testserver" not in html
    assert "http://127.0.0.1:8000/api/customers/?" in html  # a `next` link
    assert [record.getMessage() for record in caplog.records] == []
    # Every example, the JSON-body ones too, can be sent from the explorer.
    for example in EXAMPLE_REQUESTS:
        assert escape(explorer_url(expand(example.url), example.body)) in html


def test_seed_demo_command(db):
    call_command("seed_demo", customers=4)
    assert Customer.objects.count() == 4
    call_command("seed_demo")  # idempotent
    assert Customer.objects.count() == 4
    call_command("seed_demo", "--reset", customers=5)
    assert Customer.objects.count() == 5
