from __future__ import annotations

import pytest

from tests.tenancy import models
from tests.tenancy.data import CANARY, build_tenancy

#: The list routes of the patients: fast path on (the default) and off.
PATIENTS = ["/tenancy/patients/", "/tenancy/slow-patients/"]


@pytest.fixture
def tenancy(db) -> dict[str, int]:
    """Tenant 1's rows by name (the databases' sequences differ from run to run)."""
    build_tenancy()
    return {
        **{p.name: p.pk for p in models.Patient.objects.for_tenant(1)},
        **{a.reason: a.pk for a in models.Appointment.objects.for_tenant(1)},
        **{t.label: t.pk for t in models.Tag.objects.for_tenant(1)},
        "doctor": models.Doctor.objects.for_tenant(1).get().pk,
    }


@pytest.fixture
def lenient(settings):
    """Strict mode off: the fallbacks under test send their queries while serializing."""
    settings.DRF_EAGER = {**settings.DRF_EAGER, "STRICT": False}


def assert_no_canary(data: object) -> None:
    assert CANARY not in repr(data), data
