"""Per-extra permissions, piece by piece: what `is_permitted()` accepts, and a view
default's guarded extra below another level, which is left out at that level only."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from rest_framework import generics
from rest_framework.permissions import BasePermission, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory, force_authenticate

from drf_eager import EagerFieldsViewMixin
from drf_eager.permissions import is_permitted, names_path, without_paths
from drf_eager.shape import Shape
from tests import models
from tests.secure import GuardedPublisherSerializer


def request_as(user) -> Request:
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return request


class CallablePermission(BasePermission):
    """A permission instance that is also a callable (and so passes the checks)."""

    def __init__(self, allow: bool) -> None:
        self.allow = allow

    def __call__(self, request):
        raise AssertionError("has_permission() decides for a BasePermission instance")

    def has_permission(self, request, view):
        return self.allow


def test_a_permission_class_is_instantiated_and_asked():
    staff = User(username="staff", is_staff=True)
    assert is_permitted((IsAdminUser,), request_as(staff), None)
    assert not is_permitted((IsAdminUser,), request_as(User(username="member")), None)


def test_a_permission_instance_is_asked_as_it_is():
    request = request_as(AnonymousUser())
    assert is_permitted((CallablePermission(True),), request, None)
    assert not is_permitted((CallablePermission(False),), request, None)


def test_a_callable_gets_the_request():
    seen = []

    def allow(request):
        seen.append(request)
        return True

    request = request_as(AnonymousUser())
    assert is_permitted((allow,), request, None)
    assert seen == [request]


def test_every_permission_must_allow_and_the_first_refusal_stops():
    asked = []

    def deny(request):
        asked.append("deny")
        return False

    def never(request):
        raise AssertionError("asked after a refusal")

    assert not is_permitted((lambda request: True, deny, never), request_as(None), None)
    assert asked == ["deny"]
    assert is_permitted((), request_as(None), None)


def test_a_composed_permission_is_asked_like_a_permission_class():
    staff = User(username="staff", is_staff=True)
    member = User(username="member", is_staff=False)
    assert is_permitted((IsAuthenticated & IsAdminUser,), request_as(staff), None)
    assert not is_permitted((IsAuthenticated & IsAdminUser,), request_as(member), None)
    assert is_permitted((~IsAdminUser,), request_as(member), None)
    assert not is_permitted((~IsAdminUser,), request_as(staff), None)


def test_without_paths_drops_fields_at_any_depth_and_keeps_their_parents():
    shape = Shape(
        ("name", "authors"),
        (("authors", Shape(("name", "email", "books"), (("books", Shape(("title",))),))),),
    )
    assert without_paths(shape, ["authors.email", "authors.books"]) == Shape(
        ("name", "authors"), (("authors", Shape(("name",))),)
    )
    assert without_paths(shape, ["authors"]) == Shape(("name",))
    assert without_paths(shape, []) == shape


def test_names_path_is_true_only_for_a_path_the_tree_names():
    tree = {"authors": {"email": {}}, "name": {}}
    assert names_path(tree, "authors.email")
    assert names_path(tree, "authors")
    assert not names_path(tree, "authors.name")
    assert not names_path(tree, "books")
    assert not names_path(None, "name")


class NestedGuardedDefaultsView(EagerFieldsViewMixin, generics.ListAPIView):
    """A view default naming a guarded extra one level down (`authors.email`)."""

    queryset = models.Publisher.objects.all()
    serializer_class = GuardedPublisherSerializer
    serializer_extra = "authors.email"
    serializer_fields = ["name", "authors.name", "authors.email"]


def get(user=None):
    request = APIRequestFactory().get("/")
    if user is not None:
        force_authenticate(request, user=user)
    response = NestedGuardedDefaultsView.as_view()(request)
    return response.status_code, response.data


def test_a_nested_guarded_default_is_left_out_where_it_is_and_nowhere_else(small_library):
    assert get() == (
        200,
        [{"name": "Penguin", "authors": [{"name": "author0"}, {"name": "author1"}]}],
    )
    admin = User.objects.create(username="admin", is_staff=True)
    status, data = get(admin)
    assert status == 200
    assert data == [
        {
            "name": "Penguin",
            "authors": [
                {"name": "author0", "email": "a0@example.com"},
                {"name": "author1", "email": "a1@example.com"},
            ],
        }
    ]
