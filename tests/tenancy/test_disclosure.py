"""Issue 14.6: the extras a user may not ask for are named in no message, and naming one
is a 403 before the names below it are checked."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.tenancy.data import build_tenancy

PATIENT_EXTRAS = (
    "appointments, checkups, doctor, grouped_appointments, has_notes, latest_appointments, "
    "lazy_appointments, num_appointments, tags"
)


@pytest.fixture
def tenancy(db):
    build_tenancy()


@pytest.mark.parametrize("prefix", ["/tenancy/patients/", "/tenancy/slow-patients/"])
@pytest.mark.parametrize("detail", [False, True])
def test_unknown_names_list_only_what_the_user_may_ask_for(api, tenancy, prefix, detail):
    """Issue 14.6: the 400 for an unknown name listed the guarded extras as allowed."""
    url = f"{prefix}2/" if detail else prefix
    status, data, queries = api.get_json(f"{url}?extra=bogus")
    assert (status, data, queries) == (
        400,
        {"extra": [f"Unknown field 'bogus'. Allowed: {PATIENT_EXTRAS}."]},
        [],
    )
    status, data, _ = api.get_json(f"{url}?fields=id,appointments(patient(nope))")
    assert (status, data) == (
        400,
        {
            "fields": [
                "Unknown field 'nope' at 'appointments.patient'. Allowed: *, appointments, "
                "checkups, doctor, grouped_appointments, has_notes, id, latest_appointments, "
                "lazy_appointments, name, num_appointments, tags."
            ]
        },
    )
    status, data, _ = api.get_json(f"{url}?exclude=nope")
    assert data == {
        "exclude": [
            "Unknown field 'nope'. Allowed: appointments, checkups, doctor, "
            "grouped_appointments, has_notes, id, latest_appointments, lazy_appointments, "
            "name, num_appointments, tags."
        ]
    }
    # Who may ask for it is told of it.
    api.force_authenticate(User.objects.create(username="admin", is_staff=True))
    status, data, _ = api.get_json(f"{url}?extra=bogus")
    assert "private_appointments" in data["extra"][0]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("fields=private_appointments.nope", "fields"),
        ("fields=id,private_appointments(nope,reason)", "fields"),
        ("extra=private_appointments.nope", "extra"),
        ("extra=appointments.patient.private_appointments.nope", "extra"),
    ],
)
def test_a_guarded_extra_is_a_403_before_the_names_below_it(api, tenancy, query, param):
    """Issue 14.6: `?fields=guarded.nope` answered the 400 that lists the guarded extra's
    own fields."""
    path = query.split("=")[1].split(".nope")[0].split("(")[0].removeprefix("id,")
    status, data, queries = api.get_json(f"/tenancy/patients/?{query}")
    assert (status, data, queries) == (
        403,
        {param: [f"You do not have permission to request '{path}'."]},
        [],
    )
    body = {"fields": {"id": None, "private_appointments": {"nope": None}}}
    status, data, _ = api.get_json("/tenancy/patients/", body)
    assert (status, data) == (
        403,
        {"fields": ["You do not have permission to request 'private_appointments'."]},
    )
