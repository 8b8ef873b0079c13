"""Issue 14.2: a write's shape is checked before anything is saved."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.tenancy import models
from tests.tenancy.data import build_tenancy

pytestmark = pytest.mark.django_db

PREFIXES = ["/tenancy/patients/", "/tenancy/slow-patients/"]


@pytest.fixture
def tenancy(db):
    build_tenancy()


def rows():
    return list(models.Patient.objects.order_by("pk").values_list("pk", "tenant_id", "name"))


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("extra=bogus", "extra", "Unknown field 'bogus'."),
        ("extra=tags..label", "extra", None),
        ("fields=" + ",".join(f"n{i}" for i in range(101)), "fields", None),
    ],
)
def test_a_bad_shape_on_a_create_is_refused_before_the_row_is_saved(
    api, tenancy, prefix, query, param, message
):
    """Issue 14.2: POST ?extra=bogus answered 400 and created the row."""
    before = rows()
    status, data, queries = api.send("post", f"{prefix}?{query}", {"name": "new"})
    assert (status, list(data), queries) == (400, [param], [])
    if message is not None:
        assert data[param][0].startswith(message)
    assert rows() == before


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_a_forbidden_extra_on_a_write_is_a_403_before_anything_is_saved(
    api, tenancy, prefix, method
):
    """Issue 14.2: a user lacking an extra's permission got a 403 on POST/PATCH
    ?extra=private_appointments, and the row was created or updated."""
    api.force_authenticate(User.objects.create(username="member"))
    pk = models.Patient.objects.filter(name="patient0").get().pk
    url = prefix if method == "post" else f"{prefix}{pk}/"
    before = rows()
    status, data, queries = api.send(method, f"{url}?extra=private_appointments", {"name": "x"})
    assert (status, data, queries) == (
        403,
        {"extra": ["You do not have permission to request 'private_appointments'."]},
        [],
    )
    assert rows() == before


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_write_with_a_good_shape_is_saved_and_answered_in_it(api, tenancy, prefix):
    api.force_authenticate(User.objects.create(username="admin", is_staff=True))
    status, data, _ = api.send("post", f"{prefix}?fields=name,private_appointments", {"name": "n"})
    assert (status, data) == (201, {"name": "n", "private_appointments": []})
    pk = models.Patient.objects.get(name="patient0").pk
    status, data, _ = api.send(
        "patch", f"{prefix}{pk}/?fields=name,num_appointments", {"name": "m"}
    )
    # Tenant 2's appointment of this patient is not counted.
    assert (status, data) == (200, {"name": "m", "num_appointments": 1})


def test_a_bad_shape_on_a_delete_deletes_nothing(api, tenancy):
    before = rows()
    status, data, _ = api.send("delete", f"/tenancy/patients/{before[1][0]}/?extra=bogus", {})
    assert status == 400
    assert rows() == before
