"""EagerFieldsSerializerMixin: injects the requested extras and prunes fields at
every level of a serializer tree, following the Shape found in its context."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, cast

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.db.models.query import get_prefetcher, prefetch_related_objects
from django.utils.functional import classproperty as classproperty
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.utils.serializer_helpers import ReturnDict

from . import strict
from .bases import put_mixin_first
from .computed import field_path
from .exceptions import InvalidShape, RowBudget
from .grouped import Grouped
from .prefetch import prefetch_queryset
from .schema import TO_MANY, TO_ONE, get_schema
from .settings import UnknownFields, eager_settings
from .shape import SHAPE_CONTEXT_KEY as SHAPE_CONTEXT_KEY  # imported from here by views, fast
from .shape import (
    Level,
    Shape,
    ShapeError,
    ShapeRequest,
    build_request,
    resolve,
)
from .sources import LOOKUP_SEP, base_queryset, default_related_queryset
from .stock import PRUNED_SERIALIZER
from .tree import declared

# Also importable from here, not ours: Django's classproperty, for `extra` declared as
# one (drf-eager-fields' idiom, which lets serializers import each other lazily).
__all__ = [
    "EagerFieldsModelSerializer",
    "EagerFieldsSerializer",
    "EagerFieldsSerializerMixin",
    "prepare",
]


# The context keys drf-eager-fields used, read when no resolved Shape is given.
_LEGACY_KEYS = ("extra", "fields", "exclude", "body_fields")


_SETTING = object()


#: The serializer context key of the view's RowBudget (MAX_ROWS) for the response.
BUDGET_CONTEXT_KEY = "eager_budget"

#: The context key under which a view's get_serializer_context() says which serializer
#: class serves the request's shape: (class, Shape, RowBudget). For a get_serializer() of
#: the project's own that builds the serializer with that context, or gives the mixin's a
#: context of its own: see `_shaped_context()`.
VIEW_SHAPE_CONTEXT_KEY = "_eager_view_shape"


def _shaped_context(serializer_class: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Give `kwargs` the view's Shape where a view's context says `serializer_class` serves
    it (see VIEW_SHAPE_CONTEXT_KEY) and the view left it unshaped: the view's serializer
    class, built with the view's context by code of the project's own. A serializer that
    reads input (`data`), and any other class, is left as it is."""
    context = kwargs.get("context")
    if not context or context.get(SHAPE_CONTEXT_KEY, _SETTING) is not None:
        return
    view_shape = context.get(VIEW_SHAPE_CONTEXT_KEY)
    if view_shape is None or view_shape[0] is not serializer_class:
        return
    if "data" in kwargs or len(args) > 1:
        return
    _, shape, budget = view_shape
    # A copy: the caller's dict may build other serializers too.
    kwargs["context"] = {**context, SHAPE_CONTEXT_KEY: shape, BUDGET_CONTEXT_KEY: budget}


def resolve_request(
    request: ShapeRequest,
    serializer_class: type,
    *,
    max_depth: Any = _SETTING,
    level: Level | None = None,
    ignore_unknown: bool | None = None,
) -> Shape:
    """Check `request` against `serializer_class` under the DRF_EAGER settings
    (`ignore_unknown` None: the UNKNOWN_FIELDS setting).

    `level` is the schema as the request's user sees it (see
    drf_eager.permissions.PermittedLevel). Raise ShapeError naming every bad path.
    """
    if ignore_unknown is None:
        ignore_unknown = eager_settings.UNKNOWN_FIELDS is UnknownFields.IGNORE
    schema = get_schema(serializer_class)
    if request.is_empty():
        return schema.default_shape
    return resolve(
        request,
        level or schema,
        max_depth=eager_settings.MAX_DEPTH if max_depth is _SETTING else max_depth,
        ignore_unknown=ignore_unknown,
        max_errors=eager_settings.MAX_ERRORS,
    )


