"""Models of the zoo: a music catalogue, with the model hooks real projects have."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models.signals import post_init


class Label(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]


class Artist(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=100, default="")
    plays = models.IntegerField(default=0)
    score = models.FloatField(default=0)
    fee = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    label = models.ForeignKey(
        Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="artists"
    )

    class Meta:
        ordering = ["id"]


class Album(models.Model):
    title = models.CharField(max_length=100)
    year = models.IntegerField(default=2000)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="albums")

    class Meta:
        ordering = ["id"]


class TrackManager(models.Manager["Track"]):
    # A default manager that defers a column, as projects do for large ones.
    def get_queryset(self) -> models.QuerySet[Track]:
        return super().get_queryset().defer("title")


class Track(models.Model):
    title = models.CharField(max_length=100)
    length = models.IntegerField(default=0)
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="tracks")

    objects = TrackManager()

    class Meta:
        ordering = ["id"]


class Song(models.Model):
    """Normalises its title when loaded, by from_db()."""

    title = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> Song:
        # **kwargs: Django 6.1 passes fetch_mode (RemovedInDjango2028Warning without it).
        instance = super().from_db(db, field_names, values, **kwargs)
        if "title" in instance.__dict__:
            instance.title = instance.title.strip().title()
        return instance


class Ticket(models.Model):
    """A UUID primary key, as many projects have, and a nullable UUID column."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    serial = models.UUIDField(null=True, blank=True)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="tickets")

    class Meta:
        ordering = ["id"]


class Seat(models.Model):
    """A foreign key to a UUID primary key."""

    number = models.IntegerField()
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="seats")

    class Meta:
        ordering = ["id"]


class Venue(models.Model):
    """Normalises its name when built, by a post_init receiver."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]


def _venue_initialised(sender: type[Venue], instance: Venue, **kwargs: Any) -> None:
    if "name" in instance.__dict__:
        instance.name = instance.name.upper()


def connect_receivers() -> None:
    post_init.connect(_venue_initialised, sender=Venue, dispatch_uid="zoo-venue")
