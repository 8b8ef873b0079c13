"""Issue 15: drf_eager.validation decides every mistake the system checks report, the
settings' Enums are validated where a setting is read, and a view hook run without a
request is excused only for what such a hook raises."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from rest_framework import generics, serializers, viewsets

from drf_eager import EagerFieldsModelSerializer, EagerFieldsViewMixin
from drf_eager.checks import check_settings, check_view
from drf_eager.contrib import spectacular
from drf_eager.exceptions import DeclarationError
from drf_eager.schema import get_schema
from drf_eager.settings import FastPathVerify, UnknownFields, eager_settings
from drf_eager.validation import (
    HOOK_ERRORS,
    declaration_errors,
    extra_errors,
    settings_errors,
    view_errors,
)
from tests import models
from tests import serializers as lib

# Settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "member"),
    [
        (None, UnknownFields.RAISE),  # the default
        ("raise", UnknownFields.RAISE),
        ("ignore", UnknownFields.IGNORE),
        (UnknownFields.IGNORE, UnknownFields.IGNORE),
    ],
)
def test_unknown_fields_is_read_as_its_enum(settings, value, member):
    settings.DRF_EAGER = {} if value is None else {"UNKNOWN_FIELDS": value}
    assert eager_settings.UNKNOWN_FIELDS is member
    assert settings_errors(settings.DRF_EAGER) == []


def test_the_enums_are_their_strings():
    """Code written against the strings keeps working."""
    assert UnknownFields.IGNORE == "ignore"
    assert FastPathVerify.LOG == "log"
    assert [member.value for member in UnknownFields] == ["raise", "ignore"]
    assert [member.value for member in FastPathVerify] == ["raise", "log"]


def test_a_bad_enumerated_setting_raises_where_it_is_read_and_in_the_checks(settings):
    settings.DRF_EAGER = {"UNKNOWN_FIELDS": "drop", "FAST_PATH_VERIFY": "print"}
    unknown = (
        "DRF_EAGER['UNKNOWN_FIELDS'] must be 'raise' or 'ignore' (or "
        "drf_eager.settings.UnknownFields), not 'drop'."
    )
    verify = (
        "DRF_EAGER['FAST_PATH_VERIFY'] must be 'raise' or 'log' (or "
        "drf_eager.settings.FastPathVerify), not 'print'."
    )
    with pytest.raises(ImproperlyConfigured) as raised:
        eager_settings.UNKNOWN_FIELDS  # noqa: B018
    assert str(raised.value) == unknown
    with pytest.raises(ImproperlyConfigured) as raised:
        eager_settings.FAST_PATH_VERIFY  # noqa: B018
    assert str(raised.value) == verify
    assert [(error.id, error.msg) for error in check_settings()] == [
        ("drf_eager.E003", unknown),
        ("drf_eager.E005", verify),
    ]


def test_an_unhashable_enumerated_setting_is_a_check_error(settings):
    settings.DRF_EAGER = {"UNKNOWN_FIELDS": ["ignore"]}
    assert [error.id for error in check_settings()] == ["drf_eager.E003"]


def test_a_bad_unknown_fields_setting_is_a_500_not_a_silent_policy(api, small_library, settings):
    """A typo in the setting used to serve as "raise"; now it is the developer's error."""
    settings.DRF_EAGER = {"UNKNOWN_FIELDS": "ignroe"}
    with pytest.raises(ImproperlyConfigured, match="UNKNOWN_FIELDS"):
        api.get("/books/?fields=title,nope")


def test_the_enum_member_as_the_setting(api, small_library, settings):
    settings.DRF_EAGER = {"UNKNOWN_FIELDS": UnknownFields.IGNORE, "STRICT": True}
    status, data, _ = api.get_json("/books/?fields=title,nope")
    assert status == 200
    assert data[0] == {"title": "book0-0"}


def test_settings_errors_in_order():
    assert settings_errors(None) == []
    assert [error.id for error in settings_errors([])] == ["drf_eager.E001"]
    errors = settings_errors(
        {"NOPE": 1, "UNKNOWN_FIELDS": "x", "MAX_DEPTH": 0, "STRICT": 1, "FAST_PATH": "no"}
    )
    assert [error.id for error in errors] == [
        "drf_eager.E002",
        "drf_eager.E003",
        "drf_eager.E004",
        "drf_eager.E005",
        "drf_eager.E005",
    ]
    assert errors[0].hint is not None and errors[0].hint.startswith("Choose from: ")


# A serializer's declarations -------------------------------------------------------------


def test_extra_errors_are_the_errors_get_schema_raises_first():
    class Broken(EagerFieldsModelSerializer):
        class Meta:
            model = models.Author
            fields = ["id", "name"]
            extra = {
                "books": {"field": lib.BookSerializer, "prefetch": True},
                "reviews": {"field": serializers.CharField(), "filter": "rating > 3"},
            }

    errors = extra_errors("Broken", Broken.Meta.extra)
    assert [error.id for error in errors] == ["drf_eager.E011", "drf_eager.E017"]
    assert [error.id for error in declaration_errors(Broken)] == [
        "drf_eager.E011",
        "drf_eager.E017",
    ]
    with pytest.raises(DeclarationError) as raised:
        get_schema(Broken)
    assert (raised.value.id, str(raised.value)) == ("drf_eager.E011", str(errors[0]))


def test_extra_errors_of_a_declaration_that_is_not_a_dict():
    assert [error.id for error in extra_errors("S", ["books"])] == ["drf_eager.E010"]
    assert extra_errors("S", None) == []
    assert extra_errors("S", {"name": serializers.CharField()}) == []  # the short form
    assert extra_errors("S", {"n": {"field": serializers.CharField(), "filter": Q()}}) == []


# A view's declarations -------------------------------------------------------------------


class Reading(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Book.objects.all()
    serializer_class = lib.BookSerializer


def test_every_error_a_hook_without_a_request_raises_is_excused():
    """What a hook written for a request raises when run without one is left to the first
    request (it raises there, with the request)."""
    for error in HOOK_ERRORS:

        class View(Reading):
            def get_serializer_extra(self, error=error):
                raise error("needs a request")

        assert view_errors(View, actions=["list"]) == []


def test_a_bug_in_a_hook_is_not_hidden_by_the_checks():
    """Issue 15: not `except Exception`: a hook's own bug shows when the checks run."""

    class View(Reading):
        def get_serializer_extra(self):
            return undefined_name  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(NameError, match="undefined_name"):
        check_view(View, actions=["list"])


def test_a_bug_in_get_serializer_class_is_not_hidden_by_the_openapi_extension():
    class View(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()

        def get_serializer_class(self):
            raise RecursionError("a bug")

    with pytest.raises(RecursionError):
        spectacular.eager_parameters(View(), "GET")


def test_view_errors_are_reported_on_the_view_by_check_view():
    class Limited(Reading):
        eager_limits = {"MAX_DEPT": 2, "MAX_ROWS": 0}

    errors = view_errors(Limited)
    assert [(error.id, str(error), error.hint) for error in errors] == [
        ("drf_eager.E022", "Unknown limit 'MAX_DEPT' in Limited.eager_limits.", errors[0].hint),
        (
            "drf_eager.E022",
            "Limited.eager_limits['MAX_ROWS'] must be a positive integer or None.",
            None,
        ),
    ]
    assert [(error.id, error.msg, error.obj) for error in check_view(Limited)] == [
        (error.id, str(error), Limited) for error in errors
    ]
