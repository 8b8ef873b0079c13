"""The SQL render (drf_eager.sql): a list the fast path serves, written as JSON text by one
SQL statement, byte for byte the DRF path's response, in one query (and the paginator's
COUNT); and every kind of field or request it leaves to the fast path, with the reason.

Each response here is served in verify mode (the suite's setting) with SQL_RENDER on, so
its bytes are also compared with the DRF path's by the view; and each is compared with the
response of the DRF path alone (FAST_PATH off).
"""

from __future__ import annotations

import datetime
import json
import pickle
import re
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, RowNumber
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.utils.serializer_helpers import ReturnList

from drf_eager import sql
from drf_eager.fast import compile_fast_plan
from drf_eager.serializers import resolve_params
from drf_eager.verify import FastPathMismatch
from shop import models as shop
from shop.examples import EXAMPLE_REQUESTS, expand
from shop.management.commands.seed_demo import seed
from shop.serializers import CustomerSerializer
from tests import models as library
from tests.zoo.test_zoo import LISTS as ZOO_LISTS
from tests.zoo.test_zoo import zoo  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

SQL_ON = {"STRICT": True, "FAST_PATH": "verify", "SQL_RENDER": True}
DRF_PATH = {"STRICT": True, "FAST_PATH": False}
POSTGRES = connection.vendor == "postgresql"
MARIADB = connection.vendor == "mysql"
SUPPORTED = connection.vendor in sql.VENDORS


@pytest.fixture(autouse=True)
def example_urls(settings):
    """The example's URLs and the library's test views (see urls_with_library.py)."""
    settings.ROOT_URLCONF = "shop.tests.urls_with_library"


@pytest.fixture
def rendered(monkeypatch):
    """The responses the SQL render wrote (each call of SQLResponse.render())."""
    calls: list[sql.SQLResponse] = []
    original = sql.SQLResponse.render

    def render(self, rows=None, budget=None):
        calls.append(self)
        return original(self, rows, budget)

    monkeypatch.setattr(sql.SQLResponse, "render", render)
    return calls


def get(url, body=None, **extra):
    client = APIClient()
    if body is None:
        return client.get(url, **extra)
    return client.generic("GET", url, json.dumps(body), content_type="application/json")


def both(url, body=None, drf_settings=DRF_PATH, **extra):
    """The response with the SQL render on (verify mode) and by the DRF path alone; their
    bytes must be the same. Return the first and its queries."""
    with override_settings(DRF_EAGER=SQL_ON), CaptureQueriesContext(connection) as queries:
        response = get(url, body, **extra)
    # Captured too: a request outside CaptureQueriesContext clears the query log.
    with override_settings(DRF_EAGER=drf_settings), CaptureQueriesContext(connection):
        expected = get(url, body, **extra)
    assert response.status_code == expected.status_code
    assert response.content == expected.content
    return response, queries


def decision(response):
    """What the view decided: an SQLResponse, or the reason the fast path built the list."""
    return response.renderer_context["view"].eager_state.sql


# The example project's requests ---------------------------------------------------------

LIST_EXAMPLES = [
    example
    for example in EXAMPLE_REQUESTS
    if example.status == 200 and not example.action_route and "/api/" in example.url
]


@pytest.mark.parametrize("example", LIST_EXAMPLES, ids=lambda example: example.url)
@pytest.mark.parametrize("zone", ["UTC", "America/Chicago"])
def test_example_requests(example, zone, rendered):
    seed(customers=25)  # more than one page of 20
    with override_settings(TIME_ZONE=zone):
        response, queries = both(expand(example.url), example.body)
    if not rendered:
        return  # the fast path or the DRF path built it (see test_what_the_examples_get)
    paginated = b'"count":' in response.content[:12]
    assert len(queries) == 1 + paginated, [query["sql"] for query in queries]


def test_what_the_examples_get(rendered):
    # The README's first request and the JSON body's: the SQL render writes them on the
    # databases it supports, in the statement and the paginator's COUNT.
    seed(customers=25)
    url = (
        "/api/customers/?extra=orders.article,countries"
        "&fields=name,orders(code,article.code),countries.name"
    )
    response, queries = both(url)
    body = {"fields": {"name": None, "orders": {"code": None, "created_at": None}}}
    with override_settings(TIME_ZONE="UTC"):
        response, queries = both("/api/customers/", body)
    if not SUPPORTED:
        assert rendered == []
        assert decision(response).startswith("The SQL render writes statements for PostgreSQL")
        return
    assert len(rendered) == 2
    assert len(queries) == 2
    assert response.json()["results"][0]["orders"][0]["created_at"].endswith("Z")
    # Decimals are written by PostgreSQL and MariaDB; SQLite stores them as floats.
    response, queries = both("/api/articles/?fields=code,price")
    assert len(queries) == 2  # the COUNT, and the statement or the fast path's query
    if POSTGRES or MARIADB:
        assert len(rendered) == 3
    else:
        assert len(rendered) == 2
        assert "a decimal on sqlite" in decision(response)


