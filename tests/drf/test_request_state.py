"""Issue 15.2: what a view learns about a request lives in one object, `view.eager_state`
(drf_eager.state.RequestState); the fast path is decided once, with its reason, and
explain_shape reports that reason; no private DRF state is written."""

from __future__ import annotations

import pytest

from drf_eager import views as eager_views
from drf_eager.management.commands.explain_shape import _path
from drf_eager.state import FAST, RequestState
from tests.tenancy.conftest import tenancy  # noqa: F401 - the fixture


@pytest.fixture
def seen(monkeypatch):
    """The view instances that served the requests, and the fast plans compiled."""
    record = {"views": [], "compiled": []}
    initial = eager_views.EagerFieldsViewMixin.initial
    compile_fast_plan = eager_views.compile_fast_plan

    def recording_initial(self, request, *args, **kwargs):
        record["views"].append(self)
        return initial(self, request, *args, **kwargs)

    def recording_compile(*args, **kwargs):
        record["compiled"].append(args)
        return compile_fast_plan(*args, **kwargs)

    monkeypatch.setattr(eager_views.EagerFieldsViewMixin, "initial", recording_initial)
    monkeypatch.setattr(eager_views, "compile_fast_plan", recording_compile)
    return record


def only_state(view):
    # Nothing else of drf_eager's is kept on the view per request.
    return [name for name in vars(view) if name.startswith("_eager")] == ["_eager_state"]


def test_a_list_decides_the_fast_path_once(api, tenancy, seen):  # noqa: F811
    status, data, _ = api.get_json("/tenancy/patients/?extra=doctor")
    assert status == 200
    (view,) = seen["views"]
    state = view.eager_state
    assert isinstance(state, RequestState) and only_state(view)
    assert state.resolved and state.shape is not None
    assert state.client_params == {"extra"}
    assert state.fast is not None and state.fast.query is not None
    assert (state.fast.reason, _path(view)) == (FAST, FAST)
    assert state.budget is not None and state.budget.left == 20000 - 2 * len(data)
    assert len(seen["compiled"]) == 1  # not again by paginate_queryset() or get_serializer()


def test_the_drf_path_says_why(api, tenancy, seen):  # noqa: F811
    status, _, _ = api.get_json("/tenancy/slow-patients/?extra=doctor")
    assert status == 200
    (view,) = seen["views"]
    reason = "DRF (the fast path is off, or the response is not rendered as JSON)"
    assert (view.eager_state.fast.query, view.eager_state.fast.reason) == (None, reason)
    assert _path(view) == reason
    assert seen["compiled"] == []  # the fast path off: nothing compiled


def test_a_detail_is_served_by_the_drf_path(api, tenancy, seen):  # noqa: F811
    status, _, _ = api.get_json(f"/tenancy/patients/{tenancy['patient0']}/?extra=doctor")
    assert status == 200
    (view,) = seen["views"]
    assert view.eager_state.fast.reason == "DRF (the fast path serves lists)"
    assert view.eager_state.fast.query is None and only_state(view)


def test_the_views_own_shape_has_no_budget(api, tenancy, seen):  # noqa: F811
    assert api.get_json("/tenancy/patients/")[0] == 200
    (view,) = seen["views"]
    assert (view.eager_state.client_params, view.eager_state.budget) == (set(), None)


def test_a_write_is_shaped_without_drf_private_state(api, tenancy, monkeypatch):  # noqa: F811
    saved = []
    perform_create = eager_views.EagerFieldsViewMixin.perform_create

    def recording(self, serializer):
        saved.append(serializer)
        perform_create(self, serializer)
        assert not self.eager_state.reloading

    monkeypatch.setattr(eager_views.EagerFieldsViewMixin, "perform_create", recording)
    status, data, queries = api.send(
        "post", "/tenancy/patients/?fields=name,doctor", {"name": "x"}
    )
    assert (status, data) == (201, {"name": "x", "doctor": None})
    # The INSERT, then the row read back in the requested shape.
    assert len(queries) == 2, queries
    (serializer,) = saved
    assert "_data" not in vars(serializer)  # DRF's cache of .data is DRF's
    assert serializer.data == data and serializer.data.serializer is serializer


def test_a_write_saved_through_another_serializer_answers_with_it(db, tenancy):  # noqa: F811
    """A get_serializer() of the user's own that saves through a serializer without the
    mixin: its own representation is the response (drf_eager writes no DRF cache)."""
    from rest_framework import serializers
    from rest_framework.test import APIRequestFactory

    from tests.tenancy import models
    from tests.tenancy.views import PatientViewSet

    class PlainPatient(serializers.ModelSerializer):
        class Meta:
            model = models.Patient
            fields = ["name", "tenant"]

    class PlainWrites(PatientViewSet):
        def get_serializer(self, *args, **kwargs):
            if "data" in kwargs:
                return PlainPatient(*args, **kwargs)
            return super().get_serializer(*args, **kwargs)

    view = PlainWrites.as_view({"post": "create"})
    request = APIRequestFactory().post(
        "/?fields=name,doctor", {"name": "x", "tenant": 1}, format="json"
    )
    response = view(request)
    assert (response.status_code, response.data) == (201, {"name": "x", "tenant": 1})


def test_the_state_says_what_it_holds(api, tenancy, seen):  # noqa: F811
    api.get_json("/tenancy/patients/?fields=id")
    (view,) = seen["views"]
    assert repr(view.eager_state) == (
        "<RequestState shape=Shape(fields=('id',), children=(), open=False) "
        "fast=<FastPathDecision fast (values_list() rows, drf_eager.fast)>>"
    )
    assert repr(RequestState()) == "<RequestState shape='unresolved' fast=None>"
