"""The shape explorer: a page to try response shapes against your own API, in DEBUG.

Pick an endpoint (every GET route of the URLconf whose view uses EagerFieldsViewMixin),
type `extra`, `fields` and `exclude` with completion of the names allowed at the cursor,
or a JSON body, and see the response, its status, each SQL statement it cost, the
queryset plan and which path served it (the fast path or the DRF path) and why: what
`manage.py explain_shape` prints, live. Mount it in your URLconf:

    from django.conf import settings

    if settings.DEBUG:
        urlpatterns += [path("eager/explorer/", include("drf_eager.contrib.explorer"))]

It answers 404 unless settings.DEBUG is on; `include(explorer_urls(allow_without_debug=
True))` serves it regardless, and `explorer_urls(view_class=...)` takes a subclass of
ExplorerView whose `has_access()` is yours (a staff check, say). The requests it
runs are GETs, sent in-process as the user who opened the page (their session, cookies
and Authorization header), so permission-guarded extras answer as they would answer them.
It needs no app in INSTALLED_APPS and no static files set-up: it serves its own HTML,
JavaScript and CSS.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.template import Context, Engine
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, path, resolve
from django.views import View
from rest_framework.test import APIRequestFactory

from ..management.commands.explain_shape import (
    _path,
    _Recorder,
    _recording_callback,
    describe_plan,
    describe_tree,
    shape_tree,
)
from ..parsing import format_tree
from ..schema import SerializerSchema, get_schema
from ..settings import eager_settings
from ..tree import resolve as resolve_tree
from ..validation import HOOK_ERRORS
from ..views import EagerFieldsViewMixin

__all__ = [
    "ExplorerView",
    "endpoints",
    "explorer_urls",
    "run_request",
    "schema_json",
    "urlpatterns",
]

_PACKAGE = Path(__file__).resolve().parent.parent
_TEMPLATES = _PACKAGE / "templates"
_STATIC = _PACKAGE / "static" / "drf_eager" / "explorer"
# The headers that carry who the user is, passed on to the request the explorer runs.
_IDENTITY_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_ACCEPT_LANGUAGE")


# The endpoints and their schema -----------------------------------------------------


def _view_class(callback: Any) -> type | None:
    view_class = getattr(callback, "cls", None)
    if isinstance(view_class, type) and issubclass(view_class, EagerFieldsViewMixin):
        return view_class
    return None


def _routes(urlconf: str | None = None) -> Iterator[tuple[str, Any]]:
    # Every route of the URLconf as a display path ("api/customers/{pk}/") and its
    # callback, from the resolver's reverse table (it has already joined the prefixes).
    resolver = get_resolver(urlconf)
    for key, possibilities in resolver.reverse_dict.lists():
        if isinstance(key, str):  # the same routes again, by name
            continue
        for possibility, _pattern, _defaults, _converters in possibilities:
            for format_string, params in possibility:
                if "format" in params:  # DRF's format suffix routes (".json")
                    continue
                yield "/" + format_string % {name: "{" + name + "}" for name in params}, key


def _serializer_class(view_class: Any, callback: Any, method_action: str | None) -> type:
    # The serializer the view would use for a GET; a get_serializer_class() that needs
    # more of a request than its action falls back to the class attribute.
    view = view_class(**getattr(callback, "initkwargs", {}))
    view.action = method_action
    view.request = None
    view.format_kwarg = None
    view.kwargs = {}
    view.args = ()
    try:
        return view.get_serializer_class()  # type: ignore[no-any-return]
    except HOOK_ERRORS:  # the view needs a real request: use its declaration
        return view_class.serializer_class  # type: ignore[no-any-return]


def _label(serializer_class: type) -> str:
    return f"{serializer_class.__module__}.{serializer_class.__qualname__}"


def _get_routes(urlconf: str | None = None) -> Iterator[tuple[str, type, str | None, type]]:
    # The GET routes of EagerFieldsViewMixin views: display path, view class, action
    # (a ViewSet's, else None) and serializer class.
    for display, callback in _routes(urlconf):
        view_class = _view_class(callback)
        if view_class is None:
            continue
        actions = getattr(callback, "actions", None)
        action = None
        if actions is not None:
            action = actions.get("get")
            if action is None:  # a ViewSet route without GET
                continue
        elif not hasattr(view_class, "get"):
            continue
        yield display, view_class, action, _serializer_class(view_class, callback, action)


def endpoints(urlconf: str | None = None) -> list[dict[str, Any]]:
    """Every GET route served by an EagerFieldsViewMixin view: its path (parameters as
    `{name}`), its view, its action and the label of its serializer's schema."""
    found: dict[str, dict[str, Any]] = {}
    for display, view_class, action, serializer_class in _get_routes(urlconf):
        found.setdefault(
            display,
            {
                "path": display,
                "view": f"{view_class.__module__}.{view_class.__qualname__}",
                "action": action,
                "serializer": _label(serializer_class),
            },
        )
    return sorted(found.values(), key=lambda endpoint: endpoint["path"])


