from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models

from drf_eager import requires


class Publisher(models.Model):
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=100, default="")

    class Meta:
        ordering = ["id"]


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=100, default="")
    publisher = models.ForeignKey(
        Publisher, null=True, on_delete=models.SET_NULL, related_name="authors"
    )

    class Meta:
        ordering = ["id"]

    @property
    def display_name(self) -> str:
        return f"{self.name} <{self.email}>"


class AuthorProfile(models.Model):
    author = models.OneToOneField(Author, on_delete=models.CASCADE, related_name="profile")
    bio = models.TextField(default="")
    website = models.CharField(max_length=200, default="")

    class Meta:
        ordering = ["id"]


class Tag(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["id"]


class Comment(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    text = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]


class Book(models.Model):
    title = models.CharField(max_length=200)
    isbn = models.CharField(max_length=20, default="")
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books", blank=True)
    comments = GenericRelation(Comment)

    class Meta:
        ordering = ["id"]

    @property
    @requires("title", "author.name")
    def label(self) -> str:
        return f"{self.title} by {self.author.name}"


class Chapter(models.Model):
    # No related_name: reached from Book as `chapter_set`.
    book = models.ForeignKey(Book, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)
    number = models.IntegerField(default=1)

    class Meta:
        ordering = ["id"]


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    rating = models.IntegerField()
    text = models.CharField(max_length=200, default="")

    class Meta:
        ordering = ["id"]


class Category(models.Model):
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta:
        ordering = ["id"]


class Place(models.Model):
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=100, default="")

    class Meta:
        ordering = ["id"]


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)
    owner = models.ForeignKey(
        Author, null=True, on_delete=models.SET_NULL, related_name="restaurants"
    )


class Passport(models.Model):
    # The accessor (`passport`) and the query name (`passport_q`) differ.
    author = models.OneToOneField(
        Author, on_delete=models.CASCADE, related_name="passport", related_query_name="passport_q"
    )
    number = models.CharField(max_length=20)

    class Meta:
        ordering = ["id"]


class Stamp(models.Model):
    passport = models.ForeignKey(Passport, on_delete=models.CASCADE, related_name="stamps")
    country = models.CharField(max_length=50)

    class Meta:
        ordering = ["id"]


class Award(models.Model):
    # Reached from Author as `award_set`; queried as `award_q`.
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_query_name="award_q")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["id"]
