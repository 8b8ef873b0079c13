"""What drf_eager knows of a serializer class: its default fields, its extras, and
how each field reads the model (columns, to-one and to-many relations).

A `SerializerSchema` is built once per serializer class and cached on the class;
both the shape resolver and the queryset planner read it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models import Prefetch, Q
from django.db.models.constants import LOOKUP_SEP
from rest_framework import serializers
from rest_framework.fields import Field

from .exceptions import DeclarationError
from .shape import Shape, ShapeRequest, resolve

if TYPE_CHECKING:  # pragma: no cover
    from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation

__all__ = [
    "FIELD_HOOKS",
    "SERIALIZER_HOOKS",
    "VALUE_HOOKS",
    "Attribute",
    "FieldSpec",
    "SerializerSchema",
    "declaration_errors",
    "declared_requires",
    "get_schema",
    "hook_requires",
    "is_stock_class",
    "model_attribute",
    "requires",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def requires(*paths: str) -> Callable[[_F], _F]:
    """Declare the model fields and relations a method or property reads.

    Put it on a serializer's `get_<field>` method (for a SerializerMethodField) or
    under `@property` on a model, with dotted paths: `@requires("name", "customer.name")`.
    drf_eager then loads exactly these when the field is in the shape.
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


#: The methods through which a field reads the instance it is given: a class that
#: overrides one may read any column of it.
FIELD_HOOKS = (
    "to_representation",
    "get_attribute",
    "get_url",
    "get_object",
    "use_pk_only_optimization",
    "bind",
    "__getattribute__",
    "__getattr__",
)
#: The same for a field whose source is a column: its to_representation() gets the
#: column's value, never the instance.
VALUE_HOOKS = tuple(name for name in FIELD_HOOKS if name != "to_representation")
#: The methods through which a serializer (or a list serializer) reads its instance or
#: decides which fields it serializes.
SERIALIZER_HOOKS = (
    "to_representation",
    "get_attribute",
    "bind",
    "fields",
    "_readable_fields",
    "data",
    "__getattribute__",
    "__getattr__",
)
_STOCK_MODULES = ("rest_framework.", "drf_eager.")


def _is_stock(cls: type) -> bool:
    return cls is object or cls.__module__.startswith(_STOCK_MODULES)


def is_stock_class(cls: type, hooks: Sequence[str] = FIELD_HOOKS) -> bool:
    """Return whether drf_eager knows exactly what an instance of the field or
    serializer class `cls` reads: no class of its MRO but DRF's and drf_eager's own
    overrides one of `hooks` (FIELD_HOOKS, VALUE_HOOKS or SERIALIZER_HOOKS).

    The planner prunes columns only on this proof: a field it does not know makes its
    serializer's rows, and what is JOINed to them, load every column unless it
    declares what it reads with a `requires` attribute. A method of such a class
    decorated with @requires counts as declared, not as an override.
    """
    for klass in cls.__mro__:
        if _is_stock(klass):
            continue
        for name in hooks:
            if name in klass.__dict__ and declared_requires(klass.__dict__[name]) is None:
                return False
    return True


def hook_requires(cls: type, hooks: Sequence[str] = FIELD_HOOKS) -> tuple[str, ...] | None:
    """Return what the overrides of `hooks` in the MRO of `cls` declared with
    @requires, together, or None when none declared anything."""
    found: list[str] | None = None
    for klass in cls.__mro__:
        if _is_stock(klass):
            continue
        for name in hooks:
            declared = declared_requires(klass.__dict__.get(name))
            if declared is not None:
                found = [*(found or []), *(path for path in declared if path not in (found or []))]
    return None if found is None else tuple(found)


_CACHE_ATTR = "_drf_eager_schema"

COLUMN = "column"
TO_ONE = "to_one"
TO_MANY = "to_many"
GENERIC_FK = "generic_fk"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Attribute:
    """How an attribute of a model instance is loaded."""

    kind: str  # COLUMN, TO_ONE, TO_MANY, GENERIC_FK or UNKNOWN
    name: str  # the name to use in ORM lookups (field name or accessor)
    related_model: type[models.Model] | None = None
    # TO_ONE: the FK column on this model (forward), or None (reverse one-to-one).
    local_field: str | None = None
    # TO_ONE reverse / TO_MANY reverse FK / generic relation: the column(s) on the
    # related model that point back, which a prefetch or `only()` must keep.
    remote_fields: tuple[str, ...] = ()
    # The name in query lookups (`select_related`, `only`) when it is not `name`: a
    # reverse relation's `related_query_name`. Prefetches follow `name`, the accessor.
    query_name: str | None = None

    @property
    def lookup(self) -> str:
        return self.query_name or self.name


