"""Per-extra permissions: an extra may declare who can ask for it.

    extra = {"internal_notes": {"field": ..., "permissions": [IsAdminUser]}}

Each item is a DRF permission class (its `has_permission(request, view)` decides) or
a callable taking the request and returning a bool; all must allow. A client that
names a forbidden extra gets a 403; an extra that only a view default asks for is
left out of the response instead, so one view serves every user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.permissions import BasePermission, OperandHolder, SingleOperandHolder

from .schema import SerializerSchema
from .shape import Shape
from .tree import resolve

__all__ = [
    "PermittedLevel",
    "forbidden_named_paths",
    "forbidden_paths",
    "is_permitted",
    "names_path",
    "permitted_level",
    "without_paths",
]


def is_permitted(permissions: tuple[Any, ...], request: Any, view: Any) -> bool:
    """Return whether every permission in `permissions` allows `request`."""
    for permission in permissions:
        if isinstance(permission, type) and issubclass(permission, BasePermission):
            allowed = permission().has_permission(request, view)
        elif isinstance(permission, OperandHolder | SingleOperandHolder):
            # A composition (IsAuthenticated & IsAdminUser, ~IsAdminUser): called, as
            # DRF calls its permission classes, it gives the permission to ask.
            allowed = permission().has_permission(request, view)
        elif isinstance(permission, BasePermission):
            allowed = permission.has_permission(request, view)
        else:
            allowed = permission(request)
        if not allowed:
            return False
    return True


class _Decisions:
    """Whether a request may ask for each guarded extra: decided once per extra."""

    def __init__(self, request: Any, view: Any) -> None:
        self.request, self.view = request, view
        self.decided: dict[int, bool] = {}

    def permitted(self, spec: Any) -> bool:
        if not spec.permissions:
            return True
        key = id(spec)
        if key not in self.decided:
            self.decided[key] = is_permitted(spec.permissions, self.request, self.view)
        return self.decided[key]


class PermittedLevel:
    """A serializer's schema as one request sees it while its shape is resolved: the
    extras it may not ask for are `hidden_fields`, left out of every message."""

    def __init__(self, schema: SerializerSchema, decisions: _Decisions) -> None:
        self.schema = schema
        self.decisions = decisions
        self.label = schema.label
        self.default_fields = schema.default_fields
        self.extra_fields = schema.extra_fields
        self.hidden_fields = frozenset(
            name for name, spec in schema.extras.items() if not decisions.permitted(spec)
        )

    def nested(self, name: str) -> PermittedLevel | None:
        child = self.schema.nested(name)
        return None if child is None else PermittedLevel(child, self.decisions)


def permitted_level(schema: SerializerSchema, request: Any, view: Any) -> PermittedLevel:
    """Return `schema` as `request` sees it (see PermittedLevel)."""
    return PermittedLevel(schema, _Decisions(request, view))


def forbidden_named_paths(level: PermittedLevel, tree: Mapping[str, Any] | None) -> list[str]:
    """Return the dotted paths of the extras that a requested `tree` names and its user
    may not ask for, without looking below them: a 403 comes before any error about
    the names below a guarded extra, which would tell its fields."""
    found: list[str] = []
    stack: list[tuple[PermittedLevel, Mapping[str, Any], str]] = [(level, tree or {}, "")]
    while stack:
        node_level, node, prefix = stack.pop()
        for name, below in node.items():
            path = f"{prefix}{name}"
            if name in node_level.hidden_fields:
                found.append(path)
                continue
            child = node_level.nested(name) if below else None
            if child is not None:
                stack.append((child, below, path + "."))
    return sorted(found)


def forbidden_paths(
    schema: SerializerSchema,
    shape: Shape,
    request: Any,
    view: Any,
    decided: dict[int, bool] | None = None,
) -> list[str]:
    """Return the dotted paths of the extras in `shape` that `request` may not see."""
    if decided is None:
        decided = {}  # one decision per extra, wherever it appears
    forbidden = []
    for node in resolve(schema, shape).walk():
        spec = node.spec
        if not spec.permissions:
            continue
        key = id(spec)
        if key not in decided:
            decided[key] = is_permitted(spec.permissions, request, view)
        if not decided[key]:
            forbidden.append(node.path)
    return forbidden


def without_paths(shape: Shape, paths: list[str]) -> Shape:
    """Return `shape` without the fields at the dotted `paths`."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        *parents, last = path.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[last] = None  # None: drop the field itself
    return _prune(shape, tree)


def _prune(shape: Shape, tree: Mapping[str, Any]) -> Shape:
    fields = tuple(name for name in shape.fields if tree.get(name, {}) is not None)
    children = tuple(
        (name, _prune(child, tree[name]) if tree.get(name) else child)
        for name, child in shape.children
        if name in fields
    )
    return Shape(fields, children, open=shape.open)


def names_path(tree: Mapping[str, Any] | None, path: str) -> bool:
    """Return whether a requested tree names the dotted `path` itself."""
    node = tree
    for name in path.split("."):
        if not node or name not in node:
            return False
        node = node[name]
    return True