def _serializer_for(label: str, urlconf: str | None = None) -> type | None:
    for _display, _view, _action, serializer_class in _get_routes(urlconf):
        if _label(serializer_class) == label:
            return serializer_class
    return None


def _describe(schema: SerializerSchema, into: dict[str, Any]) -> str:
    label = _label(schema.serializer_class)
    if label in into:
        return label
    entry: dict[str, Any] = {"defaults": [], "extras": []}
    into[label] = entry  # before the children: serializers refer to each other in cycles
    for part, specs in (("defaults", schema.defaults), ("extras", schema.extras)):
        for name, spec in specs.items():
            child = spec.child_schema
            nested = None if child is None else _describe(child, into)
            entry[part].append({"name": name, "nested": nested})
    return label


def schema_json(serializer_class: type) -> dict[str, Any]:
    """The names a request may use with `serializer_class`, from drf_eager's own
    resolved schema: for the root and each serializer below it, its default fields and
    its extras, each with the label of its nested serializer (or null)."""
    serializers: dict[str, Any] = {}
    root = _describe(get_schema(serializer_class), serializers)
    return {
        "root": root,
        "serializers": serializers,
        "max_depth": eager_settings.MAX_DEPTH,
        "params": {
            "extra": eager_settings.EXTRA_PARAM,
            "fields": eager_settings.FIELDS_PARAM,
            "exclude": eager_settings.EXCLUDE_PARAM,
        },
    }


# Running one request ----------------------------------------------------------------


def _inner_request(request: HttpRequest, target: str, body: str | None) -> HttpRequest:
    # The GET the explorer runs, as the user who opened the page: their session and
    # user (what the middleware set on this request) and the headers that identify them.
    factory = APIRequestFactory()
    extra = {name: request.META[name] for name in _IDENTITY_HEADERS if name in request.META}
    host = request.get_host()
    secure = request.is_secure()
    if body:
        inner = factory.generic(
            "GET",
            target,
            body,
            content_type="application/json",
            secure=secure,
            HTTP_HOST=host,
            **extra,
        )
    else:
        inner = factory.get(target, secure=secure, HTTP_HOST=host, **extra)
    for attribute in ("session", "user", "auth"):
        if hasattr(request, attribute):
            setattr(inner, attribute, getattr(request, attribute))
    return inner


