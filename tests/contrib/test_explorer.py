"""Issue 16.1: the shape explorer (drf_eager.contrib.explorer): its page in DEBUG only,
the endpoints and schema it completes names from, and the requests it runs and explains."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import include, path
from rest_framework import generics, serializers, viewsets
from rest_framework.routers import SimpleRouter

from drf_eager import EagerFieldsViewMixin
from drf_eager.contrib.explorer import (
    ExplorerView,
    _serializer_class,
    endpoints,
    explorer_urls,
    run_request,
    schema_json,
)
from tests import models
from tests import serializers as lib
from tests.conftest import build_library, planned

pytestmark = pytest.mark.django_db


class CreateOnly(EagerFieldsViewMixin, generics.CreateAPIView):  # type: ignore[type-arg]
    serializer_class = lib.AuthorSerializer


class WriteOnly(EagerFieldsViewMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = lib.BookSerializer

    def create(self, request: Any) -> Any:
        raise NotImplementedError


class PlainSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = models.Author
        fields = ["name"]


class PlainSerializerView(EagerFieldsViewMixin, generics.ListAPIView):  # type: ignore[type-arg]
    queryset = models.Author.objects.all()
    serializer_class = PlainSerializer


_router = SimpleRouter()
_router.register("write-only", WriteOnly, basename="write-only")
# The URLconf of test_routes_without_get.
urlpatterns = [
    path("create-only/", CreateOnly.as_view()),
    path("plain/", PlainSerializerView.as_view()),
    path("", include(_router.urls)),
    path("summaries/", generics.ListAPIView.as_view(serializer_class=lib.AuthorSerializer)),
]


def get_json(client: Client, page: str, **params: str) -> dict[str, Any]:
    response = client.get(page, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_it_answers_404_unless_debug(client, settings):
    settings.DEBUG = False
    for page in ("", "endpoints/", "schema/", "run/?url=/authors/", "explorer.js"):
        assert client.get("/eager-explorer/" + page).status_code == 404, page
    # Mounted with allow_without_debug=True, it answers all the same.
    assert client.get("/eager-explorer-open/").status_code == 200


def test_the_page_and_its_files(client, debug):
    response = client.get("/eager-explorer/", {"url": "/authors/?extra=books"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script src="explorer.js"></script>' in html
    assert 'data-initial="/authors/?extra=books"' in html
    # Escaped: the page is a template, its initial values come from the query string.
    html = client.get("/eager-explorer/", {"body": '{"a": "<b>"}'}).content.decode()
    assert 'data-initial-body="{&quot;a&quot;: &quot;&lt;b&gt;&quot;}"' in html
    script = client.get("/eager-explorer/explorer.js")
    assert script["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"function paramContext" in b"".join(script.streaming_content)
    style = client.get("/eager-explorer/explorer.css")
    assert style["Content-Type"] == "text/css; charset=utf-8"
    assert b"#suggestions" in b"".join(style.streaming_content)


def test_endpoints_are_the_get_routes_of_eager_views(client, debug):
    found = {e["path"]: e for e in get_json(client, "/eager-explorer/endpoints/")["endpoints"]}
    assert found["/authors/"] == {
        "path": "/authors/",
        "view": "tests.views.AuthorViewSet",
        "action": "list",
        "serializer": "tests.serializers.AuthorSerializer",
    }
    assert found["/authors/{pk}/"]["action"] == "retrieve"
    assert found["/book-defaults/"] == {
        "path": "/book-defaults/",
        "view": "tests.views.BookDefaultsView",
        "action": None,
        "serializer": "tests.serializers.BookSerializer",
    }
    # No format-suffix duplicates, no view without the mixin, no explorer page.
    assert not [path for path in found if "format" in path or "explorer" in path]
    assert found == {e["path"]: e for e in endpoints()}
    assert list(found) == sorted(found)


def test_the_schema_of_a_serializer(client, debug):
    data = get_json(
        client, "/eager-explorer/schema/", serializer="tests.serializers.AuthorSerializer"
    )
    assert data["root"] == "tests.serializers.AuthorSerializer"
    assert data["max_depth"] == 3
    assert data["params"] == {"extra": "extra", "fields": "fields", "exclude": "exclude"}
    author = data["serializers"]["tests.serializers.AuthorSerializer"]
    assert author["defaults"] == [
        {"name": "id", "nested": None},
        {"name": "name", "nested": None},
    ]
    assert {"name": "books", "nested": "tests.serializers.BookSerializer"} in author["extras"]
    book = data["serializers"]["tests.serializers.BookSerializer"]
    # A cycle (author -> books -> author) refers back to the same entry.
    assert {"name": "author", "nested": "tests.serializers.AuthorSerializer"} in book["extras"]
    assert data == json.loads(json.dumps(schema_json(lib.AuthorSerializer)))
    response = client.get("/eager-explorer/schema/", {"serializer": "nope.Serializer"})
    assert response.status_code == 404
    assert response.json() == {"error": "No endpoint uses this serializer."}


def test_run_a_list_on_the_fast_path(client, debug):
    build_library(3)
    url = "/paginated-books/?limit=2&fields=title,reviews.rating"
    data = get_json(client, "/eager-explorer/run/", url=url)
    assert data["status"] == 200
    assert data["queries"] == len(data["sql"]) == planned(3, rendered=2)
    assert data["sql"][0].startswith("SELECT COUNT(*)")
    assert data["shape"] == "title,reviews(rating)"
    assert data["plan"] == [
        "tests.Book",
        "  only: id, title",
        "  prefetch_related: reviews",
        "    tests.Review",
        "      only: book, id, rating",
    ]
    assert data["path"] == "fast (values_list() rows, drf_eager.fast)"
    assert data["view"] == "tests.views.PaginatedBookViewSet"
    assert data["action"] == "list"
    assert data["data"]["count"] == 6
    assert data["data"]["results"][0] == {
        "title": "book0-0",
        "reviews": [{"rating": 2}, {"rating": 5}],
    }


def test_run_with_a_json_body_on_the_drf_path(client, debug):
    build_library(2)
    author = models.Author.objects.order_by("pk")[0]
    body = json.dumps({"fields": {"name": None, "books": {"title": None}}})
    data = get_json(client, "/eager-explorer/run/", url=f"/authors/{author.pk}/", body=body)
    assert (data["status"], data["queries"]) == (200, 2)
    assert data["data"] == {
        "name": "author0",
        "books": [{"title": "book0-0"}, {"title": "book0-1"}],
    }
    assert data["path"] == "DRF (the fast path serves lists)"


def test_run_a_bad_request_shows_the_400(client, debug):
    data = get_json(client, "/eager-explorer/run/", url="/authors/?fields=name,,books")
    assert data["status"] == 400
    assert data["data"] == {"fields": ["Expected a field name at position 6, found ','."]}
    assert (data["queries"], data["plan"], data["path"]) == (0, [], None)


def test_run_refuses_what_it_cannot_run(client, debug):
    def error(**params: str) -> str:
        return get_json(client, "/eager-explorer/run/", **params)["error"]  # type: ignore[no-any-return]

    assert error(url="/nowhere/") == "No view answers /nowhere/."
    assert error(url="/eager-explorer/") == (
        "/eager-explorer/ is not served by an EagerFieldsViewMixin view."
    )
    assert error(url="/authors/", body="{nope").startswith("The body is not valid JSON")
    response = client.get("/eager-explorer/run/", {"url": "authors/"})
    assert response.status_code == 400
    assert response.json() == {"error": "url must be a path, such as /api/items/."}


def test_run_shows_an_exception_of_the_view(client, debug, monkeypatch):
    from tests.views import AuthorViewSet

    def broken(self: Any) -> Any:
        raise RuntimeError("the view is broken")

    monkeypatch.setattr(AuthorViewSet, "get_queryset", broken)
    data = get_json(client, "/eager-explorer/run/", url="/authors/")
    assert data["error"] == "RuntimeError: the view is broken"
    assert "Traceback" in data["traceback"]
    assert data["queries"] == 0


def test_run_as_the_user_of_the_page(client, debug):
    """The request runs with the page's Authorization header, and with its user."""
    build_library(1)
    url = "/secure/authors/?extra=books&fields=name,books.title"  # `books`: signed-in users
    assert get_json(client, "/eager-explorer/run/", url=url)["status"] == 403
    User.objects.create_user("demo", password="demo")
    token = base64.b64encode(b"demo:demo").decode()
    client.defaults["HTTP_AUTHORIZATION"] = f"Basic {token}"
    data = get_json(client, "/eager-explorer/run/", url=url)
    # Basic authentication reads the user: a query of the request's own, counted.
    assert (data["status"], data["queries"]) == (200, planned(3, rendered=2))
    assert "auth_user" in data["sql"][0]
    assert data["data"] == [
        {"name": "author0", "books": [{"title": "book0-0"}, {"title": "book0-1"}]}
    ]

    request = RequestFactory().get("/")
    request.user = User.objects.get(username="demo")
    assert run_request(request, url)["status"] == 200


