from __future__ import annotations

import subprocess
import sys

import django.utils.functional


def test_import_needs_no_settings():
    """`import drf_eager` must not touch Django's settings (cf. DRF tests/importable)."""
    code = (
        "import drf_eager, django.conf;"
        "assert not django.conf.settings.configured;"
        "print(drf_eager.__version__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""}, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_public_names():
    import drf_eager
    from drf_eager import serializers, views

    assert drf_eager.EagerFieldsViewMixin is views.EagerFieldsViewMixin
    assert drf_eager.EagerFieldsAPIView is views.EagerFieldsAPIView
    for name in (
        "EagerFieldsSerializerMixin",
        "EagerFieldsSerializer",
        "EagerFieldsModelSerializer",
        "classproperty",
    ):
        assert getattr(drf_eager, name) is getattr(serializers, name)
    assert drf_eager.classproperty is django.utils.functional.classproperty
    assert set(drf_eager.__all__) <= set(dir(drf_eager))
    for name in drf_eager.__all__:
        assert getattr(drf_eager, name) is not None


def test_unknown_attribute():
    import pytest

    import drf_eager

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        drf_eager.nope  # noqa: B018
