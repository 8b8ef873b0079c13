"""A `prefetch: False` extra beside a planned field of the same relation: the planned
prefetch fills the relation's cache with the columns it serves, and the lazy field reads
that cache; it must find every column it serializes there (a query per row otherwise,
QueryDuringSerialization in strict mode). Found by the fuzzer on MariaDB."""

from __future__ import annotations

import pytest

from tests.tenancy.conftest import PATIENTS


@pytest.mark.parametrize("prefix", PATIENTS)
def test_a_lazy_extra_beside_a_planned_field_of_its_relation(api, tenancy, prefix):
    body = {"fields": {"appointments": {"id": None}, "lazy_appointments": None}}
    status, data, queries = api.get_json(prefix, body)
    assert status == 200, data
    plain_status, plain, _ = api.get_json(f"{prefix}?extra=lazy_appointments")
    assert plain_status == 200
    # The same patients in the same order: each one's lazy list, whole.
    assert [row["lazy_appointments"] for row in data] == [
        row["lazy_appointments"] for row in plain
    ]
    assert all(set(a) == {"id"} for row in data for a in row["appointments"])