# Values ---------------------------------------------------------------------------------

STRINGS = [
    'a "quote" and a \\ backslash',
    "tab\t newline\n return\r \x01 \x08 \x0c \x1f \x7f",
    "é ü 中文 😀 \u00a0",
    "line \u2028 paragraph \u2029 separators",
    "percent % and %s and %(name)s and '' and '",
    "</script><!-- {braces} [brackets] -->",
    "",
]


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_strings_are_escaped_as_drf_escapes_them(rendered):
    for name in STRINGS:
        customer = shop.Customer.objects.create(name=name, email=name[:3])
        shop.CustomerProfile.objects.create(customer=customer, notes=name, vip=len(name) % 2)
    shop.Customer.objects.create(name="no profile")
    response, queries = both("/api/customers/?extra=profile&fields=name,profile(vip,notes)")
    assert rendered and len(queries) == 2
    content = response.content.decode()
    assert "\\u2028" in content and "\u2028" not in content
    assert [row["name"] for row in response.json()["results"]] == [*STRINGS, "no profile"]
    assert response.json()["results"][-1]["profile"] is None


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
@pytest.mark.parametrize(
    "zone", ["UTC", "Asia/Kolkata", "America/St_Johns", "Europe/London", "America/Chicago"]
)
def test_datetimes_in_the_current_time_zone(zone, rendered):
    customer = shop.Customer.objects.create(name="c")
    article = shop.Article.objects.create(code="a", name="a", price=1, customer=customer)
    utc = datetime.timezone.utc
    for when in [
        datetime.datetime(2024, 1, 15, 12, 0, tzinfo=utc),  # winter
        datetime.datetime(2024, 7, 15, 23, 30, 5, tzinfo=utc),  # summer, the next day
        datetime.datetime(2024, 3, 10, 8, 0, 0, 123456, tzinfo=utc),  # microseconds
        datetime.datetime(2024, 3, 10, 8, 0, 0, 1, tzinfo=utc),
        datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=utc),
        datetime.datetime(850, 6, 1, 0, 0, tzinfo=utc),  # a year before 1000
    ]:
        shop.Order.objects.create(code="o", created_at=when, customer=customer, article=article)
    with timezone.override(ZoneInfo(zone)):
        response, queries = both("/api/orders/?fields=code,created_at")
    if zone != "UTC" and MARIADB:
        assert not rendered
        assert decision(response) == (
            f"A datetime in the time zone {zone}: MariaDB's statement writes UTC only."
        )
        return
    if zone != "UTC" and not POSTGRES:
        assert not rendered
        assert decision(response) == f"A datetime in the time zone {zone}: SQLite converts none."
        return
    assert rendered and len(queries) == 2
    created = [row["created_at"] for row in response.json()["results"]]
    assert len(set(created)) == 6


@pytest.mark.skipif(
    not (POSTGRES or MARIADB), reason="decimals are written by PostgreSQL and MariaDB only"
)
def test_decimals_as_drf_writes_them(rendered):
    customer = shop.Customer.objects.create(name="c")
    for price in ["0", "12.3", "-5.5", "999999.99", "0.01", "100"]:
        shop.Article.objects.create(code="a", name="a", price=Decimal(price), customer=customer)
    response, _ = both("/api/articles/?fields=price")
    assert rendered
    assert [row["price"] for row in response.json()["results"]] == [
        "0.00",
        "12.30",
        "-5.50",
        "999999.99",
        "0.01",
        "100.00",
    ]


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_library_relations(rendered):
    # Forward and reverse foreign keys, many-to-many both ways, one-to-one both ways,
    # self references, multi-table inheritance, null relations.
    from tests.conftest import build_library

    build_library(3)
    urls = [
        "/books/?extra=author.publisher,tags&fields=title,author(name,publisher.name),tags.name",
        "/authors/?extra=books.tags,profile,publisher",
        "/tags/?extra=books.author",
        "/categories/?extra=parent,children",
        "/restaurants/",
        "/publishers/?extra=authors.books",
    ]
    for url in urls:
        response, queries = both(url)
        if decision(response) is not None and not isinstance(decision(response), str):
            assert len(queries) == 1 + (b'"count":' in response.content[:12]), url
    assert rendered


