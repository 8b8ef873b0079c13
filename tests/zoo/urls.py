from __future__ import annotations

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
for prefix, viewset in [
    ("artists", views.ArtistViewSet),
    ("envelope-artists", views.EnvelopeArtistViewSet),
    ("staff-email-artists", views.StaffEmailArtistViewSet),
    ("other-order-artists", views.OtherOrderArtistViewSet),
    ("skipping-artists", views.SkippingArtistViewSet),
    ("deferring-artists", views.DeferringArtistViewSet),
    ("ranked-artists", views.RankedArtistViewSet),
    ("paged-artists", views.PagedArtistViewSet),
    ("sized-artists", views.SizedArtistViewSet),
    ("offset-artists", views.OffsetArtistViewSet),
    ("rendered-artists", views.RenderedArtistViewSet),
    ("compact-artists", views.CompactArtistViewSet),
    ("albums", views.AlbumViewSet),
    ("marking-albums", views.MarkingAlbumViewSet),
    ("marking-tracks", views.MarkingTrackViewSet),
    ("depth-albums", views.DepthAlbumViewSet),
    ("hyperlinked-albums", views.HyperlinkedAlbumViewSet),
    ("songs", views.SongViewSet),
    ("venues", views.VenueViewSet),
    ("tickets", views.TicketViewSet),
]:
    router.register(prefix, viewset, basename=f"zoo-{prefix}")

# The names HyperlinkedAlbumSerializer links to.
router.register("album-links", views.AlbumViewSet, basename="zoo-album")
router.register("artist-links", views.ArtistViewSet, basename="zoo-artist")

urlpatterns = router.urls
