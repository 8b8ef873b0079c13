"""The domain of drf-eager-fields' README: countries, customers, articles, orders."""

from __future__ import annotations

from django.db import models

from drf_eager import requires


class Country(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=100)
    # Private: served only as an extra guarded by a permission (CustomerSerializer).
    email = models.EmailField(blank=True, default="")
    countries = models.ManyToManyField(Country, related_name="customers", blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CustomerProfile(models.Model):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="profile")
    vip = models.BooleanField(default=False)
    notes = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"profile of {self.customer_id}"


class Article(models.Model):
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="articles")

    class Meta:
        ordering = ["id"]

    @property
    @requires("code", "customer.name")
    def label(self) -> str:
        return f"{self.code} ({self.customer.name})"

    def __str__(self) -> str:
        return self.code


class ActiveOrderManager(models.Manager["Order"]):
    """Soft delete: the default manager hides deleted orders, here and nested."""

    def get_queryset(self) -> models.QuerySet[Order]:
        return super().get_queryset().filter(deleted=False)


class Order(models.Model):
    code = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="orders")
    deleted = models.BooleanField(default=False)

    objects = ActiveOrderManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code
