"""Validation of what a developer declares: the `DRF_EAGER` setting (E001-E005), a
serializer's `extra` and what it names (E010-E019), and a view's defaults, limits and
`eager_grouped` (E020-E023).

Each function returns DeclarationError objects (a message, the check id and a hint),
which drf_eager.checks reports as system checks. A mistake that makes a declaration
unusable is also raised where the declaration is first used (get_schema() raises the
first of extra_errors(), the planner what declared_grouping() finds, a setting's
accessor a bad Enum value), so a project that does not run the checks still learns of
it; the others are declarations the planner ignores, which only the checks find.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured, ObjectDoesNotExist
from django.db import DatabaseError, models
from django.db.models import Prefetch, Q
from django.http import Http404
from rest_framework.exceptions import APIException
from rest_framework.fields import Field
from rest_framework.serializers import BaseSerializer

from .exceptions import DeclarationError
from .grouped import Grouped, check_groupable
from .schema import (
    GENERIC_FK,
    TO_MANY,
    TO_ONE,
    UNKNOWN,
    Attribute,
    FieldSpec,
    SerializerSchema,
    declared_extra,
    get_schema,
)
from .settings import CHOICES, DEFAULTS, LIMITS, choice
from .shape import ShapeError, build_request
from .sources import Step, follow, follow_path, lookup_steps

__all__ = [
    "HOOK_ERRORS",
    "declaration_errors",
    "declared_grouping",
    "extra_errors",
    "is_limit",
    "serializer_class_of",
    "settings_errors",
    "view_errors",
    "view_without_request",
]

#: What a view hook written for a request (get_serializer_class(),
#: get_serializer_extra() ...) raises when it is run without one, as the system checks
#: and the OpenAPI extension run it: it reads `self.request.user` or `self.kwargs["pk"]`
#: (AttributeError, LookupError, TypeError, ValueError), DRF's own asserts on a missing
#: attribute (AssertionError, ImproperlyConfigured), looks an object up or refuses
#: access (ObjectDoesNotExist, Http404, APIException), or queries a database that is
#: not there yet, such as before migrations (DatabaseError). Anything else is a bug of
#: the hook, shown as it is.
HOOK_ERRORS: tuple[type[Exception], ...] = (
    AttributeError,
    LookupError,
    TypeError,
    ValueError,
    AssertionError,
    ImproperlyConfigured,
    ObjectDoesNotExist,
    Http404,
    APIException,
    DatabaseError,
)


# The DRF_EAGER setting (E001-E005) ----------------------------------------------------


def is_limit(value: object) -> bool:
    """Whether `value` is a valid limit (MAX_DEPTH ...): a positive integer or None."""
    return value is None or (type(value) is int and value >= 1)


def settings_errors(user: object) -> list[DeclarationError]:
    """Return the mistakes in the value of the `DRF_EAGER` setting (None: not set)."""
    if user is None:
        return []
    if not isinstance(user, dict):
        return [DeclarationError("DRF_EAGER must be a dict.", id="drf_eager.E001")]
    errors = [
        DeclarationError(
            f"Unknown DRF_EAGER setting {key!r}.",
            id="drf_eager.E002",
            hint=f"Choose from: {', '.join(sorted(DEFAULTS))}.",
        )
        for key in sorted(set(user) - set(DEFAULTS))
    ]
    errors.extend(_choice_errors(user, "UNKNOWN_FIELDS", "drf_eager.E003"))
    for key in LIMITS:
        if not is_limit(user.get(key)):
            errors.append(
                DeclarationError(
                    f"DRF_EAGER[{key!r}] must be a positive integer or None.", id="drf_eager.E004"
                )
            )
    if "STRICT" in user and type(user["STRICT"]) is not bool:
        errors.append(
            DeclarationError("DRF_EAGER['STRICT'] must be True or False.", id="drf_eager.E005")
        )
    if "FAST_PATH" in user and not (
        type(user["FAST_PATH"]) is bool or user["FAST_PATH"] == "verify"
    ):
        errors.append(
            DeclarationError(
                "DRF_EAGER['FAST_PATH'] must be True, False or 'verify'.", id="drf_eager.E005"
            )
        )
    errors.extend(_choice_errors(user, "FAST_PATH_VERIFY", "drf_eager.E005"))
    return errors


def _choice_errors(user: dict[str, Any], name: str, id: str) -> list[DeclarationError]:
    assert name in CHOICES
    if name not in user:
        return []
    try:
        choice(name, user[name])
    except ImproperlyConfigured as exc:
        return [DeclarationError(str(exc), id=id)]
    return []


# A serializer's declarations (E010-E019) ---------------------------------------------

_EXTRA_KEYS = {"field", "prefetch", "requires", "permissions", "filter"}


def extra_errors(label: str, extra: object) -> list[DeclarationError]:
    """Return the mistakes that make the `extra` of the serializer class named `label`
    unusable (E010-E012, E016, E017): get_schema() raises the first."""
    if extra is None:
        return []
    if not isinstance(extra, Mapping):
        return [
            DeclarationError(
                f"{label}.extra must be a dict (or a classproperty returning one) of "
                f"{{name: {{'field': ..., 'prefetch': ...}}}}, not {type(extra).__name__}.",
                id="drf_eager.E010",
                hint="extra = {'books': {'field': BookSerializer(many=True)}}",
            )
        ]
    errors = []
    for name, entry in extra.items():
        if isinstance(entry, Field):  # the short form {"name": Field()}
            continue
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
    return errors


def declaration_errors(serializer_class: type) -> list[DeclarationError]:
    """Return every mistake in the declarations of `serializer_class` (E010-E019), for
    the system checks.

    get_schema() raises the first of those that make `extra` unusable; the others
    (a `prefetch` or a `filter` on a field that reads no relation, a `requires` the
    model does not have) are only reported here, since the planner ignores them.
    """
    extra = declared_extra(serializer_class)
    errors = extra_errors(serializer_class.__name__, extra)
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
    if attribute.kind in _RELATIONS or len(attrs) == 1:
        return attribute.kind in _RELATIONS
    # A dotted source: whether its first attribute is a relation.
    followed = follow(cast("type[models.Model]", schema.model), tuple(attrs))
    first = (*followed.through, followed.stop)[0]
    return cast("Step", first).attribute.kind in _RELATIONS


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
    for name, step in lookup_steps(model, lookup):
        if step is None:  # beyond a generic foreign key: any model
            return None
        if step.attribute.kind not in (TO_ONE, TO_MANY, GENERIC_FK):
            return f"{name!r} is not a relation of {step.model.__name__}"
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
    source = follow_path(model, path)
    # Followed through the to-one relations: the attribute read, or the first on the
    # way that is not a to-one relation.
    step = cast("Step", source.stop or source.last)
    name, model = source.attrs[len(source.through)], step.model
    if step.attribute.kind == UNKNOWN:
        if name and hasattr(model, name):
            return None  # a property or method: loaded as it declares, else in full
        return f"{name!r} is not a field, relation or property of {model.__name__}"
    if source.stop is None:
        return None
    if step.attribute.kind == TO_MANY:
        return (
            f"{name!r} is a to-many relation of {model.__name__}, which a path does not "
            f"go through; require {'.'.join(source.attrs[: len(source.through) + 1])!r} "
            f"to load it"
        )
    return f"{name!r} of {model.__name__} has no fields below it"


# A view's declarations (E020-E023) -----------------------------------------------------


def declared_grouping(
    declared: Sequence[str] | Mapping[str, Grouped] | None, schema: SerializerSchema
) -> dict[str, Grouped]:
    """Check a view's `eager_grouped` against the serializer's schema: a list of dotted
    field paths (`"orders"`, `"customers.orders"`), or a dict of paths to `Grouped`.

    Raise ImproperlyConfigured for a path that does not name a to-many field, or names
    one Grouped cannot serve (a generic relation): the planner calls it on a view's
    first request, view_errors() for the system checks (drf_eager.E023).
    """
    if not declared:
        return {}
    if isinstance(declared, str):
        raise ImproperlyConfigured(
            f"eager_grouped must be a list of field paths, such as [{declared!r}], "
            "or a dict of field paths to Grouped(), not a string."
        )
    if isinstance(declared, Mapping):
        found = dict(declared)
    else:
        found = {path: Grouped() for path in declared}
    for path, grouped in found.items():
        if not isinstance(grouped, Grouped):
            raise ImproperlyConfigured(
                f"eager_grouped[{path!r}] must be a Grouped(), not {type(grouped).__name__}."
            )
        _check_path(schema, path)
    return found


def _check_path(schema: SerializerSchema, path: str) -> None:
    level: SerializerSchema | None = schema
    names = path.split(".")
    for index, name in enumerate(names):
        where = ".".join(names[:index])
        spec = None if level is None else level.defaults.get(name) or level.extras.get(name)
        if level is None or spec is None:
            below = f"'{where}'" if level is None else level.label
            raise ImproperlyConfigured(
                f"eager_grouped names '{path}', but '{name}' is not a field of {below}."
            )
        if index == len(names) - 1:
            found = level.relation_lookup(name)
            if found is None or found[1].kind != TO_MANY:
                raise ImproperlyConfigured(
                    f"eager_grouped names '{path}', which is not a to-many relation of "
                    f"{level.label}: only to-many relations can be grouped."
                )
            # The kinds of to-many relation Grouped serves: refused here, not only when
            # the relation is planned (where a JOINed relation's would be prefetched).
            attrs, attribute = found
            model = cast("type[models.Model]", level.model)  # relation_lookup found one
            check_groupable(follow(model, tuple(attrs)).model, attribute.name, path)
        level = spec.child_schema


def view_errors(
    view_class: type,
    *,
    initkwargs: dict[str, Any] | None = None,
    actions: Iterable[str | None] = (None,),
) -> list[DeclarationError]:
    """Return the mistakes in the declarations of one view class: its `eager_limits`
    (E022), and for each action its serializer_* defaults (what get_serializer_extra()
    and the other two return, E020-E021) and its `eager_grouped` (what
    get_eager_grouped() returns, E023) against its serializer class.

    `initkwargs` are the view's `as_view()` arguments. A hook that needs a request
    cannot be called here (see HOOK_ERRORS); the first request that uses it raises
    instead.
    """
    errors: list[DeclarationError] = []
    for key, value in getattr(view_class, "eager_limits", {}).items():
        if key not in LIMITS:
            message = f"Unknown limit {key!r} in {view_class.__name__}.eager_limits."
            hint: str | None = f"Choose from: {', '.join(LIMITS)}."
        elif not is_limit(value):
            message = (
                f"{view_class.__name__}.eager_limits[{key!r}] must be a positive integer or None."
            )
            hint = None
        else:
            continue
        errors.append(DeclarationError(message, hint=hint, id="drf_eager.E022"))
    for action in actions:
        view = view_without_request(view_class, initkwargs or {}, action)
        errors.extend(_default_errors(view, action))
        errors.extend(_grouped_errors(view, action))
    return errors


def _grouped_errors(view: Any, action: str | None) -> list[DeclarationError]:
    # What the planner's declared_grouping() would raise on the first request.
    serializer_class = serializer_class_of(view)
    declared = _call_without_request(view.get_eager_grouped)
    if declared is _FAILED or not declared:
        return []
    if not isinstance(serializer_class, type) or not issubclass(serializer_class, BaseSerializer):
        return []
    try:
        schema = get_schema(serializer_class)
    except (ImproperlyConfigured, AssertionError):
        return []  # the serializer's own mistake, which check_serializer() reports
    try:
        declared_grouping(declared, schema)
    except DeclarationError:
        return []  # a nested serializer's own mistake, reported by check_serializer()
    except ImproperlyConfigured as exc:
        label = type(view).__name__
        where = f"{label}.eager_grouped" + (f" for the {action!r} action" if action else "")
        return [
            DeclarationError(
                f"{where} does not fit {serializer_class.__name__}: {exc}",
                id="drf_eager.E023",
                hint="Name the field paths of reverse foreign keys and many-to-many "
                "relations of the serializer; the view raises ImproperlyConfigured on "
                "its first request.",
            )
        ]
    return []


def _default_errors(view: Any, action: str | None) -> list[DeclarationError]:
    # Imported here: drf_eager.serializers imports the planner, which imports this module.
    from .serializers import EagerFieldsSerializerMixin, resolve_request

    serializer_class = serializer_class_of(view)
    defaults = {
        part: _call_without_request(getattr(view, f"get_serializer_{part}"))
        for part in ("extra", "fields", "exclude")
    }
    if not isinstance(serializer_class, type) or any(v is _FAILED for v in defaults.values()):
        return []
    if not isinstance(getattr(settings, "DRF_EAGER", None) or {}, dict):
        return []  # E001: the settings the defaults are resolved with cannot be read
    label = type(view).__name__
    where = f"{label}'s serializer_* defaults" + (f" for the {action!r} action" if action else "")
    if not issubclass(serializer_class, EagerFieldsSerializerMixin):
        named = sorted(f"serializer_{part}" for part, value in defaults.items() if value)
        if not named:
            return []
        return [
            DeclarationError(
                f"{label} sets {', '.join(named)}"
                + (f" for the {action!r} action" if action else "")
                + f", but its serializer {serializer_class.__name__} does not use "
                f"EagerFieldsSerializerMixin, so they are ignored.",
                id="drf_eager.E021",
                hint="Derive the serializer from EagerFieldsModelSerializer, or remove them.",
            )
        ]
    depth = view.get_eager_limit("MAX_DEPTH")
    try:
        request = build_request(**defaults)
        # A bad limit is reported by itself (E004, E022); the defaults are checked without.
        # Strictly, whatever UNKNOWN_FIELDS says: under "ignore" the view drops such a
        # name at run time, which is a mistake all the same.
        resolve_request(
            request,
            serializer_class,
            max_depth=depth if is_limit(depth) else None,
            ignore_unknown=False,
        )
    except ShapeError as exc:
        problems = "; ".join(
            f"serializer_{part}: {' '.join(exc.errors[part])}"
            for part in ("extra", "fields", "exclude")
            if part in exc.errors
        )
        return [
            DeclarationError(
                f"{where} do not fit {serializer_class.__name__}: {problems}",
                id="drf_eager.E020",
                hint="A default names fields and extras of the serializer, as a request "
                "would; the view raises ImproperlyConfigured on its first request (under "
                "UNKNOWN_FIELDS 'ignore', it drops the unknown names).",
            )
        ]
    except (ImproperlyConfigured, AssertionError):
        return []  # the serializer's own mistake, which check_serializer() reports
    return []


_FAILED = object()


def _call_without_request(hook: Any) -> Any:
    try:
        return hook()
    except HOOK_ERRORS:  # user code that needs a request: checked on the first request instead
        return _FAILED


def view_without_request(view_class: type, initkwargs: dict[str, Any], action: str | None) -> Any:
    """Return a view as DRF builds it for a request of `action`, without the request."""
    view = view_class(**initkwargs)
    view.request = None
    view.args = ()
    view.kwargs = {}
    view.format_kwarg = None
    if action is not None:
        view.action = action
    return view


def serializer_class_of(view: Any) -> Any:
    """Return what the view's get_serializer_class() returns without a request, or None."""
    hook = getattr(view, "get_serializer_class", None)
    found = _FAILED if hook is None else _call_without_request(hook)
    return None if found is _FAILED else found
