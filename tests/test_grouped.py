"""Grouped loading (drf_eager.grouped): a to-many relation served from one JOIN of its
rows to their parents' query. Every response is compared with the one the ordinary
prefetch plan gives for the same request and data, and every query count is exact, the
same for 2 and 50 authors.

The views are below: `?grouped=books,books.tags` is what the test views' own
get_eager_grouped() loads grouped; without it, the same view serves the prefetch plan."""

from __future__ import annotations

import json
from io import StringIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Prefetch, Q
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from rest_framework import pagination, viewsets
from rest_framework.routers import SimpleRouter

from drf_eager import CountOf, EagerFieldsViewMixin, Grouped, classproperty, prepare
from drf_eager.fast import compile_fast_plan, fast_plan_refusal
from drf_eager.grouped import Grouping, is_grouped
from drf_eager.prefetch import prefetch_queryset
from drf_eager.schema import get_schema
from drf_eager.serializers import resolve_params
from drf_eager.validation import declared_grouping
from tests import models
from tests.conftest import column
from tests.serializers import AuthorSerializer, BookSerializer, TagSerializer

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


# Serializers: the same extras, loaded grouped or prefetched -------------------------


class CountingBookSerializer(BookSerializer):
    @classproperty
    def extra(cls):
        return {**BookSerializer.extra, "num_reviews": {"field": CountOf("reviews")}}


def _extras(grouped):
    def load(queryset=None):
        if grouped:
            return Grouped(queryset)
        return True if queryset is None else Prefetch("books", queryset=queryset)

    return {
        **AuthorSerializer.extra,
        "all_books": {"field": BookSerializer(source="books", many=True), "prefetch": load()},
        "latest_books": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(models.Book.objects.order_by("-title")),
        },
        "first_book": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(models.Book.objects.order_by("id")[:1]),
        },
        "second_books": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(),
            "filter": Q(title__endswith="-1"),
        },
        # All but the first of each author: a slice without an end.
        "later_books": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(models.Book.objects.order_by("id")[1:]),
        },
        "no_books": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(models.Book.objects.none()),
        },
        # Ordered by an annotation it selects, and by one it does not (alias()).
        "most_reviewed_books": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(
                models.Book.objects.annotate(num=Count("reviews")).order_by("-num", "-id")
            ),
        },
        "alias_ordered_books": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(models.Book.objects.alias(key=F("id") * -1).order_by("key")),
        },
        # A column selected twice in a sliced queryset: Django's window-filtered query
        # cannot name it, so the relation is prefetched (where Django fails).
        "twice_first_book": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(models.Book.objects.annotate(t=F("title")).order_by("id")[:1]),
        },
        # Ordered by an extra(select=...) column.
        "extra_ordered_books": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(
                models.Book.objects.extra(select={"neg": "0 - tests_book.id"}).order_by("neg")
            ),
        },
        "extra_ordered_first_book": {
            "field": BookSerializer(source="books", many=True),
            "prefetch": load(
                models.Book.objects.extra(select={"neg": "0 - tests_book.id"}).order_by("neg")[:1]
            ),
        },
        "counted_books": {
            "field": CountingBookSerializer(source="books", many=True),
            "prefetch": load(),
        },
    }


class GroupedAuthorSerializer(AuthorSerializer):
    @classproperty
    def extra(cls):
        return _extras(grouped=True)


class PrefetchedAuthorSerializer(AuthorSerializer):
    @classproperty
    def extra(cls):
        return _extras(grouped=False)


# Views -------------------------------------------------------------------------------