@cache
def _model_attributes(model: type[models.Model]) -> Mapping[str, Attribute]:
    attributes: dict[str, Attribute] = {}
    opts = model._meta
    for f in opts.get_fields(include_hidden=False):
        if isinstance(f, models.ForeignObjectRel):
            accessor = f.get_accessor_name()
            if not accessor:
                continue
            remote: tuple[str, ...] = (f.field.name,)
            if f.one_to_one:
                attributes[accessor] = Attribute(
                    TO_ONE, accessor, f.related_model, None, remote, query_name=f.name
                )
            elif f.one_to_many:
                attributes[accessor] = Attribute(TO_MANY, accessor, f.related_model, None, remote)
            else:
                attributes[accessor] = Attribute(TO_MANY, accessor, f.related_model)
        elif hasattr(f, "object_id_field_name"):  # GenericRelation
            generic = cast("GenericRelation", f)
            remote = (generic.object_id_field_name, generic.content_type_field_name)
            attributes[f.name] = Attribute(TO_MANY, f.name, f.related_model, None, remote)
        elif f.many_to_many:
            attributes[f.name] = Attribute(TO_MANY, f.name, f.related_model)
        elif f.is_relation and f.concrete and (f.many_to_one or f.one_to_one):
            attributes[f.name] = Attribute(TO_ONE, f.name, f.related_model, f.name)
            attributes[f.attname] = Attribute(COLUMN, f.name)
        elif hasattr(f, "ct_field"):  # GenericForeignKey
            gfk = cast("GenericForeignKey", f)
            attributes[f.name] = Attribute(
                GENERIC_FK, f.name, None, None, (gfk.ct_field, gfk.fk_field)
            )
        elif f.concrete:
            attributes[f.name] = Attribute(COLUMN, f.name)
            attributes.setdefault(f.attname, Attribute(COLUMN, f.name))
    attributes.setdefault("pk", Attribute(COLUMN, opts.pk.name))
    return attributes


def model_attribute(model: type[models.Model], name: str) -> Attribute:
    """Return how `model` loads the attribute `name` (UNKNOWN for properties and methods)."""
    return _model_attributes(model).get(name) or Attribute(UNKNOWN, name)


def _nested_serializer(field: Field) -> serializers.BaseSerializer | None:  # type: ignore[type-arg]
    if isinstance(field, serializers.ListSerializer):
        child = field.child
        return child if isinstance(child, serializers.BaseSerializer) else None
    if isinstance(field, serializers.BaseSerializer):
        return field
    return None


