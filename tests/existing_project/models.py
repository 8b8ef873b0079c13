"""An e-commerce catalogue and its orders. No model has Meta.ordering, as in many
projects; Option has an index that covers a pruned query of its rows."""

from __future__ import annotations

from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)


class AttributeType(models.Model):
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=20, blank=True)


class Product(models.Model):
    category = models.ForeignKey(Category, models.CASCADE, related_name="products")
    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    sku = models.CharField(max_length=40)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    is_public = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["is_public", "title"])]

    @property
    def display_title(self) -> str:
        # Reads two columns and declares nothing (no @requires).
        return f"{self.title} [{self.sku}]"


class ProductAttribute(models.Model):
    product = models.ForeignKey(Product, models.CASCADE, related_name="attributes")
    type = models.ForeignKey(AttributeType, models.CASCADE, related_name="+")
    value = models.CharField(max_length=100)


class ProductImage(models.Model):
    product = models.ForeignKey(Product, models.CASCADE, related_name="images")
    url = models.CharField(max_length=200)
    caption = models.CharField(max_length=200, blank=True)


class Option(models.Model):
    product = models.ForeignKey(Product, models.CASCADE, related_name="options")
    name = models.CharField(max_length=50)
    price_delta = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    available = models.BooleanField(default=True)

    class Meta:
        indexes = [
            # A query of (id, name, product_id) alone can be read from this index, in
            # its order: name, not the rows' order.
            models.Index(fields=["product", "name"]),
            # The foreign key's own index, which InnoDB would not create beside the
            # other: a product's options are read through it, in the rows' order.
            models.Index(fields=["product"], name="existing_option_product"),
        ]


class Address(models.Model):
    line1 = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2)


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True)
    customer = models.CharField(max_length=100)
    status = models.CharField(max_length=20)
    shipping_address = models.ForeignKey(Address, models.PROTECT, related_name="+")
    billing_address = models.ForeignKey(Address, models.PROTECT, related_name="+")


class OrderLine(models.Model):
    order = models.ForeignKey(Order, models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
