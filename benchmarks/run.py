"""Compare ways to serve one shaped response, in one process and one run.

The shape (the seed's): every customer with its name, its orders (code, created_at and the
article's code) and its countries' names. Each variant must return the same document.

    python benchmarks/run.py                       # SQLite, 100 and 1,000 customers
    python benchmarks/run.py --db postgres --sizes 100 1000 10000

Reports, per size: queries, median time of --repeat runs, the ratio to hand-tuned DRF and to
the values() floor, and peak memory (tracemalloc) of one run; then the ratio of each
"drf_eager grouped" variant (one relation JOINed to the customers' query, drf_eager.grouped)
to "drf_eager", the prefetch plan of the same shape. Every variant builds the data;
"drf_eager fast path + orjson" also renders it to the response's bytes.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "example")]


def configure(db: str) -> None:
    import django
    from django.conf import settings

    databases = {
        "sqlite": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "postgres": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": 5432,
            "TEST": {"NAME": os.environ.get("BENCH_DB_NAME", "test_drf_eager_bench")},
        },
        "mariadb": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "test",
            "USER": "root",
            "HOST": "127.0.0.1",
            "PORT": 3306,
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": os.environ.get("BENCH_DB_NAME", "test_drf_eager_bench"),
                "CHARSET": "utf8mb4",
            },
        },
    }
    if db == "mariadb":  # PyMySQL stands in for mysqlclient (as in tests/settings.py)
        import pymysql

        pymysql.version_info = (2, 2, 7, "final", 0)
        pymysql.install_as_MySQLdb()
    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "drf_eager",
            "shop",
        ],
        DATABASES={"default": databases[db]},
        USE_TZ=True,
        # UTC: on SQLite the SQL render serves datetimes in UTC only (docs/sql-render.md).
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        DRF_EAGER={"STRICT": False},
    )
    django.setup()


def seed(customers: int) -> None:
    from shop.models import Article, Country, Customer, Order

    Order.objects.all().delete()
    Article.objects.all().delete()
    Customer.objects.all().delete()
    Country.objects.all().delete()
    countries = Country.objects.bulk_create(Country(name=f"country {i}") for i in range(20))
    rows = Customer.objects.bulk_create(
        (Customer(name=f"customer {i}") for i in range(customers)), batch_size=10_000
    )
    through = Customer.countries.through
    through.objects.bulk_create(
        (
            through(customer_id=c.pk, country_id=countries[(c.pk + k) % 20].pk)
            for c in rows
            for k in range(2)
        ),
        batch_size=10_000,
    )
    articles = Article.objects.bulk_create(
        Article(code=f"A{i}", name=f"article {i}", price=1, customer=rows[i % customers])
        for i in range(max(customers // 2, 1))
    )
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    orders = (
        Order(
            code=f"O{c.pk}-{j}",
            created_at=start + datetime.timedelta(minutes=j),
            customer=c,
            article=articles[(c.pk + j) % len(articles)],
        )
        for c in rows
        for j in range(10)
    )
    # In statements that fit in MariaDB's max_allowed_packet (16 MB) at 100,000 customers.
    Order.objects.bulk_create(orders, batch_size=10_000)
    analyze()


def analyze() -> None:
    # The planner's statistics, as a live database has them (autovacuum, or MariaDB's
    # own sampling, would gather them some time after the bulk insert): without them
    # PostgreSQL plans every correlated subquery as if the tables were empty.
    from django.db import connection

    tables = ["shop_customer", "shop_customer_countries", "shop_country", "shop_order"]
    tables.append("shop_article")
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("ANALYZE TABLE " + ", ".join(tables))
            cursor.fetchall()
        else:
            cursor.execute("ANALYZE")


def variants(page=None):
    from django.db.models import Prefetch
    from rest_framework import serializers
    from shop.models import Country, Customer, Order
    from shop.serializers import CustomerSerializer

    from drf_eager import prepare
    from drf_eager.fast import compile_fast_plan
    from drf_eager.prefetch import prefetch_queryset
    from drf_eager.renderers import ORJSONRenderer
    from drf_eager.schema import get_schema
    from drf_eager.serializers import SHAPE_CONTEXT_KEY, resolve_params

    class PlainArticle(serializers.Serializer):
        code = serializers.CharField()

    class PlainOrder(serializers.ModelSerializer):
        article = PlainArticle()

        class Meta:
            model = Order
            fields = ["code", "created_at", "article"]

    class PlainCountry(serializers.ModelSerializer):
        class Meta:
            model = Country
            fields = ["name"]

    class PlainCustomer(serializers.ModelSerializer):
        orders = PlainOrder(many=True)
        countries = PlainCountry(many=True)

        class Meta:
            model = Customer
            fields = ["name", "orders", "countries"]

    def plain_drf():
        return PlainCustomer(Customer.objects.all(), many=True).data

    def hand_tuned_drf():
        queryset = Customer.objects.only("id", "name").prefetch_related(
            Prefetch(
                "orders",
                Order.objects.select_related("article").only(
                    "code", "created_at", "customer_id", "article__code"
                ),
            ),
            Prefetch("countries", Country.objects.only("name")),
        )
        return PlainCustomer(queryset, many=True).data

    fields = "name,orders(code,created_at,article.code),countries.name"

    def drf_eager():
        queryset, context = prepare(CustomerSerializer, Customer.objects.all(), fields=fields)
        return CustomerSerializer(queryset, many=True, context=context).data

    def grouped(relation, page=None):
        # The prefetch plan, with `relation` JOINed to the customers' query instead; or,
        # with `page` (a slice), that page of it as a paginator slices it.
        def serve():
            shape = resolve_params(CustomerSerializer, fields=fields)
            schema = get_schema(CustomerSerializer)
            groups = [relation] if relation else []
            queryset = prefetch_queryset(Customer.objects.all(), schema, shape, grouped=groups)
            if page is not None:
                queryset = queryset[page]
            context = {SHAPE_CONTEXT_KEY: shape}
            return CustomerSerializer(queryset, many=True, context=context).data

        return serve

    def fast_path():
        # Per request: the shape is resolved, its plan taken from the cache.
        shape = resolve_params(CustomerSerializer, fields=fields)
        return compile_fast_plan(CustomerSerializer, shape).serialize(Customer.objects.all())

    def fast_path_orjson():
        # Rendered to the response's bytes: the only variant timed with its rendering.
        return ORJSONRenderer().render(fast_path())

    def sql_render():
        # The same plan, written as one statement by the database (drf_eager.sql); the
        # response's bytes, as the view sends them.
        from drf_eager.sql import prepare_sql

        shape = resolve_params(CustomerSerializer, fields=fields)
        query = compile_fast_plan(CustomerSerializer, shape).prepare(Customer.objects.all())
        return prepare_sql(query).render().encode()

    def sql_stream():
        # The same statement, sent as it is read (SQL_STREAM); the chunks are joined
        # here for the check (see stream_peak() for its peak memory).
        from drf_eager.sql import prepare_sql

        shape = resolve_params(CustomerSerializer, fields=fields)
        query = compile_fast_plan(CustomerSerializer, shape).prepare(Customer.objects.all())
        return b"".join(prepare_sql(query).stream())

    def json_statement():
        # The floor of one statement: written by hand with the database's JSON functions
        # (their own spacing, not DRF's bytes: the document is the same).
        from django.db import connection

        if connection.vendor == "postgresql":
            sql = """
            SELECT json_agg(json_build_object(
              'name', c.name,
              'orders', COALESCE((
                SELECT json_agg(json_build_object(
                  'code', o.code,
                  'created_at', to_char(o.created_at AT TIME ZONE 'UTC',
                                        'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                  'article', json_build_object('code', a.code)) ORDER BY o.id)
                FROM shop_order o JOIN shop_article a ON a.id = o.article_id
                WHERE o.customer_id = c.id AND NOT o.deleted), '[]'),
              'countries', COALESCE((
                SELECT json_agg(json_build_object('name', k.name) ORDER BY k.id)
                FROM shop_country k
                JOIN shop_customer_countries cc ON cc.country_id = k.id
                WHERE cc.customer_id = c.id), '[]')
            ) ORDER BY c.id)::text FROM shop_customer c
            """
        elif connection.vendor == "mysql":
            sql = """
            SET STATEMENT group_concat_max_len = 4294967295 FOR
            SELECT JSON_ARRAYAGG(JSON_OBJECT(
              'name', c.name,
              'orders', COALESCE((
                SELECT JSON_EXTRACT(JSON_ARRAYAGG(JSON_OBJECT(
                  'code', o.code,
                  'created_at', CONCAT(REPLACE(CAST(o.created_at AS CHAR(19)), ' ', 'T'), 'Z'),
                  'article', JSON_OBJECT('code', a.code)) ORDER BY o.id), '$')
                FROM shop_order o JOIN shop_article a ON a.id = o.article_id
                WHERE o.customer_id = c.id AND NOT o.deleted), JSON_ARRAY()),
              'countries', COALESCE((
                SELECT JSON_EXTRACT(JSON_ARRAYAGG(JSON_OBJECT('name', k.name) ORDER BY k.id), '$')
                FROM shop_country k
                JOIN shop_customer_countries cc ON cc.country_id = k.id
                WHERE cc.customer_id = c.id), JSON_ARRAY())
            ) ORDER BY c.id) FROM shop_customer c
            """
        else:
            sql = """
            SELECT json_group_array(json(j)) FROM (SELECT json_object(
              'name', c.name,
              'orders', (SELECT json_group_array(json(x)) FROM (
                SELECT json_object(
                  'code', o.code,
                  'created_at', replace(o.created_at, ' ', 'T') || 'Z',
                  'article', json_object('code', a.code)) AS x
                FROM shop_order o JOIN shop_article a ON a.id = o.article_id
                WHERE o.customer_id = c.id AND NOT o.deleted ORDER BY o.id)),
              'countries', (SELECT json_group_array(json(x)) FROM (
                SELECT json_object('name', k.name) AS x
                FROM shop_country k
                JOIN shop_customer_countries cc ON cc.country_id = k.id
                WHERE cc.customer_id = c.id ORDER BY k.id))
            ) AS j FROM shop_customer c ORDER BY c.id)
            """
        with connection.cursor() as cursor:
            cursor.execute(sql)
            (text,) = cursor.fetchone()
        return (text or "[]").encode()

    def values_floor():
        from rest_framework.fields import DateTimeField

        created_at = DateTimeField().to_representation
        orders = defaultdict(list)
        for customer_id, code, created, article_code in Order.objects.values_list(
            "customer_id", "code", "created_at", "article__code"
        ).order_by("id"):
            orders[customer_id].append(
                {
                    "code": code,
                    "created_at": created_at(created),
                    "article": {"code": article_code},
                }
            )
        countries = defaultdict(list)
        for customer_id, name in Customer.countries.through.objects.values_list(
            "customer_id", "country__name"
        ).order_by("country_id"):
            countries[customer_id].append({"name": name})
        return [
            {"name": name, "orders": orders[pk], "countries": countries[pk]}
            for pk, name in Customer.objects.values_list("id", "name").order_by("id")
        ]

    if page is not None:  # a page of the same shape: the prefetch plan and grouped
        return {
            "drf_eager, a page": grouped(None, page),
            "drf_eager grouped orders, a page": grouped("orders", page),
        }
    return {
        "plain DRF (N+1)": plain_drf,
        "hand-tuned DRF": hand_tuned_drf,
        "drf_eager": drf_eager,
        "drf_eager grouped orders": grouped("orders"),
        "drf_eager grouped countries": grouped("countries"),
        "drf_eager fast path": fast_path,
        "drf_eager fast path + orjson": fast_path_orjson,
        "values() floor": values_floor,
        "drf_eager SQL render": sql_render,
        "drf_eager SQL render, streamed": sql_stream,
        "one JSON statement by hand": json_statement,
    }


def normalize(data):
    import json

    if isinstance(data, bytes):  # a rendered response
        return json.loads(data)
    return json.loads(json.dumps(data, default=str))


def check(function):
    """Return the document `function` serves, the queries it sent and its peak memory."""
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = normalize(function())
    gc.collect()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, queries, peak


def timings(functions, repeat: int):
    """Median time of each function; the runs take turns, so that a noisy neighbour
    slows every variant alike."""
    times = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            gc.collect()
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def stream_peak(size: int) -> None:
    """Print the peak memory (tracemalloc) of the SQL render streamed, its chunks
    consumed as a server sends them, and of the fast path's data."""
    from shop.models import Customer
    from shop.serializers import CustomerSerializer

    from drf_eager.fast import compile_fast_plan
    from drf_eager.serializers import resolve_params
    from drf_eager.sql import prepare_sql

    shape = resolve_params(
        CustomerSerializer, fields="name,orders(code,created_at,article.code),countries.name"
    )
    plan = compile_fast_plan(CustomerSerializer, shape)

    def streamed():
        sent = 0
        for chunk in prepare_sql(plan.prepare(Customer.objects.all())).stream():
            sent += len(chunk)
        return sent

    def fast_path():
        return len(plan.serialize(Customer.objects.all()))

    ways = [("SQL render, streamed", streamed), ("fast path", fast_path)]
    # The fast path's peak grows with the list (its dicts): measured up to 10,000.
    for name, function in ways if size <= 10_000 else ways[:1]:
        function()
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"{size:,} customers, {name}: peak {peak / 1e6:,.1f} MB, "
            f"{elapsed * 1000:,.0f} ms (traced), {result:,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mariadb"], default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--plain-limit",
        type=int,
        default=1000,
        help="skip plain DRF (N+1 queries) above this many customers",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        help="run only these variants (names as in the table; the first is the reference)",
    )
    parser.add_argument(
        "--stream-peak",
        action="store_true",
        help="only the peak memory of the SQL render streamed and of the fast path",
    )
    parser.add_argument("--no-pages", action="store_true", help="skip the page comparison")
    args = parser.parse_args()
    configure(args.db)

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("migrate", verbosity=0)
        print(
            f"# {args.db}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
            f"median of {args.repeat}"
        )
        for size in args.sizes:
            seed(size)
            if args.stream_peak:
                stream_peak(size)
                continue
            functions = {
                name: function
                for name, function in variants().items()
                if not (name.startswith("plain") and size > args.plain_limit)
            }
            if args.only:
                functions = {name: functions[name] for name in args.only}
            else:
                from peers import peer_variants  # the peer libraries (benchmarks/peers.py)

                functions.update(peer_variants(functions["hand-tuned DRF"], normalize))
            checked = {name: check(function) for name, function in functions.items()}
            reference = next(iter(checked.values()))[0]
            for name, (result, _, _) in checked.items():
                assert result == reference, f"{name} returned a different document"
            medians = timings(functions, args.repeat)
            rows = [
                (name, checked[name][1], medians[name], checked[name][2]) for name in functions
            ]
            tuned = medians.get("hand-tuned DRF", rows[0][2])
            floor = medians.get("values() floor", rows[0][2])
            print(f"\n## {size} customers × 10 orders\n")
            print("| way | queries | median | × hand-tuned | × floor | peak memory |")
            print("|---|---:|---:|---:|---:|---:|")
            for name, queries, median, peak in rows:
                print(
                    f"| {name} | {queries} | {median * 1000:,.1f} ms | {median / tuned:.2f} | "
                    f"{median / floor:.1f} | {peak / 1e6:,.1f} MB |"
                )
            print()
            if "drf_eager SQL render" in medians:
                render = medians["drf_eager SQL render"]
                for other in ("drf_eager fast path", "one JSON statement by hand"):
                    if other in medians:
                        print(f"SQL render: {render / medians[other]:.2f} × {other}")
            for name in (n for n in functions if n.startswith("drf_eager grouped")):
                planned = medians["drf_eager"]
                print(f"{name}: {medians[name] / planned:.2f} × drf_eager (its prefetch plan)")
            if args.no_pages:
                continue
            # A page of 20 customers in the middle, as a paginator slices the queryset.
            middle = size // 2
            functions = variants(page=slice(middle, middle + 20))
            checked = {name: check(function) for name, function in functions.items()}
            documents = [result for result, _, _ in checked.values()]
            assert documents[0] == documents[1], "grouped returned a different page"
            medians = timings(functions, args.repeat * 5)
            planned = medians["drf_eager, a page"]
            print()
            for name, median in medians.items():
                print(
                    f"{name} of 20 at {middle:,}: {checked[name][1]} queries, "
                    f"{median * 1000:,.2f} ms, {median / planned:.2f} × drf_eager"
                )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
