"""System checks for mistakes a developer can make: in the `DRF_EAGER` setting
(E001-E005), in a serializer's declarations (E010-E019) and in a view's defaults
(E020-E023). Registered by the app config."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from .exceptions import DeclarationError
from .settings import DEFAULTS, LIMITS

__all__ = ["check_declarations", "check_serializer", "check_settings", "check_view"]


def _is_limit(value: object) -> bool:
    return value is None or (type(value) is int and value >= 1)


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    user = getattr(settings, "DRF_EAGER", None)
    if user is None:
        return []
    if not isinstance(user, dict):
        return [Error("DRF_EAGER must be a dict.", id="drf_eager.E001")]
    for key in sorted(set(user) - set(DEFAULTS)):
        errors.append(
            Error(
                f"Unknown DRF_EAGER setting {key!r}.",
                hint=f"Choose from: {', '.join(sorted(DEFAULTS))}.",
                id="drf_eager.E002",
            )
        )
    if user.get("UNKNOWN_FIELDS", "raise") not in ("raise", "ignore"):
        errors.append(
            Error("DRF_EAGER['UNKNOWN_FIELDS'] must be 'raise' or 'ignore'.", id="drf_eager.E003")
        )
    for key in LIMITS:
        if not _is_limit(user.get(key)):
            errors.append(
                Error(
                    f"DRF_EAGER[{key!r}] must be a positive integer or None.", id="drf_eager.E004"
                )
            )
    if "STRICT" in user and type(user["STRICT"]) is not bool:
        errors.append(Error("DRF_EAGER['STRICT'] must be True or False.", id="drf_eager.E005"))
    if "FAST_PATH" in user and not (
        type(user["FAST_PATH"]) is bool or user["FAST_PATH"] == "verify"
    ):
        errors.append(
            Error("DRF_EAGER['FAST_PATH'] must be True, False or 'verify'.", id="drf_eager.E005")
        )
    if user.get("FAST_PATH_VERIFY", "raise") not in ("raise", "log"):
        errors.append(
            Error("DRF_EAGER['FAST_PATH_VERIFY'] must be 'raise' or 'log'.", id="drf_eager.E005")
        )
    return errors


@register()
def check_declarations(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check every serializer class with EagerFieldsSerializerMixin and every view with
    EagerFieldsViewMixin that the URLconf routes to.

    The URLconf is imported first, and with it the views and the serializers they use.
    Serializers defined inside a function are checked only through a routed view.
    """
    from .serializers import EagerFieldsSerializerMixin

    routes = list(_routed_views())
    serializer_classes = [
        cls for cls in _eager_serializers() if "<locals>" not in cls.__qualname__
    ]
    for view_class, initkwargs, actions in routes:
        for action in actions:
            found = _serializer_class(_view(view_class, initkwargs, action))
            if (
                isinstance(found, type)
                and issubclass(found, EagerFieldsSerializerMixin)
                and found not in serializer_classes
            ):
                serializer_classes.append(found)
    if app_configs is not None:
        labels = {config.label for config in app_configs}
        serializer_classes = [cls for cls in serializer_classes if _app_label(cls) in labels]
        routes = [route for route in routes if _app_label(route[0]) in labels]
    errors: list[CheckMessage] = []
    for serializer_class in serializer_classes:
        errors.extend(check_serializer(serializer_class))
    for view_class, initkwargs, actions in routes:
        for error in check_view(view_class, initkwargs=initkwargs, actions=actions):
            if error not in errors:  # a view routed twice (format suffixes, list and detail)
                errors.append(error)
    return errors


def check_serializer(serializer_class: type) -> list[CheckMessage]:
    """Return the Errors in the declarations of one serializer class.

    A ModelSerializer without `Meta.model` is a base class, and not checked; nor is
    one without `Meta.fields` and `Meta.exclude` that has subclasses: a base class
    that leaves them to its subclasses (DRF refuses to build its fields).
    """
    from rest_framework import serializers

    meta = getattr(serializer_class, "Meta", None)
    if issubclass(serializer_class, serializers.ModelSerializer):
        if not hasattr(meta, "model"):
            return []
        if (
            getattr(meta, "fields", None) is None
            and getattr(meta, "exclude", None) is None
            and serializer_class.__subclasses__()
        ):
            return []
    from .schema import declaration_errors

    return [_as_error(exc, serializer_class) for exc in declaration_errors(serializer_class)]


