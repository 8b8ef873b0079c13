"""Issue 19.1: the view's get_serializer_class() is asked as often as without drf_eager
(once per request), wherever the view's own get_serializer() sits: before the mixin,
after it, in a subclass calling super(), or in place of DRF's without super().

Each layout is built twice, without drf_eager and with its view mixin, on a generic view
and on a ViewSet, and requested on list, retrieve and create.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from rest_framework import generics, serializers, viewsets
from rest_framework.test import APIRequestFactory

from drf_eager.views import EagerFieldsViewMixin

from . import api, models

CALLS: Counter[str] = Counter()


class PlainCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Category
        fields = ["id", "name", "slug"]


class EagerCategorySerializer(api.EagerModelSerializer):
    class Meta:
        model = models.Category
        fields = ["id", "name", "slug"]


class OwnGetSerializer:
    """A project's base view with its own get_serializer(), calling super()."""

    built = 0

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        self.built += 1
        return super().get_serializer(*args, **kwargs)  # type: ignore[misc]


class ReplacedGetSerializer:
    """A get_serializer() that does DRF's work itself, without super()."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer_class = self.get_serializer_class()  # type: ignore[attr-defined]
        kwargs.setdefault("context", self.get_serializer_context())  # type: ignore[attr-defined]
        return serializer_class(*args, **kwargs)


GENERIC = {
    "list": generics.ListAPIView,
    "retrieve": generics.RetrieveAPIView,
    "create": generics.CreateAPIView,
}

LAYOUTS = [
    "mixin first",
    "mixin after DRF's classes",
    "own get_serializer after the mixin",
    "own get_serializer before the mixin",
    "subclass calling super().get_serializer()",
    "get_serializer without super() before the mixin",
]


def build(layout: str, action: str, *, eager: bool, viewset: bool) -> Any:
    drf: type = viewsets.ModelViewSet if viewset else GENERIC[action]
    mixin: tuple[type, ...] = (EagerFieldsViewMixin,) if eager else ()
    serializer = EagerCategorySerializer if eager else PlainCategorySerializer
    variant = "eager" if eager else "plain"

    def get_serializer_class(self: Any) -> type:
        CALLS[variant] += 1
        return serializer

    body = {
        "queryset": models.Category.objects.order_by("id"),
        "get_serializer_class": get_serializer_class,
    }
    if layout == "mixin first":
        bases: tuple[type, ...] = (*mixin, drf)
    elif layout == "mixin after DRF's classes":
        bases = (drf, *mixin)
    elif layout == "own get_serializer after the mixin":
        bases = (*mixin, OwnGetSerializer, drf)
    elif layout == "own get_serializer before the mixin":
        bases = (OwnGetSerializer, *mixin, drf)
    elif layout == "subclass calling super().get_serializer()":
        base = type("Base", (*mixin, drf), {})
        bases = (type("Sub", (OwnGetSerializer, base), {}),)
    else:
        bases = (ReplacedGetSerializer, *mixin, drf)
    view_class = type(f"{variant}View", bases, body)
    if viewset:
        method = "post" if action == "create" else "get"
        return view_class.as_view({method: action})
    return view_class.as_view()


def request(view: Any, action: str, query: str) -> Any:
    factory = APIRequestFactory()
    if action == "create":
        return view(factory.post(f"/{query}", {"name": "Bags", "slug": "bags"}, format="json"))
    if action == "retrieve":
        pk = models.Category.objects.get(slug="hats").pk
        return view(factory.get(f"/{query}"), pk=pk)
    return view(factory.get(f"/{query}"))


def without_ids(data: Any) -> Any:
    # A created row's id differs between the two builds.
    return {key: value for key, value in data.items() if key != "id"}


def pruned(data: Any) -> Any:
    if isinstance(data, list):
        return [pruned(item) for item in data]
    return {"name": data["name"]}


@pytest.mark.parametrize("viewset", [False, True], ids=["generic", "viewset"])
@pytest.mark.parametrize("action", ["list", "retrieve", "create"])
@pytest.mark.parametrize(
    ("layout", "query"),
    [
        *((layout, "") for layout in LAYOUTS),
        # Shaped: every layout, a get_serializer() that never reaches the mixin's too
        # (the view's context says which class serves the shape: test_own_context.py).
        *((layout, "?fields=name") for layout in LAYOUTS),
    ],
)
def test_asked_once_per_request(db, layout, action, viewset, query):
    models.Category.objects.create(name="Hats", slug="hats")
    models.Category.objects.create(name="Shoes", slug="shoes")
    CALLS.clear()
    plain = request(build(layout, action, eager=False, viewset=viewset), action, "")
    assert CALLS == {"plain": 1}
    models.Category.objects.filter(slug="bags").delete()
    eager = request(build(layout, action, eager=True, viewset=viewset), action, query)
    assert CALLS == {"plain": 1, "eager": 1}
    assert eager.status_code == plain.status_code == (201 if action == "create" else 200)
    expected, served = plain.data, eager.data
    if action == "create":
        expected, served = without_ids(expected), without_ids(served)
    assert served == (pruned(expected) if query else expected)


class NameOnly(api.EagerModelSerializer):
    class Meta:
        model = models.Category
        fields = ["name"]


def test_a_get_serializer_class_given_to_as_view_is_the_one_asked(db):
    """as_view(get_serializer_class=...) sets it on the instance: it is called, not the
    class's (which the mixin lends its answer to)."""
    models.Category.objects.create(name="Hats", slug="hats")

    class Categories(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Category.objects.order_by("id")
        serializer_class = EagerCategorySerializer

    view = Categories.as_view(get_serializer_class=lambda: NameOnly)
    response = view(APIRequestFactory().get("/"))
    assert response.data == [{"name": "Hats"}]
