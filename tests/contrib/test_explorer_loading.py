"""The shape explorer shows how the resolved tree loads each field path of the shape,
as `explain_shape --tree` prints it."""

from __future__ import annotations

import pytest

from drf_eager.contrib.explorer import run_request
from tests.conftest import build_library
from tests.contrib.test_explorer import debug, get_json

pytestmark = pytest.mark.django_db

__all__ = ["debug"]  # the fixture, used by name


def test_the_loading_of_each_field(client, debug):
    build_library(1)
    url = "/paginated-books/?extra=author&fields=title,author.name,reviews.rating"
    data = get_json(client, "/eager-explorer/run/", url=url)
    assert data["loading"] == [
        "title: column",
        "author: JOIN [forward_fk]",
        "author.name: column",
        "reviews: prefetch [reverse_fk]",
        "reviews.rating: column",
    ]


def test_none_for_a_refused_request(rf):
    result = run_request(rf.get("/"), "/authors/?fields=name,,books")
    assert (result["status"], result["loading"]) == (400, [])