def resolve_params(serializer_class: type, **params: Any) -> Shape:
    """Parse and check `extra`, `fields`, `exclude` or `body_fields` for a serializer.

    Raise InvalidShape (a 400 ValidationError) naming every bad path.
    """
    try:
        return resolve_request(build_request(**params), serializer_class)
    except ShapeError as exc:
        raise InvalidShape(exc.errors) from None


def prepare(
    serializer_class: type,
    queryset: QuerySet[Any],
    *,
    extra: Any = None,
    fields: Any = None,
    exclude: Any = None,
    body_fields: Any = None,
    context: dict[str, Any] | None = None,
) -> tuple[QuerySet[Any], dict[str, Any]]:
    """Shape and plan outside a view: return the planned queryset and the context to
    give the serializer.

        queryset, context = prepare(BookSerializer, Book.objects.all(), extra="tags")
        data = BookSerializer(queryset, many=True, context=context).data
    """
    shape = resolve_params(
        serializer_class,
        extra=extra,
        fields=fields,
        exclude=exclude,
        body_fields=body_fields,
    )
    planned = prefetch_queryset(queryset, get_schema(serializer_class), shape)
    return planned, {**(context or {}), SHAPE_CONTEXT_KEY: shape}


def shape_from_context(serializer_class: type, context: dict[str, Any]) -> Shape | None:
    """Return the Shape a serializer's context asks for, or None when it asks nothing.

    Reads what a view put under SHAPE_CONTEXT_KEY (None: not shaped), else the keys
    drf-eager-fields used: `extra`, `fields`, `exclude` (query syntax) and
    `body_fields` (the JSON body's dict). Raise InvalidShape on bad input.
    """
    if SHAPE_CONTEXT_KEY in context:
        # A view's resolved Shape, or its None for a serializer it does not shape (one
        # that reads input): the legacy keys a view adds are then for reading only.
        return context[SHAPE_CONTEXT_KEY]  # type: ignore[no-any-return]
    if not asks_shape(context):
        return None
    return resolve_params(
        serializer_class,
        extra=context.get("extra"),
        fields=context.get("fields"),
        exclude=context.get("exclude"),
        body_fields=context.get("body_fields") or None,
    )


def asks_shape(context: Mapping[str, Any]) -> bool:
    """Whether `context` asks for a shape with the keys drf-eager-fields read."""
    return any(context.get(key) not in (None, "") for key in _LEGACY_KEYS)


_eager_classes: dict[type, type] = {}


def _eager_class(serializer_class: type) -> type:
    """Return a subclass of `serializer_class` with the mixin, for nested serializers
    that do not have it, so that they are pruned as well."""
    if issubclass(serializer_class, EagerFieldsSerializerMixin):
        return serializer_class
    eager = _eager_classes.get(serializer_class)
    if eager is None:
        eager = type(
            serializer_class.__name__,
            (EagerFieldsSerializerMixin, serializer_class),
            {
                "__module__": serializer_class.__module__,
                "__qualname__": serializer_class.__qualname__,
            },
        )
        _eager_classes[serializer_class] = eager
    return eager


def is_generated(serializer_class: type) -> bool:
    """Whether drf_eager made `serializer_class`: the subclass with the mixin of a nested
    serializer that has none (the system checks check the serializer itself)."""
    # Made with the bases (EagerFieldsSerializerMixin, the nested serializer).
    return _eager_classes.get(serializer_class.__bases__[-1]) is serializer_class


def _check_prunable(serializer_class: type, shape: Shape, name: str) -> None:
    """Refuse to prune a plain nested serializer with a to_representation() of its own:
    it may read a key pruning leaves out (a KeyError, a 500). All its fields are fine."""
    if PRUNED_SERIALIZER.allows(serializer_class):
        return
    defaults = get_schema(_eager_class(serializer_class)).defaults
    if set(defaults) <= set(shape.fields):
        return
    raise InvalidShape(
        {
            "fields": [
                f"'{name}' cannot be pruned: {serializer_class.__name__} overrides "
                f"to_representation(); ask for all of its fields or none."
            ]
        }
    )