class FieldSpec:
    """One field a serializer may output: a default field or an extra."""

    def __init__(
        self,
        name: str,
        field: Field[Any, Any, Any, Any],
        *,
        is_extra: bool = False,
        prefetch: Any = None,
        requires: Sequence[str] | None = None,
        permissions: Sequence[Any] = (),
        filter: Q | None = None,
    ) -> None:
        self.name = name
        self.field = field
        self.is_extra = is_extra
        self.prefetch = prefetch
        self.permissions = tuple(permissions)
        self.filter = filter
        if requires is None:
            requires = getattr(field, "requires", None)
        if requires is None and not isinstance(field, serializers.BaseSerializer):
            requires = hook_requires(type(field))
        self.requires = tuple(requires) if requires is not None else None

    def __repr__(self) -> str:
        return f"<FieldSpec {self.name!r} {type(self.field).__name__}>"

    @property
    def source(self) -> str:
        return self.field.source or self.name

    @cached_property
    def serializer(self) -> serializers.BaseSerializer[Any] | None:
        """The nested serializer (the child of a `many=True` one), or None."""
        return _nested_serializer(self.field)

    @cached_property
    def child_schema(self) -> SerializerSchema | None:
        serializer = self.serializer
        return None if serializer is None else get_schema(type(serializer))

    @cached_property
    def prefetches(self) -> tuple[Prefetch[str], ...]:
        """The user's own Prefetch objects, in the order given."""
        if isinstance(self.prefetch, Prefetch):
            return (self.prefetch,)
        if isinstance(self.prefetch, list | tuple):
            return tuple(self.prefetch)
        return ()

    def own_prefetch(self, lookup: str) -> Prefetch[str] | None:
        """Return the user's Prefetch for the relation `lookup`, if any."""
        for prefetch in self.prefetches:
            if prefetch.prefetch_through == lookup:
                return prefetch
        return None

    def prefetch_into(self, attr: str) -> Prefetch[str] | None:
        """Return the user's Prefetch of one relation that stores into `attr` (its
        `to_attr`), for a field whose source reads that attribute."""
        for prefetch in self.prefetches:
            if prefetch.to_attr == attr and LOOKUP_SEP not in prefetch.prefetch_through:
                return prefetch
        return None

    def to_attr(self, lookup: str) -> str | None:
        """The attribute a prefetch of the relation at the end of `lookup` stores into.

        A field whose name is the relation's own name reads the relation's cache;
        any other field reading the same relation (a variant, such as
        `last_10_orders` of `orders`) gets an attribute of its own, so variants
        never conflict.
        """
        own = self.own_prefetch(lookup)
        if own is not None and own.to_attr:
            return own.to_attr
        if lookup.rsplit(LOOKUP_SEP, 1)[-1] == self.name and self.filter is None:
            return None
        # A filtered relation never fills the relation's own cache: code that reads
        # the relation expects all of its rows.
        return f"_eager_{self.name}"

    def to_one_attr(self, lookup: str) -> str | None:
        """The attribute a user's Prefetch of a to-one relation stores into, or None
        when the relation is JOINed.

        Always an attribute of its own: the relation's cache may be filled by a JOIN
        that another field needs, and Django skips a prefetch whose cache is filled.
        """
        own = self.own_prefetch(lookup)
        if own is None or own.queryset is None:
            return None
        return own.to_attr or f"_eager_{self.name}"


_EXTRA_KEYS = {"field", "prefetch", "requires", "permissions", "filter"}


def _declared_extra(serializer_class: type) -> Any:
    extra = getattr(serializer_class, "extra", None)
    if extra is None:
        meta = getattr(serializer_class, "Meta", None)
        extra = getattr(meta, "extra", None)
    return extra


def _extra_specs(serializer_class: type) -> dict[str, FieldSpec]:
    errors: list[DeclarationError] = []
    specs = _read_extra(serializer_class, errors)
    if errors:
        raise errors[0]
    return specs


def _read_extra(serializer_class: type, errors: list[DeclarationError]) -> dict[str, FieldSpec]:
    # Adds every mistake that makes `extra` unusable to `errors` (get_schema() raises
    # the first, the system checks report them all); leaves out the entries with one.
    label = serializer_class.__name__
    extra = _declared_extra(serializer_class)
    if extra is None:
        return {}
    if not isinstance(extra, Mapping):
        errors.append(
            DeclarationError(
                f"{label}.extra must be a dict (or a classproperty returning one) of "
                f"{{name: {{'field': ..., 'prefetch': ...}}}}, not {type(extra).__name__}.",
                id="drf_eager.E010",
                hint="extra = {'books': {'field': BookSerializer(many=True)}}",
            )
        )
        return {}
    specs = {}
    for name, entry in extra.items():
        if isinstance(entry, Field):  # allow the short form {"name": Field()}
            entry = {"field": entry}
        where = f"{label}.extra[{name!r}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("field"), Field):
            errors.append(
                DeclarationError(
                    f"{where} must be a dict with a 'field' "
                    f"key holding a serializer field or serializer instance.",
                    id="drf_eager.E011",
                    hint="Declare the field as on the class: an instance, such as "
                    "{'field': BookSerializer(many=True)}, not the class.",
                )
            )
            continue
        found = len(errors)
        unknown = set(entry) - _EXTRA_KEYS
        if unknown:
            errors.append(
                DeclarationError(
                    f"{where} has unknown keys {sorted(unknown)}; allowed: {sorted(_EXTRA_KEYS)}.",
                    id="drf_eager.E012",
                )
            )
        permissions = entry.get("permissions", ())
        if not isinstance(permissions, list | tuple) or not all(map(callable, permissions)):
            errors.append(
                DeclarationError(
                    f"{where}['permissions'] must be a list "
                    f"of DRF permission classes or callables taking the request.",
                    id="drf_eager.E016",
                    hint="'permissions': [IsAdminUser], or [lambda request: ...].",
                )
            )
        filter_ = entry.get("filter")
        if filter_ is not None and not isinstance(filter_, Q):
            errors.append(
                DeclarationError(
                    f"{where}['filter'] must be a Q object.",
                    id="drf_eager.E017",
                    hint="'filter': Q(rating__gte=4)",
                )
            )
        if len(errors) > found:
            continue
        specs[name] = FieldSpec(
            name,
            entry["field"],
            is_extra=True,
            prefetch=entry.get("prefetch"),
            requires=entry.get("requires"),
            permissions=permissions,
            filter=filter_,
        )
    return specs