class Page(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"


class AuthorViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    """`?grouped=` names the relations to group; `?only=1` asks only authors with
    matching books; `?title=` filters the books (a child filter, in
    get_related_queryset); `?duplicates=1` and `?distinct=1` change the authors' query."""

    serializer_class = AuthorSerializer
    pagination_class = Page
    # The prefetch plan itself, not the fast path, which serves the same documents.
    eager_fast_path = False

    def get_queryset(self):
        params = self.request.query_params
        queryset = models.Author.objects.all()
        if params.get("duplicates"):  # an author per review of each of its books
            queryset = queryset.filter(books__reviews__rating__gte=1)
        if params.get("distinct"):
            queryset = queryset.filter(books__tags__name__in=["tag0", "tag1"]).distinct()
        if params.get("extra_ordered"):
            queryset = queryset.extra(select={"neg": "0 - tests_author.id"}).order_by("neg")
        if params.get("annotated"):
            queryset = queryset.annotate(num=Count("books"))
        if params.get("ordering"):
            queryset = queryset.order_by(*params["ordering"].split(","))
        return queryset

    def get_eager_grouped(self):
        paths = [p for p in self.request.query_params.get("grouped", "").split(",") if p]
        only = bool(self.request.query_params.get("only"))
        return {p: Grouped(only_with_children=only) for p in paths}

    def get_related_queryset(self, model, path):
        queryset = super().get_related_queryset(model, path)
        title = self.request.query_params.get("title")
        if model is models.Book and title:
            queryset = queryset.filter(title__startswith=title)
        return queryset


class UnpaginatedAuthorViewSet(AuthorViewSet):
    pagination_class = None


class LimitOffsetAuthorViewSet(AuthorViewSet):
    pagination_class = pagination.LimitOffsetPagination


class GroupedExtrasViewSet(AuthorViewSet):
    serializer_class = GroupedAuthorSerializer


class PrefetchedExtrasViewSet(AuthorViewSet):
    serializer_class = PrefetchedAuthorSerializer


class DeclaredViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """The view attribute, as an application declares it."""

    queryset = models.Author.objects.all()
    serializer_class = AuthorSerializer
    pagination_class = Page
    eager_grouped = ["books"]


class TagViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Tag.objects.all()
    serializer_class = TagSerializer
    pagination_class = Page
    eager_fast_path = False

    def get_eager_grouped(self):
        return [p for p in self.request.query_params.get("grouped", "").split(",") if p]


class BookViewSet(TagViewSet):
    queryset = models.Book.objects.all()
    serializer_class = BookSerializer


router = SimpleRouter()
router.register("authors", AuthorViewSet, basename="g-author")
router.register("unpaginated-authors", UnpaginatedAuthorViewSet, basename="g-unpaginated")
router.register("limit-authors", LimitOffsetAuthorViewSet, basename="g-limit")
router.register("grouped-extras", GroupedExtrasViewSet, basename="g-grouped-extras")
router.register("prefetched-extras", PrefetchedExtrasViewSet, basename="g-prefetched-extras")
router.register("declared", DeclaredViewSet, basename="g-declared")
router.register("tags", TagViewSet, basename="g-tag")
router.register("books", BookViewSet, basename="g-book")
urlpatterns = [path("", include(router.urls))]


# Helpers -----------------------------------------------------------------------------


def fetch(api, url):
    status, data, queries = api.get_json(url)
    assert status == 200, data
    return data, queries


def both(api, url, grouped, prefetch_queries, grouped_queries):
    """GET `url` with the prefetch plan and with `grouped` loaded grouped: the same
    document, in the given number of queries each."""
    expected, queries = fetch(api, url)
    assert len(queries) == prefetch_queries, "\n".join(queries)
    separator = "&" if "?" in url else "?"
    served, queries = fetch(api, f"{url}{separator}grouped={grouped}")
    assert len(queries) == grouped_queries, "\n".join(queries)
    assert _without_grouped(served) == expected
    return served, queries


def _without_grouped(data):
    # The paginator's links repeat the request's parameters, `grouped` too.
    if not isinstance(data, dict) or "results" not in data:
        return data
    links = {}
    for name in ("next", "previous"):
        if data.get(name):
            parts = urlsplit(data[name])
            query = [(k, v) for k, v in parse_qsl(parts.query) if k != "grouped"]
            links[name] = urlunsplit(parts._replace(query=urlencode(query)))
    return {**data, **links}


def author_books(data):
    return [(a["name"], [b["title"] for b in a["books"]]) for a in data]


# The same document, one query less ----------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "grouped", "prefetch_queries", "grouped_queries"),
    [
        # COUNT, the authors, the books: the books are JOINed to the authors' page.
        ("name,books.title", "books", 3, 2),
        # A to-one of the books, JOINed in the grouped query as in the prefetch.
        ("name,books(title,author.name)", "books", 3, 2),
        ("name,books(title,author_name,label)", "books", 3, 2),
        # A to-many below the grouped relation: prefetched under it.
        ("name,books(title,tags.name)", "books", 4, 3),
        ("name,books(title,reviews.rating,chapters.title)", "books", 5, 4),
        # A to-one with a queryset of its own below the grouped relation.
        ("name,books(title,featured_author.name)", "books", 4, 3),
        # A JOINed to-one of the authors beside the grouped relation.
        ("name,profile.bio,publisher.name,books.title", "books", 3, 2),
        # Two to-many relations: the first one named is grouped, the other prefetched.
        ("name,books.title,restaurants.name", "books,restaurants", 4, 3),
        ("name,restaurants(name,serves_pizza),awards.name", "restaurants", 4, 3),
        # Grouped below grouped: the lower one is prefetched under the upper one.
        ("name,books(title,reviews(rating,text))", "books,books.reviews", 4, 3),
        # Grouped below a prefetch: the prefetch's query JOINs its relation.
        ("name,books(title,tags.name)", "books.tags", 4, 3),
        # Not served: nothing changes.
        ("name,email", "books", 2, 2),
    ],
)
def test_same_document_one_query_less(
    api, library, fields, grouped, prefetch_queries, grouped_queries
):
    served, _ = both(api, f"/authors/?fields={fields}", grouped, prefetch_queries, grouped_queries)
    assert served["count"] == library
    assert len(served["results"]) == min(library, Page.page_size)


