"""drf_eager: client-chosen response shapes for Django REST Framework, loaded in
the minimum number of SQL queries.

The public names are imported lazily, so `import drf_eager` needs no settings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

__all__ = [
    "Computed",
    "CountOf",
    "EagerFieldsAPIView",
    "EagerFieldsModelSerializer",
    "EagerFieldsSerializer",
    "EagerFieldsSerializerMixin",
    "EagerFieldsViewMixin",
    "Exists",
    "ExtraNotPermitted",
    "Grouped",
    "InvalidShape",
    "QueryDuringSerialization",
    "Shape",
    "classproperty",
    "data_predicate",
    "forbid_queries",
    "prepare",
    "requires",
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
    "classproperty": "serializers",
    "InvalidShape": "exceptions",
    "QueryDuringSerialization": "exceptions",
    "Shape": "shape",
    "forbid_queries": "strict",
    "prepare": "serializers",
    "requires": "stock",
}

if TYPE_CHECKING:  # pragma: no cover
    from .computed import Computed, CountOf, Exists
    from .exceptions import ExtraNotPermitted, InvalidShape, QueryDuringSerialization
    from .grouped import Grouped
    from .serializers import (
        EagerFieldsModelSerializer,
        EagerFieldsSerializer,
        EagerFieldsSerializerMixin,
        classproperty,
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