RELATED_SCOPES = {
    "filtered": lambda books: books.filter(title__contains="1"),
    "ordered": lambda books: books.order_by("-title", "id"),
    "ties": lambda books: books.order_by("price"),  # every price is the same
    "by a relation": lambda books: books.order_by("author", "-id"),  # Author.Meta.ordering
    "reversed": lambda books: books.order_by("title", "id").reverse(),
    "annotated": lambda books: books.annotate(n=Count("tags")).filter(n__gte=0),
    "distinct": lambda books: books.filter(tags__name__startswith="tag").distinct(),
    "same many-to-many": lambda books: books.filter(tags__name__in=["tag0", "tag1", "tag2"]),
    "extra()": lambda books: books.extra(where=["tests_book.title <> 'zzz'"]),
    "RawSQL": lambda books: books.filter(
        id__in=RawSQL("SELECT id FROM tests_book WHERE tests_book.title <> %s", ["zzz"])
    ),
    "Exists": lambda books: books.filter(
        Exists(library.Review.objects.filter(book=OuterRef("pk"), rating__gte=5))
    ),
    "window": lambda books: books.annotate(
        rank=Window(RowNumber(), order_by=F("id").asc())
    ).filter(rank__lte=1),
    "none": lambda books: books.none(),
}

#: What the SQL render leaves to the fast path, by scope: the databases, the reason.
RELATED_REFUSALS = {
    "distinct": ("mysql", "'books': a distinct queryset on MariaDB."),
    "window": (sql.VENDORS, "'books': a window function."),
    "reversed": ("mysql", "A reversed ordering (reverse()) on MariaDB."),
    "ties": (
        sql.VENDORS,
        "'books': an ordering whose rows may tie (order by a unique column last).",
    ),
    "by a relation": (
        "mysql",
        "An ordering by a relation ('author'), by its model's ordering, on MariaDB.",
    ),
}


@pytest.mark.parametrize(
    ("url", "view"),
    [
        (
            "/authors/?extra=books.tags.books&fields=name,books(title,tags(name,books.title))",
            "authors",
        ),
        # The books of each tag, filtered on the tags again (the same JOIN, as Django's
        # prefetch reuses it).
        ("/tags/?extra=books&fields=name,books.title", "tags"),
    ],
    ids=["authors", "tags"],
)
@pytest.mark.parametrize("scope", RELATED_SCOPES)
def test_related_querysets_of_every_kind(rendered, monkeypatch, scope, url, view):
    # The view's get_related_queryset() scopes the books. MariaDB writes a relation's own
    # query as the aggregate of its objects; one that groups its rows (the Count) or
    # holds SQL of its own (extra(), RawSQL) is read apart and joined.
    from drf_eager.views import EagerFieldsViewMixin
    from tests.conftest import build_library
    from tests.views import AuthorViewSet, TagViewSet

    def get_related_queryset(self, model, path):
        queryset = EagerFieldsViewMixin.get_related_queryset(self, model, path)
        return RELATED_SCOPES[scope](queryset) if model is library.Book else queryset

    view_class = AuthorViewSet if view == "authors" else TagViewSet
    monkeypatch.setattr(view_class, "get_related_queryset", get_related_queryset)
    build_library(4)
    library.Book.objects.get(title="book0-0").tags.add(library.Tag.objects.get(name="tag2"))
    response, queries = both(url)
    assert json.loads(response.content)  # some authors or tags, whatever their books
    vendors, reason = RELATED_REFUSALS.get(scope, ((), None))
    if connection.vendor in vendors:
        assert decision(response) == reason
    elif SUPPORTED:
        assert rendered
        assert len(queries) == 1


def test_orderings_it_writes_and_leaves():
    # Decided from the queryset alone, whatever the database: which related orderings
    # are total, and which MariaDB's statement writes (its GROUP_CONCAT() ORDER BY).
    books = library.Book.objects.all()  # Meta.ordering = ["id"]
    assert sql._total(books, sql._ordering_names(books))
    for ordering in (["title", "-id"], ["pk"], [F("id").desc()], ["-title", "isbn", "id"]):
        assert sql._total(books, ordering), ordering
    for ordering in ([], ["title"], ["?"], ["author_id"], ["nothing"], [Lower("title")]):
        assert not sql._total(books, ordering), ordering
    assert sql._total(library.AuthorProfile.objects.all(), ["author"])  # a one-to-one
    assert sql._ordering_names(books.order_by()) == []
    assert sql._ordering_names(books.extra(order_by=["title"])) == ["title"]
    assert sql._ordering(books.order_by("title", "-id")) == ["title", "-id"]
    assert sql._ordering(books.order_by("author_id", "id")) == ["author_id", "id"]
    refusals = {
        "A reversed ordering (reverse()) on MariaDB.": books.order_by("id").reverse(),
        "An ordering by a relation ('author'), by its model's ordering, on MariaDB.": (
            books.order_by("author", "id")
        ),
        "An ordering MariaDB's statement cannot number rows by.": books.order_by("?"),
    }
    for reason, queryset in refusals.items():
        with pytest.raises(sql.SQLRenderUnavailable, match=re.escape(reason)):
            sql._ordering(queryset)