def test_the_grouped_query(api, library):
    data, queries = fetch(api, "/authors/?fields=name,books(title,author.name)&grouped=books")
    assert author_books(data["results"][:2]) == [
        ("author0", ["book0-0", "book0-1"]),
        ("author1", ["book1-0", "book1-1"]),
    ]
    count, grouped = queries
    assert count.startswith("SELECT COUNT(*)")
    # One query: the page of authors LEFT JOINed to their books, each with its author.
    assert "LEFT OUTER JOIN" in grouped and f"LIMIT {library if library < 20 else 20}" in grouped
    assert column("tests_book", "title") in grouped
    assert column("tests_author", "name") in grouped
    # Only the columns served, and the keys.
    for unserved in ("isbn", "price"):
        assert column("tests_book", unserved) not in grouped
    assert column("tests_author", "email") not in grouped
    # The books of the page only, by a subquery of the page: no list of keys.
    assert grouped.count(" IN (SELECT ") == 1
    assert grouped.count("LIMIT") == 2


def test_unpaginated_list_is_one_query(api, library):
    served, queries = both(
        api, "/unpaginated-authors/?fields=name,books(title,isbn)", "books", 2, 1
    )
    assert [a["name"] for a in served] == [f"author{i}" for i in range(library)]
    assert all(len(a["books"]) == 2 for a in served)


def test_detail_is_one_query(api, library):
    author = models.Author.objects.get(name="author1")
    served, _ = both(api, f"/authors/{author.pk}/?fields=name,books.title", "books", 2, 1)
    assert served == {"name": "author1", "books": [{"title": "book1-0"}, {"title": "book1-1"}]}


def test_the_view_attribute(api, library):
    data, queries = fetch(api, "/declared/?fields=name,books.title")
    assert len(queries) == 2
    expected, _ = fetch(api, "/authors/?fields=name,books.title")
    assert data["results"] == expected["results"]


def test_many_to_many_both_ways(api, library):
    # Book.tags, below the books' own query, and Tag.books at the root.
    both(api, "/books/?fields=title,tags.name", "tags", 3, 2)
    served, _ = both(api, "/tags/?fields=name,books.title", "books", 3, 2)
    assert [len(tag["books"]) for tag in served["results"]] == [library, 2 * library, library]


