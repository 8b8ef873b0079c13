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
from shop import serializers as shop
from shop.management.commands.seed_demo import seed
from shop.models import Customer

from drf_eager import EagerFieldsViewMixin
from drf_eager.contrib.explorer import (
    ExplorerView,
    _serializer_class,
    endpoints,
    explorer_urls,
    run_request,
    schema_json,
)

pytestmark = pytest.mark.django_db


class CreateOnly(EagerFieldsViewMixin, generics.CreateAPIView):  # type: ignore[type-arg]
    serializer_class = shop.CustomerSerializer


class WriteOnly(EagerFieldsViewMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = shop.OrderSerializer

    def create(self, request: Any) -> Any:
        raise NotImplementedError


class PlainSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Customer
        fields = ["name"]


class PlainSerializerView(EagerFieldsViewMixin, generics.ListAPIView):  # type: ignore[type-arg]
    queryset = Customer.objects.all()
    serializer_class = PlainSerializer


_router = SimpleRouter()
_router.register("write-only", WriteOnly, basename="write-only")
# The URLconf of test_routes_without_get.
urlpatterns = [
    path("create-only/", CreateOnly.as_view()),
    path("plain/", PlainSerializerView.as_view()),
    path("", include(_router.urls)),
    path("summaries/", generics.ListAPIView.as_view(serializer_class=shop.CustomerSerializer)),
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
    for page in ("", "endpoints/", "schema/", "run/?url=/api/customers/", "explorer.js"):
        assert client.get("/eager-explorer/" + page).status_code == 404, page
    # Mounted with allow_without_debug=True, it answers all the same.
    assert client.get("/eager-explorer-open/").status_code == 200


def test_the_page_and_its_files(client, debug):
    response = client.get("/eager-explorer/", {"url": "/api/customers/?extra=orders"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script src="explorer.js"></script>' in html
    assert 'data-initial="/api/customers/?extra=orders"' in html
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
    assert found["/api/customers/"] == {
        "path": "/api/customers/",
        "view": "shop.views.CustomerViewSet",
        "action": "list",
        "serializer": "shop.serializers.CustomerSerializer",
    }
    assert found["/api/customers/{pk}/"]["action"] == "retrieve"
    assert found["/api/customer-summaries/"] == {
        "path": "/api/customer-summaries/",
        "view": "shop.views.CustomerSummaryView",
        "action": None,
        "serializer": "shop.serializers.CustomerSummarySerializer",
    }
    # No format-suffix duplicates, no view without the mixin, no explorer page.
    assert not [path for path in found if "format" in path or "explorer" in path]
    assert found == {e["path"]: e for e in endpoints()}
    assert list(found) == sorted(found)


def test_the_schema_of_a_serializer(client, debug):
    data = get_json(
        client, "/eager-explorer/schema/", serializer="shop.serializers.CustomerSerializer"
    )
    assert data["root"] == "shop.serializers.CustomerSerializer"
    assert data["max_depth"] == 3
    assert data["params"] == {"extra": "extra", "fields": "fields", "exclude": "exclude"}
    customer = data["serializers"]["shop.serializers.CustomerSerializer"]
    assert customer["defaults"] == [
        {"name": "id", "nested": None},
        {"name": "name", "nested": None},
    ]
    assert {"name": "orders", "nested": "shop.serializers.OrderSerializer"} in customer["extras"]
    order = data["serializers"]["shop.serializers.OrderSerializer"]
    # A cycle (customer -> orders -> customer) refers back to the same entry.
    assert {"name": "customer", "nested": "shop.serializers.CustomerSerializer"} in order["extras"]
    assert data == json.loads(json.dumps(schema_json(shop.CustomerSerializer)))
    response = client.get("/eager-explorer/schema/", {"serializer": "nope.Serializer"})
    assert response.status_code == 404
    assert response.json() == {"error": "No endpoint uses this serializer."}


def test_run_a_list_on_the_fast_path(client, debug):
    seed(customers=3)
    url = "/api/customers/?fields=name,orders.code"
    data = get_json(client, "/eager-explorer/run/", url=url)
    assert data["status"] == 200
    assert data["queries"] == 3
    assert len(data["sql"]) == 3
    assert data["sql"][0].startswith("SELECT COUNT(*)")
    assert data["shape"] == "name,orders(code)"
    assert data["plan"] == [
        "shop.Customer",
        "  only: id, name",
        "  prefetch_related: orders",
        "    shop.Order",
        "      only: code, customer, id",
    ]
    assert data["path"] == "fast (values_list() rows, drf_eager.fast)"
    assert data["view"] == "shop.views.CustomerViewSet"
    assert data["action"] == "list"
    assert data["data"]["count"] == 3
    assert data["data"]["results"][0] == {
        "name": "Mario 0",
        "orders": [{"code": f"O000{j:02d}"} for j in range(7)],
    }


def test_run_with_a_json_body_on_the_drf_path(client, debug):
    seed(customers=2)
    customer = Customer.objects.order_by("pk")[0]
    body = json.dumps({"fields": {"name": None, "orders": {"code": None}}})
    data = get_json(
        client, "/eager-explorer/run/", url=f"/api/customers/{customer.pk}/", body=body
    )
    assert (data["status"], data["queries"]) == (200, 2)
    assert data["data"] == {
        "name": "Mario 0",
        "orders": [{"code": f"O000{j:02d}"} for j in range(7)],
    }
    assert data["path"] == "DRF (the fast path serves lists)"


def test_run_a_bad_request_shows_the_400(client, debug):
    data = get_json(client, "/eager-explorer/run/", url="/api/customers/?fields=name,,orders")
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
    assert error(url="/api/customers/", body="{nope").startswith("The body is not valid JSON")
    response = client.get("/eager-explorer/run/", {"url": "api/customers/"})
    assert response.status_code == 400
    assert response.json() == {"error": "url must be a path, such as /api/items/."}


def test_run_shows_an_exception_of_the_view(client, debug, monkeypatch):
    from shop.views import CustomerViewSet

    def broken(self: Any) -> Any:
        raise RuntimeError("the view is broken")

    monkeypatch.setattr(CustomerViewSet, "get_queryset", broken)
    data = get_json(client, "/eager-explorer/run/", url="/api/customers/")
    assert data["error"] == "RuntimeError: the view is broken"
    assert "Traceback" in data["traceback"]
    assert data["queries"] == 0


def test_run_as_the_user_of_the_page(client, debug):
    """The request runs with the page's Authorization header, and with its user."""
    seed(customers=1)
    url = "/api/contacts/?extra=email&fields=name,email"
    assert get_json(client, "/eager-explorer/run/", url=url)["status"] == 403
    User.objects.create_user("demo", password="demo")
    token = base64.b64encode(b"demo:demo").decode()
    client.defaults["HTTP_AUTHORIZATION"] = f"Basic {token}"
    data = get_json(client, "/eager-explorer/run/", url=url)
    # Basic authentication reads the user: a query of the request's own, counted.
    assert (data["status"], data["queries"]) == (200, 3)
    assert "auth_user" in data["sql"][0]
    assert data["data"]["results"] == [{"name": "Mario 0", "email": "mario0@example.com"}]

    request = RequestFactory().get("/")
    request.user = User.objects.get(username="demo")
    assert run_request(request, url)["status"] == 200


def test_a_serializer_class_that_needs_a_request():
    class NeedsRequest(generics.ListAPIView):  # type: ignore[type-arg]
        serializer_class = shop.CustomerSerializer

        def get_serializer_class(self) -> Any:
            return self.request.user and shop.OrderSerializer

    assert _serializer_class(NeedsRequest, NeedsRequest.as_view(), None) is shop.CustomerSerializer


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
    seed(customers=1)
    result = run_request(rf.get("/"), "/plain/")
    assert (result["status"], result["shape"], result["data"]) == (
        200,
        None,
        [{"name": "Mario 0"}],
    )
    assert result["path"] == "DRF (no list was planned)"


def test_a_response_that_is_not_json(client, debug):
    seed(customers=1)
    data = get_json(client, "/eager-explorer/run/", url="/api/customers/?format=api")
    assert data["status"] == 200
    assert data["data"] is None
    assert data["content"].lstrip().startswith("<!DOCTYPE html>")
    assert data["path"] == "DRF (the fast path is off, or the response is not rendered as JSON)"
