"""Issue 14.4 on the DRF path: the plan counts the response budget (MAX_ROWS) from each
query's rows as Django loads them (drf_eager.early), and refuses a list past it before
the prefetch levels below run and before anything is serialized. The serializers'
count stays the authority: the early count is never more than theirs, so the limit cuts
where it did."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework import generics
from rest_framework.test import APIClient, APIRequestFactory

from drf_eager import EagerFieldsModelSerializer, classproperty
from drf_eager import early as eager_early
from drf_eager import views as eager_views
from drf_eager.exceptions import RowBudget
from drf_eager.prefetch import prefetch_queryset
from drf_eager.schema import get_schema
from drf_eager.serializers import EagerFieldsSerializerMixin
from drf_eager.shape import build_request, resolve
from drf_eager.views import EagerFieldsViewMixin
from tests import models as library_models
from tests import serializers as library_serializers
from tests.existing_project import models as shop
from tests.tenancy import models
from tests.tenancy import serializers as tenancy_serializers
from tests.tenancy.test_budget import TOO_LARGE
from tests.tenancy.test_budget_counts import COUNTED
from tests.tenancy.test_budget_early import FOUR_LOOPS, build_practice
from tests.tenancy.test_canary import DOCTOR_PATHS, PATIENT_PATHS, paths, send
from tests.zoo.test_zoo import LISTS, zoo  # noqa: F401 - a fixture

DRF_PATH = {"STRICT": True, "FAST_PATH": False}


@pytest.fixture
def counted(monkeypatch):
    """Per response: (what the plan counted from the rows, what the serializers spent),
    with a budget no response reaches."""
    budgets: list[RowBudget] = []
    early: dict[int, int] = {}

    def row_budget(view):
        if "_budget" not in view.__dict__:
            view._budget = RowBudget(10**9)
            budgets.append(view._budget)
        return view._budget

    spend = eager_early.EarlyCount.spend

    def spying(self, count):
        spend(self, count)
        early[id(self.budget)] = self.count

    monkeypatch.setattr(eager_views.EagerFieldsViewMixin, "_row_budget", row_budget)
    monkeypatch.setattr(eager_early.EarlyCount, "spend", spying)
    return lambda: [(early.get(id(b), 0), b.limit - b.left) for b in budgets]


def request_every_path(api, prefix: str, found: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """GET every path of `found` at `prefix` by the DRF path, in the three syntaxes in
    turn; return the paths requested. A prefetch: False field loads its rows while
    serializing, which strict mode refuses: those paths are left out."""
    sent = []
    with override_settings(DRF_EAGER=DRF_PATH):
        for index, path in enumerate(found):
            if "lazy_appointments" in path:
                continue
            response = send(api, prefix, path, index % 3)
            assert response.status_code == 200, (path, response.content[:300])
            sent.append(path)
    return sent


TENANCY = [
    ("/tenancy/slow-patients/", PATIENT_PATHS, {"grouped_appointments"}),
    ("/tenancy/grouped-patients/", PATIENT_PATHS, {"grouped_appointments", "appointments"}),
    ("/tenancy/doctors/", DOCTOR_PATHS, {"grouped_appointments"}),
]


@pytest.mark.parametrize(("prefix", "found", "grouped"), TENANCY, ids=[t[0] for t in TENANCY])
def test_the_plan_counts_what_the_serializers_count(api, tenancy, counted, prefix, found, grouped):
    """Every path a client can name, up to the depth limit: the plan counts exactly the
    objects the serializers count, but below a relation that may be loaded grouped (its
    rows are not loaded by a planned queryset), where it may count less."""
    api.force_authenticate(User.objects.create(username="admin", is_staff=True))
    sent = request_every_path(api, prefix, found)
    counts = counted()
    assert len(counts) == len(sent) > 90
    wrong = [
        (path, early, served)
        for path, (early, served) in zip(sent, counts, strict=True)
        if not (early <= served if grouped & set(path) else early == served)
    ]
    assert wrong == []
    # Grouped loading is reached: some of its rows are left to the serializers.
    assert any(early < served for early, served in counts)


#: The zoo's lists the plan counts less of than the serializers: a `source="*"` field
#: with its own to_representation() (its rows are loaded in full, for code drf_eager
#: does not know), and a paginator of the user's (it may load rows it does not serve).
ZOO_COUNTED_LESS = {"/zoo/artists/?extra=loud": (3, 6), "/zoo/paged-artists/": (0, 2)}


def test_the_plan_counts_what_the_serializers_count_on_the_zoo(zoo, counted):  # noqa: F811
    urls = [url for url, _, _ in LISTS] + [url for url, _ in COUNTED]
    client = APIClient()
    with override_settings(DRF_EAGER=DRF_PATH):
        for url in urls:
            assert client.get(url).status_code == 200, url
    counts = dict(zip(urls, counted(), strict=True))
    assert {url: c for url, c in counts.items() if c[0] != c[1]} == ZOO_COUNTED_LESS
    assert counts["/zoo/marking-tracks/?extra=album.tracks"] == (32, 32)


LIBRARY = [
    ("/books/", get_schema(library_serializers.BookSerializer)),
    ("/authors/", get_schema(library_serializers.AuthorSerializer)),
]


@pytest.mark.parametrize(("prefix", "schema"), LIBRARY, ids=[p for p, _ in LIBRARY])
def test_the_plan_never_counts_more_than_the_serializers(
    api, small_library, counted, prefix, schema
):
    """The library's relations of every kind (many-to-many, generic, one-to-one both
    ways, multi-table inheritance, own Prefetch querysets): never more than the
    serializers, and exactly as many for a foreign key both ways."""
    found = sorted(set(paths(schema)))
    with override_settings(DRF_EAGER={"STRICT": False, "FAST_PATH": False}):
        sent = []
        for index, path in enumerate(found):
            response = send(api, prefix, path, index % 3)
            if response.status_code == 200:
                sent.append(path)
    counts = dict(zip(sent, counted(), strict=True))
    assert len(counts) > 30
    assert [(path, c) for path, c in counts.items() if c[0] > c[1]] == []
    exact = {"/books/": ("author", "publisher"), "/authors/": ("books", "reviews")}[prefix]
    assert counts[exact][0] == counts[exact][1] > 0


@pytest.fixture
def represented(monkeypatch):
    """The objects the serializers output (each to_representation() call)."""
    calls: list[str] = []
    original = EagerFieldsSerializerMixin.to_representation

    def spy(self, instance):
        calls.append(type(instance).__name__)
        return original(self, instance)

    monkeypatch.setattr(EagerFieldsSerializerMixin, "to_representation", spy)
    return calls


def tables(queries: list[str]) -> list[str]:
    return [sql.split(" FROM ")[1].split()[0].strip('"`') for sql in queries]


@pytest.mark.parametrize(("limit", "status"), [(120, 200), (119, 400)], ids=["at", "past"])
def test_the_limit_cuts_where_it_did(api, db, settings, represented, limit, status):
    """10 patients, their doctor 10 times, its 10 patients under each: 120 objects. A
    response of exactly MAX_ROWS objects is served; one more is refused before
    anything is serialized."""
    build_practice(10)
    settings.DRF_EAGER = {**DRF_PATH, "MAX_ROWS": limit}
    status_code, data, queries = api.get_json("/tenancy/slow-patients/?extra=doctor.patients")
    assert (status_code, len(queries)) == (status, 2)
    if status == 400:
        assert represented == []
        assert data["detail"].startswith("The response would serve more than 119 objects")
    else:
        assert len(represented) == 120
        settings.DRF_EAGER = DRF_PATH
        assert api.get_json("/tenancy/slow-patients/?extra=doctor.patients")[1] == data


def test_the_drf_path_refuses_before_serializing(api, db, settings, represented):
    """Issue 14.4's request, with the default MAX_ROWS, the fast path off."""
    build_practice(1000)
    settings.DRF_EAGER = DRF_PATH
    status, data, queries = api.get_json("/tenancy/slow-patients/?extra=doctor.patients")
    # The patients JOINed to their doctor, then the doctor's patients: refused as they
    # arrive, before Django gives them to the 1,000 doctors and before serializing.
    assert (status, data, tables(queries), represented) == (
        400,
        TOO_LARGE,
        ["tenancy_patient", "tenancy_patient"],
        [],
    )