class SerializerSchema:
    """The fields of a serializer class, its extras, and the model it reads.

    Built from an instance made without context: a `get_fields()` that depends on
    the request must still return every field a shape may name.
    """

    def __init__(self, serializer_class: type[serializers.BaseSerializer]) -> None:  # type: ignore[type-arg]
        self.serializer_class = serializer_class
        self.label = serializer_class.__name__
        meta = getattr(serializer_class, "Meta", None)
        self.model: type[models.Model] | None = getattr(meta, "model", None)
        # Whether the serializer serializes its fields as DRF does (see is_stock_class),
        # else what its own to_representation() and co. declared with @requires.
        self.is_stock = is_stock_class(serializer_class, SERIALIZER_HOOKS)
        self.hook_requires = hook_requires(serializer_class, SERIALIZER_HOOKS)
        self.extras = _extra_specs(serializer_class)
        instance = serializer_class(context={})
        instance._eager_introspecting = True  # type: ignore[attr-defined]
        try:
            fields = instance.get_fields()  # type: ignore[attr-defined]
        finally:
            instance._eager_introspecting = False  # type: ignore[attr-defined]
        self.defaults = {
            name: FieldSpec(name, field, requires=self._method_requires(name, field))
            for name, field in fields.items()
            if not field.write_only
        }
        for name, spec in self.extras.items():
            if spec.requires is None:
                spec.requires = self._method_requires(name, spec.field)
        self.default_fields = tuple(self.defaults)
        self.extra_fields = tuple(self.extras)

    def __repr__(self) -> str:
        return f"<SerializerSchema {self.label}>"

    def _method_requires(
        self, name: str, field: Field[Any, Any, Any, Any]
    ) -> tuple[str, ...] | None:
        if not isinstance(field, serializers.SerializerMethodField):
            return None
        method = getattr(self.serializer_class, field.method_name or f"get_{name}", None)
        return declared_requires(method)

    def spec(self, name: str) -> FieldSpec:
        return self.defaults.get(name) or self.extras[name]

    def nested(self, name: str) -> SerializerSchema | None:
        spec = self.defaults.get(name) or self.extras.get(name)
        return None if spec is None else spec.child_schema

    @cached_property
    def default_shape(self) -> Shape:
        """The shape of a response when the request asks for nothing."""
        return resolve(ShapeRequest(), self)

    def relation_lookup(self, name: str) -> tuple[list[str], Attribute] | None:
        """Follow the source of field `name` through to-one relations.

        Return the attribute names walked and how the last one loads, or None when
        the serializer has no model or the source is `*`.
        """
        from .sources import follow  # it reads model_attribute() of this module

        if self.model is None:
            return None
        source = self.spec(name).source
        if source == "*":
            return None
        attrs = source.split(".")
        into = self.spec(name).prefetch_into(source)
        if into is not None:
            # The source is the attribute the user's Prefetch of a relation stores into.
            return [into.prefetch_through], model_attribute(self.model, into.prefetch_through)
        followed = follow(self.model, tuple(attrs))
        if followed.stop is not None:
            return attrs, Attribute(UNKNOWN, attrs[len(followed.through)])
        return attrs, followed.last.attribute  # type: ignore[union-attr]  # it did not stop

    @cached_property
    def _read_sources(self) -> dict[str, str | None]:
        sources: dict[str, str | None] = {}
        for name in (*self.defaults, *self.extras):
            found = self.relation_lookup(name)
            sources[name] = None
            if found is None or self.spec(name).prefetch is False:
                continue
            attrs, attribute = found
            lookup = LOOKUP_SEP.join(attrs)
            to_attr = None
            if attribute.kind == TO_MANY:
                to_attr = self.spec(name).to_attr(lookup)
            elif attribute.kind == TO_ONE:
                to_attr = self.spec(name).to_one_attr(lookup)
            if to_attr is not None:
                sources[name] = ".".join([*attrs[:-1], to_attr])
        return sources

    def read_source(self, name: str) -> str | None:
        """Return the source field `name` must read instead of its own, or None.

        A to-many variant (a field whose name is not its relation's) reads the
        attribute its prefetch stores into (see FieldSpec.to_attr).
        """
        return self._read_sources.get(name)

    def new_extra_field(self, name: str) -> Field[Any, Any, Any, Any]:
        """Return a fresh copy of the extra field `name` for one serializer instance."""
        return copy.deepcopy(self.extras[name].field)


