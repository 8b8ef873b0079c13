"""The README's quick start runs as written: its serializers and views, executed against
the example's models (which have the quick start's fields, and more), serve its requests
with the responses and the query counts the README gives."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.pagination import PageNumberPagination
from rest_framework.test import APIRequestFactory

from shop.management.commands.seed_demo import seed
from shop.models import Article, Country, Customer, Order
from tests.conftest import planned

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def quick_start() -> dict[str, Any]:
    """The names the README's `# serializers.py` and `# views.py` blocks define."""
    namespace: dict[str, Any] = {
        "__name__": "readme_quick_start",
        "Article": Article,
        "Country": Country,
        "Customer": Customer,
        "Order": Order,
    }
    for name in ("serializers", "views"):
        block = re.search(rf"```python\n# {name}\.py\n(.*?)```", README, re.S)
        assert block, f"the README's quick start has no `# {name}.py` block"
        exec(block[1], namespace)  # noqa: S102 - the README's own code
    return namespace


@pytest.fixture
def readme(db):
    seed(customers=3)
    return quick_start()


def get(view, url: str, **kwargs: Any) -> tuple[Any, int]:
    request = APIRequestFactory().get(url)
    with CaptureQueriesContext(connection) as captured:
        response = view(request, **kwargs)
        response.render()
    assert response.status_code == 200, response.data
    return response.data, len(captured)


def test_the_default_shape(readme):
    customer = Customer.objects.order_by("pk").first()
    view = readme["CustomerViewSet"].as_view({"get": "retrieve"})
    data, queries = get(view, f"/api/customers/{customer.pk}/", pk=customer.pk)
    assert (data, queries) == ({"id": customer.pk, "name": "Mario 0"}, 1)


def test_extras_and_fields_at_any_depth(readme):
    customer = Customer.objects.order_by("pk").first()
    view = readme["CustomerViewSet"].as_view({"get": "retrieve"})
    url = (
        f"/api/customers/{customer.pk}/"
        "?extra=orders.article&fields=name,orders.code,orders.article.code"
    )
    data, queries = get(view, url, pk=customer.pk)
    assert queries == 2
    assert data["name"] == "Mario 0"
    assert data["orders"][0] == {"code": "O00000", "article": {"code": "A0000"}}
    assert len(data["orders"]) == Order.objects.filter(customer=customer).count()


def test_the_first_request_is_four_queries_with_the_settings_pagination(readme):
    """The README's settings paginate by PageNumberPagination: the COUNT, the page, the
    orders JOINed with their articles, the countries (with the SQL render on, the COUNT
    and one statement)."""

    class Page(PageNumberPagination):
        page_size = 20  # the README's PAGE_SIZE

    class Paginated(readme["CustomerViewSet"]):
        pagination_class = Page

    view = Paginated.as_view({"get": "list"})
    url = (
        "/api/customers/?extra=orders.article,countries"
        "&fields=name,orders(code,article.code),countries.name"
    )
    data, queries = get(view, url)
    assert queries == planned(4, rendered=2)
    assert data["count"] == 3
    first = data["results"][0]
    assert set(first) == {"name", "orders", "countries"}
    assert first["orders"][0] == {"code": "O00000", "article": {"code": "A0000"}}
    assert set(first["countries"][0]) == {"name"}


def test_the_variant_is_newest_first(readme):
    customer = Customer.objects.order_by("pk").first()
    view = readme["CustomerViewSet"].as_view({"get": "retrieve"})
    url = f"/api/customers/{customer.pk}/?fields=orders.created_at,last_orders.created_at"
    data, queries = get(view, url, pk=customer.pk)
    assert queries == 3
    dates = [order["created_at"] for order in data["orders"]]
    assert [order["created_at"] for order in data["last_orders"]] == sorted(dates, reverse=True)
