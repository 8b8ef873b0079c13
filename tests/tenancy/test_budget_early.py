"""Issue 14.4: a request past the response budget (MAX_ROWS) is refused from the rows it
loaded, before the fast path builds a single dict and before the queries below the level
that crossed the budget run."""

from __future__ import annotations

import pytest

from drf_eager import fast
from tests.tenancy import models
from tests.tenancy.test_budget import TOO_LARGE

#: Four relations that loop back (issue 14.4's 139-character request, in this app).
FOUR_LOOPS = (
    "?extra=doctor.patients,appointments.doctor.patients,appointments.patient.appointments,tags"
)


def build_practice(patients: int) -> None:
    tenant = models.Tenant.objects.create(pk=1, name="one")
    doctor = models.Doctor.objects.create(tenant=tenant, name="doctor")
    rows = models.Patient.objects.bulk_create(
        models.Patient(tenant=tenant, name=f"p{i}", doctor=doctor) for i in range(patients)
    )
    models.Appointment.objects.bulk_create(
        models.Appointment(tenant=tenant, patient=patient, doctor=doctor, reason="checkup")
        for patient in rows
    )


@pytest.fixture
def built(monkeypatch):
    """The models whose dicts the fast path built: each query's generated build()."""
    models_built: list[str] = []
    generate = fast._generate

    def spying(query):
        generate(query)
        build = query.build

        def spy(rows, groups, env):
            models_built.append(query.model.__name__)
            return build(rows, groups, env)

        query.build = spy

    monkeypatch.setattr(fast, "_generate", spying)
    fast._compile.cache_clear()
    yield models_built
    fast._compile.cache_clear()


# The plan's level-by-level refusal (its queries, its builds), which the SQL render skips.
@pytest.mark.plan_queries
def test_the_budget_is_checked_before_building(api, db, built):
    build_practice(1000)
    status, data, queries = api.get_json("/tenancy/patients/?extra=doctor.patients")
    # The patients JOINed to their doctor, then the doctor's patients: 1,000 rows, each
    # served under 1,000 patients, refused as they arrive.
    assert (status, data, len(queries), built) == (400, TOO_LARGE, 2, [])


# The plan's level-by-level refusal (its queries, its builds), which the SQL render skips.
@pytest.mark.plan_queries
def test_no_query_runs_below_the_level_that_crossed_the_budget(api, db, built):
    build_practice(1000)
    status, data, queries = api.get_json(f"/tenancy/patients/{FOUR_LOOPS}")
    assert (status, data, built) == (400, TOO_LARGE, [])
    # The patients, their appointments, the appointments' patients' appointments, then
    # the appointments' doctors' patients: 1,000 rows served 1,000 times each, refused.
    # The root doctor's patients and the tags are never asked for (the DRF path sends
    # all 6 queries before it serializes).
    tables = [sql.split(" FROM ")[1].split()[0].strip('"`') for sql in queries]
    assert tables == [
        "tenancy_patient",
        "tenancy_appointment",
        "tenancy_appointment",
        "tenancy_patient",
    ]


# The plan's level-by-level refusal (its queries, its builds), which the SQL render skips.
@pytest.mark.plan_queries
def test_within_the_budget_every_level_is_built(api, db, built):
    build_practice(100)  # 100 + 100 doctors + 100 x 100 patients: 10,200 objects
    status, data, queries = api.get_json("/tenancy/patients/?extra=doctor.patients")
    assert (status, len(data), len(queries)) == (200, 100, 2)
    assert sorted(built) == ["Patient", "Patient"]


@pytest.mark.parametrize(
    ("limit", "status"), [(None, 200), (4, 200), (3, 400)], ids=["off", "at", "past"]
)
def test_a_missing_to_one_serves_nothing_below_it(api, db, settings, limit, status):
    """A patient without a doctor serves no doctor and none of its patients: 2 patients,
    1 doctor and its 1 patient are 4 objects, on both paths."""
    tenant = models.Tenant.objects.create(pk=1, name="one")
    doctor = models.Doctor.objects.create(tenant=tenant, name="doctor")
    models.Patient.objects.create(tenant=tenant, name="alone")
    models.Patient.objects.create(tenant=tenant, name="cared for", doctor=doctor)
    settings.DRF_EAGER = {**settings.DRF_EAGER, "MAX_ROWS": limit}
    for prefix in ("/tenancy/patients/", "/tenancy/slow-patients/"):
        assert api.get_json(f"{prefix}?extra=doctor.patients")[0] == status, prefix
