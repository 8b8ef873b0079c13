"""Issue 14 (canary): tenant 2's rows are planted under every relation of tenant 1's rows;
every path a client can name, up to the depth limit, in every loading mode (planned
prefetches, Grouped extras and a view's eager_grouped, prefetch: False fields, own
Prefetch querysets, computed fields, an @action without a plan, writes), list and
detail, fast path on and off, in three syntaxes, serves none of them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from drf_eager.schema import SerializerSchema, get_schema
from tests.tenancy import serializers
from tests.tenancy.data import CANARY

MAX_RELATIONS = 3  # the default MAX_DEPTH
#: The serializers' default fields that are not relations.
PLAIN = {"id", "name", "reason", "label", "drug"}


def paths(schema: SerializerSchema, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path of `schema`'s fields: up to MAX_RELATIONS nested fields, then any field."""
    for name in (*schema.default_fields, *schema.extra_fields):
        path = (*prefix, name)
        child = schema.nested(name)
        if child is None:
            if prefix:
                yield path
            continue
        if len(path) <= MAX_RELATIONS:
            yield path
            yield from paths(child, path)


def query(path: tuple[str, ...], syntax: int) -> tuple[str, str | None]:
    """The request of `path` in one of three syntaxes: the query string and the body."""
    if syntax == 0 and path[-1] not in PLAIN:  # `extra` names extras and relations
        return f"extra={'.'.join(path)}", None
    if syntax == 0:
        syntax = 1
    if syntax == 1:
        nested = path[-1]
        for name in reversed(path[:-1]):
            nested = f"{name}({nested})"
        return f"fields=id,{nested}", None
    tree: dict[str, object] | None = None
    for name in reversed(path):
        tree = {name: tree}
    return "", json.dumps({"fields": {"id": None, **tree}})  # type: ignore[dict-item]


PATIENT_PATHS = sorted(set(paths(get_schema(serializers.PatientSerializer))))
DOCTOR_PATHS = sorted(set(paths(get_schema(serializers.DoctorSerializer))))
ENDPOINTS = [
    ("/tenancy/patients/", PATIENT_PATHS),
    ("/tenancy/slow-patients/", PATIENT_PATHS),
    ("/tenancy/grouped-patients/", PATIENT_PATHS),
    ("/tenancy/doctors/", DOCTOR_PATHS),
]


def expected_status(path: tuple[str, ...]) -> int:
    # Fields below a prefetch: False field cannot be chosen (issue 14.5).
    return 400 if "lazy_appointments" in path[:-1] else 200


def send(api, url: str, path: tuple[str, ...], syntax: int, method: str = "get"):
    params, body = query(path, syntax)
    if method == "get" and body is not None:
        return api.generic("GET", url, body, content_type="application/json")
    if method == "get":
        return api.get(f"{url}?{params}")
    # A write's JSON body is its data: its shape is in the query string.
    params = params or query(path, 0)[0]
    return getattr(api, method)(f"{url}?{params}", {"name": "patient0"}, format="json")


@pytest.fixture
def admin_api(api, tenancy):
    api.force_authenticate(User.objects.create(username="admin", is_staff=True))
    api.ids = tenancy
    return api


def detail_url(api, prefix: str) -> str:
    return f"{prefix}{api.ids['doctor' if 'doctors' in prefix else 'patient0']}/"


def test_the_paths_reach_every_loading_mode():
    names = {name for path in PATIENT_PATHS for name in path}
    assert {
        "grouped_appointments",
        "lazy_appointments",
        "latest_appointments",
        "checkups",
        "num_appointments",
        "has_notes",
        "num_prescriptions",
        "private_appointments",
    } <= names
    assert len(PATIENT_PATHS) > 300


def check_every_path(
    api, url: str, found: list[tuple[str, ...]], method: str = "get", strict: bool = True
) -> None:
    """Request every path of `found` at `url`, each in one of the syntaxes in turn;
    collect what fails, so that one failure shows them all."""
    failures = []
    for index, path in enumerate(found):
        planned = strict and "lazy_appointments" not in path[1:]
        with override_settings(DRF_EAGER={"STRICT": planned}):
            # Strict mode proves each path planned; a prefetch: False field below the
            # root is loaded by its fallback, a query per row, scoped.
            response = send(api, url, path, index % 3, method)
        if response.status_code != expected_status(path):
            failures.append((path, response.status_code, response.content[:300]))
        elif CANARY.encode() in response.content:
            failures.append((path, "canary", response.content[:300]))
    assert failures == []


@pytest.mark.parametrize("detail", [False, True], ids=["list", "detail"])
@pytest.mark.parametrize(("prefix", "found"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_no_path_serves_another_tenants_rows(admin_api, prefix, found, detail):
    # Every other path on a detail route: the list routes take every path.
    check_every_path(
        admin_api,
        detail_url(admin_api, prefix) if detail else prefix,
        found[detail :: 2 if detail else 1],
    )


def test_no_path_of_an_action_without_a_plan_serves_another_tenants_rows(admin_api):
    check_every_path(
        admin_api,
        f"{detail_url(admin_api, '/tenancy/patients/')}unplanned/",
        PATIENT_PATHS,
        strict=False,
    )


@pytest.mark.parametrize("prefix", ["/tenancy/patients/", "/tenancy/grouped-patients/"])
def test_no_path_of_a_write_response_serves_another_tenants_rows(admin_api, prefix):
    check_every_path(admin_api, detail_url(admin_api, prefix), PATIENT_PATHS[::5], method="patch")


def test_no_path_written_by_the_sql_render_serves_another_tenants_rows(admin_api, monkeypatch):
    """Issue 17 on issue 14's canary: the SQL render (drf_eager.sql) writes a list's JSON
    from the same related querysets as the fast path, get_related_queryset() included."""
    from drf_eager import sql
    from tests.tenancy.views import PatientViewSet

    monkeypatch.setattr(PatientViewSet, "eager_sql_render", True)
    written = []
    original = sql.SQLResponse.render

    def render(self, *args, **kwargs):
        written.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sql.SQLResponse, "render", render)
    check_every_path(admin_api, "/tenancy/patients/", PATIENT_PATHS)
    assert written  # the render wrote some of the lists, not only the fast path
