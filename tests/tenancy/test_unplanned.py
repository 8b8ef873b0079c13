"""Issue 14.3 and 14.5: what the plan did not load is loaded from the view's scoped
related querysets, never a 500; clients may not extend a `prefetch: False` field."""

from __future__ import annotations

import pytest

from tests.conftest import planned
from tests.tenancy.conftest import PATIENTS, assert_no_canary

VARIANTS = "id,checkups,latest_appointments,grouped_appointments,num_appointments,has_notes,tags"


def test_variants_in_an_action_without_a_plan_are_loaded_scoped(api, tenancy, lenient):
    """Issue 14.3: an @action that does not call filter_queryset() raised AttributeError
    ('Patient' object has no attribute '_eager_checkups') for a renamed or filtered
    to-many field; CountOf and Exists counted another tenant's rows."""
    status, data, queries = api.get_json(
        f"/tenancy/patients/{tenancy['patient0']}/unplanned/?fields={VARIANTS}"
    )
    # The patient, then a query per field: none was planned.
    assert (status, len(queries)) == (200, 7)
    assert data == {
        "id": tenancy["patient0"],
        "tags": [{"id": tenancy["note0"], "label": "note0"}],
        "checkups": [{"id": tenancy["checkup0"], "reason": "checkup0"}],
        "latest_appointments": [{"id": tenancy["checkup0"], "reason": "checkup0"}],
        "grouped_appointments": [{"id": tenancy["checkup0"], "reason": "checkup0"}],
        "num_appointments": 1,
        "has_notes": True,
    }


@pytest.mark.parametrize("prefix", PATIENTS)
@pytest.mark.parametrize("detail", [False, True])
def test_an_own_prefetch_queryset_is_scoped_by_the_view(api, tenancy, prefix, detail):
    """Issue 14 (canary): the extra's own Prefetch queryset, declared once for every
    request, served another tenant's appointments."""
    url = f"{prefix}{tenancy['patient0']}/" if detail else prefix
    status, data, queries = api.get_json(f"{url}?fields=id,latest_appointments(reason)")
    # The SQL render serves the fast path's list in one statement, the appointments in it.
    rendered = 1 if (prefix, detail) == (PATIENTS[0], False) else 2
    assert (status, len(queries)) == (200, planned(2, rendered=rendered))
    first = {"id": tenancy["patient0"], "latest_appointments": [{"reason": "checkup0"}]}
    assert data == (
        first
        if detail
        else [first, {"id": tenancy["patient1"], "latest_appointments": [{"reason": "checkup1"}]}]
    )
    assert "IN (SELECT" in queries[-1]


@pytest.mark.parametrize("prefix", PATIENTS)
@pytest.mark.parametrize("detail", [False, True])
@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("fields=id,lazy_appointments(prescriptions,num_prescriptions)", "fields"),
        ("fields=id,lazy_appointments(reason)", "fields"),
        ("extra=lazy_appointments.prescriptions", "extra"),
        ("fields=appointments(patient(lazy_appointments(reason)))", "fields"),
    ],
)
def test_fields_below_a_prefetch_false_field_cannot_be_chosen(
    api, tenancy, prefix, detail, query, param
):
    """Issue 14.5: `lazy_appointments(prescriptions,num_prescriptions)` was served by a
    query per row, unscoped: another tenant's prescriptions and counts."""
    url = f"{prefix}{tenancy['patient0']}/" if detail else prefix
    path = "appointments.patient.lazy_appointments" if "patient" in query else "lazy_appointments"
    status, data, queries = api.get_json(f"{url}?{query}")
    assert (status, data, queries) == (
        400,
        {
            param: [
                f"Fields below '{path}' cannot be chosen: the view loads it as it declares "
                "(prefetch: False), with its own fields."
            ]
        },
        [],
    )


@pytest.mark.parametrize("prefix", PATIENTS)
def test_a_prefetch_false_field_serves_what_the_view_loads(api, tenancy, prefix):
    status, data, queries = api.get_json(
        f"{prefix}?fields=id,lazy_appointments&exclude=lazy_appointments.id"
    )
    assert (status, len(queries)) == (200, 2)
    assert data == [
        {"id": tenancy["patient0"], "lazy_appointments": [{"reason": "checkup0"}]},
        {"id": tenancy["patient1"], "lazy_appointments": [{"reason": "checkup1"}]},
    ]
    assert_no_canary(data)