def test_below_a_joined_to_one_the_relation_is_prefetched(api, library):
    # The authors are JOINed into the books' query: their books keep their prefetch.
    both(api, "/books/?fields=title,author(name,books.title)", "author.books", 3, 3)


# Per extra -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "prefetch_queries", "grouped_queries"),
    [
        ("name,all_books(title,isbn)", 3, 2),
        # The queryset's ordering, newest title first.
        ("name,latest_books.title", 3, 2),
        # A slice: the first book of each author, as the prefetch's window gives it.
        ("name,first_book.title", 3, 2),
        ("name,later_books.title", 3, 2),
        # The extra's filter.
        ("name,second_books.title", 3, 2),
        ("name,most_reviewed_books.title,alias_ordered_books.title", 4, 3),
        ("name,extra_ordered_books.title", 3, 2),
        # A computed field of the books: a subquery of the grouped query.
        ("name,counted_books(title,num_reviews)", 3, 2),
        # One grouped extra per query: the others are prefetched.
        ("name,all_books.title,latest_books.title,books.title", 5, 4),
        # An empty queryset: no query for the books either way.
        ("name,no_books.title", 2, 2),
    ],
)
def test_extras(api, library, fields, prefetch_queries, grouped_queries):
    expected, queries = fetch(api, f"/prefetched-extras/?fields={fields}")
    assert len(queries) == prefetch_queries, "\n".join(queries)
    served, queries = fetch(api, f"/grouped-extras/?fields={fields}")
    assert len(queries) == grouped_queries, "\n".join(queries)
    assert served["results"] == expected["results"]
    assert served["count"] == expected["count"] == library


def test_a_slice_selecting_a_column_twice_is_prefetched(api, library):
    # Django's prefetch of such a slice loses a column (Django 5.2 raises IndexError):
    # the grouped relation falls back to it, and does the same. (The fast path, which
    # selects no annotation, serves it.)
    outcomes = []
    for view in ("prefetched-extras", "grouped-extras"):
        try:
            outcomes.append(fetch(api, f"/{view}/?fields=name,twice_first_book.title")[0])
        except IndexError as exc:
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]


def test_a_slice_ordered_by_an_extra_column(api, library):
    # The last book of each author by `0 - id`. (Django 5.2's own prefetch of this slice,
    # on SQLite and PostgreSQL, numbers the rows in another order and serves the first.)
    data, queries = fetch(api, "/grouped-extras/?fields=name,extra_ordered_first_book.title")
    assert len(queries) == 2
    assert [a["extra_ordered_first_book"] for a in data["results"]] == [
        [{"title": f"book{i}-1"}] for i in range(min(library, Page.page_size))
    ]


def test_extras_content(api, library):
    data, _ = fetch(api, "/grouped-extras/?fields=name,latest_books.title&page_size=2")
    assert data["results"] == [
        {"name": "author0", "latest_books": [{"title": "book0-1"}, {"title": "book0-0"}]},
        {"name": "author1", "latest_books": [{"title": "book1-1"}, {"title": "book1-0"}]},
    ]
    data, _ = fetch(api, "/grouped-extras/?fields=name,first_book.title,second_books.title")
    assert data["results"][1] == {
        "name": "author1",
        "first_book": [{"title": "book1-0"}],
        "second_books": [{"title": "book1-1"}],
    }


def test_the_fast_path_refuses_grouped_relations(api, library):
    shape = resolve_params(GroupedAuthorSerializer, fields="name,all_books.title")
    assert compile_fast_plan(GroupedAuthorSerializer, shape) is None
    assert "Grouped" in fast_plan_refusal(GroupedAuthorSerializer, shape)
    plain = resolve_params(GroupedAuthorSerializer, fields="name,books.title")
    assert compile_fast_plan(GroupedAuthorSerializer, plain) is not None
    # A view's grouped relation: the list is served by the DRF path, grouped.
    _, queries = fetch(api, "/declared/?fields=name,books.title")
    assert len(queries) == 2
    _, queries = fetch(api, "/declared/?fields=name,email")
    assert len(queries) == 2


