"""The example requests the index page lists, and the function that runs them
in-process to show their status and the SQL queries they cost. The tests run them too.

They run through the shape explorer's `run_request()` (drf_eager.contrib.explorer): the
view is called directly, as the user of the page, so nothing is logged ("Bad Request") for
the examples that show errors, and links in the responses name the page's own host."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.test import RequestFactory

from drf_eager.contrib.explorer import run_request

from .models import Country, Customer, Order

EXPLORER = "/eager/explorer/"

#: The databases the SQL render (drf_eager.sql) serves a list on, by what the list holds.
#: It writes no decimal on SQLite, and datetimes in a time zone other than UTC (the test
#: suite's America/Chicago) on PostgreSQL only; a list with both is on DATETIMES.
EVERY_DATABASE = ("mysql", "postgresql", "sqlite")
DECIMALS = ("mysql", "postgresql")
DATETIMES = ("postgresql",)


@dataclass(frozen=True)
class Example:
    title: str
    url: str
    queries: int  # the exact number of SQL queries, whatever the number of rows
    status: int = 200
    body: dict[str, Any] | None = None
    action_route: bool = False  # served by an @action route of its ViewSet
    # The queries when the SQL render serves the list, where that differs (the paginator's
    # COUNT and one statement), and the databases it serves it on.
    rendered: int | None = None
    rendered_on: tuple[str, ...] = EVERY_DATABASE

    def rendered_queries(self, vendor: str) -> int:
        """The exact number of queries with the SQL render on, on a database of `vendor`
        (Django's `connection.vendor`)."""
        if self.rendered is None or vendor not in self.rendered_on:
            return self.queries
        return self.rendered


EXAMPLE_REQUESTS = [
    Example(
        "The README's first request: two to-many relations and a JOIN, 4 queries with the "
        "paginator's COUNT",
        "/api/customers/?extra=orders.article,countries"
        "&fields=name,orders(code,article.code),countries.name",
        4,
        rendered=2,
    ),
    Example("The default fields (paginated: COUNT + page)", "/api/customers/", 2),
    Example("A detail: one query", "/api/customers/{customer}/", 1),
    Example(
        "A detail with extras: the customer, then its orders JOINed with their articles",
        "/api/customers/{customer}/?extra=orders.article&fields=name,orders.code,orders.article.code",
        2,
    ),
    Example(
        "An extra: each customer's orders",
        "/api/customers/?extra=orders",
        3,
        rendered=2,
        rendered_on=DATETIMES,
    ),
    Example(
        "A nested extra: the article of each order is JOINed into the orders query",
        "/api/customers/?extra=orders.article",
        3,
        rendered=2,
        rendered_on=DATETIMES,
    ),
    Example(
        "Two to-many relations: one query each",
        "/api/customers/?extra=orders.article,countries",
        4,
        rendered=2,
        rendered_on=DATETIMES,
    ),
    Example(
        "fields with dotted paths: only these columns are selected",
        "/api/customers/?extra=orders.article,countries"
        "&fields=name,orders.code,orders.article.code,countries.name",
        4,
        rendered=2,
    ),
    Example(
        "A path in fields that names an extra requests it",
        "/api/customers/?fields=name,orders.code",
        3,
        rendered=2,
    ),
    Example(
        "The partial-response syntax a(b,c)",
        "/api/customers/?fields=name,orders(code,article(code,price))",
        3,
        rendered=2,
        rendered_on=DECIMALS,
    ),
    Example(
        "Forward relations, chained: JOINs, no query of their own",
        "/api/orders/?extra=article.customer,customer",
        2,
    ),
    Example(
        "A relation and its variant: one query each",
        "/api/customers/?extra=orders,last_10_orders",
        4,
    ),
    Example("exclude", "/api/articles/?exclude=id,price", 2),
    Example("exclude wins over fields", "/api/articles/?fields=code,name&exclude=name", 2),
    Example(
        "To-one relations are JOINs, chained",
        "/api/orders/?fields=code,article(code,customer.name),customer.name",
        2,
    ),
    Example("A reverse one-to-one is a JOIN too", "/api/customers/?extra=profile", 2),
    Example(
        "Two variants of one relation: all orders and the last 10 (sliced Prefetch)",
        "/api/customers/?fields=name,orders.code,last_10_orders(code,created_at)",
        4,
    ),
    Example(
        "A many-to-many seen from the other side, then a reverse foreign key",
        "/api/countries/?fields=name,customers(name,orders.code)",
        4,
        rendered=2,
    ),
    Example(
        "Detail view",
        "/api/customers/{customer}/?extra=orders.article,countries",
        3,
    ),
    Example(
        "An ordinary nested serializer and a dotted source, pruned and JOINed",
        "/api/order-details/?fields=code,article(code),customer_name",
        2,
    ),
    Example(
        "ViewSet defaults per action: the list counts each country's customers",
        "/api/regions/",
        1,
    ),
    Example(
        "ViewSet defaults per action: the retrieve adds the customers and their orders",
        "/api/regions/{country}/",
        3,
    ),
    Example(
        "An @action list route, shaped and loaded like the list",
        "/api/regions/newest/?extra=customers.orders&fields=name,customers(name,orders.code)",
        3,
        action_route=True,
    ),
    Example(
        "An @action detail route with a serializer of its own: the country (get_object()), "
        "its customers with their profile JOINed, their orders with their article JOINed",
        "/api/regions/{country}/customers/?extra=orders.article,profile"
        "&fields=name,orders(code,article.code),profile.vip",
        3,
        action_route=True,
    ),
    Example(
        "View defaults (serializer_extra, serializer_fields)",
        "/api/customer-summaries/",
        3,
        rendered=2,
    ),
    Example(
        "A query parameter replaces its view default: orders are pruned and not loaded",
        "/api/customer-summaries/?fields=name",
        2,
    ),
    Example(
        "A JSON body describes the whole shape",
        "/api/customers/",
        3,
        body={"fields": {"name": None, "orders": {"code": None, "created_at": {}}}},
        rendered=2,
        rendered_on=DATETIMES,
    ),
    Example(
        "The README's JSON body: orders JOINed with their articles",
        "/api/customers/",
        3,
        body={"fields": {"name": None, "orders": {"code": None, "article": {"code": None}}}},
        rendered=2,
    ),
    Example(
        "The prefetch plan of the grouped request below: the same document, one query more",
        "/api/customers/?fields=name,orders(code,created_at,article.code)",
        3,
        rendered=2,
        rendered_on=DATETIMES,
    ),
    Example(
        "The partial-response syntax with slashes and a star for every default field",
        "/api/orders/?fields=code,article/code,customer(*)",
        2,
    ),
    Example(
        "Computed fields: counts and an existence test, one subquery each, no extra query",
        "/api/customers/?fields=name,num_orders,num_countries,has_profile",
        2,
    ),
    Example(
        "A computed field below a to-one relation: the relation is prefetched to count",
        "/api/orders/?fields=code,article(code,num_orders)",
        3,
    ),
    Example(
        "A filtered relation beside the whole relation: one query each",
        "/api/customers/?fields=name,articles(code,price),expensive_articles(code,price)",
        4,
        rendered=2,
        rendered_on=DECIMALS,
    ),
    Example(
        "A property that declares what it reads (@requires): the customer is JOINed",
        "/api/articles/?fields=code,label",
        2,
    ),
    Example(
        "A view hook (@data_predicate) that runs only when its field is served",
        "/api/customer-summaries/?extra=last_order_at&fields=name,last_order_at",
        2,
    ),
    Example(
        "Grouped (the view's eager_grouped): the page of customers JOINed to their orders "
        "and each order's article, one query instead of two",
        "/api/customer-orders/",
        2,
    ),
    Example(
        "Grouped, with the orders filtered (?since=, in get_related_queryset): customers "
        "without a matching order are still listed, with no orders",
        "/api/customer-orders/?since=2024-12-01",
        2,
    ),
    Example(
        "Grouped, only the customers with a matching order: counted and paged as such",
        "/api/customer-orders/?since=2024-12-01&with_orders=1",
        2,
    ),
    Example(
        "Grouped in an extra (prefetch: Grouped(queryset)): the last 3 orders of each "
        "customer, newest first",
        "/api/customer-orders/?fields=name,recent_orders(code,created_at)",
        2,
    ),
    Example(
        "Unknown names: a 400 naming each bad path and what is allowed, before any query",
        "/api/customers/?extra=ordrs&fields=name,orders.cde",
        0,
        status=400,
    ),
    Example(
        "A permission-guarded extra: 403 for anonymous clients; log in as demo (password "
        "demo) and it is 200, in 2 queries",
        "/api/contacts/?extra=email",
        0,
        status=403,
    ),
    Example(
        "A syntax error: a 400 with the position",
        "/api/customers/?fields=name,,orders",
        0,
        status=400,
    ),
    Example(
        "Too deep: a 400 naming the limit",
        "/api/customers/?extra=orders.customer.orders.customer",
        0,
        status=400,
    ),
    Example(
        "A body larger than MAX_BODY_SIZE: a 413 before it is read",
        "/api/customers/",
        0,
        status=413,
        body={"fields": {"name": None, "padding": "x" * 20_000}},
    ),
]


def expand(url: str) -> str:
    """Fill the `{customer}`, `{order}` and `{country}` placeholders with existing
    primary keys."""
    if "{" not in url:
        return url
    customer = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    order = Order.objects.order_by("pk").values_list("pk", flat=True).first()
    country = Country.objects.order_by("pk").values_list("pk", flat=True).first()
    return url.format(customer=customer, order=order, country=country)


def _anonymous_request() -> HttpRequest:
    return RequestFactory().get("/")


def run(example: Example, request: HttpRequest | None = None) -> dict[str, Any]:
    """Send one example request in-process, as the user of `request` (anonymous when
    None); return its status, queries, SQL statements and data."""
    url = expand(example.url)
    body = json.dumps(example.body) if example.body is not None else None
    result = run_request(request or _anonymous_request(), url, body)
    result["example"] = example
    return result


def explorer_url(url: str, body: dict[str, Any] | None = None) -> str:
    """The explorer's page, opened on `url` (and the JSON `body`)."""
    params = {"url": url}
    if body is not None:
        params["body"] = json.dumps(body)
    return f"{EXPLORER}?{urlencode(params)}"


def run_examples(request: HttpRequest | None = None) -> list[dict[str, Any]]:
    results = []
    for example in EXAMPLE_REQUESTS:
        result = run(example, request)
        text = json.dumps(result["data"], indent=1)
        result["preview"] = text if len(text) < 600 else text[:600] + "\n…"
        body = json.dumps(example.body) if example.body else ""
        result["body_text"] = body if len(body) < 200 else body[:200] + "…"
        result["explore"] = explorer_url(result["url"], example.body)
        results.append(result)
    return results
