from __future__ import annotations

import pytest

from drf_eager.checks import check_settings
from drf_eager.settings import DEFAULTS, eager_settings


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ({"STRICT": True}, []),
        ({}, []),
        (None, []),
        ([], ["drf_eager.E001"]),
        ({"MAX_DEPT": 2}, ["drf_eager.E002"]),
        ({"UNKNOWN_FIELDS": "drop"}, ["drf_eager.E003"]),
        ({"MAX_DEPTH": 0}, ["drf_eager.E004"]),
        ({"MAX_DEPTH": "3"}, ["drf_eager.E004"]),
        ({"MAX_DEPTH": None}, []),
        ({"MAX_PATHS": 0, "MAX_BODY_SIZE": True}, ["drf_eager.E004", "drf_eager.E004"]),
        ({"MAX_PARAM_LENGTH": 500, "MAX_BODY_SIZE": None}, []),
        ({"FAST_PATH": False, "STRICT": True}, []),
        ({"FAST_PATH": "no", "STRICT": 1}, ["drf_eager.E005", "drf_eager.E005"]),
    ],
)
def test_setting_checks(settings, value, ids):
    settings.DRF_EAGER = value
    assert [error.id for error in check_settings()] == ids


def test_settings_are_read_at_access_time(settings):
    settings.DRF_EAGER = {"MAX_DEPTH": 7}
    assert eager_settings.MAX_DEPTH == 7
    settings.DRF_EAGER = {}
    assert eager_settings.MAX_DEPTH == DEFAULTS["MAX_DEPTH"] == 3


def test_unknown_setting_name():
    with pytest.raises(AttributeError, match="Unknown drf_eager setting"):
        eager_settings.NOPE  # noqa: B018


def test_a_view_limit_must_be_known():
    from tests.secure import LimitedBookViewSet

    view = LimitedBookViewSet()
    assert view.get_eager_limit("MAX_DEPTH") == 1
    with pytest.raises(ValueError, match="Unknown limit 'MAX_DPTH'"):
        view.get_eager_limit("MAX_DPTH")


def test_extra_permissions_must_be_a_list_of_callables():
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework import serializers

    from drf_eager import EagerFieldsSerializer
    from drf_eager.schema import get_schema

    class Bad(EagerFieldsSerializer):
        extra = {"x": {"field": serializers.CharField(), "permissions": "admin"}}

    with pytest.raises(ImproperlyConfigured, match=r"extra\['x'\]\['permissions'\] must be"):
        get_schema(Bad)
