"""The rows of drf-eager-fields' README: Willy sells TNT, Mario sells PIZZA."""

from __future__ import annotations

import datetime

from . import models

START = datetime.datetime(2020, 11, 29, 20, 4, 53, tzinfo=datetime.timezone.utc)


def build_readme() -> None:
    """Two customers, two countries, one article each and three orders per article."""
    usa = models.Country.objects.create(name="USA")
    italy = models.Country.objects.create(name="Italy")
    willy = models.Customer.objects.create(name="Willy")
    willy.countries.set([usa])
    mario = models.Customer.objects.create(name="Mario")
    mario.countries.set([usa, italy])
    for number, (code, customer) in enumerate([("TNT", willy), ("PIZZA", mario)]):
        article = models.Article.objects.create(code=code, customer=customer)
        for day in range(3):
            models.Order.objects.create(
                code=f"{code[:2]}{day}",
                created_at=START + datetime.timedelta(days=day, hours=number),
                article=article,
                customer=mario if day else willy,
            )


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