def test_querysets_with_sql_of_their_own():
    # MariaDB's statement renames a relation's aliases: SQL text naming tables is read
    # as a derived table instead.
    books = library.Book.objects.all()
    assert not sql._raw_sql(books.filter(title="a", tags__name__in=["x"]).query)
    assert not sql._raw_sql(books.annotate(t=Lower("title")).query)
    assert sql._raw_sql(books.extra(where=["tests_book.title <> 'a'"]).query)
    assert sql._raw_sql(books.extra(select={"x": "1"}).query)
    assert sql._raw_sql(books.filter(id__in=RawSQL("SELECT 1", [])).query)
    assert sql._raw_sql(books.annotate(x=RawSQL("tests_book.id + 1", [])).query)
    assert sql._raw_sql(books.filter(Q(title="a") | Q(id__in=RawSQL("SELECT 1", []))).query)


def test_mariadb_objects_keep_their_parameters_in_text_order():
    # On MariaDB a relation's object is written with a marker for its query's columns,
    # which Django compiles with the query; _Aggregated splices them in, each parameter
    # kept with its placeholder whichever of the two wrote it ('%%' is no placeholder).
    class Compiler:
        def compile(self, expression):
            return expression  # the columns here are compiled already: (sql, params)

    marker = "\x007\x00"
    item = (
        f"CONCAT(%s, {marker}.`_eager_c1`, '%%s', "
        f"(SELECT 1 FROM t WHERE d = %s AND k = {marker}.`_eager_c0`))"
    )
    columns = [("u.id", []), ("UPPER(u.name, %s)", ["x"])]
    expression = sql._Aggregated(item, ["a", "b"], marker, columns, [], many=False)
    text, params = expression.as_sql(Compiler(), connection)
    assert text == (
        "CONCAT(%s, UPPER(u.name, %s), '%%s', (SELECT 1 FROM t WHERE d = %s AND k = u.id))"
    )
    assert params == ["a", "x", "b"]
    many = sql._Aggregated(item, ["a", "b"], marker, columns, [], many=True)
    assert many.as_sql(Compiler(), connection) == (f"GROUP_CONCAT({text} SEPARATOR ',')", params)


def test_uuids(rendered):
    # A UUID primary key (DRF's UUIDField), a nullable UUID column and a foreign key to
    # a UUID (the JSON encoder's str()): a uuid on PostgreSQL and MariaDB 10.7+, 32 hex
    # digits on SQLite (and older MariaDB).
    import uuid

    from tests.zoo import models as zoo_models

    artist = zoo_models.Artist.objects.create(name="abba")
    for serial in [uuid.UUID("00000000-0000-4000-8000-0000000000ff"), None]:
        ticket = zoo_models.Ticket.objects.create(serial=serial, artist=artist)
        for number in (1, 2):
            zoo_models.Seat.objects.create(number=number, ticket=ticket)
    response, queries = both("/zoo/tickets/?extra=seats")
    tickets = json.loads(response.content)
    assert [ticket["serial"] for ticket in tickets].count(None) == 1
    assert "00000000-0000-4000-8000-0000000000ff" in [ticket["serial"] for ticket in tickets]
    assert all(seat["ticket"] == ticket["id"] for ticket in tickets for seat in ticket["seats"])
    if SUPPORTED:
        assert rendered
        assert len(queries) == 1
    response, _ = both("/zoo/tickets/?extra=hex&fields=id,hex")
    assert decision(response) == "'hex': Ticket.id: a UUIDField with a format of its own."


# Pagination -----------------------------------------------------------------------------


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_pages_and_empty_pages(rendered):
    seed(customers=25)
    for url, queries_expected in [
        ("/api/customers/?fields=name,countries.name&page=2", 2),
        ("/api/customers/?fields=name,orders.code&page=1", 2),
    ]:
        response, queries = both(url)
        assert len(queries) == queries_expected, url
    response, _ = both("/api/customers/?fields=name&page=3")
    assert response.status_code == 404
    shop.Customer.objects.all().delete()
    response, queries = both("/api/customers/?fields=name")
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert len(queries) == 1  # no statement for an empty page, as Django sends no query


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_limit_offset_pages(zoo, rendered):  # noqa: F811 - the fixture
    for url in [
        "/zoo/offset-artists/?fields=id,name&limit=2&offset=1",
        "/zoo/offset-artists/?fields=id,name&limit=2&offset=100",  # past the end: no page
    ]:
        response, queries = both(url)
        assert len(queries) == (1 if url.endswith("100") else 2), [q["sql"] for q in queries]
    assert len(rendered) == 1  # past the end: "[]", no statement


# The zoo --------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "queries", "path"), ZOO_LISTS)
def test_zoo_lists(zoo, rendered, url, queries, path):  # noqa: F811 - the fixture
    response, sent = both(url)
    if rendered:
        assert path == "fast"
        assert len(sent) == 1 + (b'"count":' in response.content[:12]), url


# What it leaves to the fast path ----------------------------------------------------------