def get_schema(serializer_class: type) -> SerializerSchema:
    """Return the cached SerializerSchema of `serializer_class`."""
    schema: SerializerSchema | None = serializer_class.__dict__.get(_CACHE_ATTR)
    if schema is None:
        schema = SerializerSchema(serializer_class)
        setattr(serializer_class, _CACHE_ATTR, schema)
    return schema


def declaration_errors(serializer_class: type) -> list[DeclarationError]:
    """Return every mistake in the declarations of `serializer_class`, for the system
    checks (drf_eager.checks).

    get_schema() raises the first of those that make `extra` unusable; the others
    (a `prefetch` or a `filter` on a field that reads no relation, a `requires` the
    model does not have) are only reported here, since the planner ignores them.
    """
    errors: list[DeclarationError] = []
    _read_extra(serializer_class, errors)
    if errors:
        return errors
    try:
        schema = get_schema(serializer_class)
    except (ImproperlyConfigured, AssertionError) as exc:  # DRF's for declaration mistakes
        return [
            DeclarationError(
                f"{serializer_class.__name__} cannot build its fields: {exc}",
                id="drf_eager.E018",
                hint="DRF raises this when the serializer is first used.",
            )
        ]
    extra = _declared_extra(serializer_class)
    for name, spec in schema.extras.items():
        entry = extra[name] if isinstance(extra[name], Mapping) else {}
        if name in schema.defaults:
            errors.append(
                DeclarationError(
                    f"{schema.label}.extra[{name!r}] has the name of a field of the "
                    f"serializer, which is served instead of it.",
                    id="drf_eager.E019",
                    hint=f"Rename the extra (such as '{name}_detail'), or leave {name!r} out "
                    "of the serializer's fields (a write_only field may share the name).",
                )
            )
            continue
        errors.extend(_prefetch_errors(schema, spec))
        errors.extend(_filter_errors(schema, spec))
        if "requires" in entry and not _is_path_list(entry["requires"]):
            errors.append(
                DeclarationError(
                    f"{schema.label}.extra[{name!r}]['requires'] must be a list of "
                    f"dotted paths, not {entry['requires']!r}.",
                    id="drf_eager.E015",
                    hint=f"'requires': [{entry['requires']!r}]"
                    if isinstance(entry["requires"], str)
                    else "'requires': ['name', 'customer.name']",
                )
            )
            continue
        errors.extend(_requires_errors(schema, spec, f"extra[{name!r}]"))
    for name, spec in schema.defaults.items():
        errors.extend(_requires_errors(schema, spec, f"field {name!r}"))
    return errors


def _is_path_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(path, str) for path in value)


_RELATIONS = (TO_ONE, TO_MANY, GENERIC_FK)


def _relation(schema: SerializerSchema, name: str) -> Attribute | None:
    # The relation field `name` reads, or None for a column, a property, `*`.
    found = schema.relation_lookup(name)
    if found is None or found[1].kind not in _RELATIONS:
        return None
    return found[1]


def _through_relation(schema: SerializerSchema, name: str) -> bool:
    # Whether field `name` reads a relation, or a dotted source through one.
    found = schema.relation_lookup(name)
    if found is None:
        return False
    attrs, attribute = found
    first = model_attribute(schema.model, attrs[0])  # type: ignore[arg-type]
    return attribute.kind in _RELATIONS or (len(attrs) > 1 and first.kind in _RELATIONS)


