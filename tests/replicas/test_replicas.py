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
from tests.replicas.views import ParentKeyRouter

pytestmark = [
    pytest.mark.django_db(databases=["default", "replica"]),
    pytest.mark.urls("tests.replicas.urls"),
]

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


# As projects name them: a dotted path (Django rebuilds its routers when the setting
# changes), and an instance.
ROUTED = override_settings(DATABASE_ROUTERS=["tests.replicas.views.ReplicaRouter"])
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


def test_a_page(data):
    """A paginator counts and slices the root rows on their database; the related rows
    of the page are read where the routers send them."""
    with ROUTED:
        body, sent = get(f"/replicas/fast-paginated/authors/?limit=1&offset=1&fields={SHAPE}")
        plain, plain_sent = get("/replicas/plain-paginated/authors/?limit=1&offset=1")
    # The links differ by the URL only.
    assert body["count"] == plain["count"] == 2
    assert body["results"] == plain["results"] == [author(1, "default", "replica")]
    # The COUNT and the page on the default database; books, tags, comments on the replica.
    assert sent == plain_sent == {"default": 2, "replica": 3}


def test_the_fast_path_serves_the_lists(data):
    """The lists above are served by the fast path (explain_shape says which path)."""
    out = io.StringIO()
    with ROUTED:
        call_command(
            "explain_shape", f"/replicas/fast-default/authors/?fields={SHAPE}", stdout=out
        )
    assert "Path: fast (values_list() rows, drf_eager.fast)" in out.getvalue().splitlines()


# Grouped loading ----------------------------------------------------------------------


@pytest.mark.parametrize("detail", [False, True])
def test_grouped_rows_are_read_from_the_parents_database(data, detail):
    """Issue 18.1: with get_queryset() on the replica and no router, the grouped books
    are the replica's, and so are their tags and comments (loaded below them): the
    list was a 500 and the detail a 404."""
    suffix = f"{PK}/" if detail else ""
    body, sent = get(f"/replicas/grouped-replica/authors/{suffix}?fields={SHAPE}")
    plain = get_plain(f"/replicas/plain-replica/authors/{suffix}")
    expected = author(0, "replica", "replica")
    assert body == plain == (expected if detail else [expected, author(1, "replica", "replica")])
    # Authors JOINed to their books, then tags and comments: all on the replica.
    assert sent == {"default": 0, "replica": 3}


def test_grouped_rows_the_routers_send_elsewhere_are_prefetched(data):
    """Issue 18.1: rows Django reads from another database than their parents' cannot
    be JOINed to them: they are prefetched from that database."""
    with ROUTED:
        body, sent = get(f"/replicas/grouped-default/authors/?fields={SHAPE}")
        plain, plain_sent = get("/replicas/plain-default/authors/")
    assert body == plain == [author(0, "default", "replica"), author(1, "default", "replica")]
    assert sent == plain_sent == {"default": 1, "replica": 3}


def test_grouped_rows_a_router_sends_elsewhere_for_the_first_parent(data):
    """Issue 18.1: the routers choose by the first parent, known once read: when they
    send its rows to another database, those rows are prefetched from there."""
    with BY_PARENT_KEY:
        body, sent = get(f"/replicas/grouped-replica/authors/?fields={SHAPE}")
        plain, plain_sent = get("/replicas/plain-replica/authors/")
    assert body == plain == [author(0, "replica", "default"), author(1, "replica", "default")]
    # The grouped query (its books unused), then books, tags, comments.
    assert sent == {"default": 3, "replica": 1}
    assert plain_sent == {"default": 3, "replica": 1}


def test_below_a_grouped_many_to_many(data):
    """Issue 18.1: the relations loaded below a grouped many-to-many read the database
    its rows came from (they read the default one)."""
    shape = "title,tags.name,tags.books.title"
    body, sent = get(f"/replicas/grouped-replica/books/?fields={shape}")
    plain = get_plain("/replicas/plain-replica/books/")
    assert body == plain
    assert body[0] == {
        "title": "book00-replica",
        "tags": [
            {
                "name": "tag0-replica",
                "books": [{"title": f"book{i}{j}-replica"} for i in range(2) for j in range(3)],
            }
        ],
    }
    assert sent == {"default": 0, "replica": 2}


# Computed fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "router", "sent"),
    [
        ("routed", ROUTED, {"default": 0, "replica": 1}),
        ("default", ROUTED, {"default": 1, "replica": 0}),
        ("replica", override_settings(), {"default": 0, "replica": 1}),
    ],
)
def test_computed_fields(data, variant, router, sent):
    """A computed field is a subquery of its level's query: on that query's database,
    as plain Django's annotation."""
    with router:
        body, body_sent = get(f"/replicas/counted-{variant}/authors/?fields=name,num_books")
        plain, plain_sent = get(f"/replicas/plain-counted-{variant}/authors/")
    db = "default" if sent["default"] else "replica"
    books = 2 if db == "default" else 3
    assert body == plain == [{"name": f"author{i}-{db}", "num_books": books} for i in range(2)]
    assert body_sent == plain_sent == sent


# Writes -------------------------------------------------------------------------------


def replica_titles(i):
    return [{"title": f"book{i}{j}-replica"} for j in range(3)]