# Pagination ----------------------------------------------------------------------------


@pytest.fixture
def many_books(db):
    """7 authors with 30 books each (the 4th has none), and an author of 1 book."""
    for i in range(7):
        author = models.Author.objects.create(name=f"writer{i}")
        if i != 3:
            models.Book.objects.bulk_create(
                models.Book(title=f"w{i}-{j:02d}", author=author) for j in range(30)
            )
    models.Book.objects.create(title="w7-00", author=models.Author.objects.create(name="writer7"))


def test_a_page_holds_its_parents_whatever_their_children(api, many_books):
    url = "/authors/?fields=name,books.title&page_size=3&page=2"
    served, queries = both(api, url, "books", 3, 2)
    assert served["count"] == 8
    assert [(a["name"], len(a["books"])) for a in served["results"]] == [
        ("writer3", 0),
        ("writer4", 30),
        ("writer5", 30),
    ]
    assert served["results"][1]["books"][:2] == [{"title": "w4-00"}, {"title": "w4-01"}]
    assert "LIMIT 3 OFFSET 3" in queries[1]


def test_limit_offset(api, many_books):
    served, _ = both(
        api, "/limit-authors/?fields=name,books.title&limit=2&offset=5", "books", 3, 2
    )
    assert [(a["name"], len(a["books"])) for a in served["results"]] == [
        ("writer5", 30),
        ("writer6", 30),
    ]
    assert served["count"] == 8


def test_parent_ordering(api, many_books):
    served, _ = both(
        api, "/authors/?fields=name,books.title&page_size=3&ordering=-name", "books", 3, 2
    )
    assert [a["name"] for a in served["results"]] == ["writer7", "writer6", "writer5"]


def test_no_parents_and_no_children(api, many_books):
    # No author at all: one query either way (the prefetch has no keys to query).
    served, _ = both(
        api, "/unpaginated-authors/?fields=name,books.title&duplicates=1", "books", 1, 1
    )
    assert served == []
    # Authors, none with a matching book.
    served, _ = both(
        api, "/unpaginated-authors/?fields=name,books.title&title=none", "books", 2, 1
    )
    assert [a["books"] for a in served] == [[]] * 8


def test_an_empty_page_costs_what_the_prefetch_costs(api, many_books):
    # No author matches: the paginator's COUNT, and no page query.
    both(api, "/authors/?fields=name,books.title&distinct=1", "books", 1, 1)


# Parents without children, and filters on the children --------------------------------


def test_child_filter_keeps_the_parents(api, many_books):
    # The books are filtered; the authors without a matching book are still served.
    served, _ = both(api, "/authors/?fields=name,books.title&title=w1-0", "books", 3, 2)
    assert served["count"] == 8
    assert [(a["name"], len(a["books"])) for a in served["results"]] == [
        ("writer0", 0),
        ("writer1", 10),
        *[(f"writer{i}", 0) for i in range(2, 8)],
    ]


def test_only_with_children(api, many_books):
    data, queries = fetch(api, "/authors/?fields=name,books.title&grouped=books&only=1")
    assert len(queries) == 2
    assert data["count"] == 7  # writer3 has no book: counted out too
    assert "writer3" not in [a["name"] for a in data["results"]]
    data, queries = fetch(
        api, "/authors/?fields=name,books.title&grouped=books&only=1&title=w1-0&page_size=1"
    )
    assert len(queries) == 2
    assert data["count"] == 1
    assert author_books(data["results"]) == [("writer1", [f"w1-0{j}" for j in range(10)])]


def test_only_with_children_below_a_prefetch(api, many_books):
    # Tags of books, nested: books without a tag are left out of their author's list.
    book = models.Book.objects.get(title="w7-00")
    book.tags.add(models.Tag.objects.create(name="t"))
    data, queries = fetch(
        api, "/authors/?fields=name,books(title,tags.name)&grouped=books.tags&only=1"
    )
    assert len(queries) == 3
    books = {a["name"]: a["books"] for a in data["results"]}
    assert books["writer7"] == [{"title": "w7-00", "tags": [{"name": "t"}]}]
    assert books["writer0"] == []


