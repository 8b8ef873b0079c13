from __future__ import annotations

import pytest

from tests.tenancy.data import CANARY, build_tenancy

#: The list routes of the patients: fast path on (the default) and off.
PATIENTS = ["/tenancy/patients/", "/tenancy/slow-patients/"]


@pytest.fixture
def tenancy(db):
    build_tenancy()


@pytest.fixture
def lenient(settings):
    """Strict mode off: the fallbacks under test send their queries while serializing."""
    settings.DRF_EAGER = {**settings.DRF_EAGER, "STRICT": False}


def assert_no_canary(data: object) -> None:
    assert CANARY not in repr(data), data