@pytest.mark.parametrize("path", ["fast", "drf", "plain-written"])
@pytest.mark.parametrize("method", ["patch", "put"])
def test_an_update_answers_what_was_written(data, path, method):
    """Issue 18.3: the response to a write is read back from the database written
    (the router's db_for_write), not from the replica, which has the old name; the
    related rows are read as Django reads them (the router: the replica)."""
    url = f"/replicas/{path}-routed/authors/{PK}/"
    with ROUTED, queries() as sent:
        response = getattr(APIClient(), method)(
            f"{url}?fields=name,books.title", {"name": "renamed"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json() == {"name": "renamed", "books": replica_titles(0)}
    assert models.Author.objects.using("default").get(pk=PK).name == "renamed"
    assert models.Author.objects.using("replica").get(pk=PK).name == "author0-replica"
    written = [q["sql"] for q in sent["default"]]
    assert written[0].startswith("UPDATE")
    if path == "plain-written":  # the saved instance: no reload
        assert counts(sent) == {"default": 1, "replica": 2}
    else:  # get_object() from the replica; the reload of the author from the default
        assert counts(sent) == {"default": 2, "replica": 2}
        assert written[1].startswith("SELECT")


@pytest.mark.parametrize("path", ["fast", "drf", "plain-written"])
def test_a_create_answers_what_was_written(data, path):
    """Issue 18.3: a created row is read back from the database it was written to; on
    the replica it is not (yet) there."""
    with ROUTED, queries() as sent:
        response = APIClient().post(
            f"/replicas/{path}-routed/authors/?fields=name,books.title",
            {"name": "new"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert response.json() == {"name": "new", "books": []}
    assert not models.Author.objects.using("replica").filter(name="new").exists()
    # The INSERT (and the reload) on the default database; the books from the replica.
    expected = 1 if path == "plain-written" else 2
    assert counts(sent) == {"default": expected, "replica": 1}


def test_an_update_through_a_pinned_queryset(data):
    """Issue 18.3: without a router, a row read with .using("replica") is saved there
    (Django writes an instance to its own database), and read back from there."""
    with queries() as sent:
        response = APIClient().patch(
            f"/replicas/drf-replica/authors/{PK}/?fields=name,books.title",
            {"name": "renamed"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json() == {"name": "renamed", "books": replica_titles(0)}
    assert models.Author.objects.using("default").get(pk=PK).name == "author0-default"
    assert counts(sent) == {"default": 0, "replica": 4}


# Large lists --------------------------------------------------------------------------


def build_many(db, books):
    n = SUBQUERY_THRESHOLD
    models.Author.objects.using(db).bulk_create(
        models.Author(pk=PK + i, name=f"a{i}-{db}") for i in range(n)
    )
    if books:
        models.Book.objects.using(db).bulk_create(
            models.Book(pk=PK + i, title=f"b{i}-{db}", author_id=PK + i) for i in range(n)
        )


@pytest.mark.parametrize("path", ["fast", "drf"])
def test_a_large_list_with_related_rows_on_another_database(path):
    """Issue 18.4: from SUBQUERY_THRESHOLD root rows on, the fast path filters their
    children by the root queryset as a subquery, which cannot cross databases: the
    children on another database are filtered by the keys."""
    build_many("default", books=False)
    build_many("replica", books=True)
    body, sent = get(f"/replicas/{path}-cross/authors/?fields=name,books.title")
    plain = get_plain("/replicas/plain-cross/authors/")
    assert len(body) == SUBQUERY_THRESHOLD
    assert body[7] == {"name": "a7-default", "books": [{"title": "b7-replica"}]}
    assert body == [
        {"name": item["name"], "books": [{"title": b["title"]} for b in item["books"]]}
        for item in plain
    ]
    assert sent == {"default": 1, "replica": 1}


@pytest.mark.plan_queries
@pytest.mark.parametrize(
    ("variant", "router"), [("replica", override_settings()), ("routed", ROUTED)]
)
def test_a_large_list_on_one_database_keeps_the_subquery(variant, router):
    """The root rows and their children on one database (pinned, or routed there):
    the children are filtered by the root queryset as a subquery."""
    build_many("replica", books=True)
    with router, queries() as sent:
        response = APIClient().get(f"/replicas/fast-{variant}/authors/?fields=name,books.title")
    assert response.status_code == 200
    assert len(response.json()) == SUBQUERY_THRESHOLD
    books_sql = sent["replica"][1]["sql"]
    assert "IN (SELECT" in books_sql.upper().replace("IN(SELECT", "IN (SELECT")
    assert counts(sent) == {"default": 0, "replica": 2}


# explain_shape ------------------------------------------------------------------------


def explain(url, *args):
    out = io.StringIO()
    call_command("explain_shape", url, *args, stdout=out)
    lines = out.getvalue().splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith("SQL: ")) :]


def test_explain_shape_shows_every_database(data):
    """Issue 18.5: explain_shape shows the queries of every database, each named."""
    with ROUTED:
        lines = explain("/replicas/fast-default/authors/?fields=name,books.title")
    assert lines[0] == "SQL: 2 queries (default: 1, replica: 1)"
    assert lines[1].startswith("  1. [default] SELECT ")
    assert lines[2].startswith("  2. [replica] SELECT ")
    assert len(lines) == 3


def test_explain_shape_for_one_database(data):
    with ROUTED:
        lines = explain(
            "/replicas/fast-default/authors/?fields=name,books.title", "--database", "replica"
        )
    assert lines[0] == "SQL: 1 query (replica: 1)"
    assert lines[1].startswith("  1. [replica] SELECT ")
    assert len(lines) == 2
