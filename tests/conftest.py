from __future__ import annotations

import json

import pytest
import rest_framework
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient
from shop.examples import DECIMALS

from tests import models

#: DRF's (major, minor), for tests of features of one DRF version.
DRF_VERSION = tuple(int(part) for part in rest_framework.VERSION.split(".")[:2])

#: Whether this run serves lists by the SQL render (`SQL_RENDER=1`, tests/settings.py):
#: then a list it serves is one statement (after a paginator's COUNT), whatever its shape.
SQL_RENDER = bool(settings.DRF_EAGER.get("SQL_RENDER"))


#: Whether the SQL render serves DecimalFields on this database (see shop.examples).
DECIMALS_RENDERED = connection.vendor in DECIMALS


def planned(queries: int, *, rendered: int) -> int:
    """The exact number of queries of a request: `queries` as the plan runs them (DRF
    path and fast path), `rendered` when the run has the SQL render on and it serves the
    request's list."""
    return rendered if SQL_RENDER else queries


def rendered(response) -> bool:
    """Whether the SQL render served the list of `response` (a SQL_RENDER=1 run)."""
    context = getattr(response, "renderer_context", None) or {}
    state = getattr(context.get("view"), "eager_state", None)
    return state is not None and state.sql_text is not None


def served_queries(response, queries: int) -> int:
    """The exact number of queries of `response`: `queries`, or, where the SQL render
    served its list, its one statement (after the paginator's COUNT)."""
    if not rendered(response):
        return queries
    return 1 + (response.renderer_context["view"].paginator is not None)


@pytest.fixture(autouse=True)
def _plan_queries(request):
    """A test marked `plan_queries` asserts on the queries of the queryset plan (their
    SQL, their columns, which database runs each): it runs with the SQL render off."""
    if SQL_RENDER and request.node.get_closest_marker("plan_queries") is not None:
        overridden = {**settings.DRF_EAGER, "SQL_RENDER": False}
        with override_settings(DRF_EAGER=overridden):
            yield
    else:
        yield


def build_library(authors: int) -> None:
    """`authors` authors, each with a profile and two books; each book has two tags,
    two reviews (ratings 2 and 5), a chapter and a comment."""
    publisher = models.Publisher.objects.create(name="Penguin", country="UK")
    tags = [models.Tag.objects.create(name=f"tag{i}") for i in range(3)]
    book_type = ContentType.objects.get_for_model(models.Book)
    for i in range(authors):
        author = models.Author.objects.create(
            name=f"author{i}", email=f"a{i}@example.com", publisher=publisher
        )
        models.AuthorProfile.objects.create(author=author, bio=f"bio{i}", website="w")
        for j in range(2):
            book = models.Book.objects.create(
                title=f"book{i}-{j}", isbn=f"isbn{i}{j}", price="9.99", author=author
            )
            book.tags.set([tags[j], tags[j + 1]])
            models.Review.objects.create(book=book, rating=2, text="meh")
            models.Review.objects.create(book=book, rating=5, text="great")
            models.Chapter.objects.create(book=book, title=f"ch{i}-{j}", number=1)
            models.Comment.objects.create(content_type=book_type, object_id=book.pk, text="c")
        passport = models.Passport.objects.create(author=author, number=f"P{i}")
        models.Stamp.objects.create(passport=passport, country="IT")
        models.Award.objects.create(author=author, name=f"award{i}")
        restaurant = models.Restaurant.objects.create(name=f"r{i}", serves_pizza=bool(i % 2))
        restaurant.owner = author
        restaurant.save()
    root = models.Category.objects.create(name="root")
    for i in range(authors):
        child = models.Category.objects.create(name=f"c{i}", parent=root)
        models.Category.objects.create(name=f"c{i}-leaf", parent=child)


@pytest.fixture(params=[2, 50], ids=["2rows", "50rows"])
def library(request, db):
    build_library(request.param)
    # Warm ContentType's cache, so a generic relation costs one query in every test.
    ContentType.objects.get_for_model(models.Book)
    return request.param


@pytest.fixture
def small_library(db):
    build_library(2)
    ContentType.objects.get_for_model(models.Book)
    return 2


class Client(APIClient):
    def get_json(self, url, body=None):
        """GET `url` (with an optional JSON body); return (status, data, queries)."""
        with CaptureQueriesContext(connection) as queries:
            if body is None:
                response = self.get(url)
            else:
                response = self.generic(
                    "GET", url, json.dumps(body), content_type="application/json"
                )
        self.response = response
        return response.status_code, response.json(), [q["sql"] for q in queries]

    def rendered(self) -> bool:
        """Whether the SQL render served the list of the last get_json() (SQL_RENDER=1)."""
        return rendered(self.response)

    def send(self, method, url, data):
        with CaptureQueriesContext(connection) as queries:
            response = getattr(self, method)(url, data, format="json")
        return response.status_code, response.json(), [q["sql"] for q in queries]


@pytest.fixture
def api():
    return Client()


def column(table: str, name: str) -> str:
    """The column as the database's SQL spells it, for asserting on captured SQL."""
    quote = connection.ops.quote_name
    return f"{quote(table)}.{quote(name)}"


from drf_eager.testing import fast_path_verified  # noqa: E402, F401 - a fixture for test_verify
