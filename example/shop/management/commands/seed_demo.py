"""Create deterministic demo data: countries, customers, profiles, articles, orders."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from shop.models import Article, Country, Customer, CustomerProfile, Order

COUNTRIES = [
    "Italy",
    "France",
    "Spain",
    "Germany",
    "Portugal",
    "Greece",
    "Austria",
    "Belgium",
    "Ireland",
    "Norway",
]
DEMO_USER = DEMO_PASSWORD = "demo"
NAMES = ["Mario", "Luigi", "Anna", "Marta", "Paolo", "Chiara", "Jean", "Lucia", "Hans", "Eva"]


def seed(
    customers: int = 60, articles_per_customer: int = 2, orders_per_customer: int = 7
) -> None:
    """Every customer gets 1 to 3 countries, articles and orders; every third a profile;
    every fourth a soft-deleted order."""
    rng = random.Random(42)
    countries = Country.objects.bulk_create(Country(name=name) for name in COUNTRIES)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    for i in range(customers):
        first = NAMES[i % len(NAMES)]
        customer = Customer.objects.create(
            name=f"{first} {i}", email=f"{first.lower()}{i}@example.com"
        )
        customer.countries.set(rng.sample(countries, rng.randint(1, 3)))
        if i % 3 == 0:
            CustomerProfile.objects.create(customer=customer, vip=i % 2 == 0, notes=f"n{i}")
        articles = Article.objects.bulk_create(
            Article(
                code=f"A{i:03d}{j}",
                name=f"Article {i}-{j}",
                customer=customer,
                price=Decimal(rng.randint(100, 9999)) / 100,
            )
            for j in range(articles_per_customer)
        )
        Order.objects.bulk_create(
            Order(
                code=f"O{i:03d}{j:02d}",
                customer=customer,
                article=rng.choice(articles),
                created_at=start + datetime.timedelta(hours=rng.randint(0, 24 * 365)),
            )
            for j in range(orders_per_customer)
        )
        if i % 4 == 0:  # soft-deleted: the API never shows it, at any depth
            Order.objects.create(
                code=f"DELETED{i:03d}",
                customer=customer,
                article=articles[0],
                created_at=start + datetime.timedelta(days=400),
                deleted=True,
            )


class Command(BaseCommand):
    help = "Create the demo data (once; --reset wipes it first)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete all data first.")
        parser.add_argument("--customers", type=int, default=60)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        # The demo user: logged in, it may ask for the guarded extra `email`.
        user_model = get_user_model()
        if not user_model._default_manager.filter(username=DEMO_USER).exists():
            user_model._default_manager.create_user(DEMO_USER, password=DEMO_PASSWORD)
        if options["reset"]:
            Order.all_objects.all().delete()
            for model in (Article, CustomerProfile, Customer, Country):
                model.objects.all().delete()
        if Customer.objects.exists():
            self.stdout.write("Demo data already there (use --reset to recreate it).")
            return
        seed(customers=options["customers"])
        self.stdout.write(
            f"Created {Country.objects.count()} countries, {Customer.objects.count()} customers, "
            f"{Article.objects.count()} articles, {Order.objects.count()} orders."
        )
