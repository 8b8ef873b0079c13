"""Issue 13: a zoo of real-world serializers, each served in verify mode (the fast path's
response, where it serves one, compared with the DRF path's by drf_eager itself), and
compared byte for byte and query for query with the response of the DRF path alone."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from drf_eager import views as eager_views
from tests.conftest import served_queries
from tests.zoo import models

DRF_PATH = {"STRICT": True, "FAST_PATH": False}


@pytest.fixture
def zoo(db):
    indie = models.Label.objects.create(name="indie")
    abba = models.Artist.objects.create(
        name="abba", email="abba@example.com", plays=3, score=1.5, fee="10.50", label=indie
    )
    beck = models.Artist.objects.create(name="beck", email="beck@example.com")
    adele = models.Artist.objects.create(
        name="adele", email="adele@example.com", plays=7, score=2.25, fee="3", label=indie
    )
    for artist, titles in [(abba, ["arrival", "voulez"]), (beck, ["odelay"]), (adele, ["21"])]:
        for year, title in enumerate(titles, start=1990):
            album = models.Album.objects.create(title=title, year=year, artist=artist)
            for n in range(2):
                models.Track.objects.create(title=f"{title}-{n}", length=n + 1, album=album)
    models.Song.objects.create(title="  hello world ")
    models.Venue.objects.create(name="paradiso")
    return SimpleNamespace(abba=abba, beck=beck, adele=adele, indie=indie)


@pytest.fixture
def served(monkeypatch):
    """Which path served each list: "fast" or "drf"."""
    paths: list[str] = []
    original = eager_views.FastList.__init__

    def record(self, *args, **kwargs):
        paths.append("fast")
        original(self, *args, **kwargs)

    monkeypatch.setattr(eager_views.FastList, "__init__", record)
    return paths


def both_paths(url, queries, drf_queries=None, client=None):
    """GET `url` in verify mode and by the DRF path alone; assert the same status and
    bytes, and the query counts; return the data."""
    client = client or APIClient()
    with CaptureQueriesContext(connection) as verified:
        response = client.get(url)
    with override_settings(DRF_EAGER=DRF_PATH), CaptureQueriesContext(connection) as drf:
        expected = client.get(url)
    assert response.status_code == expected.status_code
    assert response.content == expected.content
    assert len(verified) == served_queries(response, queries), [q["sql"] for q in verified]
    assert len(drf) == (queries if drf_queries is None else drf_queries), [q["sql"] for q in drf]
    return response.json()


# Every pattern: (url, queries, the path that serves it) -----------------------------

LISTS = [
    ("/zoo/artists/", 1, "fast"),
    ("/zoo/artists/?extra=label", 1, "fast"),
    ("/zoo/artists/?extra=albums.tracks", 3, "fast"),
    ("/zoo/artists/?extra=shouting_label", 1, "drf"),  # plain nested to_representation
    ("/zoo/artists/?extra=loud", 1, "drf"),  # source="*" with to_representation
    ("/zoo/artists/?extra=staff_label", 1, "drf"),  # request-dependent get_fields()
    ("/zoo/artists/?extra=label_name", 1, "drf"),  # get_default() through a null FK
    ("/zoo/artists/?extra=double_plays", 1, "drf"),  # a field subclass calling super()
    ("/zoo/envelope-artists/", 1, "drf"),  # a base's to_representation after the mixin
    ("/zoo/staff-email-artists/", 1, "drf"),  # a base's get_fields() after the mixin
    # Bases in the other order: the mixin is put first (issue 12), so it is the fast path.
    ("/zoo/other-order-artists/", 1, "fast"),
    ("/zoo/other-order-artists/?fields=name", 1, "fast"),
    ("/zoo/skipping-artists/", 1, "drf"),  # a ListSerializer subclass
    ("/zoo/songs/", 1, "drf"),  # Model.from_db()
    ("/zoo/venues/", 1, "drf"),  # a post_init receiver
    ("/zoo/paged-artists/", 2, "drf"),  # a paginator reading the page's objects
    ("/zoo/sized-artists/?size=1", 2, "fast"),  # a paginator subclass with settings only
    ("/zoo/offset-artists/?limit=2&offset=1", 2, "fast"),
    ("/zoo/rendered-artists/", 1, "drf"),  # a renderer reading data.serializer
    ("/zoo/compact-artists/", 1, "fast"),  # a renderer subclass with settings only
    ("/zoo/ranked-artists/", 1, "drf"),  # GROUP BY, ordering with ties
    ("/zoo/ranked-artists/?total=1", 1, "fast"),  # GROUP BY, a total ordering
    ("/zoo/deferring-artists/", 1, "fast"),  # defer() in get_queryset()
    ("/zoo/deferring-artists/?only=1&extra=label", 1, "fast"),  # only() in get_queryset()
    ("/zoo/albums/?extra=tracks", 2, "fast"),  # a related default manager's defer()
    ("/zoo/albums/?extra=starred_artist", 2, "fast"),  # a to-one with its own Prefetch
    ("/zoo/albums/?extra=summary,track_ids", 2, "drf"),  # SerializerMethodField
    ("/zoo/marking-albums/?extra=starred_artist,artist", 2, "fast"),  # in-place edits
    ("/zoo/marking-tracks/?extra=album.tracks", 2, "fast"),  # to-many below a JOIN
    ("/zoo/depth-albums/", 1, "fast"),  # Meta.depth (DRF's NestedSerializer)
    ("/zoo/hyperlinked-albums/", 1, "drf"),  # HyperlinkedModelSerializer
]


@pytest.mark.parametrize(("url", "queries", "path"), LISTS)
def test_list_is_the_drf_paths(zoo, served, url, queries, path):
    """Issue 13.4: each pattern, served in verify mode, is the DRF path's response."""
    both_paths(url, queries)
    assert served == (["fast"] if path == "fast" else [])