def test_refusals_are_per_node_of_the_plan():
    shape = resolve_params(CustomerSerializer, fields="name,orders(code,created_at)")
    plan = compile_fast_plan(CustomerSerializer, shape)
    assert sql.sql_refusal(plan, "postgresql") is None
    assert sql.sql_refusal(plan, "sqlite") is None
    assert sql.sql_refusal(plan, "mysql") is None
    assert sql.sql_refusal(plan, "oracle") == (
        "The SQL render writes statements for PostgreSQL, MariaDB and SQLite, not oracle."
    )
    shape = resolve_params(CustomerSerializer, extra="articles", fields="articles.price")
    plan = compile_fast_plan(CustomerSerializer, shape)
    assert sql.sql_refusal(plan, "postgresql") is None
    assert sql.sql_refusal(plan, "sqlite") == (
        "'articles.price': Article.price: a decimal on sqlite, which does not store it as a "
        "decimal (Django rounds what it reads in Python)."
    )


def test_refused_fields(zoo):  # noqa: F811 - the fixture
    from tests import serializers as lib
    from tests.zoo import serializers as zoo_serializers

    shape = resolve_params(lib.BookSerializer, extra="comments")
    plan = compile_fast_plan(lib.BookSerializer, shape)
    if plan is not None:  # generic relations: the fast path serves them
        refusal = sql.sql_refusal(plan, "postgresql")
        assert refusal is not None and "generic relation" in refusal
    serializer = zoo_serializers.ArtistSerializer
    plan = compile_fast_plan(serializer, resolve_params(serializer))
    assert sql.sql_refusal(plan, "postgresql") == (
        "'score': Artist.score (FloatField) through FloatField: the database cannot write its "
        "exact bytes (floats, times, durations, JSON, custom fields)."
    )


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_a_sliced_prefetch_is_left_to_the_fast_path(rendered):
    seed(customers=3)
    response, queries = both(
        "/api/customers/?extra=last_10_orders&fields=name,last_10_orders.code"
    )
    assert rendered == []
    assert decision(response) == "'last_10_orders': a sliced Prefetch queryset."


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_other_renderers_and_indents_get_the_fast_path(rendered):
    seed(customers=3)
    response, _ = both("/api/customers/?fields=name", HTTP_ACCEPT="application/json; indent=2")
    assert rendered == [] and decision(response) == "an indented response was asked for"
    with override_settings(DRF_EAGER=SQL_ON):
        response = get("/api/customers/?fields=name&format=api")
    assert response.status_code == 200 and rendered == []
    assert decision(response) is None  # nor is the fast path taken


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_it_is_opt_in(rendered, settings):
    seed(customers=3)
    with override_settings(DRF_EAGER={"STRICT": True, "FAST_PATH": "verify"}):
        response = get("/api/customers/?fields=name")  # off unless asked for
    assert rendered == [] and decision(response) is None
    from shop.views import CustomerViewSet

    CustomerViewSet.eager_sql_render = True
    try:
        response = get("/api/customers/?fields=name")
    finally:
        del CustomerViewSet.eager_sql_render
    assert len(rendered) == 1
    with override_settings(DRF_EAGER={**SQL_ON}):
        CustomerViewSet.eager_sql_render = False
        try:
            get("/api/customers/?fields=name")
        finally:
            del CustomerViewSet.eager_sql_render
    assert len(rendered) == 1


# Verify mode, the row budget, explain_shape ------------------------------------------------


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_verify_mode_compares_the_bytes(monkeypatch):
    seed(customers=3)
    original = sql.SQLResponse.render
    monkeypatch.setattr(
        sql.SQLResponse,
        "render",
        lambda self, rows=None, budget=None: original(self, rows, budget).replace("Mario", "M"),
    )
    with override_settings(DRF_EAGER=SQL_ON), pytest.raises(FastPathMismatch) as raised:
        get("/api/customers/?fields=name")
    message = str(raised.value)
    assert message.startswith("CustomerViewSet: the SQL render's response differs from the DRF")
    assert "$[0].name: 'M 0' (fast path) != 'Mario 0' (DRF path)" in message


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_the_row_budget_counts_its_objects(rendered):
    seed(customers=5)
    url = "/api/customers/?fields=name,countries.name"
    with override_settings(DRF_EAGER=DRF_PATH):
        data = get(url).json()["results"]
    served = len(data) + sum(len(row["countries"]) for row in data)
    for limit, status in [(served, 200), (served - 1, 400)]:
        with override_settings(DRF_EAGER={**SQL_ON, "MAX_ROWS": limit}):
            response = get(url)
        with override_settings(DRF_EAGER={**DRF_PATH, "MAX_ROWS": limit}):
            expected = get(url)
        assert response.status_code == expected.status_code == status
        assert response.content == expected.content
    assert len(rendered) == 2


