"""Which classes drf_eager knows the behaviour of, for each shortcut it takes on that
knowledge: DRF's and drf_eager's own classes, and subclasses that override none of the
hooks the shortcut depends on. Also `@requires`, with which an override says what it reads.

Every shortcut is taken only on proof, and each proof has its allow-list here:

=====================  ========================================  =====================
proof                  allow-list (what may not be overridden)   read by
=====================  ========================================  =====================
column pruning         COLUMNS_FIELD (a field given the          prefetch.py, schema.py
(`.only()`)            instance), COLUMNS_VALUE (a field given
                       a column's value), COLUMNS_SERIALIZER;
                       a hook with @requires counts as declared
response pruning       PRUNED_SERIALIZER (a nested serializer    serializers.py
                       without the mixin: to_representation()
                       may read a key pruning leaves out)
fast path              FAST_FIELD, FAST_SERIALIZER: every hook   fast.py
(`values_list()`)      the DRF path's output runs, also where
                       it calls super(); no @requires
fast path's output     FAST_PAGINATOR, FAST_RENDERER: settings   views.py
handed on              only, no code (is_stock_paginator(),
                       is_stock_renderer())
=====================  ========================================  =====================

Every class of the MRO is looked at, not only the first that defines a hook: a class
that calls super() still runs its own code (drf_eager's mixin, first in the classes it
wraps plain nested serializers in, would otherwise hide the user's overrides below it).
Like Django's `Collector.can_fast_delete()`, a class not known is refused, and the caller
takes the general way (loads every column, renders by the DRF path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from inspect import isfunction
from typing import Any, TypeVar

from django.core.paginator import Paginator as DjangoPaginator
from rest_framework import pagination, renderers

__all__ = [
    "COLUMNS_FIELD",
    "COLUMNS_SERIALIZER",
    "COLUMNS_VALUE",
    "FAST_FIELD",
    "FAST_PAGINATOR",
    "FAST_RENDERER",
    "FAST_SERIALIZER",
    "FIXED_FIELDS",
    "PRUNED_SERIALIZER",
    "AllowList",
    "declared_requires",
    "hook_requires",
    "is_stock_paginator",
    "is_stock_renderer",
    "requires",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def requires(*paths: str) -> Callable[[_F], _F]:
    """Declare the model fields and relations a method or property reads.

    Put it on a serializer's `get_<field>` method (for a SerializerMethodField) or
    under `@property` on a model, with dotted paths: `@requires("name", "customer.name")`.
    drf_eager then loads exactly these when the field is in the shape. On a hook of a
    field or serializer class (`to_representation()` ...) it tells the column pruning
    what the override reads (see COLUMNS_FIELD).
    """

    def decorate(function: _F) -> _F:
        function.eager_requires = tuple(paths)  # type: ignore[attr-defined]
        return function

    return decorate


def declared_requires(attribute: object) -> tuple[str, ...] | None:
    """Return what a method, property or cached_property declared with @requires."""
    for candidate in (
        attribute,
        getattr(attribute, "fget", None),
        getattr(attribute, "func", None),
    ):
        found = getattr(candidate, "eager_requires", None)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


#: Methods, and the kinds of attribute that are code, for an allow-list of `hooks=None`.
_CODE = (staticmethod, classmethod, property, cached_property)


@dataclass(frozen=True)
class AllowList:
    """The classes one proof vouches for: those `vouched` accepts, and subclasses of
    them that define none of `hooks` (None: no method or property at all, but those
    named in `exempt`).

    With `declared`, a hook decorated with @requires is not an override: it says what
    it reads, which the proof loads (see hook_requires()).
    """

    vouched: Callable[[type], bool]
    hooks: tuple[str, ...] | None
    exempt: frozenset[str] = frozenset()
    declared: bool = False

    def override(self, cls: type) -> str | None:
        """Return "name() (in Class)" for the first hook a class of `cls.__mro__`
        that is not vouched for overrides, or None when `cls` is allowed."""
        for klass in cls.__mro__:
            if self.vouched(klass):
                continue
            found = self._defined(klass)
            if found is not None:
                return f"{found}() (in {klass.__name__})"
        return None

    def allows(self, cls: type) -> bool:
        """Whether the proof knows exactly what an instance of `cls` does."""
        return self.override(cls) is None

    def _defined(self, klass: type) -> str | None:
        namespace = vars(klass)
        if self.hooks is None:
            for name, value in namespace.items():
                if name not in self.exempt and (isfunction(value) or isinstance(value, _CODE)):
                    return name
            return None
        for name in self.hooks:
            if name in namespace and not (
                self.declared and declared_requires(namespace[name]) is not None
            ):
                return name
        return None


def hook_requires(cls: type, allow_list: AllowList) -> tuple[str, ...] | None:
    """Return what the overrides of `allow_list`'s hooks in the MRO of `cls` declared
    with @requires, together, or None when none declared anything."""
    assert allow_list.hooks is not None
    found: list[str] | None = None
    for klass in cls.__mro__:
        if allow_list.vouched(klass):
            continue
        for name in allow_list.hooks:
            declared = declared_requires(vars(klass).get(name))
            if declared is not None:
                found = [*(found or []), *(path for path in declared if path not in (found or []))]
    return None if found is None else tuple(found)


# Column pruning ----------------------------------------------------------------------
#
# The planner prunes columns (`.only()`) only where it knows what each field reads:
# a field it does not know makes its serializer's rows, and what is JOINed to them,
# load every column unless it declares what it reads with a `requires` attribute.


def _is_library(klass: type) -> bool:
    # DRF's and drf_eager's own classes: what each reads is known per kind of field.
    return klass is object or klass.__module__.startswith(("rest_framework.", "drf_eager."))


#: The methods through which a field reads the instance it is given: a class that
#: overrides one may read any column of it.
COLUMNS_FIELD = AllowList(
    _is_library,
    (
        "to_representation",
        "get_attribute",
        "get_url",
        "get_object",
        "use_pk_only_optimization",
        "bind",
        "__getattribute__",
        "__getattr__",
    ),
    declared=True,
)
#: The same for a field whose source is a column: its to_representation() gets the
#: column's value, never the instance.
COLUMNS_VALUE = AllowList(
    _is_library,
    tuple(name for name in COLUMNS_FIELD.hooks or () if name != "to_representation"),
    declared=True,
)
#: The methods through which a serializer (or a list serializer) reads its instance or
#: decides which fields it serializes.
COLUMNS_SERIALIZER = AllowList(
    _is_library,
    (
        "to_representation",
        "get_attribute",
        "bind",
        "fields",
        "_readable_fields",
        "data",
        "__getattribute__",
        "__getattr__",
    ),
    declared=True,
)

#: A serializer whose get_fields() is its library's builds the same fields for every
#: request; one of the user's may add fields for some requests (`email` for staff),
#: which read what the planner cannot know where the request left the level open.
FIXED_FIELDS = AllowList(_is_library, ("get_fields",))

# Response pruning ----------------------------------------------------------------------

#: A plain nested serializer (without the mixin) whose class, or a class of the user's
#: below it, defines to_representation() may read a key that pruning leaves out (a
#: KeyError, a 500): it is served with all of its fields or none.
PRUNED_SERIALIZER = AllowList(
    lambda klass: klass is object or klass.__module__.startswith("rest_framework."),
    ("to_representation",),
)

# Fast path -------------------------------------------------------------------------
#
# The fast path builds the DRF path's output without instances or DRF's field machinery:
# every hook that output runs must be known, also where it calls super(), and a
# @requires says nothing about what an override returns.


@cache
def _standard_serializers() -> frozenset[type]:
    from rest_framework import serializers
    from rest_framework.fields import Field

    # Imported here: drf_eager.serializers imports the planner, which imports this module.
    from .serializers import EagerFieldsSerializerMixin

    return frozenset(
        {
            object,
            Field,
            serializers.BaseSerializer,
            serializers.Serializer,
            serializers.ModelSerializer,
            serializers.HyperlinkedModelSerializer,
            serializers.ListSerializer,
            EagerFieldsSerializerMixin,
        }
    )


_DRF_FIELD_MODULES = frozenset(
    {"rest_framework.fields", "rest_framework.relations", "rest_framework.serializers"}
)

#: The serializer methods the output depends on; only DRF's serializer classes and the
#: mixin are vouched for.
FAST_SERIALIZER = AllowList(
    lambda klass: klass in _standard_serializers(),
    (
        "__new__",
        "__init__",
        "many_init",
        "to_representation",
        "get_attribute",
        "get_default",
        "get_fields",
        "fields",
        "_readable_fields",
        "bind",
        "data",
    ),
)
#: The same for fields: a class outside DRF that defines one of them is refused, even
#: where it calls super() (a get_default() on a dotted source, an __init__ that sets
#: what to_representation() reads). Which of DRF's own field classes the fast path
#: serves is decided per kind of field (their to_representation() against the known
#: ones), in fast.py; drf_eager's computed fields are not DRF's.
FAST_FIELD = AllowList(
    lambda klass: klass is object or klass.__module__ in _DRF_FIELD_MODULES,
    (
        "__new__",
        "__init__",
        "to_representation",
        "get_attribute",
        "get_default",
        "bind",
        "use_pk_only_optimization",
    ),
)

# What the fast path's output may be given to -----------------------------------------
#
# Subclasses of the stock classes that set class attributes (page_size, charset,
# media_type ...) are the stock class; one that adds code is not.

#: A paginator may override the methods that read the request, not the page's rows.
FAST_PAGINATOR = AllowList(
    lambda klass: klass is object or klass.__module__ == "rest_framework.pagination",
    None,
    exempt=frozenset(
        {
            "get_page_size",
            "get_page_number",
            "get_limit",
            "get_offset",
            "get_paginated_response_schema",
            "get_schema_operation_parameters",
            "get_schema_fields",
        }
    ),
)
FAST_RENDERER = AllowList(
    lambda klass: (
        klass is object or klass.__module__ in ("rest_framework.renderers", "drf_eager.renderers")
    ),
    None,
)


def is_stock_paginator(paginator: Any) -> bool:
    """Whether `paginator` is DRF's PageNumberPagination or LimitOffsetPagination, or a
    subclass that changes only settings and the page size: the fast path hands it
    tuples, which only code that counts and slices them cannot tell from instances."""
    cls = type(paginator)
    if not issubclass(cls, pagination.PageNumberPagination | pagination.LimitOffsetPagination):
        return False
    django_paginator = getattr(paginator, "django_paginator_class", None)
    if django_paginator is not None and django_paginator is not DjangoPaginator:
        return False
    return FAST_PAGINATOR.allows(cls)


def is_stock_renderer(renderer: Any) -> bool:
    """Whether `renderer` is a stock JSON renderer (DRF's or drf_eager's ORJSONRenderer)
    or a subclass that changes only settings: one with code of its own may read what
    the DRF path's data carries (`data.serializer`, as JSON:API renderers do)."""
    from .renderers import ORJSONRenderer

    if not isinstance(renderer, renderers.JSONRenderer | ORJSONRenderer):
        return False
    return FAST_RENDERER.allows(type(renderer))