DETAILS = [
    ("/zoo/artists/{abba}/?extra=label,albums.tracks", 3),
    ("/zoo/artists/{beck}/?extra=shouting_label,loud,label_name", 1),
    ("/zoo/envelope-artists/{abba}/", 1),
    ("/zoo/staff-email-artists/{abba}/", 1),
    ("/zoo/deferring-artists/{abba}/?extra=label", 1),
    ("/zoo/albums/{arrival}/?extra=tracks,starred_artist", 3),
    ("/zoo/hyperlinked-albums/{arrival}/", 1),
    ("/zoo/depth-albums/{arrival}/", 1),
    ("/zoo/songs/{song}/", 1),
    ("/zoo/venues/{venue}/", 1),
]


@pytest.mark.parametrize(("url", "queries"), DETAILS, ids=[url for url, _ in DETAILS])
def test_detail_is_the_drf_paths(zoo, url, queries):
    """Issue 13.4: detail responses of the same serializers."""
    keys = {
        "abba": zoo.abba.pk,
        "beck": zoo.beck.pk,
        "arrival": models.Album.objects.get(title="arrival").pk,
        "song": models.Song.objects.get().pk,
        "venue": models.Venue.objects.get().pk,
    }
    both_paths(url.format(**keys), queries)


# What each pattern serves ----------------------------------------------------------------


def test_overrides_below_the_mixin_run(zoo):
    """Issue 13.1: a plain nested serializer's to_representation (as an extra and with
    source="*") and a base's to_representation after the mixin run on every path."""
    data = both_paths("/zoo/artists/?fields=id,shouting_label,loud", 1)
    assert data[0] == {
        "id": zoo.abba.pk,
        "shouting_label": {"id": zoo.indie.pk, "name": "INDIE"},
        "loud": {"name": "ABBA"},
    }
    assert data[1]["shouting_label"] is None
    data = both_paths("/zoo/envelope-artists/", 1)
    assert data[0] == {"id": zoo.abba.pk, "name": "abba", "kind": "artist"}


def test_request_dependent_fields_are_not_leaked(zoo):
    """Issue 13.3: get_fields() hiding a field from non-staff users hides it on every
    path (the fast plan was compiled without a request: a data leak)."""
    data = both_paths("/zoo/staff-email-artists/", 1)
    assert data[0] == {"id": zoo.abba.pk, "name": "abba"}
    data = both_paths("/zoo/artists/?fields=id,staff_label", 1)
    assert data[0] == {"id": zoo.abba.pk, "staff_label": {"id": zoo.indie.pk}}
    staff = APIClient()
    staff.force_authenticate(SimpleNamespace(is_staff=True, is_authenticated=True))
    data = both_paths("/zoo/staff-email-artists/", 1, client=staff)
    # Issue 19: with no shape parameters, the fields get_fields() builds for the request,
    # as without drf_eager (the DRF path's: the fast path refuses a get_fields() of its
    # own); a shape the request chose serves the fields it names.
    assert data[0] == {"id": zoo.abba.pk, "name": "abba", "email": "abba@example.com"}
    data = both_paths("/zoo/staff-email-artists/?fields=id,name", 1, client=staff)
    assert data[0] == {"id": zoo.abba.pk, "name": "abba"}
    data = both_paths("/zoo/artists/?fields=id,staff_label", 1, client=staff)
    assert data[0] == {"id": zoo.abba.pk, "staff_label": {"id": zoo.indie.pk, "name": "indie"}}