def test_count_objects():
    assert sql.count_objects("[]") == 0
    assert sql.count_objects('[{"a":{"b":"{"}},{"c":"\\"{"}]') == 3


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_explain_shape_says_it(settings):
    seed(customers=3)
    settings.DRF_EAGER = SQL_ON
    out = StringIO()
    call_command("explain_shape", "/api/customers/?fields=name", stdout=out)
    lines = out.getvalue().splitlines()
    assert "Path: fast (values_list() rows, drf_eager.fast)" in lines
    assert "SQL render: yes (one statement writes the list's JSON, drf_eager.sql)" in lines
    out = StringIO()
    call_command(
        "explain_shape",
        "/api/customers/?extra=last_10_orders&fields=last_10_orders.id",
        stdout=out,
    )
    assert (
        "SQL render: no ('last_10_orders': a sliced Prefetch queryset.): the fast path built it"
        in out.getvalue().splitlines()
    )


# Each encoding, on literal values ----------------------------------------------------------


def encoded(encoding, literal, params=(), tz=None):
    """What the statement writes for `literal` (SQL) with `encoding`."""
    statement = sql._Statement.__new__(sql._Statement)
    statement.vendor = connection.vendor
    statement.tz = tz
    text, value_params = statement.value(encoding, "t.v")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {text} FROM (SELECT {literal} AS v) t", [*value_params, *params])
        return cursor.fetchone()[0]


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_each_encoding_writes_drfs_text():
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer

    def drf(field, value):
        return JSONRenderer().render(field.to_representation(value)).decode()

    date = datetime.date(850, 1, 5)
    assert encoded(sql.DATE, "(%s)", [date]) == drf(serializers.DateField(), date)
    assert encoded(sql.BOOLEAN, "%s", [True]) == "true"
    assert encoded(sql.BOOLEAN, "%s", [False]) == "false"
    assert encoded(sql.INTEGER, "(%s)", [-(2**62)]) == str(-(2**62))
    assert encoded(sql.TEXT, "%s", ["\x00x"[1:] + '"\\\n\x1f\x7fé😀']) == json.dumps(
        'x"\\\n\x1f\x7fé😀', ensure_ascii=False
    )
    # Every control character (MariaDB's JSON_QUOTE() writes '\u001B' for Python's
    # '\u001b'), and text that reads like such an escape.
    for text in [
        "".join(chr(code) for code in range(1, 33)),  # PostgreSQL's text holds no NUL
        "\x0b\x1b",
        "\\u001B \\\x1b \\",
        "no control \\u000B",
    ]:
        assert encoded(sql.TEXT, "%s", [text]) == json.dumps(text, ensure_ascii=False), text
    if connection.vendor == "sqlite":
        # What int() makes of what SQLite stored in an integer column.
        for stored, expected in [(2.5, "2"), (-2.5, "-2"), (7, "7")]:
            assert encoded(sql.LOOSE_INTEGER, "%s", [stored]) == expected
    else:
        field = serializers.DecimalField(max_digits=8, decimal_places=2)
        numeric = "decimal" if MARIADB else "numeric"
        for value in ["0.00", "-0.50", "123456.78"]:
            written = encoded(sql.DECIMAL, f"CAST(%s AS {numeric}(8, 2))", [Decimal(value)])
            assert written == drf(field, Decimal(value))
    if MARIADB:
        # Django stores the UTC datetime in a DATETIME(6); UTC only (see SQLResponse).
        for moment in [
            datetime.datetime(2024, 3, 31, 0, 59, 59, 5),
            datetime.datetime(850, 6, 1, 0, 0),
            datetime.datetime(2024, 3, 31, 0, 59, 59, 120000),
        ]:
            with timezone.override(datetime.timezone.utc):
                aware = moment.replace(tzinfo=datetime.timezone.utc)
                expected = drf(serializers.DateTimeField(), aware)
            assert encoded(sql.DATETIME, "CAST(%s AS DATETIME(6))", [moment], tz="UTC") == expected
    elif POSTGRES:
        moment = datetime.datetime(2024, 3, 31, 0, 59, 59, 5, tzinfo=datetime.timezone.utc)
        for zone in ["UTC", "Europe/Paris", "Asia/Kathmandu", "America/St_Johns"]:
            with timezone.override(ZoneInfo(zone)):
                expected = drf(serializers.DateTimeField(), moment)
            assert encoded(sql.DATETIME, "(%s)", [moment], tz=zone) == expected


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_renderers_and_views_it_does_not_write_for(rendered):
    from rest_framework.renderers import JSONRenderer
    from rest_framework.test import APIRequestFactory

    from shop.views import CustomerViewSet

    class AsciiRenderer(JSONRenderer):
        ensure_ascii = True

    seed(customers=3)
    cases = [
        (
            type("Ascii", (CustomerViewSet,), {"renderer_classes": [AsciiRenderer]}),
            "the JSONRenderer escapes non-ASCII text or is not compact (UNICODE_JSON, "
            "COMPACT_JSON) or has an encoder of its own",
        ),
    ]
    for view_class, reason in cases:
        view = view_class.as_view({"get": "list"})
        with override_settings(DRF_EAGER=SQL_ON):
            response = view(APIRequestFactory().get("/x/?fields=name"))
            response.render()
        assert response.status_code == 200
        assert decision(response) == reason
    assert rendered == []


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_a_time_zone_without_a_name(rendered):
    seed(customers=2)
    with timezone.override(datetime.timezone(datetime.timedelta(hours=2))):
        response, _ = both("/api/customers/?fields=orders.created_at")
    assert rendered == []
    assert decision(response) == "The current time zone UTC+02:00 has no IANA name."


