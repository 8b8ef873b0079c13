"""OpenAPI (drf_eager.contrib.spectacular) on the example API: the shape parameters of its
views, with every path they accept, and its extras as optional read-only properties.
The library's own schema tests are tests/contrib/test_spectacular.py."""

from __future__ import annotations

from typing import Any

import pytest

from drf_eager.contrib.spectacular import allowed_paths
from drf_eager.schema import get_schema
from shop import serializers as shop
from tests.contrib.test_spectacular import PARTS, enum, generate, parameters


@pytest.fixture(scope="module")
def example_schema() -> dict[str, Any]:
    return generate("exampleproject.urls")


def test_the_example_project(example_schema):
    schema = get_schema(shop.CustomerSerializer)
    for path in ("/api/customers/", "/api/customers/{id}/"):
        found = parameters(example_schema, path)
        for part in PARTS:
            assert enum(found[part]) == list(allowed_paths(schema, part, 3)), (path, part)
    assert "orders.article.customer" in enum(
        parameters(example_schema, "/api/customers/")["extra"]
    )
    for path, method in (("/api/customers/", "post"), ("/api/customers/{id}/", "put")):
        assert not set(parameters(example_schema, path, method)) & set(PARTS)
    # The view's defaults.
    found = parameters(example_schema, "/api/customer-summaries/")
    assert found["extra"]["schema"]["default"] == ["orders"]
    assert found["fields"]["schema"]["default"] == ["name", "orders.code"]
    # The paginator's parameters are still there.
    assert "page" in parameters(example_schema, "/api/customers/")


def test_example_components(example_schema):
    components = example_schema["components"]["schemas"]
    for component, serializer_class in (
        ("Customer", shop.CustomerSerializer),
        ("Order", shop.OrderSerializer),
        ("Article", shop.ArticleSerializer),
        ("Country", shop.CountrySerializer),
    ):
        schema = get_schema(serializer_class)
        extras = [name for name in schema.extra_fields if name not in schema.defaults]
        properties = components[component]["properties"]
        assert extras and set(extras) <= set(properties), component
        assert not set(extras) & set(components[component].get("required", [])), component
    assert components["Customer"]["properties"]["last_10_orders"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Order"},
        "readOnly": True,
    }