def _with_shape(
    field: Field[Any, Any, Any, Any], shape: Shape, name: str = ""
) -> Field[Any, Any, Any, Any]:
    """Give the nested serializer `field` (a fresh copy) the shape it must output."""
    if isinstance(field, serializers.ListSerializer):
        # Never None: ListSerializer.__init__ asserts a child.
        child = cast("Field[Any, Any, Any, Any]", field.child)
        if not isinstance(child, EagerFieldsSerializerMixin):
            _check_prunable(type(child), shape, name)
            # The stubs lack the _args and _kwargs that Field.__new__ sets.
            child = _eager_class(type(child))(*child._args, **child._kwargs)  # type: ignore[attr-defined]
            field.child = child
            child.bind(field_name="", parent=field)
        child._eager_shape = shape
        return field
    if not isinstance(field, EagerFieldsSerializerMixin):
        _check_prunable(type(field), shape, name)
        field = _eager_class(type(field))(*field._args, **field._kwargs)  # type: ignore[attr-defined]
    field._eager_shape = shape  # type: ignore[attr-defined]
    return field


def _is_root(serializer: serializers.BaseSerializer[Any]) -> bool:
    # The stubs type `parent` as always set; it is None until bind().
    parent: serializers.BaseSerializer[Any] | None = serializer.parent
    if parent is None:
        return True
    return isinstance(parent, serializers.ListSerializer) and parent.parent is None


