"""drf_eager: client-chosen response shapes for Django REST Framework, loaded in
the minimum number of SQL queries.

The names below are the public API (docs/api.md); they are imported lazily, so
`import drf_eager` needs no settings. The modules users import from are listed there
too; the others are internal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

__all__ = [
    # Serializers
    "EagerFieldsModelSerializer",
    "EagerFieldsSerializer",
    "EagerFieldsSerializerMixin",
    "prepare",
    # Views
    "EagerFieldsAPIView",
    "EagerFieldsViewMixin",
    "data_predicate",
    # Declaring what a field loads
    "Computed",
    "CountOf",
    "Exists",
    "Grouped",
    "requires",
    # The requested shape
    "Shape",
    # Errors
    "ExtraNotPermitted",
    "InvalidShape",
    "QueryDuringSerialization",
    # Tests
    "forbid_queries",
]

_LOCATIONS = {
    "Computed": "computed",
    "CountOf": "computed",
    "Exists": "computed",
    "ExtraNotPermitted": "exceptions",
    "Grouped": "grouped",
    "data_predicate": "views",
    "EagerFieldsAPIView": "views",
    "EagerFieldsViewMixin": "views",
    "EagerFieldsModelSerializer": "serializers",
    "EagerFieldsSerializer": "serializers",
    "EagerFieldsSerializerMixin": "serializers",
    "InvalidShape": "exceptions",
    "QueryDuringSerialization": "exceptions",
    "Shape": "shape",
    "forbid_queries": "strict",
    "prepare": "serializers",
    "requires": "stock",
    # Not ours, so not in __all__: Django's classproperty, importable from here for
    # `extra` declared as one, as projects written for drf-eager-fields do.
    "classproperty": "serializers",
}

if TYPE_CHECKING:  # pragma: no cover
    from django.utils.functional import classproperty as classproperty

    from .computed import Computed, CountOf, Exists
    from .exceptions import ExtraNotPermitted, InvalidShape, QueryDuringSerialization
    from .grouped import Grouped
    from .serializers import (
        EagerFieldsModelSerializer,
        EagerFieldsSerializer,
        EagerFieldsSerializerMixin,
        prepare,
    )
    from .shape import Shape
    from .stock import requires
    from .strict import forbid_queries
    from .views import EagerFieldsAPIView, EagerFieldsViewMixin, data_predicate


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'drf_eager' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
