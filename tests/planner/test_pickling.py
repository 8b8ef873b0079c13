"""A planned queryset pickles as Django's own do (a queryset cached whole, in Django's
cache or a session), with the iterable classes the plan gives it per queryset: the
budget's early count (drf_eager.early) and grouped loading (drf_eager.grouped)."""

from __future__ import annotations

import pickle

import pytest
from django.db import connection
from django.db.models.query import ModelIterable
from django.test.utils import CaptureQueriesContext

from drf_eager.exceptions import RowBudget
from drf_eager.prefetch import prefetch_queryset
from drf_eager.schema import get_schema
from drf_eager.shape import build_request, resolve
from tests.tenancy import models
from tests.tenancy import serializers as tenancy_serializers
from tests.tenancy.test_budget_early import build_practice

pytestmark = pytest.mark.django_db


def plan(extra: str, **options):
    schema = get_schema(tenancy_serializers.PatientSerializer)
    shape = resolve(build_request(extra=extra), schema)
    return prefetch_queryset(models.Patient.objects.all(), schema, shape, **options)


def doctors_patients(patients) -> list[tuple[str, list[str]]]:
    return [(p.name, [o.name for o in p.doctor.patients.all()]) for p in patients]


def test_a_queryset_counted_for_the_budget():
    build_practice(3)
    planned = plan("doctor.patients", budget=RowBudget(100))
    expected = doctors_patients(planned)
    again = pickle.loads(pickle.dumps(planned))
    # Its rows and their prefetched relations, as loaded; no query to read them.
    with CaptureQueriesContext(connection) as queries:
        assert doctors_patients(again) == expected
    assert len(queries) == 0
    # Evaluated again, it is Django's own: the count belonged to the response that made it.
    assert again._iterable_class is ModelIterable
    assert doctors_patients(again.all()) == expected


def test_a_queryset_loaded_grouped():
    build_practice(3)
    planned = plan("appointments", grouped=["appointments"])
    expected = [(p.name, [a.reason for a in p.appointments.all()]) for p in planned]
    again = pickle.loads(pickle.dumps(planned))
    assert again._iterable_class.__name__ == "GroupedIterable"
    # Evaluated again, it loads the relation grouped, in one query.
    with CaptureQueriesContext(connection) as queries:
        loaded = [(p.name, [a.reason for a in p.appointments.all()]) for p in again.all()]
    assert loaded == expected
    assert len(queries) == 1