class EagerFieldsSerializerMixin:
    """Outputs the fields of the Shape in its context, with the requested extras.

    Declare opt-in fields in `extra` (on the class or its `Meta`, a dict or a
    `@classproperty`): `{"name": {"field": <field>, "prefetch": True}}`.
    """

    _eager_shape: Shape | None = None
    _eager_introspecting = False
    _eager_budget: RowBudget | None = None
    _eager_represented: dict[str, Any] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # `class S(ModelSerializer, EagerFieldsSerializerMixin)` works as the mixin-first
        # order does (see drf_eager.bases).
        put_mixin_first(cls, EagerFieldsSerializerMixin)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _shaped_context(type(self), args, kwargs)
        super().__init__(*args, **kwargs)

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> Any:
        # The ListSerializer is the root of a list: it holds the context its children read.
        _shaped_context(cls, args, kwargs)
        return super().many_init(*args, **kwargs)  # type: ignore[misc]

    def get_eager_shape(self) -> Shape | None:
        """Return the Shape this serializer outputs, or None for its plain fields.

        A nested serializer gets its shape from its parent; the root one reads its
        context (see `shape_from_context`).
        """
        if self._eager_shape is not None:
            return self._eager_shape
        if not _is_root(self):  # type: ignore[arg-type]
            return None
        return shape_from_context(type(self), self.context)  # type: ignore[attr-defined]

    def get_fields(self) -> dict[str, Field[Any, Any, Any, Any]]:
        fields: dict[str, Field[Any, Any, Any, Any]] = super().get_fields()  # type: ignore[misc]
        if self._eager_introspecting:
            return fields
        shape = self.get_eager_shape()
        if shape is None:  # nothing asked and no plan made: plain DRF behaviour
            return fields
        return self._shape_fields(fields, shape)

    @cached_property
    def fields(self) -> Any:
        # DRF's BindingDict of get_fields(). A get_fields() of the user's that comes before
        # the mixin's in the MRO adds its fields after the mixin pruned (`super()`, then
        # `email` for staff): a level the request restricted drops them here.
        fields = super().fields  # type: ignore[misc]
        if self._eager_introspecting or not _adds_after_mixin(type(self)):
            return fields
        shape = self.get_eager_shape()
        if shape is not None and not shape.open:
            served = set(shape.fields)
            for name in [name for name in fields if name not in served]:
                del fields[name]
        return fields

    def _shape_fields(
        self, fields: dict[str, Field[Any, Any, Any, Any]], shape: Shape
    ) -> dict[str, Field[Any, Any, Any, Any]]:
        schema = get_schema(type(self))
        # Variants read their own prefetch only when drf_eager planned the queryset.
        planned = self.context.get(SHAPE_CONTEXT_KEY) is not None  # type: ignore[attr-defined]
        names: Iterable[str] = shape.fields
        per_request: set[str] = set()
        if shape.open:
            # The serializer's fields as its get_fields() built them for this request: a
            # field it adds for some requests (unknown to the schema, read without one)
            # is served too, where get_fields() put it, as without drf_eager.
            known = schema.defaults.keys() | schema.extras.keys()
            per_request = {name for name in fields if name not in known}
        if per_request:
            served = set(shape.fields)
            names = [
                *(name for name in fields if name in served or name in per_request),
                *(name for name in shape.fields if name not in fields),
            ]
        shaped = {}
        for name in names:
            if name in per_request:  # drf_eager knows nothing of it: as it is
                shaped[name] = fields[name]
                continue
            if name in schema.extras and (name not in fields or name not in schema.defaults):
                field = schema.new_extra_field(name)
            elif name in fields:
                field = fields[name]
            else:  # the shape was resolved for another serializer class
                continue
            child_shape = shape.child(name)
            if child_shape is not None and isinstance(field, serializers.BaseSerializer):
                field = _with_shape(field, child_shape, name)
            read_from = schema.read_source(name) if planned else None
            if read_from is not None:
                field.source = read_from
            if planned:
                _load_when_unplanned(field, schema, name)
            shaped[name] = field
        return shaped

    def eager_represent(self, data: Mapping[str, Any]) -> None:
        """Make `.data` return `data` from now on: what the view's write responds with,
        the saved row loaded again and serialized in the requested shape (see
        EagerFieldsViewMixin.perform_create()).

        The serializer that validated and saved the row is never shaped (the shape
        changes what the response shows, not what is validated), so DRF's create() and
        update() would answer with its own, unshaped representation; they read
        `.data`, and this is how the view answers with the shaped one without writing
        DRF's private cache of it (`_data`) or serializing the row twice.
        """
        self._eager_represented = dict(data)

    @property
    def data(self) -> Any:
        represented = self._eager_represented
        if represented is not None:
            return ReturnDict(represented, serializer=self)  # type: ignore[call-overload]
        return super().data  # type: ignore[misc]

    def to_representation(self, instance: Any) -> Any:
        # Strict mode watches what drf_eager planned: serializers given a Shape by a
        # view (or by the caller, under SHAPE_CONTEXT_KEY). Decided once per instance:
        # this runs once per serialized object.
        watched = self.__dict__.get("_eager_strict")
        if watched is None:
            watched = (
                eager_settings.STRICT and self.context.get(SHAPE_CONTEXT_KEY) is not None  # type: ignore[attr-defined]
            )
            self._eager_strict = watched
            self._eager_budget = self.context.get(BUDGET_CONTEXT_KEY)  # type: ignore[attr-defined]
        budget = self._eager_budget
        if budget is not None:  # the view's MAX_ROWS: each object served counts
            budget.spend()
        if not watched:
            return super().to_representation(instance)  # type: ignore[misc]
        # The field this serializer is in its parent: itself, or its ListSerializer.
        bound = self if self.field_name else self.parent  # type: ignore[attr-defined]
        name = getattr(bound, "field_name", "")
        with contextlib.ExitStack() as stack:
            if not strict.is_forbidding():
                stack.enter_context(strict.forbid_queries())
            elif name and not strict.records(bound):  # a parent that did not record it
                stack.enter_context(strict.field_path(name, bound))
            if _next_to_representation(type(self)) is not serializers.Serializer.to_representation:
                return super().to_representation(instance)  # type: ignore[misc]
            return self._strict_to_representation(instance)

    def _strict_to_representation(self, instance: Any) -> dict[str, Any]:
        # Serializer.to_representation, with each field's path recorded.
        ret: dict[str, Any] = {}
        for field in self._readable_fields:  # type: ignore[attr-defined]
            with strict.field_path(field.field_name, field):
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                ret[field.field_name] = (
                    None if check is None else field.to_representation(attribute)
                )
        return ret