# Streaming ----------------------------------------------------------------------------------

STREAM = {"FAST_PATH": True, "SQL_RENDER": True, "SQL_STREAM": True, "MAX_ROWS": None}


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_an_unpaginated_list_is_streamed(rendered, monkeypatch):
    from tests.conftest import build_library

    build_library(3)
    library.Book.objects.create(
        title="line \u2028 separator", author=library.Book.objects.first().author
    )
    url = "/books/?extra=author.publisher,tags&fields=title,author(name,publisher.name),tags.name"
    chunks = []
    original = sql.SQLResponse.stream
    monkeypatch.setattr(
        sql.SQLResponse, "stream", lambda self, chunk=1000: original(self, chunk=2)
    )
    with override_settings(DRF_EAGER=STREAM), CaptureQueriesContext(connection) as queries:
        response = APIClient().get(url)
        assert response.streaming
        chunks = list(response.streaming_content)
    with override_settings(DRF_EAGER=DRF_PATH), CaptureQueriesContext(connection):
        expected = APIClient().get(url)
    assert b"".join(chunks) == expected.content
    assert response["Content-Type"] == expected["Content-Type"]
    assert response["Vary"] == expected["Vary"]
    assert len(chunks) > 3  # "[", the rows two by two, "]"
    assert len(queries) == 1
    # Not streamed: a client's shape with a row budget, verify mode.
    for settings_ in [{**STREAM, "MAX_ROWS": 1000}, {**STREAM, "FAST_PATH": "verify"}]:
        with override_settings(DRF_EAGER=settings_):
            response = APIClient().get(url)
        assert not response.streaming and response.content == expected.content


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
@pytest.mark.parametrize("disabled", [False, True])
def test_server_side_cursors_follow_the_database_setting(rendered, monkeypatch, disabled):
    """DISABLE_SERVER_SIDE_CURSORS (a transaction-pooling PgBouncer): the streamed list and
    the list counted against a row budget are read by a plain cursor, as Django's
    QuerySet.iterator() reads them."""
    from tests.conftest import build_library

    build_library(3)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", disabled)
    url = "/books/?extra=author,tags&fields=title,author.name,tags.name"
    with override_settings(DRF_EAGER=DRF_PATH):
        expected = get(url).content
    declared = []
    for settings_ in [STREAM, {**SQL_ON, "FAST_PATH": True, "MAX_ROWS": 1000}]:
        with override_settings(DRF_EAGER=settings_), CaptureQueriesContext(connection) as sent:
            response = get(url)
            content = b"".join(response.streaming_content) if response.streaming else None
        assert (content or response.content) == expected
        assert response.streaming is (settings_ is STREAM)
        declared += [query["sql"] for query in sent if query["sql"].startswith("DECLARE")]
    assert len(rendered) == 1  # the budget's (a streamed list is not render()ed)
    # PostgreSQL declares a server-side cursor for each, unless the setting says none.
    assert len(declared) == (2 if POSTGRES and not disabled else 0)


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_an_empty_list_is_streamed(rendered):
    with override_settings(DRF_EAGER=STREAM):
        response = APIClient().get("/books/?fields=title")
        assert b"".join(response.streaming_content) == b"[]"
        response = APIClient().get("/books/?fields=title&title=none")
        assert b"".join(response.streaming_content) == b"[]"


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_code_reading_response_data_gets_the_list(rendered):
    from rest_framework.test import APIRequestFactory

    from shop.views import CustomerViewSet

    class Marking(CustomerViewSet):
        # Edits the rows in place, then replaces the data: as the DRF path's.
        def finalize_response(self, request, response, *args, **kwargs):
            response = super().finalize_response(request, response, *args, **kwargs)
            if request.query_params.get("replace"):
                response.data = {"replaced": True}
            else:
                for row in response.data["results"]:
                    row["marked"] = True
            return response

    seed(customers=3)
    view = Marking.as_view({"get": "list"})
    for query in ["fields=name,countries.name", "fields=name&replace=1"]:
        responses = []
        for settings_ in [SQL_ON, DRF_PATH]:
            with override_settings(DRF_EAGER=settings_):
                response = view(APIRequestFactory().get(f"/x/?{query}"))
                response.render()
            responses.append(response)
        assert responses[0].content == responses[1].content
    assert len(rendered) == 2
    assert json.loads(responses[0].content) == {"replaced": True}
    # Read, not changed: the list as DRF would give it, rendered again from it.
    with override_settings(DRF_EAGER=SQL_ON):
        response = get("/api/customers/?fields=name")
    text = response.content
    results = response.renderer_context["view"].eager_state.sql_text
    assert isinstance(results, sql.SQLList) and results.read is False
    assert results == json.loads(text)["results"] and results.read is True
    # DRF's ReturnList, with its serializer, and pickled as the list it holds.
    assert isinstance(results, ReturnList) and results.serializer.many is True
    with override_settings(DRF_EAGER=SQL_ON):
        unread = get("/api/customers/?fields=name").renderer_context["view"].eager_state.sql_text
    restored = pickle.loads(pickle.dumps(unread))
    assert type(restored) is list and restored == results


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_a_list_past_the_budget_is_not_read_further(monkeypatch):
    # 250 customers on one page: the objects are counted 100 rows at a time, and the
    # first chunk is already past a budget of 50.
    shop.Customer.objects.bulk_create(shop.Customer(name=f"c{i}") for i in range(250))
    counted = []
    original = sql.count_objects
    monkeypatch.setattr(sql, "count_objects", lambda text: counted.append(text) or original(text))
    from shop.views import CustomerViewSet

    monkeypatch.setattr(CustomerViewSet, "pagination_class", None)
    with override_settings(DRF_EAGER={**SQL_ON, "MAX_ROWS": 50}):
        response = get("/api/customers/?fields=name")
    assert response.status_code == 400
    assert len(counted) == 100


