"""The fuzzer of tests/security/test_fuzz.py on the example API: its random query
parameters, GET bodies and refused writes never give a 5xx, a valid shape costs as many
queries for 2 customers as for 5, and (tests/fast/test_views.py's property) the fast path
serves each generated shape with the DRF path's bytes. The tests are the library's,
collected again here with this module's `fuzz_data`: the example's endpoints and rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import get_resolver

from shop import models as shop
from tests.fast.test_views import (  # noqa: F401 - tests collected with this module's fixture
    test_generated_shapes_are_the_same_on_both_paths,
)
from tests.security.test_fuzz import (  # noqa: F401 - tests collected with this module's fixture
    DELETED,
    Endpoint,
    FuzzData,
    _eager_routes,
    make_fuzz_data,
    test_a_refused_write_with_a_shape_changes_nothing,
    test_query_count_does_not_depend_on_the_number_of_rows,
    test_random_get_bodies_never_give_a_5xx,
    test_random_query_parameters_never_give_a_5xx,
)


def build_shop(customers: int) -> None:
    """`customers` customers, each in every country of this batch (one per customer), with
    a profile, two articles and an order of each (and a soft-deleted order): every relation
    of the example API is non-empty at every level, so the planned queries all run
    whatever the batch size."""
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    countries = [shop.Country.objects.create(name=f"country{i}") for i in range(customers)]
    for i in range(customers):
        customer = shop.Customer.objects.create(name=f"customer{i}")
        customer.countries.set(countries)
        shop.CustomerProfile.objects.create(customer=customer, vip=bool(i % 2), notes=f"n{i}")
        for j in range(2):
            article = shop.Article.objects.create(
                code=f"A{i}{j}", name=f"article{i}-{j}", price=Decimal("1.50"), customer=customer
            )
            shop.Order.objects.create(
                code=f"O{i}{j}",
                created_at=start + datetime.timedelta(days=i, hours=j),
                customer=customer,
                article=article,
            )
        # Soft-deleted: the default manager hides it at every level.
        shop.Order.all_objects.create(
            code=DELETED, created_at=start, customer=customer, article=article, deleted=True
        )


ENDPOINTS = [
    Endpoint("/api/countries/", shop.Country, more_rows=build_shop),
    Endpoint("/api/customers/", shop.Customer, more_rows=build_shop),
    Endpoint("/api/articles/", shop.Article, more_rows=build_shop),
    Endpoint("/api/orders/", shop.Order, more_rows=build_shop),
    Endpoint("/api/order-details/", shop.Order, more_rows=build_shop),
    Endpoint("/api/customer-summaries/", None, router=False, more_rows=build_shop),
    Endpoint("/api/customer-orders/", None, router=False, more_rows=build_shop),
    Endpoint("/api/regions/", shop.Country, more_rows=build_shop),
    # `email`: logged-in users only.
    Endpoint("/api/contacts/", shop.Customer, open=False, more_rows=build_shop),
]


@pytest.fixture
def fuzz_data(db, settings) -> FuzzData:
    """Two customers with all their rows (built once per test function, not per example);
    lists are served by the DRF path, as in the library's fuzzing."""
    settings.DRF_EAGER = {**settings.DRF_EAGER, "FAST_PATH": False}
    build_shop(2)
    return make_fuzz_data(ENDPOINTS)


def test_every_eager_endpoint_of_the_example_is_fuzzed():
    """A view added to the example's URLconf without being added to ENDPOINTS fails here."""
    covered = {(endpoint.view_class, False) for endpoint in ENDPOINTS}
    covered |= {endpoint.detail_route for endpoint in ENDPOINTS if endpoint.model}
    assert _eager_routes(get_resolver().url_patterns) == covered
