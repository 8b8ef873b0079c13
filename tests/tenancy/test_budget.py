"""Issue 14.4: a response budget, MAX_ROWS: relations that loop back serve their rows once
per parent, so a short request could make the server build hundreds of megabytes."""

from __future__ import annotations

import pytest

from tests.conftest import planned
from tests.tenancy import models
from tests.tenancy.conftest import PATIENTS

TOO_LARGE = {
    "detail": "The response would serve more than 20000 objects (MAX_ROWS); ask for fewer "
    "rows or fewer nested fields."
}


def build_practice(patients: int) -> None:
    tenant = models.Tenant.objects.create(pk=1, name="one")
    doctor = models.Doctor.objects.create(tenant=tenant, name="doctor")
    models.Patient.objects.bulk_create(
        models.Patient(tenant=tenant, name=f"p{i}", doctor=doctor) for i in range(patients)
    )


@pytest.mark.parametrize("prefix", PATIENTS)
def test_a_looping_relation_gets_the_budget_400(api, db, prefix):
    """Issue 14.4: `?extra=doctor.patients` served every patient once per patient (53 MB
    for 1,000 patients)."""
    build_practice(1000)
    status, data, queries = api.get_json(f"{prefix}?extra=doctor.patients")
    # Refused before 1,000,000 objects are built: on the fast path before any is built
    # (test_budget_early.py shows it), on the DRF path as they are serialized. The SQL
    # render serves the fast path's list in one statement, its rows counted as they come.
    rendered = 1 if prefix == PATIENTS[0] else 2
    assert (status, data, len(queries)) == (400, TOO_LARGE, planned(2, rendered=rendered))


@pytest.mark.parametrize("prefix", PATIENTS)
def test_a_response_within_the_budget_is_served(api, db, prefix):
    build_practice(140)  # 140 patients, each serving its doctor's 140: 19,740 objects
    status, data, _ = api.get_json(f"{prefix}?extra=doctor.patients")
    assert status == 200
    assert len(data) == 140 and len(data[0]["doctor"]["patients"]) == 140
    build_practice_more = models.Patient.objects.create(
        tenant_id=1, name="one more", doctor=models.Doctor.objects.get()
    )
    assert build_practice_more.pk
    status, data, _ = api.get_json(f"{prefix}?extra=doctor.patients")
    assert (status, data) == (400, TOO_LARGE)  # 141 + 141 * 141 = 20,022


@pytest.mark.parametrize("prefix", PATIENTS)
def test_the_budget_is_a_view_limit(api, db, prefix, settings, monkeypatch):
    from tests.tenancy.views import PatientViewSet

    build_practice(3)
    monkeypatch.setattr(PatientViewSet, "eager_limits", {"MAX_ROWS": 11})
    status, data, _ = api.get_json(f"{prefix}?extra=doctor.patients")
    # 3 patients, 3 doctors, 9 patients of theirs: 15 objects.
    assert (status, data["detail"][:49]) == (
        400,
        "The response would serve more than 11 objects (MA",
    )
    monkeypatch.setattr(PatientViewSet, "eager_limits", {"MAX_ROWS": None})
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_ROWS": 1}
    assert api.get_json(f"{prefix}?extra=doctor.patients")[0] == 200
    monkeypatch.setattr(PatientViewSet, "eager_limits", {})
    assert api.get_json(f"{prefix}?extra=doctor.patients")[0] == 400
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_ROWS": 15}
    assert api.get_json(f"{prefix}?extra=doctor.patients")[0] == 200


@pytest.mark.parametrize("prefix", PATIENTS)
def test_the_views_own_shape_is_never_refused(api, db, prefix, monkeypatch):
    """The budget bounds what a client adds: with no shape parameter the view serves what
    it served without drf_eager (issue 19), however many objects that is."""
    from tests.tenancy.views import PatientViewSet

    build_practice(3)
    monkeypatch.setattr(PatientViewSet, "eager_limits", {"MAX_ROWS": 2})
    status, data, _ = api.get_json(prefix)
    assert (status, len(data)) == (200, 3)
    status, data, _ = api.get_json(f"{prefix}?fields=id,name")
    assert (status, data["detail"][:48]) == (
        400,
        "The response would serve more than 2 objects (MA",
    )
