"""Issue 14.1: below a grouped relation, the plan of what goes back to the parent runs,
scoped by the view."""

from __future__ import annotations

import pytest

from tests.tenancy.conftest import assert_no_canary


@pytest.mark.parametrize("detail", [False, True])
def test_back_to_the_parent_below_a_grouped_extra_is_planned_and_scoped(api, tenancy, detail):
    """Issue 14.1: `grouped_appointments(patient(appointments(reason),num_appointments))`
    served another tenant's appointment and counted it (2 instead of 1), a query per
    row: the grouped loader set the parent itself, so the plan below it never ran."""
    url = f"/tenancy/patients/{tenancy['patient0']}/" if detail else "/tenancy/patients/"
    fields = "id,grouped_appointments(patient(appointments(reason),num_appointments))"
    status, data, queries = api.get_json(f"{url}?fields={fields}")
    # The patients grouped with their appointments; the patients of those (annotated);
    # their appointments.
    assert (status, len(queries)) == (200, 3)
    first = {
        "id": tenancy["patient0"],
        "grouped_appointments": [
            {"patient": {"appointments": [{"reason": "checkup0"}], "num_appointments": 1}}
        ],
    }
    if detail:
        assert data == first
    else:
        assert data[0] == first and len(data) == 2
    assert_no_canary(data)


@pytest.mark.parametrize("detail", [False, True])
def test_back_to_the_parent_below_eager_grouped_is_planned_and_scoped(api, tenancy, detail):
    """Issue 14.1: a view with `eager_grouped` served another tenant's tags for
    `appointments(patient(tags(label),has_notes))`."""
    url = (
        f"/tenancy/grouped-patients/{tenancy['patient0']}/"
        if detail
        else "/tenancy/grouped-patients/"
    )
    status, data, queries = api.get_json(
        f"{url}?fields=id,appointments(patient(tags(label),has_notes))"
    )
    assert (status, len(queries)) == (200, 3)
    first = {
        "id": tenancy["patient0"],
        "appointments": [{"patient": {"tags": [{"label": "note0"}], "has_notes": True}}],
    }
    assert (data if detail else data[0]) == first
    assert_no_canary(data)