def test_no_prefetch_runs_below_the_query_that_crossed_the_budget(api, db, settings, represented):
    build_practice(1000)
    settings.DRF_EAGER = DRF_PATH
    status, data, queries = api.get_json(f"/tenancy/slow-patients/{FOUR_LOOPS}")
    assert (status, data, represented) == (400, TOO_LARGE, [])
    # The patients, their appointments, the appointments' patients' appointments, then
    # the appointments' doctors' patients: 1,000 rows served 1,000 times each, refused.
    # The root doctor's patients and the tags are never asked for (6 queries before).
    assert tables(queries) == [
        "tenancy_patient",
        "tenancy_appointment",
        "tenancy_appointment",
        "tenancy_patient",
    ]


def test_a_detail_is_counted_as_it_is_serialized(api, db, settings, represented):
    """A detail's object permissions are checked after its queries: its budget is
    counted by the serializers, so a 400 never answers for an object the user may not
    see."""
    build_practice(60)  # the patient, its doctor, 60 patients and their appointments
    settings.DRF_EAGER = {**DRF_PATH, "MAX_ROWS": 100}
    patient = models.Patient.objects.order_by("pk").first()
    url = f"/tenancy/slow-patients/{patient.pk}/?extra=doctor.patients.appointments"
    status, data, queries = api.get_json(url)
    assert (status, len(queries), len(represented)) == (400, 3, 101)
    assert data["detail"].startswith("The response would serve more than 100 objects")