# The parents' query as it is ------------------------------------------------------------


def test_duplicate_parent_rows(api, library):
    # Each author appears once per review of its books (4 times) in both plans.
    served, _ = both(api, "/authors/?fields=name,books.title&duplicates=1", "books", 3, 2)
    assert served["count"] == 4 * library
    assert [a["name"] for a in served["results"][:5]] == ["author0"] * 4 + ["author1"]
    assert all(len(a["books"]) == 2 for a in served["results"])


def test_parents_ordered_by_an_annotation(api, library):
    url = "/authors/?fields=name,books.title&annotated=1&ordering=-num,-id"
    served, _ = both(api, url, "books", 3, 2)
    assert served["results"][0]["name"] == f"author{library - 1}"


def test_parents_ordered_by_an_extra_column(api, library):
    served, _ = both(api, "/authors/?fields=name,books.title&extra_ordered=1", "books", 3, 2)
    assert served["results"][0]["name"] == f"author{library - 1}"


def test_distinct_parents(api, library):
    served, _ = both(api, "/authors/?fields=name,books.title&distinct=1", "books", 3, 2)
    assert served["count"] == library


def test_update_response(api, library):
    author = models.Author.objects.get(name="author0")
    status, data, queries = api.send(
        "patch", f"/authors/{author.pk}/?fields=name,books.title&grouped=books", {"name": "x"}
    )
    assert status == 200
    assert data == {"name": "x", "books": [{"title": "book0-0"}, {"title": "book0-1"}]}


# Outside a view, and mistakes ------------------------------------------------------------


def test_prefetch_queryset_outside_a_view(library, django_assert_num_queries):
    schema = get_schema(AuthorSerializer)
    shape = resolve_params(AuthorSerializer, fields="name,books(title,tags.name)")
    queryset = prefetch_queryset(models.Author.objects.all(), schema, shape, grouped=["books"])
    assert is_grouped(queryset)
    assert not is_grouped(models.Author.objects.all())
    context = {"eager_shape": shape}
    with django_assert_num_queries(2):
        data = AuthorSerializer(queryset, many=True, context=context).data
    planned, context = prepare(
        AuthorSerializer, models.Author.objects.all(), fields="name,books(title,tags.name)"
    )
    expected = AuthorSerializer(planned, many=True, context=context).data
    assert json.loads(json.dumps(data)) == json.loads(json.dumps(expected))


@pytest.mark.parametrize("fields", ["name,books.title", "name,publisher.name,books.title"])
def test_known_related_objects(library, django_assert_num_queries, fields):
    # The authors of a publisher, through its manager: each author's publisher is it
    # (or the one JOINed, when the shape JOINs it).
    publisher = models.Publisher.objects.get()
    schema = get_schema(AuthorSerializer)
    shape = resolve_params(AuthorSerializer, fields=fields)
    queryset = prefetch_queryset(publisher.authors.all(), schema, shape, grouped=["books"])
    with django_assert_num_queries(1):
        authors = list(queryset)
        assert all(author.publisher == publisher for author in authors)
        assert all(author.publisher is publisher for author in authors) == (
            "publisher" not in fields
        )
        assert [len(author.books.all()) for author in authors] == [2] * library


def test_grouping_of_a_prefetch_without_a_queryset(library, django_assert_num_queries):
    grouping = Grouping()
    grouping.add(models.Author, "books", None, Grouped(), models.Book, "books")
    # Planned, then not prefetched after all: nothing to group.
    grouping.add(models.Author, "award_set", None, Grouped(), models.Award, "awards")
    prefetches = {"books": Prefetch("books")}
    queryset = grouping.apply(models.Author.objects.all(), prefetches)
    assert prefetches == {}
    with django_assert_num_queries(1):
        assert [len(author.books.all()) for author in queryset] == [2] * library