def test_field_options_it_leaves_to_the_fast_path():
    from rest_framework import serializers

    from drf_eager import EagerFieldsModelSerializer

    def refusal(vendor, **declared):
        meta = type("Meta", (), {"model": shop.Article, "fields": ["id", *declared]})
        serializer = type("S", (EagerFieldsModelSerializer,), {**declared, "Meta": meta})
        plan = compile_fast_plan(serializer, resolve_params(serializer))
        assert plan is not None
        return sql.sql_refusal(plan, vendor)

    def decimal(**options):
        return serializers.DecimalField(max_digits=8, decimal_places=2, **options)

    assert refusal("postgresql", price=decimal()) is None
    not_a_string = (
        "'price': Article.price: a DecimalField not rendered as a string at the column's own "
        "scale and precision."
    )
    for field in [
        decimal(coerce_to_string=False),
        decimal(localize=True),
        serializers.DecimalField(max_digits=8, decimal_places=3),
        serializers.DecimalField(max_digits=9, decimal_places=2),
    ]:
        assert refusal("postgresql", price=field) == not_a_string
    choices = serializers.ChoiceField(choices=["a", "b"])
    assert refusal("sqlite", code=choices) is None
    numbers = serializers.ChoiceField(choices=[1, 2])
    assert refusal("sqlite", code=numbers).startswith("'code': Article.code (CharField) through")
    assert refusal("sqlite", code=serializers.IntegerField(source="customer_id")) is None
    assert refusal("sqlite", name=serializers.CharField(source="customer_id")) == (
        "'name': Customer.id (BigAutoField) through CharField: the database cannot write its "
        "exact bytes (floats, times, durations, JSON, custom fields)."
    )


def test_datetime_options_it_leaves_to_the_fast_path():
    from rest_framework import serializers

    from drf_eager import EagerFieldsModelSerializer

    def refusal(field):
        meta = type("Meta", (), {"model": shop.Order, "fields": ["id", "created_at"]})
        serializer = type("S", (EagerFieldsModelSerializer,), {"created_at": field, "Meta": meta})
        plan = compile_fast_plan(serializer, resolve_params(serializer))
        assert plan is not None
        return sql.sql_refusal(plan, "postgresql")

    assert refusal(serializers.DateTimeField()) is None
    assert refusal(serializers.DateTimeField(format="ISO-8601")) is None
    assert refusal(serializers.DateTimeField(format="%Y")) == (
        "'created_at': Order.created_at: a DateTimeField with a format of its own."
    )
    assert refusal(serializers.DateTimeField(format=None)) == (
        "'created_at': Order.created_at: a DateTimeField with a format of its own."
    )
    zone = serializers.DateTimeField(default_timezone=ZoneInfo("Asia/Tokyo"))
    assert refusal(zone) == (
        "'created_at': Order.created_at: a DateTimeField with a time zone of its own."
    )


@pytest.mark.skipif(not SUPPORTED, reason="the SQL render does not write for this database")
def test_a_statement_django_cannot_write_is_the_fast_paths(rendered, monkeypatch):
    from django.core.exceptions import FieldError

    def root(self):
        raise FieldError("Cannot resolve keyword 'x' into field.")

    monkeypatch.setattr(sql._Statement, "root", root)
    seed(customers=2)
    response, queries = both("/api/customers/?fields=name")
    assert rendered == []
    assert decision(response) == (
        "Django cannot write it as one statement: Cannot resolve keyword 'x' into field."
    )
