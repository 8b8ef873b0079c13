"""The rows of drf-eager-fields' README: Willy sells TNT, Mario sells PIZZA."""

from __future__ import annotations

import datetime

from django.core.management.color import no_style
from django.db import connection

from . import models

START = datetime.datetime(2020, 11, 29, 20, 4, 53, tzinfo=datetime.timezone.utc)


def build_readme() -> None:
    """Two customers, two countries, one article each and three orders per article,
    with the README's ids on every database (the sequences are moved past them)."""
    usa = models.Country.objects.create(id=1, name="USA")
    italy = models.Country.objects.create(id=2, name="Italy")
    willy = models.Customer.objects.create(id=1, name="Willy")
    willy.countries.set([usa])
    mario = models.Customer.objects.create(id=2, name="Mario")
    mario.countries.set([usa, italy])
    for number, (code, customer) in enumerate([("TNT", willy), ("PIZZA", mario)]):
        article = models.Article.objects.create(id=number + 1, code=code, customer=customer)
        for day in range(3):
            models.Order.objects.create(
                id=number * 3 + day + 1,
                code=f"{code[:2]}{day}",
                created_at=START + datetime.timedelta(days=day, hours=number),
                article=article,
                customer=mario if day else willy,
            )
    tables = [models.Country, models.Customer, models.Article, models.Order]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), tables):
            cursor.execute(sql)


def build_more(count: int) -> None:
    """`count` more customers, each with a country, an article and two orders."""
    for i in range(count):
        country = models.Country.objects.create(name=f"C{i}")
        customer = models.Customer.objects.create(name=f"more{i}")
        customer.countries.set([country])
        article = models.Article.objects.create(code=f"M{i}", customer=customer)
        for day in range(2):
            models.Order.objects.create(
                code=f"M{i}-{day}",
                created_at=START + datetime.timedelta(days=day),
                article=article,
                customer=customer,
            )
