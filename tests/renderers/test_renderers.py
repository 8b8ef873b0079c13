"""ORJSONRenderer (drf_eager.renderers): its output parses to the same data as DRF's
JSONRenderer's, for every type DRF's encoder knows, and it fails where DRF fails."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import ipaddress
import json
import sys
import uuid
from importlib.util import find_spec
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from drf_eager.renderers import ORJSONRenderer
from tests.conftest import DRF_VERSION

requires_orjson = pytest.mark.skipif(find_spec("orjson") is None, reason="orjson is not installed")

UTC = datetime.timezone.utc


@dataclasses.dataclass
class Point:
    x: int


class Pairs:
    """Has __getitem__ and keys: DRF's encoder makes a dict of it."""

    def keys(self):
        return ["a", "b"]

    def __getitem__(self, key):
        return key.upper()


SAMPLES = {
    "scalars": [1, -2.5, "text", True, False, None, 2**63 - 1, -(2**63)],
    "datetime utc": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    "datetime micro": datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    "datetime offset": datetime.datetime(2024, 6, 1, 12, tzinfo=ZoneInfo("Asia/Kolkata")),
    "datetime naive": datetime.datetime(2024, 1, 2, 3, 4, 5, 600),
    "date": datetime.date(2024, 2, 29),
    "time": datetime.time(23, 59, 59, 999999),
    "timedelta": datetime.timedelta(days=1, seconds=3, microseconds=5),
    "decimal": [decimal.Decimal("9.99"), decimal.Decimal("-0.10"), decimal.Decimal("1E+3")],
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": [gettext_lazy("Not found."), {"detail": gettext_lazy("Invalid page.")}],
    "ip": [ipaddress.IPv4Address("10.0.0.1"), ipaddress.IPv6Network("2001:db8::/32")],
    "bytes": b"blob",
    "containers": {"t": (1, 2), "s": {3}, "f": frozenset({"x"})},
    "return types": ReturnDict({"a": ReturnList([1], serializer=None)}, serializer=None),
    "getitem": Pairs(),
    "unicode": ["naïve ☃ 𝄞", "line\u2028separator\u2029", 'quote " backslash \\ \x00'],
    "nested": {"a": [{"b": [datetime.date(2020, 1, 1), decimal.Decimal("1.5")]}]},
    "empty": [{}, [], ""],
    # What orjson refuses and DRF's JSONRenderer renders.
    "big int": [2**64, -(2**70)],
    "int keys": {1: "a", 2.5: "b", False: "c", None: "d"},
}


def both(data, **kwargs):
    return ORJSONRenderer().render(data, **kwargs), JSONRenderer().render(data, **kwargs)


before_drf_317 = pytest.mark.skipif(
    DRF_VERSION < (3, 17), reason="DRF 3.16's JSONRenderer does not encode IP addresses"
)


@requires_orjson
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(value, id=key, marks=[before_drf_317] if key == "ip" else [])
        for key, value in SAMPLES.items()
    ],
)
def test_parses_to_the_same_data(data):
    fast, drf = both(data)
    assert json.loads(fast) == json.loads(drf)


@requires_orjson
def test_datetimes_are_written_as_drf_writes_them():
    fast, drf = both([datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)])
    assert fast == drf == b'["2024-01-02T03:04:05.123456Z"]'


@requires_orjson
def test_compact_utf8_is_what_differs():
    fast, drf = both({"a": ["é", 1]})
    assert fast == '{"a":["é",1]}'.encode()
    assert json.loads(fast) == json.loads(drf)


@requires_orjson
@pytest.mark.parametrize(
    "data",
    [
        datetime.time(1, 2, tzinfo=UTC),  # DRF: ValueError
        object(),  # TypeError
        Point(1),  # TypeError: DRF's encoder does not know dataclasses
        {gettext_lazy("key"): 1},  # TypeError: keys must be strings
        {(1, 2): 3},  # TypeError: a tuple key
    ],
    ids=["aware-time", "object", "dataclass", "lazy-key", "tuple-key"],
)
def test_fails_where_drf_fails(data):
    with pytest.raises(Exception) as drf_error:
        JSONRenderer().render(data)
    with pytest.raises(type(drf_error.value)):
        ORJSONRenderer().render(data)


@requires_orjson
def test_non_finite_floats_are_null_where_drf_refuses_them():
    # The one documented difference.
    with pytest.raises(ValueError):
        JSONRenderer().render([float("nan")])
    assert ORJSONRenderer().render([float("nan"), float("inf")]) == b"[null,null]"


@requires_orjson
def test_none_and_indents_render_as_drf_does():
    assert ORJSONRenderer().render(None) == b""
    data = {"a": [1, {"b": datetime.date(2020, 1, 1)}]}
    for kwargs in (
        {"accepted_media_type": "application/json; indent=4"},
        {"renderer_context": {"indent": 2}},
    ):
        fast, drf = both(data, **kwargs)
        assert fast == drf
        assert b"\n" in fast


@requires_orjson
def test_a_subclass_may_change_the_encoder():
    class Encoder(ORJSONRenderer.encoder_class):
        def default(self, obj):
            if isinstance(obj, decimal.Decimal):
                return str(obj)
            return super().default(obj)

    class Renderer(ORJSONRenderer):
        encoder_class = Encoder

    assert Renderer().render([decimal.Decimal("1.10")]) == b'["1.10"]'


def test_a_clear_error_without_orjson(monkeypatch):
    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson raises ImportError
    with pytest.raises(ImproperlyConfigured, match=r"pip install 'drf-eager\[orjson\]'"):
        ORJSONRenderer()


@requires_orjson
@pytest.mark.django_db
def test_a_view_rendered_with_orjson(settings, small_library):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_RENDERER_CLASSES": ["drf_eager.renderers.ORJSONRenderer"],
    }
    url = "/books/?extra=author.publisher,tags,reviews&fields=title,price,author,tags,reviews"
    response = APIClient().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == json.loads(JSONRenderer().render(response.data))
    assert b'"price":"9.99"' in response.content