def check_view(
    view_class: type,
    *,
    initkwargs: dict[str, Any] | None = None,
    actions: Iterable[str | None] = (None,),
) -> list[CheckMessage]:
    """Return the Errors in the declarations of one view class: its `eager_limits`, and
    for each action its serializer_* defaults (what get_serializer_extra() and the
    other two return) and its `eager_grouped` (what get_eager_grouped() returns)
    against its serializer class.

    `initkwargs` are the view's `as_view()` arguments. A hook that needs a request
    cannot be called here; the first request that uses it raises instead.
    """
    errors: list[CheckMessage] = []
    for key, value in getattr(view_class, "eager_limits", {}).items():
        if key not in LIMITS:
            message = f"Unknown limit {key!r} in {view_class.__name__}.eager_limits."
            hint = f"Choose from: {', '.join(LIMITS)}."
        elif not _is_limit(value):
            message = (
                f"{view_class.__name__}.eager_limits[{key!r}] must be a positive integer or None."
            )
            hint = None
        else:
            continue
        errors.append(Error(message, hint=hint, obj=view_class, id="drf_eager.E022"))
    for action in actions:
        view = _view(view_class, initkwargs or {}, action)
        errors.extend(_as_error(exc, view_class) for exc in _default_errors(view, action))
        errors.extend(_as_error(exc, view_class) for exc in _grouped_errors(view, action))
    return errors


def _grouped_errors(view: Any, action: str | None) -> list[DeclarationError]:
    # What the planner's declared_grouping() would raise on the first request.
    from rest_framework.serializers import BaseSerializer

    from .grouped import declared_grouping
    from .schema import get_schema

    serializer_class = _serializer_class(view)
    declared = _without_request(view.get_eager_grouped)
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
    from .serializers import EagerFieldsSerializerMixin, resolve_request
    from .shape import ShapeError, build_request

    serializer_class = _serializer_class(view)
    defaults = {
        part: _without_request(getattr(view, f"get_serializer_{part}"))
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
            max_depth=depth if _is_limit(depth) else None,
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


def _without_request(hook: Any) -> Any:
    try:
        return hook()
    except Exception:  # user code that needs a request: checked on the first request instead
        return _FAILED


def _view(view_class: type, initkwargs: dict[str, Any], action: str | None) -> Any:
    # A view as DRF builds it for a request, without the request.
    view = view_class(**initkwargs)
    view.request = None
    view.args = ()
    view.kwargs = {}
    view.format_kwarg = None
    if action is not None:
        view.action = action
    return view


def _serializer_class(view: Any) -> Any:
    hook = getattr(view, "get_serializer_class", None)
    found = _FAILED if hook is None else _without_request(hook)
    return None if found is _FAILED else found


def _routed_views() -> Iterator[tuple[type, dict[str, Any], tuple[str | None, ...]]]:
    # (view class, as_view() arguments, actions) of each route to a view with the mixin.
    if not getattr(settings, "ROOT_URLCONF", None):
        return
    from django.urls import URLResolver, get_resolver

    from .views import EagerFieldsViewMixin

    def walk(patterns: Iterable[Any]) -> Iterator[Any]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            else:
                yield pattern.callback

    seen = []
    for callback in walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, EagerFieldsViewMixin):
            actions = getattr(callback, "actions", None)
            names = tuple(dict.fromkeys(actions.values())) if actions else (None,)
            route = (view_class, dict(getattr(callback, "initkwargs", None) or {}), names)
            if route not in seen:  # routed again with a format suffix
                seen.append(route)
                yield route


def _eager_serializers() -> list[type]:
    # Every subclass of the mixin imported so far, but the library's own classes.
    from . import serializers

    # The subclasses drf_eager makes of nested serializers without the mixin.
    generated = set(getattr(serializers, "_eager_classes", {}).values())
    seen: set[type] = set()
    stack: list[type] = [serializers.EagerFieldsSerializerMixin]
    while stack:
        for subclass in stack.pop().__subclasses__():
            if subclass not in seen and subclass not in generated:
                seen.add(subclass)
                stack.append(subclass)
    found = seen - {serializers.EagerFieldsSerializer, serializers.EagerFieldsModelSerializer}
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def _app_label(cls: type) -> str | None:
    config = apps.get_containing_app_config(cls.__module__)
    return None if config is None else config.label


def _as_error(exc: DeclarationError, obj: type) -> Error:
    return Error(str(exc), hint=exc.hint, obj=obj, id=exc.id)
