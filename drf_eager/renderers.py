"""ORJSONRenderer: DRF's JSON, rendered by orjson.

Once the data is built fast (see drf_eager.fast), `json.dumps` is a good part of what
is left of a response. orjson is an optional dependency (`pip install drf-eager[orjson]`):

    REST_FRAMEWORK = {
        "DEFAULT_RENDERER_CLASSES": ["drf_eager.renderers.ORJSONRenderer", ...],
    }

The output parses to the same data as DRF's JSONRenderer: every value orjson would
write differently (datetimes, dates, times, decimals, lazy strings, ...) goes through
DRF's own encoder, and what orjson refuses (integers over 64 bits, dict keys that are
not strings, ...) is rendered by DRF's JSONRenderer, which encodes it or raises its
own error. The bytes differ only in spacing and escaping: orjson writes compact UTF-8.
A requested indent (`Accept: application/json; indent=4`, the browsable API) is
rendered by DRF's JSONRenderer as well.

One difference remains: orjson writes a float NaN or infinity as `null`, where DRF's
JSONRenderer raises ValueError (STRICT_JSON, the default) or writes `NaN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework import renderers
from rest_framework.utils import encoders

__all__ = ["ORJSONRenderer"]


def _orjson() -> ModuleType:
    try:
        import orjson
    except ImportError:
        raise ImproperlyConfigured(
            "drf_eager.renderers.ORJSONRenderer needs orjson: "
            "pip install 'drf-eager[orjson]' (or pip install orjson)."
        ) from None
    return orjson


class ORJSONRenderer(renderers.BaseRenderer):
    """Renders JSON with orjson; the parsed output is DRF's JSONRenderer's."""

    media_type = "application/json"
    format = "json"
    charset = None
    #: Its default() encodes what orjson would encode differently from DRF.
    encoder_class: type[encoders.JSONEncoder] = encoders.JSONEncoder
    #: Renders what orjson refuses, and indented responses.
    fallback_renderer_class: type[renderers.JSONRenderer] = renderers.JSONRenderer

    def __init__(self) -> None:
        self._orjson = _orjson()
        self._default = self.encoder_class().default
        # orjson encodes datetimes and dataclasses itself, not as DRF does: pass them
        # to DRF's encoder instead.
        self._options = self._orjson.OPT_PASSTHROUGH_DATETIME | (
            self._orjson.OPT_PASSTHROUGH_DATACLASS
        )

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        fallback = self.fallback_renderer_class()
        # The stubs want a str; DRF's get_indent() reads None and "" alike.
        if fallback.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return fallback.render(data, accepted_media_type, renderer_context)
        try:
            rendered: bytes = self._orjson.dumps(data, default=self._default, option=self._options)
        except self._orjson.JSONEncodeError:
            # What orjson refuses (an integer over 64 bits, a key that is not a string,
            # what DRF's encoder refuses too): DRF encodes it, or raises its own error.
            return fallback.render(data, accepted_media_type, renderer_context)
        return rendered
