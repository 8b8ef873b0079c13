"""Customers, their countries, articles and orders, as drf-eager-fields' example has them."""

from __future__ import annotations

from django.db import models


class Country(models.Model):
    name = models.CharField(max_length=20)

    class Meta:
        ordering = ["id"]


class Customer(models.Model):
    name = models.CharField(max_length=20)
    countries = models.ManyToManyField(Country, related_name="customers")

    class Meta:
        ordering = ["id"]

    @property
    def description(self):
        # Reads two relations: the serializer's extra prefetches them ("prefetch for
        # simple fields").
        countries = ", ".join(country.name for country in self.countries.all())
        articles = ", ".join(article.code for article in self.articles.all())
        return f"{self.name} in {countries or '-'}, selling {articles or '-'}"


class Article(models.Model):
    code = models.CharField(max_length=10, unique=True)
    description = models.CharField(max_length=50, null=True, blank=True)
    customer = models.ForeignKey(Customer, related_name="articles", on_delete=models.CASCADE)

    class Meta:
        ordering = ["id"]


class Order(models.Model):
    code = models.CharField(max_length=10, unique=True)
    created_at = models.DateTimeField()
    article = models.ForeignKey(Article, related_name="orders", on_delete=models.CASCADE)
    customer = models.ForeignKey(Customer, related_name="orders", on_delete=models.CASCADE)

    class Meta:
        ordering = ["id"]
