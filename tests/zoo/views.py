"""Views of the zoo: stock ViewSets with the paginators, renderers, querysets and
response post-processing real projects have."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from rest_framework import pagination, renderers, viewsets
from rest_framework.response import Response

from drf_eager import EagerFieldsViewMixin

from . import models, serializers


class ZooViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    pass


class ArtistViewSet(ZooViewSet):
    queryset = models.Artist.objects.all()
    serializer_class = serializers.ArtistSerializer


class EnvelopeArtistViewSet(ZooViewSet):
    queryset = models.Artist.objects.all()
    serializer_class = serializers.EnvelopeArtistSerializer


class StaffEmailArtistViewSet(ZooViewSet):
    queryset = models.Artist.objects.all()
    serializer_class = serializers.StaffEmailArtistSerializer


class OtherOrderArtistViewSet(ZooViewSet):
    queryset = models.Artist.objects.all()
    serializer_class = serializers.OtherOrderArtistSerializer


class SkippingArtistViewSet(ZooViewSet):
    queryset = models.Artist.objects.all()
    serializer_class = serializers.SkippingArtistSerializer


class DeferringArtistViewSet(ZooViewSet):
    """get_queryset() defers and limits columns, as projects do for wide tables."""

    serializer_class = serializers.ArtistSerializer

    def get_queryset(self) -> QuerySet[Any]:
        if self.request.query_params.get("only"):
            return models.Artist.objects.only("id", "name")
        return models.Artist.objects.defer("name", "plays", "score")


class RankedArtistViewSet(ZooViewSet):
    """An aggregate annotation in get_queryset(): the database groups the rows."""

    serializer_class = serializers.ArtistSerializer

    def get_queryset(self) -> QuerySet[Any]:
        queryset = models.Artist.objects.annotate(n=Count("albums"))
        if self.request.query_params.get("total"):
            return queryset.order_by("-n", "id")
        return queryset.order_by("-n")


class AlbumViewSet(ZooViewSet):
    queryset = models.Album.objects.all()
    serializer_class = serializers.AlbumSerializer


class MarkingAlbumViewSet(AlbumViewSet):
    """Post-processes the response in place, once per object, as projects do in
    finalize_response() or middleware."""

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(response, "data", None), list):
            for item in response.data:
                for key in ("artist", "starred_artist"):
                    if item.get(key):
                        item[key]["name"] += "!"
        return super().finalize_response(request, response, *args, **kwargs)


class MarkingTrackViewSet(ZooViewSet):
    queryset = models.Track.objects.all()
    serializer_class = serializers.TrackWithAlbumSerializer

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(response, "data", None), list):
            for item in response.data:
                if item.get("album") and "tracks" in item["album"]:
                    item["album"]["tracks"].append({"id": 0})
        return super().finalize_response(request, response, *args, **kwargs)


class DepthAlbumViewSet(ZooViewSet):
    queryset = models.Album.objects.all()
    serializer_class = serializers.DepthAlbumSerializer


class HyperlinkedAlbumViewSet(ZooViewSet):
    queryset = models.Album.objects.all()
    serializer_class = serializers.HyperlinkedAlbumSerializer


class LastKeyPagination(pagination.PageNumberPagination):
    """Reads the page's objects: the fast path's tuples would crash it."""

    page_size = 2

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["last_pk"] = self.page.object_list[-1].pk if data else None
        return response


class SizedPagination(pagination.PageNumberPagination):
    """Only settings: the stock paginator."""

    page_size = 2
    page_size_query_param = "size"


class PagedArtistViewSet(ArtistViewSet):
    pagination_class = LastKeyPagination


class SizedArtistViewSet(ArtistViewSet):
    pagination_class = SizedPagination


class OffsetArtistViewSet(ArtistViewSet):
    pagination_class = pagination.LimitOffsetPagination


class SerializerReadingRenderer(renderers.JSONRenderer):
    """Reads `data.serializer`, as JSON:API renderers do."""

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        serializer = getattr(data, "serializer", None)
        child = getattr(serializer, "child", None)
        if child is not None:
            data = {"type": child.Meta.model.__name__.lower(), "data": data}
        return super().render(data, accepted_media_type, renderer_context)


class CompactJSONRenderer(renderers.JSONRenderer):
    """Only settings: the stock renderer."""

    compact = True
    charset = "utf-8"


class RenderedArtistViewSet(ArtistViewSet):
    renderer_classes = [SerializerReadingRenderer]


class CompactArtistViewSet(ArtistViewSet):
    renderer_classes = [CompactJSONRenderer]


class SongViewSet(ZooViewSet):
    queryset = models.Song.objects.all()
    serializer_class = serializers.SongSerializer


class VenueViewSet(ZooViewSet):
    queryset = models.Venue.objects.all()
    serializer_class = serializers.VenueSerializer


class TicketViewSet(ZooViewSet):
    queryset = models.Ticket.objects.all()
    serializer_class = serializers.TicketSerializer
