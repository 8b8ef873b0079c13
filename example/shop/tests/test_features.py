"""What the neighbouring designs offer, in the example API: the partial-response
syntax, data predicates, computed fields, requires and filtered relations — each
with its response and its exact query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.fields import DateTimeField

from shop.examples import DECIMALS
from shop.management.commands.seed_demo import seed
from shop.models import Article, Country, Customer, Order
from tests.conftest import planned


@pytest.fixture
def shop(db):
    seed(customers=6)


def get(url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(url, params)
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in queries]


# ----------------------------------------------------------- partial-response syntax


def test_slashes_parentheses_and_dots_mix(shop):
    data, sql = get("/api/orders/", fields="code,article/code,customer(name)", page_size=3)
    assert len(sql) == 2  # COUNT, then the page with both relations JOINed
    order = Order.objects.select_related("article", "customer").order_by("id").first()
    assert data["results"][0] == {
        "code": order.code,
        "article": {"code": order.article.code},
        "customer": {"name": order.customer.name},
    }


def test_a_star_keeps_every_default_field_of_its_level(shop):
    data, sql = get("/api/orders/", fields="code,article(*)")
    assert len(sql) == 2
    article = Order.objects.order_by("id").first().article
    assert data["results"][0]["article"] == {
        "id": article.id,
        "code": article.code,
        "name": article.name,
        "price": str(article.price),
    }


# ------------------------------------------------------------------ data predicates


def test_a_data_predicate_runs_only_when_its_path_is_served(shop):
    data, sql = get("/api/customer-summaries/", extra="last_order_at", fields="name,last_order_at")
    assert len(sql) == 2  # the annotation is a subquery of the page's query
    customer = Customer.objects.order_by("id").first()
    last = Order.objects.filter(customer=customer).order_by("-created_at").first()
    assert data["results"][0] == {
        "name": customer.name,
        "last_order_at": DateTimeField().to_representation(last.created_at),
    }
    _, sql = get("/api/customer-summaries/")
    assert not any("created_at" in query for query in sql[:2])


# ------------------------------------------------------------------ computed fields


def test_counts_of_two_to_many_relations_are_right_and_keep_the_page_count(shop):
    data, sql = get("/api/customers/", fields="name,num_orders,num_countries,has_profile")
    assert len(sql) == 2
    assert data["count"] == Customer.objects.count() == 6
    for row, customer in zip(data["results"], Customer.objects.order_by("id"), strict=True):
        assert row == {
            "name": customer.name,
            # Soft-deleted orders are not counted: the count uses the default manager.
            "num_orders": Order.objects.filter(customer=customer).count(),
            "num_countries": customer.countries.count(),
            "has_profile": hasattr(customer, "profile"),
        }
    assert {row["num_orders"] for row in data["results"]} == {7}
    assert {row["has_profile"] for row in data["results"]} == {True, False}


def test_a_computed_field_in_a_prefetched_level(shop):
    data, sql = get("/api/customers/", fields="name,articles(code,num_orders)")
    assert len(sql) == 3  # COUNT, customers, articles with their count
    articles = data["results"][0]["articles"]
    assert articles == [
        {"code": a.code, "num_orders": Order.objects.filter(article=a).count()}
        for a in Article.objects.filter(customer=Customer.objects.order_by("id")[0])
    ]


def test_a_computed_field_below_a_to_one_relation(shop):
    # The article is prefetched (one query) instead of JOINed, so the count can
    # annotate its query; `label` JOINs nothing on top of it.
    data, sql = get("/api/orders/", fields="code,article(code,num_orders,label)", page_size=5)
    assert len(sql) == 3
    for row in data["results"]:
        article = Article.objects.select_related("customer").get(code=row["article"]["code"])
        assert row["article"] == {
            "code": article.code,
            "num_orders": Order.objects.filter(article=article).count(),
            "label": f"{article.code} ({article.customer.name})",
        }


def test_a_count_over_a_reverse_many_to_many(shop):
    data, sql = get("/api/countries/", extra="num_customers")
    assert len(sql) == 2
    assert [row["num_customers"] for row in data["results"]] == [
        country.customers.count() for country in Country.objects.order_by("id")
    ]


# ------------------------------------------------------------------------- requires


def test_a_property_loads_what_it_declares(shop):
    data, sql = get("/api/articles/", fields="label", page_size=2)
    assert len(sql) == 2  # the customer's name is JOINed for the label
    article = Article.objects.order_by("id").first()
    assert data["results"][0] == {"label": f"{article.code} ({article.customer.name})"}


# ---------------------------------------------------------------- filtered relations


def test_a_filtered_relation_is_one_query_beside_the_whole_relation(shop):
    data, sql = get("/api/customers/", fields="name,articles(price),expensive_articles(price)")
    # COUNT, customers, articles, expensive articles; or COUNT and the SQL render's statement
    # (a SQL_RENDER=1 run), where it writes decimals.
    assert len(sql) == planned(4, rendered=2 if connection.vendor in DECIMALS else 4)
    for row, customer in zip(data["results"], Customer.objects.order_by("id"), strict=True):
        prices = [str(a.price) for a in customer.articles.order_by("id")]
        assert [a["price"] for a in row["articles"]] == prices
        assert [a["price"] for a in row["expensive_articles"]] == [
            price for price in prices if float(price) >= 50
        ]