def _adds_after_mixin(serializer_class: type) -> bool:
    """Whether a class before the mixin in the MRO of `serializer_class` defines
    get_fields(): what it adds to the mixin's fields is not shaped by the mixin's."""
    mro = serializer_class.__mro__
    return any("get_fields" in vars(cls) for cls in mro[: mro.index(EagerFieldsSerializerMixin)])


def _load_when_unplanned(field: Field[Any, Any, Any, Any], schema: Any, name: str) -> None:
    """Make the relation field `name` load its rows where its plan did not run: below a
    `prefetch: False` field, or in an @action that does not plan its queryset.

    It loads them as the plan would have, from the view's get_related_queryset() (with
    the field's own Prefetch queryset or `filter`), into the attribute the field reads;
    a row the plan loaded is read as it is.
    """
    spec = schema.spec(name)
    found = schema.relation_lookup(name)
    if found is None:
        return
    attrs, attribute = found
    lookup = LOOKUP_SEP.join(attrs)
    # Where the plan would have stored the rows (None: the relation's own cache).
    to_attr = declared(schema, name).to_attr
    if attribute.kind not in (TO_ONE, TO_MANY):
        return
    if attribute.kind == TO_ONE and to_attr is None:
        # JOINed, read through its key or row by row (prefetch=False): not a related
        # queryset.
        return
    related = cast("type[models.Model]", attribute.related_model)  # a relation's
    relation = attrs[-1]
    is_fetched: dict[type, Any] = {}
    get_attribute = field.get_attribute

    def load(instance: Any) -> Any:
        owner = instance
        for attr in attrs[:-1]:
            owner = getattr(owner, attr, None)
        if isinstance(owner, models.Model):
            cls = type(owner)
            if cls not in is_fetched:
                is_fetched[cls] = get_prefetcher(owner, relation, to_attr or relation)[3]
            try:
                fetched = is_fetched[cls](owner)
            except AttributeError:  # Django reads a prefetch cache the row does not have
                fetched = False
            if not fetched:
                base = _related_rows(field, spec, lookup, related)
                prefetch_related_objects([owner], Prefetch(relation, base, to_attr=to_attr))
        return get_attribute(instance)

    field.get_attribute = load  # type: ignore[method-assign]


def _related_rows(
    field: Field[Any, Any, Any, Any], spec: Any, lookup: str, related: type[models.Model]
) -> QuerySet[Any]:
    # The queryset the plan would have prefetched the field's relation from.
    view = field.context.get("view")
    getter = getattr(view, "get_related_queryset", None) or default_related_queryset
    own = spec.own_prefetch(lookup)
    grouped = spec.prefetch if isinstance(spec.prefetch, Grouped) else None
    return base_queryset(
        related,
        field_path(field),
        getter,
        own=None if own is None else own.queryset,
        grouped=None if grouped is None else grouped.queryset,
        filter=spec.filter,
    )


def _next_to_representation(serializer_class: type) -> Any:
    mro = serializer_class.__mro__
    for cls in mro[mro.index(EagerFieldsSerializerMixin) + 1 :]:
        if "to_representation" in cls.__dict__:
            return cls.__dict__["to_representation"]
    return None  # pragma: no cover


class EagerFieldsSerializer(EagerFieldsSerializerMixin, serializers.Serializer):  # type: ignore[type-arg]
    """A Serializer with the eager fields mixin."""


class EagerFieldsModelSerializer(EagerFieldsSerializerMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A ModelSerializer with the eager fields mixin."""
