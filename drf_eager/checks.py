"""System checks for mistakes a developer can make: in the `DRF_EAGER` setting
(E001-E005), in a serializer's declarations (E010-E019) and in a view's defaults
(E020-E023). Registered by the app config.

What is a mistake is decided in drf_eager.validation; this module finds what to check
(the serializer classes imported, the views the URLconf routes to) and reports it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from .exceptions import DeclarationError
from .validation import (
    declaration_errors,
    serializer_class_of,
    settings_errors,
    view_errors,
    view_without_request,
)

__all__ = ["check_declarations", "check_serializer", "check_settings", "check_view"]


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the `DRF_EAGER` setting (E001-E005)."""
    return [_as_error(exc, None) for exc in settings_errors(getattr(settings, "DRF_EAGER", None))]


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
            found = serializer_class_of(view_without_request(view_class, initkwargs, action))
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
    return [_as_error(exc, serializer_class) for exc in declaration_errors(serializer_class)]


def check_view(
    view_class: type,
    *,
    initkwargs: dict[str, Any] | None = None,
    actions: Iterable[str | None] = (None,),
) -> list[CheckMessage]:
    """Return the Errors in the declarations of one view class (E020-E023; see
    drf_eager.validation.view_errors())."""
    errors = view_errors(view_class, initkwargs=initkwargs, actions=actions)
    return [_as_error(exc, view_class) for exc in errors]


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

    seen: set[type] = set()
    stack: list[type] = [serializers.EagerFieldsSerializerMixin]
    while stack:
        for subclass in stack.pop().__subclasses__():
            if subclass not in seen and not serializers.is_generated(subclass):
                seen.add(subclass)
                stack.append(subclass)
    found = seen - {serializers.EagerFieldsSerializer, serializers.EagerFieldsModelSerializer}
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def _app_label(cls: type) -> str | None:
    config = apps.get_containing_app_config(cls.__module__)
    return None if config is None else config.label


def _as_error(exc: DeclarationError, obj: type | None) -> Error:
    return Error(str(exc), hint=exc.hint, obj=obj, id=exc.id)