def test_a_serializer_class_that_needs_a_request():
    class NeedsRequest(generics.ListAPIView):  # type: ignore[type-arg]
        serializer_class = lib.AuthorSerializer

        def get_serializer_class(self) -> Any:
            return self.request.user and lib.BookSerializer

    assert _serializer_class(NeedsRequest, NeedsRequest.as_view(), None) is lib.AuthorSerializer


def test_has_access_can_be_overridden(rf, settings):
    settings.DEBUG = False

    class StaffOnly(ExplorerView):
        def has_access(self, request: Any) -> bool:
            return bool(request.user.is_staff)

    index = explorer_urls(view_class=StaffOnly)[0].callback
    request = rf.get("/")
    request.user = User(is_staff=True)
    assert index(request).status_code == 200
    request.user = User(is_staff=False)
    with pytest.raises(Http404):
        index(request)


def test_routes_without_get_are_left_out():
    assert endpoints("tests.contrib.test_explorer") == [
        {
            "path": "/plain/",
            "view": "tests.contrib.test_explorer.PlainSerializerView",
            "action": None,
            "serializer": "tests.contrib.test_explorer.PlainSerializer",
        }
    ]


@pytest.mark.urls("tests.contrib.test_explorer")
def test_a_serializer_without_the_mixin(rf):
    build_library(1)
    result = run_request(rf.get("/"), "/plain/")
    assert (result["status"], result["shape"], result["data"]) == (
        200,
        None,
        [{"name": "author0"}],
    )
    assert result["path"] == "DRF (no list was planned)"


def test_a_response_that_is_not_json(client, debug):
    build_library(1)
    data = get_json(client, "/eager-explorer/run/", url="/authors/?format=api")
    assert data["status"] == 200
    assert data["data"] is None
    assert data["content"].lstrip().startswith("<!DOCTYPE html>")
    assert data["path"] == "DRF (the fast path is off, or the response is not rendered as JSON)"
