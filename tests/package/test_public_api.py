"""Issue 15: the public API is small, listed in `__all__`, and documented in docs/api.md.

A name added to or removed from a public module's `__all__` fails here until the page and
this table say so too.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import django.utils.functional
import pytest

import drf_eager

API_PAGE = Path(__file__).parents[2] / "docs" / "api.md"

PACKAGE = {
    "EagerFieldsSerializerMixin",
    "EagerFieldsSerializer",
    "EagerFieldsModelSerializer",
    "prepare",
    "EagerFieldsViewMixin",
    "EagerFieldsAPIView",
    "data_predicate",
    "Computed",
    "CountOf",
    "Exists",
    "Grouped",
    "requires",
    "Shape",
    "InvalidShape",
    "ExtraNotPermitted",
    "QueryDuringSerialization",
    "forbid_queries",
}

MODULES = {
    "drf_eager.serializers": {
        "EagerFieldsSerializerMixin",
        "EagerFieldsSerializer",
        "EagerFieldsModelSerializer",
        "prepare",
    },
    "drf_eager.views": {"EagerFieldsViewMixin", "EagerFieldsAPIView", "data_predicate"},
    "drf_eager.computed": {"Computed", "CountOf", "Exists"},
    "drf_eager.grouped": {"Grouped"},
    "drf_eager.exceptions": {
        "InvalidShape",
        "ExtraNotPermitted",
        "ShapeTooLarge",
        "ResponseTooLarge",
        "QueryDuringSerialization",
        "DeclarationError",
    },
    "drf_eager.settings": {"eager_settings", "DEFAULTS", "UnknownFields", "FastPathVerify"},
    "drf_eager.strict": {"forbid_queries"},
    "drf_eager.testing": {"verify_fast_path", "fast_path_verified", "FastPathMismatch"},
    "drf_eager.renderers": {"ORJSONRenderer"},
    "drf_eager.checks": {
        "check_settings",
        "check_declarations",
        "check_serializer",
        "check_view",
    },
    "drf_eager.fast": {
        "compile_fast_plan",
        "fast_plan_refusal",
        "FastPlan",
        "FastQuery",
        "FastPathUnavailable",
        "SUBQUERY_THRESHOLD",
    },
    "drf_eager.sql": {
        "sql_refusal",
        "prepare_sql",
        "SQLResponse",
        "SQLRenderUnavailable",
        "SQLList",
    },
    "drf_eager.contrib.spectacular": {
        "EagerSchemaMixin",
        "EagerSerializerExtension",
        "EagerViewExtension",
        "allowed_paths",
        "eager_parameters",
    },
    "drf_eager.contrib.explorer": {
        "ExplorerView",
        "explorer_urls",
        "endpoints",
        "run_request",
        "schema_json",
        "urlpatterns",
    },
}


def documented(section: str) -> dict[str, set[str]]:
    """The rows of the table under `## {section}` of docs/api.md: first cell -> the
    names in backquotes of the other cells (up to their first parenthesis)."""
    text = API_PAGE.read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in body.splitlines():
        if not line.startswith("| `"):
            continue
        first, *rest = line.strip("|").split("|")
        names = set(re.findall(r"`([\w.]+)", first))
        rows[" ".join(sorted(names))] = {
            name
            for cell in rest
            for name in re.findall(r"`([\w.]+)", re.sub(r"\(.*?\)", "", cell))
        }
    return rows


def test_the_package_exports_the_public_names():
    assert set(drf_eager.__all__) == PACKAGE
    assert len(drf_eager.__all__) == len(PACKAGE)  # no name twice
    for name in PACKAGE:
        assert getattr(drf_eager, name) is not None
        assert name in dir(drf_eager)


def test_each_exported_name_is_documented():
    rows = documented("`drf_eager`")
    assert set().union(*(set(key.split()) for key in rows)) == PACKAGE


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_public_modules_all_lists_its_public_names_only(module):
    names = importlib.import_module(module).__all__
    assert set(names) == MODULES[module]
    assert len(names) == len(MODULES[module])


def test_the_public_modules_are_documented_with_their_names():
    assert documented("Modules you import from") == MODULES


def test_classproperty_is_importable_for_drf_eager_fields_projects_but_not_exported():
    """Django's own classproperty: projects written for drf-eager-fields import it with the
    serializers, to declare `extra` as one."""
    from drf_eager import classproperty
    from drf_eager.serializers import classproperty as from_serializers

    assert classproperty is from_serializers is django.utils.functional.classproperty
    assert "classproperty" not in drf_eager.__all__
    assert "classproperty" not in importlib.import_module("drf_eager.serializers").__all__


def test_the_settings_enums_import_without_django_settings():
    """A settings module may import drf_eager.settings for its Enums."""
    code = (
        "import django.conf;"
        "from drf_eager.settings import UnknownFields, FastPathVerify;"
        "assert not django.conf.settings.configured;"
        "print(UnknownFields.IGNORE.value, FastPathVerify.LOG.value)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""}, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ignore", "log"]