def run_request(
    request: HttpRequest, url: str, body: str | None = None, database: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """Run `GET url` (with the JSON `body`, if any) in-process as the user of `request`
    and return what explain_shape prints: the status, the response, each SQL statement,
    the shape, how the resolved tree loads each field, the plan and the path that served
    it, as a dict ready for JSON."""
    parts = urlsplit(url)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    try:
        match = resolve(parts.path)
    except Resolver404:
        return {"error": f"No view answers {parts.path}."}
    view_class = _view_class(match.func)
    if view_class is None:
        return {"error": f"{parts.path} is not served by an EagerFieldsViewMixin view."}
    if body:
        try:
            json.loads(body)
        except ValueError as exc:
            return {"error": f"The body is not valid JSON: {exc}."}

    recorder = _Recorder()
    view = _recording_callback(match.func, recorder)
    inner = _inner_request(request, target, body)
    with CaptureQueriesContext(connections[database]) as queries:
        try:
            response: Any = view(inner, *match.args, **match.kwargs)
            render = getattr(response, "render", None)
            if callable(render):
                render()
        except Exception as exc:
            # Deliberately any exception: the explorer is a debugging tool that runs the
            # developer's own view, and a bug there is what it must show (with the SQL
            # sent so far), where Django would answer a blank 500 to its page's fetch().
            return {
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
                "queries": len(queries),
                "sql": [query["sql"] for query in queries.captured_queries],
            }

    content = response.content.decode(response.charset or "utf-8")
    data: Any
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    result: dict[str, Any] = {
        "url": target,
        "status": response.status_code,
        "reason": getattr(response, "reason_phrase", ""),
        "content_type": response.get("Content-Type", ""),
        "data": data,
        "content": content if data is None else None,
        "queries": len(queries),
        "sql": [query["sql"] for query in queries.captured_queries],
        "view": f"{view_class.__module__}.{view_class.__qualname__}",
        "action": getattr(recorder.view, "action", None),
        "shape": None,
        "plan": [],
        # How the resolved tree loads each field path (explain_shape --tree).
        "loading": [],
        "path": None,
    }
    if recorder.view is None or response.status_code >= 400:
        return result
    serializer_class = recorder.view.get_serializer_class()
    result["serializer"] = _label(serializer_class)
    shape = recorder.view.get_shape()
    if shape is not None:
        tree = shape_tree(shape)
        result["shape"] = format_tree(tree)
        resolved = resolve_tree(get_schema(serializer_class), shape)
        result["loading"] = describe_tree(resolved, recorder.view.get_eager_grouped())
    for planned in recorder.plans:
        result["plan"].extend(describe_plan(planned))
    result["path"] = _path(recorder.view)
    return result


# The views ---------------------------------------------------------------------------


@cache
def _engine() -> Engine:
    return Engine(dirs=[str(_TEMPLATES)], autoescape=True)


class ExplorerView(View):
    """The explorer's page and its JSON endpoints, chosen by `page`:

    - `index`: the HTML page;
    - `endpoints`: the GET routes of EagerFieldsViewMixin views;
    - `schema`: the names allowed under a serializer (`?serializer=<label>`);
    - `run`: runs `?url=` (and `?body=`) and explains it;
    - `explorer.js`, `explorer.css`: the page's script and style.

    Served only when settings.DEBUG is on, unless `allow_without_debug` is set.
    """

    page = "index"
    allow_without_debug = False
    database = DEFAULT_DB_ALIAS

    def has_access(self, request: HttpRequest) -> bool:
        """Return whether the explorer may answer `request`: in DEBUG only, by default.

        Override it to let staff users in on a staging site, for instance."""
        return bool(settings.DEBUG or self.allow_without_debug)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not self.has_access(request):
            raise Http404("The shape explorer answers in DEBUG only.")
        handler: Callable[[HttpRequest], HttpResponseBase] = getattr(
            self, "page_" + self.page.replace(".", "_")
        )
        return handler(request)

    def page_index(self, request: HttpRequest) -> HttpResponse:
        template = _engine().get_template("drf_eager/explorer.html")
        context = {
            "initial": request.GET.get("url", ""),
            "initial_body": request.GET.get("body", ""),
        }
        html = template.render(Context(context))
        return HttpResponse(html)

    def page_endpoints(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse({"endpoints": endpoints()})

    def page_schema(self, request: HttpRequest) -> JsonResponse:
        serializer_class = _serializer_for(request.GET.get("serializer", ""))
        if serializer_class is None:
            return JsonResponse({"error": "No endpoint uses this serializer."}, status=404)
        return JsonResponse(schema_json(serializer_class))

    def page_run(self, request: HttpRequest) -> JsonResponse:
        url = request.GET.get("url", "")
        if not url.startswith("/"):
            return JsonResponse({"error": "url must be a path, such as /api/items/."}, status=400)
        # A 200 whatever the request's own status (the result carries it): a browser logs
        # every fetch answered 4xx as an error in its console.
        return JsonResponse(
            run_request(request, url, request.GET.get("body") or None, self.database)
        )

    def _static(self, name: str, content_type: str) -> FileResponse:
        return FileResponse((_STATIC / name).open("rb"), content_type=content_type)

    def page_explorer_js(self, request: HttpRequest) -> FileResponse:
        return self._static("explorer.js", "text/javascript; charset=utf-8")

    def page_explorer_css(self, request: HttpRequest) -> FileResponse:
        return self._static("explorer.css", "text/css; charset=utf-8")


def explorer_urls(
    allow_without_debug: bool = False, view_class: type[ExplorerView] = ExplorerView
) -> list[URLPattern | URLResolver]:
    """The explorer's URL patterns, for `include()`; `allow_without_debug=True` serves
    it when settings.DEBUG is off too, and `view_class` is a subclass of ExplorerView
    of yours (its own `has_access()`, say)."""
    pages = ("index", "endpoints", "schema", "run", "explorer.js", "explorer.css")
    return [
        path(
            "" if page == "index" else page if "." in page else page + "/",
            view_class.as_view(page=page, allow_without_debug=allow_without_debug),
            name=f"drf-eager-explorer-{page.replace('.', '-')}",
        )
        for page in pages
    ]


urlpatterns = explorer_urls()
