"""Issue 14.4: the fast path counts the response budget (MAX_ROWS) from each query's rows,
by parent key, before it builds anything; it must count what the DRF path counts as it
serializes, object for object."""

from __future__ import annotations

import pytest
from django.test.utils import override_settings
from rest_framework.test import APIClient

from drf_eager import views as eager_views
from drf_eager.exceptions import RowBudget
from tests.zoo.test_zoo import LISTS, served, zoo  # noqa: F401 - fixtures

#: Lists the fast path serves, each with a shape the client chose (the budget bounds no
#: other), and how many objects each serves at the zoo's rows.
COUNTED = [
    ("/zoo/artists/?fields=id", 3),
    ("/zoo/artists/?extra=label", 5),  # beck has no label: a JOINed to-one absent
    ("/zoo/artists/?extra=albums.tracks", 15),  # 3 artists, 4 albums, 8 tracks
    ("/zoo/other-order-artists/?fields=name", 3),
    ("/zoo/sized-artists/?size=1&extra=albums", 3),  # a page: one artist, its 2 albums
    ("/zoo/offset-artists/?limit=2&offset=1&extra=albums.tracks", 8),
    ("/zoo/albums/?extra=tracks", 12),
    ("/zoo/albums/?extra=starred_artist", 7),  # a to-one loaded by a query of its own
    ("/zoo/marking-albums/?extra=starred_artist,artist", 11),
    ("/zoo/marking-tracks/?extra=album.tracks", 32),  # 8 tracks, 8 albums, 2 tracks each
]


def test_every_counted_list_is_one_the_fast_path_serves():
    fast = {url.partition("?")[0] for url, _, path in LISTS if path == "fast"}
    assert {url.partition("?")[0] for url, _ in COUNTED} <= fast


@pytest.fixture
def spent(monkeypatch):
    """The objects each response spent of its budget (a limit no response reaches)."""
    budgets: list[RowBudget] = []

    def row_budget(view):
        if "_budget" not in view.__dict__:
            view._budget = RowBudget(10**9)
            budgets.append(view._budget)
        return view._budget

    monkeypatch.setattr(eager_views.EagerFieldsViewMixin, "_row_budget", row_budget)
    return lambda: [budget.limit - budget.left for budget in budgets]


@pytest.mark.parametrize(("url", "objects"), COUNTED)
def test_the_fast_path_counts_what_the_drf_path_counts(zoo, spent, served, url, objects):  # noqa: F811
    client = APIClient()
    with override_settings(DRF_EAGER={"STRICT": True, "FAST_PATH": True}):
        assert client.get(url).status_code == 200
    assert served == ["fast"]
    with override_settings(DRF_EAGER={"STRICT": True, "FAST_PATH": False}):
        assert client.get(url).status_code == 200
    assert served == ["fast"]  # the second was the DRF path's
    assert spent() == [objects, objects]


@pytest.mark.parametrize(("url", "objects"), COUNTED)
def test_the_limit_is_exact_on_both_paths(zoo, url, objects):  # noqa: F811
    client = APIClient()
    for fast in (True, False):
        for limit, status in ((objects, 200), (objects - 1, 400)):
            setting = {"STRICT": True, "FAST_PATH": fast, "MAX_ROWS": limit}
            with override_settings(DRF_EAGER=setting):
                assert client.get(url).status_code == status, (fast, limit)
