"""EagerFieldsViewMixin: reads the requested shape once per request, checks it,
plans the queryset for it and hands it to the serializer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.request import Request

from .exceptions import InvalidShape
from .prefetch import prefetch_queryset
from .schema import get_schema
from .serializers import SHAPE_CONTEXT_KEY, EagerFieldsSerializerMixin, resolve_request
from .settings import eager_settings
from .shape import Shape, ShapeError, ShapeRequest, build_request

__all__ = ["EagerFieldsAPIView", "EagerFieldsViewMixin"]

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class EagerFieldsViewMixin:
    """Lets each request choose its response shape and loads exactly that data.

    Works with `GenericAPIView` and ViewSets. Clients send `?extra=`, `?fields=`
    and `?exclude=` (dotted paths or `a(b,c)`), or on GET a JSON body
    `{"fields": {...}}`; the view's `serializer_extra`, `serializer_fields` and
    `serializer_exclude` are the defaults of each parameter.
    """

    serializer_extra: str | list[str] | None = None
    serializer_fields: str | list[str] | None = None
    serializer_exclude: str | list[str] | None = None

    extra_query_param: str | None = None
    fields_query_param: str | None = None
    exclude_query_param: str | None = None

    request: Request

    # Parameters ------------------------------------------------------------------

    def get_serializer_extra(self) -> str | list[str] | None:
        """Return the default of `extra`. You may want to override this to vary it
        by action, for instance to give `retrieve` more extras than `list`."""
        return self.serializer_extra

    def get_serializer_fields(self) -> str | list[str] | None:
        """Return the default of `fields`; see get_serializer_extra()."""
        return self.serializer_fields

    def get_serializer_exclude(self) -> str | list[str] | None:
        """Return the default of `exclude`; see get_serializer_extra()."""
        return self.serializer_exclude

    def get_query_params_names(self) -> dict[str, str]:
        return {
            "extra": self.extra_query_param or eager_settings.EXTRA_PARAM,
            "fields": self.fields_query_param or eager_settings.FIELDS_PARAM,
            "exclude": self.exclude_query_param or eager_settings.EXCLUDE_PARAM,
        }

    def get_body_fields(self) -> Any:
        """Return the `fields` object of a GET request's JSON body, or None."""
        request = self.request
        if request.method not in _SAFE_METHODS or not _has_body(request):
            return None
        try:
            data = request.data
        except RecursionError:  # json nests by recursion: a deep body would be a 500
            raise InvalidShape(
                {"fields": ["The request body is nested too deeply to be parsed."]}
            ) from None
        if not isinstance(data, Mapping):
            raise InvalidShape(
                {
                    "fields": [
                        "The request body must be a JSON object such as "
                        '{"fields": {"name": null}}.'
                    ]
                }
            )
        if not data:
            return None
        unknown = sorted(set(data) - {"fields"})
        if unknown:
            raise InvalidShape(
                {"fields": [f"Unknown key '{unknown[0]}' in the request body. Allowed: fields."]}
            )
        return data["fields"]

    # Shape -----------------------------------------------------------------------

    def get_shape_request(self) -> ShapeRequest:
        """Merge view defaults, query parameters and the JSON body into a ShapeRequest.

        Per parameter a non-empty query value replaces the view default; a JSON
        body with `fields` replaces all three.
        """
        names = self.get_query_params_names()
        body = self.get_body_fields()
        try:
            if body is not None:
                self._eager_client_params = {"fields"}
                return build_request(body_fields=body)
            query = self.request.query_params
            values = {part: query.get(name, "") for part, name in names.items()}
            self._eager_client_params = {
                names[part] for part, value in values.items() if value.strip()
            }
            defaults = {
                "extra": self.get_serializer_extra(),
                "fields": self.get_serializer_fields(),
                "exclude": self.get_serializer_exclude(),
            }
            for part, value in values.items():
                if not value.strip():
                    values[part] = defaults[part]  # type: ignore[assignment]
            return build_request(**values, params=names)
        except ShapeError as exc:
            raise InvalidShape(exc.errors) from None

    def get_shape(self) -> Shape | None:
        """Return the resolved Shape of this request, parsed and checked once.

        Return None when the serializer does not use EagerFieldsSerializerMixin.
        Raise InvalidShape (400) naming every bad path.
        """
        if hasattr(self, "_eager_shape"):
            return self._eager_shape  # type: ignore[no-any-return]
        serializer_class = self.get_serializer_class()  # type: ignore[attr-defined]
        shape = None
        if issubclass(serializer_class, EagerFieldsSerializerMixin):
            request = self.get_shape_request()
            try:
                shape = resolve_request(request, serializer_class)
            except ShapeError as exc:
                self._raise_shape_error(exc)
        self._eager_shape = shape
        return shape

    def _raise_shape_error(self, exc: ShapeError) -> None:
        client = getattr(self, "_eager_client_params", set())
        bad = {param: errors for param, errors in exc.errors.items() if param not in client}
        if bad:
            # A view default names something the serializer does not have: a bug.
            raise ImproperlyConfigured(
                f"{type(self).__name__}'s serializer_* defaults do not fit "
                f"{self.get_serializer_class().__name__}: {bad}"  # type: ignore[attr-defined]
            )
        raise InvalidShape(exc.errors)

    # Queryset --------------------------------------------------------------------

    def get_related_queryset(self, model: type[models.Model], path: str) -> QuerySet[Any]:
        """Return the queryset the rows of a prefetched relation are loaded from.

        `path` is the serializer field path (`orders.article`). The default is the
        related model's default manager. You may want to override this to scope
        nested data as the view scopes its own rows, for instance by tenant.
        """
        return model._default_manager.all()

    def prefetch_queryset(self, queryset: QuerySet[Any], shape: Shape) -> QuerySet[Any]:
        """Return `queryset` loading exactly what `shape` serializes."""
        schema = get_schema(self.get_serializer_class())  # type: ignore[attr-defined]
        return prefetch_queryset(
            queryset, schema, shape, related_queryset=self.get_related_queryset
        )

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)  # type: ignore[misc]
        if self.request.method in _SAFE_METHODS and isinstance(queryset, QuerySet):
            shape = self.get_shape()
            if shape is not None:
                queryset = self.prefetch_queryset(queryset, shape)
        return queryset

    # Serializer ------------------------------------------------------------------

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # A serializer that reads input (`data=`) is never shaped: the shape
        # changes only what the response shows, not what is validated or saved.
        shaped = self.request.method in _SAFE_METHODS or getattr(self, "_eager_reloading", False)
        if shaped and "data" not in kwargs and "context" not in kwargs:
            shape = self.get_shape()
            if shape is not None:
                context = self.get_serializer_context()  # type: ignore[attr-defined]
                context[SHAPE_CONTEXT_KEY] = shape
                kwargs["context"] = context
        return super().get_serializer(*args, **kwargs)  # type: ignore[misc]

    def _reload_for_response(self, serializer: Any) -> None:
        # The response of a write shows the requested shape, loaded by the plan:
        # the saved instance has none of it (and DRF drops its prefetch cache).
        shape = self.get_shape()
        instance = serializer.instance
        if shape is None or not isinstance(instance, models.Model):
            return
        queryset = self.prefetch_queryset(self.get_queryset(), shape)  # type: ignore[attr-defined]
        reloaded = queryset.filter(pk=instance.pk).first()
        self._eager_reloading = True
        try:
            response = self.get_serializer(reloaded if reloaded is not None else instance)
            serializer._data = response.data
        finally:
            self._eager_reloading = False

    def perform_create(self, serializer: Any) -> None:
        super().perform_create(serializer)  # type: ignore[misc]
        self._reload_for_response(serializer)

    def perform_update(self, serializer: Any) -> None:
        super().perform_update(serializer)  # type: ignore[misc]
        self._reload_for_response(serializer)


def _has_body(request: Request) -> bool:
    meta = request._request.META
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > 0 or "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "")


class EagerFieldsAPIView(EagerFieldsViewMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    """A GenericAPIView with the eager fields mixin."""
