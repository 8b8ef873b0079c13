"""A list of many parents (issue: 50,000 customers with two to-many relations and a
forward foreign key) in a fixed number of queries. Opt-in, as it takes a while:

    DRF_EAGER_LARGE=50000 DB=postgres python -m pytest tests/planner/test_large.py -s

The customers, countries, articles and orders are tests/eager_fields_style's (the
example's, as drf-eager-fields has them); the prefetched to-one is the library's.
"""

from __future__ import annotations

import datetime
import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from drf_eager import CountOf, EagerFieldsModelSerializer, classproperty, prepare
from tests import models
from tests.eager_fields_style.models import Article, Country, Customer, Order
from tests.eager_fields_style.serializers import CustomerSerializer

SIZE = int(os.environ.get("DRF_EAGER_LARGE", "0"))

pytestmark = pytest.mark.skipif(not SIZE, reason="set DRF_EAGER_LARGE to a number of customers")


def test_many_parents(transactional_db):
    countries = Country.objects.bulk_create(Country(name=f"c{i}") for i in range(20))
    Customer.objects.bulk_create((Customer(name=f"n{i}") for i in range(SIZE)), batch_size=5000)
    customers = list(Customer.objects.values_list("pk", flat=True))
    through = Customer.countries.through
    through.objects.bulk_create(
        (through(customer_id=pk, country_id=countries[pk % 20].pk) for pk in customers),
        batch_size=5000,
    )
    articles = Article.objects.bulk_create(
        (Article(code=f"A{i}", customer_id=customers[i]) for i in range(100)),
    )
    when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    Order.objects.bulk_create(
        (
            Order(code=f"O{pk}-{n}", created_at=when, customer_id=pk, article=articles[pk % 100])
            for pk in customers
            for n in range(2)
        ),
        batch_size=5000,
    )
    queryset, context = prepare(
        CustomerSerializer,
        Customer.objects.all(),
        fields="name,orders(code,article.code),countries.name",
    )
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        data = CustomerSerializer(queryset, many=True, context=context).data
    elapsed = time.perf_counter() - start
    print(f"\n{SIZE} customers on {connection.vendor}: {len(queries)} queries, {elapsed:.1f} s")
    assert len(queries) == 3
    assert len(data) == SIZE
    assert sum(len(row["orders"]) for row in data) == 2 * SIZE
    assert data[0]["orders"][0]["article"]["code"].startswith("A")


class CountedAuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["name"]

    extra = {"num_books": {"field": CountOf("books")}}


class BookSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["title"]

    @classproperty
    def extra(cls):
        return {"author": {"field": CountedAuthorSerializer()}}


@pytest.mark.xfail(
    condition=SIZE > 1000 and os.environ.get("DB", "sqlite") == "sqlite",
    reason="Django 5.2 prefetches a forward foreign key on SQLite with one OR term per id: "
    "past ~1,000 distinct ids SQLite refuses the expression tree",
    strict=True,
)
def test_many_parents_of_a_prefetched_to_one(transactional_db):
    # The author is prefetched (its computed field annotates its own query), by
    # the ids of thousands of distinct authors.
    models.Author.objects.bulk_create(
        (models.Author(name=f"a{i}") for i in range(SIZE)), batch_size=5000
    )
    models.Book.objects.bulk_create(
        (
            models.Book(title=f"b{pk}", author_id=pk)
            for pk in models.Author.objects.values_list("pk", flat=True)
        ),
        batch_size=5000,
    )
    queryset, context = prepare(
        BookSerializer, models.Book.objects.all(), fields="title,author(name,num_books)"
    )
    with CaptureQueriesContext(connection) as queries:
        data = BookSerializer(queryset, many=True, context=context).data
    assert len(queries) == 2
    assert len(data) == SIZE
    assert {row["author"]["num_books"] for row in data} == {1}