def _prefetch_errors(schema: SerializerSchema, spec: FieldSpec) -> list[DeclarationError]:
    where = f"{schema.label}.extra[{spec.name!r}]['prefetch']"
    value = spec.prefetch
    if isinstance(value, list | tuple):
        wrong = [item for item in value if not _is_loading(item)]
        problem = f"holds {wrong[0]!r}" if wrong else None
    elif value is None or isinstance(value, bool) or _is_loading(value):
        problem = None
    else:
        problem = f"is {value!r}"
    if problem is not None:
        return [
            DeclarationError(
                f"{where} must be True, False, a Prefetch or a list of Prefetch; it {problem}.",
                id="drf_eager.E013",
                hint=f"'prefetch': Prefetch({value!r})" if isinstance(value, str) else None,
            )
        ]
    if schema.model is None or value is None or value is False:
        return []
    model = schema.model.__name__
    if not _through_relation(schema, spec.name) and not spec.prefetches:
        return [
            DeclarationError(
                f"{where} is set, but the field reads no relation of {model} (its source is "
                f"{spec.source!r}), so nothing is prefetched for it.",
                id="drf_eager.E014",
                hint="Remove 'prefetch'. A method or property that reads a relation names "
                "it in 'requires' (['orders']), which loads it.",
            )
        ]
    errors = []
    for prefetch in spec.prefetches:
        problem = _lookup_problem(schema.model, prefetch.prefetch_through)
        if problem is not None:
            errors.append(
                DeclarationError(
                    f"{where}: Prefetch({prefetch.prefetch_through!r}) does not follow relations "
                    f"of {model}: {problem}.",
                    id="drf_eager.E014",
                    hint="A Prefetch lookup names relations from the serializer's model, "
                    "joined by '__'.",
                )
            )
    return errors


def _is_loading(value: object) -> bool:
    # A Prefetch, or a way of loading that drf_eager itself provides (such as Grouped()).
    return isinstance(value, Prefetch) or type(value).__module__.startswith("drf_eager.")


def _lookup_problem(model: type[models.Model], lookup: str) -> str | None:
    related: type[models.Model] | None = model
    for name in lookup.split("__"):
        if related is None:  # beyond a generic foreign key: any model
            return None
        attribute = model_attribute(related, name)
        if attribute.kind not in (TO_ONE, TO_MANY, GENERIC_FK):
            return f"{name!r} is not a relation of {related.__name__}"
        related = attribute.related_model
    return None


def _filter_errors(schema: SerializerSchema, spec: FieldSpec) -> list[DeclarationError]:
    if spec.filter is None or schema.model is None:
        return []
    where = f"{schema.label}.extra[{spec.name!r}]['filter']"
    relation = _relation(schema, spec.name)
    if relation is None or relation.kind != TO_MANY:
        return [
            DeclarationError(
                f"{where} is set, but the field reads no to-many relation of "
                f"{schema.model.__name__} (its source is {spec.source!r}), so nothing is "
                f"filtered.",
                id="drf_eager.E017",
                hint="A filter selects the related rows of a to-many relation, such as "
                "{'field': ReviewSerializer(source='reviews', many=True), 'filter': Q(...)}.",
            )
        ]
    related: type[models.Model] = relation.related_model  # type: ignore[assignment]
    try:
        related._default_manager.all().filter(spec.filter)  # builds the query, runs nothing
    except FieldError as exc:
        return [
            DeclarationError(
                f"{where} does not apply to {related.__name__}: {exc}",
                id="drf_eager.E017",
                hint=f"The filter's lookups are relative to {related.__name__}.",
            )
        ]
    return []


def _requires_errors(
    schema: SerializerSchema, spec: FieldSpec, where: str
) -> list[DeclarationError]:
    if schema.model is None or not spec.requires:
        return []
    errors = []
    for path in spec.requires:
        problem = _path_problem(schema.model, path) if isinstance(path, str) else "not a string"
        if problem is not None:
            errors.append(
                DeclarationError(
                    f"{schema.label} {where} requires {path!r}: {problem}.",
                    id="drf_eager.E015",
                    hint="A path names model fields, to-one relations and properties from "
                    "the serializer's model, dotted; a to-many relation ends it "
                    "(['orders'] loads the orders).",
                )
            )
    return errors


def _path_problem(model: type[models.Model], path: str) -> str | None:
    names = path.replace("__", ".").split(".")
    for index, name in enumerate(names):
        attribute = model_attribute(model, name)
        last = index == len(names) - 1
        if attribute.kind == TO_ONE:
            model = attribute.related_model  # type: ignore[assignment]
        elif attribute.kind == UNKNOWN:
            if name and hasattr(model, name):
                return None  # a property or method: loaded as it declares, else in full
            return f"{name!r} is not a field, relation or property of {model.__name__}"
        elif not last and attribute.kind == TO_MANY:
            return (
                f"{name!r} is a to-many relation of {model.__name__}, which a path does not "
                f"go through; require {'.'.join(names[: index + 1])!r} to load it"
            )
        elif not last:
            return f"{name!r} of {model.__name__} has no fields below it"
    return None