def test_only_with_children_of_a_slice_with_an_offset(many_books):
    # Authors with more than one book: the slice's offset counts.
    class LaterBooksSerializer(AuthorSerializer):
        @classproperty
        def extra(cls):
            later = models.Book.objects.order_by("id")[1:]
            return {
                "books": {
                    "field": BookSerializer(many=True),
                    "prefetch": Grouped(later, only_with_children=True),
                }
            }

    queryset, context = prepare(
        LaterBooksSerializer, models.Author.objects.all(), fields="name,books.title"
    )
    data = LaterBooksSerializer(queryset, many=True, context=context).data
    assert [(a["name"], len(a["books"])) for a in data] == [
        (f"writer{i}", 29) for i in (0, 1, 2, 4, 5, 6)
    ]


def test_an_unsupported_queryset_is_prefetched(library, django_assert_num_queries):
    # An extra() ordering is raw SQL the grouped query cannot order its derived table by:
    # the relation is prefetched, as without Grouped.
    schema = get_schema(AuthorSerializer)
    shape = resolve_params(AuthorSerializer, fields="name,books.title")
    authors = models.Author.objects.extra(order_by=["-name"])
    queryset = prefetch_queryset(authors, schema, shape, grouped=["books"])
    assert is_grouped(queryset)
    with django_assert_num_queries(2):
        data = AuthorSerializer(queryset, many=True, context={"eager_shape": shape}).data
    assert [a["name"] for a in data] == sorted(
        (f"author{i}" for i in range(library)), reverse=True
    )
    assert all(len(a["books"]) == 2 for a in data)


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (
            ["bookz"],
            "eager_grouped names 'bookz', but 'bookz' is not a field of AuthorSerializer.",
        ),
        (["books.titel"], "'titel' is not a field of BookSerializer."),
        (["name.x"], "'x' is not a field of 'name'."),
        (["publisher"], "which is not a to-many relation of AuthorSerializer"),
        ("books", "eager_grouped must be a list of field paths, such as ['books']"),
        ({"books": True}, "eager_grouped['books'] must be a Grouped(), not bool."),
    ],
)
def test_declared_grouping_mistakes(declared, message):
    with pytest.raises(
        ImproperlyConfigured,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]")
        .replace(".", r"\."),
    ):
        declared_grouping(declared, get_schema(AuthorSerializer))


def test_unsupported_relation_kind(library):
    schema = get_schema(AuthorSerializer)
    shape = resolve_params(AuthorSerializer, fields="name,books(title,comments.text)")
    with pytest.raises(ImproperlyConfigured, match="Book.comments is neither"):
        prefetch_queryset(models.Author.objects.all(), schema, shape, grouped=["books.comments"])


def test_grouped_takes_a_queryset_of_instances():
    with pytest.raises(ImproperlyConfigured, match="values\\(\\) and values_list\\(\\)"):
        Grouped(models.Book.objects.values("title"))
    assert repr(Grouped()) == "Grouped()"
    assert repr(Grouped(models.Book.objects.all(), only_with_children=True)) == (
        "Grouped(queryset of Book, only_with_children=True)"
    )


def test_the_query_is_one_statement(library):
    # The grouped query is sent once, whatever the number of authors.
    schema = get_schema(AuthorSerializer)
    shape = resolve_params(AuthorSerializer, fields="name,books.title")
    queryset = prefetch_queryset(models.Author.objects.all(), schema, shape, grouped=["books"])
    with CaptureQueriesContext(connection) as queries:
        authors = list(queryset)
    assert len(queries) == 1
    assert [len(author.books.all()) for author in authors] == [2] * library
    assert all(book.author is author for author in authors for book in author.books.all())


def test_explain_shape(library):
    out = StringIO()
    call_command("explain_shape", "/declared/?fields=name,books(title,tags.name)", stdout=out)
    text = out.getvalue()
    assert "    grouped (JOINed to these rows): books\n      tests.Book\n" in text
    assert "        prefetch_related: tags\n" in text
    assert "Path: DRF (the view loads a relation grouped: eager_grouped)" in text
    assert "SQL: 3 queries" in text  # COUNT, the authors JOINed to their books, the tags