def test_model_hooks_run(zoo):
    """Issue 13.4: from_db() and post_init receivers normalise what is served."""
    assert both_paths("/zoo/songs/", 1)[0]["title"] == "Hello World"
    assert both_paths("/zoo/venues/", 1)[0]["name"] == "PARADISO"


def test_get_default_through_a_null_foreign_key(zoo):
    """Issue 13.5: a field's own get_default() is served, not its `default`."""
    data = both_paths("/zoo/artists/?fields=name,label_name", 1)
    assert data[1] == {"name": "beck", "label_name": "no label"}


def test_integer_columns_are_converted_as_drf_does(zoo):
    """Issue 13.6: SQLite keeps a 2.5 stored in an integer column; DRF serves 2."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(models.Artist._meta.db_table)
        cursor.execute(f"UPDATE {table} SET plays = 2.5 WHERE id = %s", [zoo.abba.pk])
    data = both_paths("/zoo/artists/?fields=id,plays,score,fee", 1)
    assert type(data[0]["plays"]) is int
    if connection.vendor == "sqlite":
        assert data[0]["plays"] == 2
    assert data[0]["score"] == 1.5
    assert data[0]["fee"] == "10.50"


def test_a_paginator_reading_the_page_and_a_renderer_reading_the_serializer(zoo):
    """Issue 13.1: no crash on tuples or on a FastList without a serializer."""
    data = both_paths("/zoo/paged-artists/", 2)
    assert data["last_pk"] == zoo.beck.pk
    data = both_paths("/zoo/rendered-artists/?fields=name", 1)
    assert data == {
        "type": "artist",
        "data": [{"name": "abba"}, {"name": "beck"}, {"name": "adele"}],
    }


def test_fresh_objects_per_row(zoo):
    """Issue 13.1: in-place post-processing runs once per object (shared dicts for a
    to-one with its own Prefetch, shared lists below a JOINed to-one)."""
    data = both_paths("/zoo/marking-albums/?fields=title,starred_artist(name),artist(name)", 2)
    assert [item["starred_artist"]["name"] for item in data if item["starred_artist"]] == [
        "abba!",
        "abba!",
        "adele!",
    ]
    assert [item["artist"]["name"] for item in data] == ["abba!", "abba!", "beck!", "adele!"]
    data = both_paths("/zoo/marking-tracks/?fields=id,album(id,tracks(id))", 2)
    for item in data:
        assert [track["id"] for track in item["album"]["tracks"]][-1:] == [0]
        assert len(item["album"]["tracks"]) == 3


def test_group_by_keeps_its_order(zoo):
    """Issue 13.1: with an aggregate, ties could come back in another order."""
    data = both_paths("/zoo/ranked-artists/?total=1&fields=name", 1)
    assert data == [{"name": "abba"}, {"name": "beck"}, {"name": "adele"}]


def test_drf_path_never_n_plus_ones_on_defer_and_only(zoo):
    """Issue 13.3: the DRF path adds back the columns a defer() or only() of
    get_queryset() or of a related default manager leaves out."""
    with override_settings(DRF_EAGER=DRF_PATH):
        client = APIClient()
        for url, queries in [
            ("/zoo/deferring-artists/?extra=albums", 2),
            ("/zoo/deferring-artists/?only=1&extra=label", 1),
            ("/zoo/albums/?extra=tracks", 2),
            ("/zoo/marking-tracks/?extra=album.tracks", 2),
        ]:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200
            assert len(captured) == queries, url


def test_pruning_a_serializer_with_its_own_to_representation_is_a_400(zoo):
    """Issue 13.3: its to_representation() may read what pruning leaves out (a 500)."""
    response = APIClient().get("/zoo/artists/?fields=id,shouting_label(id)")
    assert response.status_code == 400
    assert response.json() == {
        "fields": [
            "'shouting_label' cannot be pruned: ShoutingLabelSerializer overrides "
            "to_representation(); ask for all of its fields or none."
        ]
    }
