"""Serializers as real projects write them: overrides in base classes, plain nested
serializers with code of their own, request-dependent fields, DRF's other field kinds."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from rest_framework import serializers

from drf_eager import EagerFieldsModelSerializer, EagerFieldsSerializerMixin, classproperty

from . import models


class LabelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = models.Label
        fields = ["id", "name"]


class ShoutingLabelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A plain nested serializer (no mixin) with its own to_representation()."""

    class Meta:
        model = models.Label
        fields = ["id", "name"]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["name"] = data["name"].upper()  # reads a key a shape could prune
        return data


class StaffLabelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A plain nested serializer whose fields depend on the request."""

    class Meta:
        model = models.Label
        fields = ["id", "name"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if not getattr(getattr(request, "user", None), "is_staff", False):
            fields.pop("name")
        return fields


class ArtistNameSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """Another view of the same row (source='*'), upper-casing the name."""

    class Meta:
        model = models.Artist
        fields = ["name"]

    def to_representation(self, instance: Any) -> Any:
        return {"name": instance.name.upper()}


class FallbackField(serializers.CharField):
    """A field whose default is computed (through a null foreign key it is used)."""

    def get_default(self) -> Any:
        return "no label"


class DoublingField(serializers.IntegerField):
    """A field subclass that calls super() and changes the value."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) * 2


class ArtistSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Artist
        fields = ["id", "name", "plays", "score", "fee"]

    @classproperty
    def extra(cls) -> dict[str, Any]:
        return {
            "label": {"field": LabelSerializer(allow_null=True), "prefetch": True},
            "shouting_label": {
                "field": ShoutingLabelSerializer(source="label", allow_null=True),
                "prefetch": True,
            },
            "staff_label": {
                "field": StaffLabelSerializer(source="label", allow_null=True),
                "prefetch": True,
            },
            "loud": {"field": ArtistNameSerializer(source="*")},
            "label_name": {
                "field": FallbackField(source="label.name", default="none", read_only=True)
            },
            "double_plays": {"field": DoublingField(source="plays", read_only=True)},
            "albums": {"field": AlbumSerializer(many=True), "prefetch": True},
            "email": {"field": serializers.CharField(read_only=True)},
        }


class EnvelopeBase(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A project's base class adding a key to every object."""

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["kind"] = "artist"
        return data


class EnvelopeArtistSerializer(EagerFieldsSerializerMixin, EnvelopeBase):
    class Meta:
        model = models.Artist
        fields = ["id", "name"]


class StaffEmailBase(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A base class after the mixin hiding `email` from non-staff users."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if not getattr(getattr(request, "user", None), "is_staff", False):
            fields.pop("email", None)
        return fields


class StaffEmailArtistSerializer(EagerFieldsSerializerMixin, StaffEmailBase):
    class Meta:
        model = models.Artist
        fields = ["id", "name", "email"]


class OtherOrderArtistSerializer(serializers.ModelSerializer, EagerFieldsSerializerMixin):  # type: ignore[type-arg]
    """The bases in the other order: DRF's get_fields() runs, not the mixin's."""

    class Meta:
        model = models.Artist
        fields = ["id", "name", "plays"]


class TrackSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Track
        fields = ["id", "title", "length"]


class AlbumSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Album
        fields = ["id", "title", "year"]

    @classproperty
    def extra(cls) -> dict[str, Any]:
        return {
            "artist": {"field": ArtistSerializer(), "prefetch": True},
            "starred_artist": {
                "field": ArtistSerializer(source="artist", allow_null=True),
                "prefetch": Prefetch(
                    "artist", queryset=models.Artist.objects.filter(name__startswith="a")
                ),
            },
            "tracks": {"field": TrackSerializer(many=True), "prefetch": True},
            "track_ids": {
                "field": serializers.PrimaryKeyRelatedField(
                    source="tracks", many=True, read_only=True
                )
            },
            "summary": {"field": serializers.SerializerMethodField()},
        }

    def get_summary(self, album: models.Album) -> str:
        return f"{album.title} ({album.year})"


class TrackWithAlbumSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Track
        fields = ["id", "title", "length"]

    @classproperty
    def extra(cls) -> dict[str, Any]:
        return {"album": {"field": AlbumSerializer(), "prefetch": True}}


class SkippingListSerializer(serializers.ListSerializer):  # type: ignore[type-arg]
    """A list serializer leaving out artists without plays."""

    def to_representation(self, data: Any) -> Any:
        return [item for item in super().to_representation(data) if item["plays"]]


class SkippingArtistSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Artist
        fields = ["id", "name", "plays"]
        list_serializer_class = SkippingListSerializer


class DepthAlbumSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Album
        fields = ["id", "title", "artist"]
        depth = 1


class HyperlinkedAlbumSerializer(
    EagerFieldsSerializerMixin, serializers.HyperlinkedModelSerializer
):  # type: ignore[type-arg]
    class Meta:
        model = models.Album
        fields = ["url", "title", "artist"]
        extra_kwargs = {
            "url": {"view_name": "zoo-album-detail"},
            "artist": {"view_name": "zoo-artist-detail"},
        }


class SongSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Song
        fields = ["id", "title"]


class VenueSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Venue
        fields = ["id", "name"]


class SeatSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Seat
        fields = ["id", "number", "ticket"]  # the ticket's UUID, as the JSON encoder writes it


class TicketSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Ticket
        fields = ["id", "serial", "artist"]
        extra = {
            "seats": {"field": SeatSerializer(many=True), "prefetch": True},
            "hex": {"field": serializers.UUIDField(source="id", format="hex")},
        }
