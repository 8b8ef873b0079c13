"""Read replicas, database routers and `.using()` (issue 18): drf_eager reads each row
from the database Django reads it from, on the fast path, the DRF path, grouped loading
and the reload after a write, and answers what plain DRF answers with hand-written
prefetch_related() under the same router.

The two databases hold rows with the same keys and other values (each value names its
database; the replica has three books per author, the default database two), so each
value shows where it was read from."""

from __future__ import annotations

import io
from contextlib import ExitStack, contextmanager

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from drf_eager.fast import SUBQUERY_THRESHOLD
from tests import models
from tests.replicas.views import ParentKeyRouter, ReplicaRouter

pytestmark = pytest.mark.django_db(databases=["default", "replica"])

# Keys far above what the databases' sequences give the rows the writes create.
PK = 10**6
SHAPE = "name,publisher.name,books.title,books.tags.name,books.comments.text"


def build(db, authors=2, books=None):
    books = books if books is not None else (2 if db == "default" else 3)
    publisher = models.Publisher.objects.using(db).create(pk=PK, name=f"pub-{db}")
    tags = [models.Tag.objects.using(db).create(pk=PK + i, name=f"tag{i}-{db}") for i in range(3)]
    book_type = ContentType.objects.db_manager(db).get_for_model(models.Book)
    for i in range(authors):
        author = models.Author.objects.using(db).create(
            pk=PK + i, name=f"author{i}-{db}", publisher=publisher
        )
        for j in range(books):
            book = models.Book.objects.using(db).create(
                pk=PK + 10 * i + j, title=f"book{i}{j}-{db}", author=author
            )
            book.tags.set(tags[: j + 1])
            models.Comment.objects.using(db).create(
                content_type=book_type, object_id=book.pk, text=f"c{i}{j}-{db}"
            )


@pytest.fixture
def data():
    build("default")
    build("replica")


@contextmanager
def queries():
    """The SQL each database was sent, by alias."""
    sent = {}
    with ExitStack() as stack:
        for alias in ("default", "replica"):
            sent[alias] = stack.enter_context(CaptureQueriesContext(connections[alias]))
        yield sent


def counts(sent):
    return {alias: len(captured) for alias, captured in sent.items()}


def get(url):
    with queries() as sent:
        response = APIClient().get(url)
    assert response.status_code == 200, response.content
    return response.json(), counts(sent)


def get_plain(url):
    data, _ = get(url)
    return data


def titles(db, books):
    return [
        {
            "title": f"book{i}{j}-{db}",
            "tags": [{"name": f"tag{t}-{db}"} for t in range(j + 1)],
            "comments": [{"text": f"c{i}{j}-{db}"}],
        }
        for i, j in books
    ]


def author(i, root_db, related_db):
    books = 2 if related_db == "default" else 3
    return {
        "name": f"author{i}-{root_db}",
        "publisher": {"name": f"pub-{root_db}"},
        "books": titles(related_db, [(i, j) for j in range(books)]),
    }


ROUTED = override_settings(DATABASE_ROUTERS=[ReplicaRouter()])
BY_PARENT_KEY = override_settings(DATABASE_ROUTERS=[ParentKeyRouter()])


# Lists and details, on both paths -------------------------------------------------------


@pytest.mark.parametrize("path", ["fast", "drf"])
def test_a_replica_router_reads_every_row_from_the_replica(data, path):
    with ROUTED:
        body, sent = get(f"/replicas/{path}-routed/authors/?fields={SHAPE}")
        plain, plain_sent = get("/replicas/plain-routed/authors/")
    assert body == plain == [author(0, "replica", "replica"), author(1, "replica", "replica")]
    # Authors JOINed to their publisher, books, tags, comments: as plain DRF.
    assert sent == plain_sent == {"default": 0, "replica": 4}


@pytest.mark.parametrize("path", ["fast", "drf"])
def test_the_routers_choose_the_database_of_related_rows(data, path):
    """Issue 18.2: get_queryset() pinned to the default database, a router sending
    reads to the replica: the related rows are read from the replica, as Django's
    prefetch reads them, on the fast path too."""
    with ROUTED:
        body, sent = get(f"/replicas/{path}-default/authors/?fields={SHAPE}")
        plain, plain_sent = get("/replicas/plain-default/authors/")
    assert body == plain == [author(0, "default", "replica"), author(1, "default", "replica")]
    assert sent == plain_sent == {"default": 1, "replica": 3}


@pytest.mark.parametrize("path", ["fast", "drf"])
def test_using_without_a_router_carries_to_the_related_rows(data, path):
    body, sent = get(f"/replicas/{path}-replica/authors/?fields={SHAPE}")
    plain, plain_sent = get("/replicas/plain-replica/authors/")
    assert body == plain == [author(0, "replica", "replica"), author(1, "replica", "replica")]
    assert sent == plain_sent == {"default": 0, "replica": 4}


@pytest.mark.parametrize("path", ["fast", "drf"])
def test_a_router_reading_the_instance_hint(data, path):
    """Issue 18.2: the routers are asked with the first parent as the `instance` hint:
    this one sends the books of a saved author to the default database, and the books'
    tags and comments follow the books' database."""
    with BY_PARENT_KEY:
        body, sent = get(f"/replicas/{path}-replica/authors/?fields={SHAPE}")
        plain, plain_sent = get("/replicas/plain-replica/authors/")
    assert body == plain == [author(0, "replica", "default"), author(1, "replica", "default")]
    assert sent == plain_sent == {"default": 3, "replica": 1}


@pytest.mark.parametrize(
    ("variant", "router", "expected", "sent"),
    [
        ("routed", ROUTED, ("replica", "replica"), {"default": 0, "replica": 4}),
        ("default", ROUTED, ("default", "replica"), {"default": 1, "replica": 3}),
        ("replica", override_settings(), ("replica", "replica"), {"default": 0, "replica": 4}),
    ],
)
def test_details(data, variant, router, expected, sent):
    with router:
        body, body_sent = get(f"/replicas/fast-{variant}/authors/{PK + 1}/?fields={SHAPE}")
        plain, plain_sent = get(f"/replicas/plain-{variant}/authors/{PK + 1}/")
    assert body == plain == author(1, *expected)
    assert body_sent == plain_sent == sent


def test_the_fast_path_serves_the_lists(data):
    """The lists above are served by the fast path (explain_shape says which path)."""
    out = io.StringIO()
    with ROUTED:
        call_command(
            "explain_shape", f"/replicas/fast-default/authors/?fields={SHAPE}", stdout=out
        )
    assert "Path: fast (values_list() rows, drf_eager.fast)" in out.getvalue().splitlines()