def test_an_iterator_is_not_counted(db):
    """iterator() prefetches each chunk of rows on its own: not counted (a queryset a
    view does not serve as it is)."""
    build_practice(3)
    schema = get_schema(tenancy_serializers.PatientSerializer)
    shape = resolve(build_request(extra="doctor.patients"), schema)
    budget = RowBudget(1)
    planned = prefetch_queryset(models.Patient.objects.all(), schema, shape, budget=budget)
    assert len(list(planned.iterator(chunk_size=2))) == 3
    with pytest.raises(type(budget.too_large())):
        list(planned)
    assert budget.left == 1  # the serializers spend it


def test_relations_whose_key_is_not_on_the_rows():
    keys = eager_early.relation_keys
    assert keys(library_models.Book, "tags") is None  # many-to-many
    assert keys(library_models.Book, "comments") is None  # generic relation
    assert keys(library_models.Book, "label") is None  # not a relation
    assert keys(library_models.Author, "profile") is not None  # reverse one-to-one


class ShopCategorySerializer(EagerFieldsModelSerializer):
    class Meta:
        model = shop.Category
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {"products": {"field": ShopProductSerializer(many=True)}}


class ShopProductSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = shop.Product
        fields = ["id", "title"]

    @classproperty
    def extra(cls):
        return {"category": {"field": ShopCategorySerializer()}}


class UnorderedProducts(EagerFieldsViewMixin, generics.ListAPIView):
    queryset = shop.Product.objects.all()  # no ordering: its to-one relations prefetched
    serializer_class = ShopProductSerializer


@pytest.mark.parametrize(("limit", "status"), [(120, 200), (119, 400)], ids=["at", "past"])
def test_a_to_one_prefetched_instead_of_joined(db, settings, represented, limit, status):
    """An unordered list is read by the view's own query and its to-one relations are
    prefetched (not JOINed): the category's rows are given to the products they came
    from, and the category's products to each of them."""
    category = shop.Category.objects.create(name="hats", slug="hats")
    shop.Product.objects.bulk_create(
        shop.Product(category=category, title=f"p{i}", slug=f"p{i}", sku="s", price=1)
        for i in range(10)
    )
    settings.DRF_EAGER = {**DRF_PATH, "MAX_ROWS": limit}
    request = APIRequestFactory().get("/", {"extra": "category.products"})
    with CaptureQueriesContext(connection) as queries:
        response = UnorderedProducts.as_view()(request)
    assert (response.status_code, len(queries)) == (status, 3)
    assert len(represented) == (120 if status == 200 else 0)
