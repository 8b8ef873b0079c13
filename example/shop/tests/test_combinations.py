"""Every combination of one or two extra paths (to depth 2) of the example API: the
query count equals the formula — 1 for the page, 1 for the paginator's COUNT, plus 1 per
to-many relation in the shape, and 1 per to-one relation whose shape has a computed
field — for 30 customers. The formula is computed here
from the models' metadata, independently of the planner. With the SQL render on, a list
it serves is the COUNT and one statement; one it refuses (a decimal on SQLite, a datetime
outside UTC, a sliced Prefetch, no fast plan...) follows the formula."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from rest_framework.serializers import ListSerializer

from drf_eager.computed import Computed
from drf_eager.schema import get_schema
from drf_eager.shape import build_request, resolve
from shop import serializers
from shop.management.commands.seed_demo import seed
from tests.conftest import planned

ENDPOINTS = {
    "customers": serializers.CustomerSerializer,
    "countries": serializers.CountrySerializer,
    "articles": serializers.ArticleSerializer,
    "orders": serializers.OrderSerializer,
}


def extra_paths(serializer_class, depth=2, prefix=""):
    schema = get_schema(serializer_class)
    for name, spec in schema.extras.items():
        path = f"{prefix}{name}"
        yield path
        if depth > 1 and spec.serializer is not None:
            yield from extra_paths(type(spec.serializer), depth - 1, f"{path}.")


def to_many(model, source):
    for field in model._meta.get_fields():
        names = {field.name}
        if isinstance(field, models.ForeignObjectRel):
            names = {field.get_accessor_name()}
        if source in names:
            return field.many_to_many or field.one_to_many, field.related_model
    raise AssertionError(f"{model.__name__} has no relation {source!r}")


def expected_queries(serializer_class, model, shape):
    """1 per to-many relation below this level, counted recursively."""
    count = 0
    schema = get_schema(serializer_class)
    for name, child in shape.children:
        field = schema.spec(name).field
        nested = field.child if isinstance(field, ListSerializer) else field
        many, related = to_many(model, field.source or name)
        # A to-one relation with a computed field is loaded by a query of its own,
        # which the computed field annotates.
        computes = any(
            isinstance(get_schema(type(nested)).spec(n).field, Computed) for n in child.fields
        )
        count += int(many or computes) + expected_queries(type(nested), related, child)
    return count


def cases():
    for endpoint, serializer_class in ENDPOINTS.items():
        paths = sorted(set(extra_paths(serializer_class)))
        for size in (1, 2):
            for combination in itertools.combinations(paths, size):
                yield pytest.param(
                    endpoint, ",".join(combination), id=f"{endpoint}?extra={','.join(combination)}"
                )


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed(customers=30)
        yield
        from shop.models import Article, Country, Customer, Order

        for model in (Order, Article, Customer, Country):
            model.objects.all().delete()


@pytest.mark.parametrize(("endpoint", "extra"), list(cases()))
def test_query_count_matches_the_formula(client, demo_data, endpoint, extra, db):
    serializer_class = ENDPOINTS[endpoint]
    shape = resolve(build_request(extra=extra), get_schema(serializer_class))
    expected = 2 + expected_queries(serializer_class, serializer_class.Meta.model, shape)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/{endpoint}/?extra={extra}")
    assert response.status_code == 200, response.json()
    # Which lists the render serves depends on the database: the view says whether it did.
    if response.renderer_context["view"].eager_state.sql_text is not None:
        expected = planned(expected, rendered=2)
    assert len(captured.captured_queries) == expected, "\n".join(
        q["sql"] for q in captured.captured_queries
    )
