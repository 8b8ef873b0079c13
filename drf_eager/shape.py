"""The requested shape of a response, checked against the serializers that produce it.

A `ShapeRequest` holds what the client asked for (trees of names); `resolve()`
checks it against a serializer's description and returns a `Shape`: per level,
the field names to serialize and the shapes of the nested serializers. No Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from .parsing import MAX_NESTING, WILDCARD, ParseError, Tree, parse

__all__ = [
    "SHAPE_CONTEXT_KEY",
    "Level",
    "Shape",
    "ShapeError",
    "ShapeRequest",
    "body_tree",
    "build_request",
    "resolve",
    "within_depth",
]

#: The serializer context key that carries a resolved Shape (set by the view).
SHAPE_CONTEXT_KEY = "eager_shape"


@dataclass(frozen=True)
class Shape:
    """The fields one serializer outputs, and the shapes of its nested serializers.

    `open`: the request did not restrict the fields of this level (no `fields` for it),
    so it outputs the serializer's own fields as its get_fields() builds them for the
    request, `fields` being those the serializer declares (without the excluded ones)
    plus the extras asked for: a get_fields() that adds a field for some requests
    (`email` for staff) adds it to the response too. Not part of equality: for a
    serializer whose fields are the same for every request, both describe one output.
    """

    fields: tuple[str, ...]
    children: tuple[tuple[str, Shape], ...] = ()
    open: bool = field(default=False, compare=False)

    @cached_property
    def _children(self) -> dict[str, Shape]:
        return dict(self.children)

    def child(self, name: str) -> Shape | None:
        """Return the shape of the nested serializer `name`, or None."""
        return self._children.get(name)

    def has_path(self, path: str) -> bool:
        """Return whether the dotted `path` (`author.accounts`) is served."""
        shape: Shape | None = self
        for name in path.split("."):
            if shape is None or name not in shape.fields:
                return False
            shape = shape.child(name)
        return True

    def depth(self) -> int:
        """Return how many nested levels the shape reaches."""
        return 1 + max((child.depth() for _, child in self.children), default=0)


@dataclass(frozen=True)
class ShapeRequest:
    """What a request asks for, before it is checked against the serializer.

    `fields` is None when the request does not restrict fields. `params` names the
    parameter each part came from, to key the errors: `{"extra": "extra", ...}`.
    """

    extra: Tree = field(default_factory=dict)
    fields: Tree | None = None
    exclude: Tree = field(default_factory=dict)
    params: Mapping[str, str] = field(
        default_factory=lambda: {"extra": "extra", "fields": "fields", "exclude": "exclude"}
    )

    def is_empty(self) -> bool:
        return not self.extra and self.fields is None and not self.exclude


class Level(Protocol):
    """What resolution needs to know of a serializer."""

    label: str
    default_fields: tuple[str, ...]
    extra_fields: tuple[str, ...]
    # A level may also have `hidden_fields`: names left out of every message (the
    # extras its user may not ask for).

    def nested(self, name: str) -> Level | None:
        """Return the level of the nested serializer `name`, or None for a plain field."""


class ShapeError(Exception):
    """Raised by resolve() with every problem found, as `{param: [message, ...]}`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class _Resolver:
    request: ShapeRequest
    max_depth: int | None
    ignore_unknown: bool
    max_errors: int
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, part: str, message: str) -> None:
        if sum(map(len, self.errors.values())) >= self.max_errors:
            return
        messages = self.errors.setdefault(self.request.params[part], [])
        if message not in messages:
            messages.append(message)

    def unknown(self, part: str, path: str, name: str, allowed: list[str], level: Level) -> None:
        if self.ignore_unknown:
            return
        where = f" at '{path}'" if path else ""
        hidden = getattr(level, "hidden_fields", ())
        choices = ", ".join(sorted(n for n in allowed if n not in hidden)) or "(none)"
        self.error(part, f"Unknown field '{name}'{where}. Allowed: {choices}.")

    def not_nested(self, part: str, path: str, name: str, below: Tree) -> None:
        full = _join(path, name)
        first = next(iter(below))
        self.error(
            part, f"Field '{full}' has no nested fields: '{full}.{first}' cannot be selected."
        )

    def resolve(  # noqa: C901 - one pass over the three parts keeps their order rules together
        self,
        level: Level,
        extra: Tree,
        fields: Tree | None,
        exclude: Tree,
        path: str,
        depth: int,
    ) -> Shape:
        defaults = level.default_fields
        extras = [name for name in level.extra_fields if name not in defaults]
        available = (*defaults, *extras)
        active: set[str] = set(defaults)
        # Names the request reaches below, for the depth limit.
        requested: set[str] = set()

        for name, below in extra.items():
            if name in level.extra_fields:
                active.add(name)
                requested.add(name)
            elif not (name in defaults and level.nested(name) is not None):
                nested_defaults = [n for n in defaults if level.nested(n) is not None]
                self.unknown("extra", path, name, [*level.extra_fields, *nested_defaults], level)
                continue
            if below:
                if level.nested(name) is None:
                    self.not_nested("extra", path, name, below)
                else:
                    requested.add(name)

        excluded: set[str] = set()
        for name, below in exclude.items():
            if name not in available:
                self.unknown("exclude", path, name, list(available), level)
            elif not below:
                excluded.add(name)
            elif level.nested(name) is None:
                self.not_nested("exclude", path, name, below)

        keep: set[str] | None = None
        if fields is not None:
            keep = set()
            for name, below in fields.items():
                if name == WILDCARD:
                    if below:
                        self.not_nested("fields", path, name, below)
                    keep.update(available)
                    continue
                if name not in available:
                    self.unknown("fields", path, name, [*available, WILDCARD], level)
                    continue
                keep.add(name)
                if name in extras or name in level.extra_fields:
                    active.add(name)
                    requested.add(name)
                if below:
                    requested.add(name)
                    if level.nested(name) is None:
                        self.not_nested("fields", path, name, below)

        names = tuple(
            name
            for name in available
            if name in active and (keep is None or name in keep) and name not in excluded
        )

        children = []
        below_names = set(extra) | set(exclude) | set(fields or ())
        for name in [*names, *sorted(below_names - set(names))]:
            child_level = level.nested(name)
            if child_level is None:
                continue
            child_path = _join(path, name)
            if name in requested and not within_depth(depth, self.max_depth):
                self.error(
                    "fields" if fields and name in fields else "extra",
                    f"'{child_path}' is nested {depth + 1} "
                    f"level{'s' if depth else ''} deep; "
                    f"the maximum is {self.max_depth}.",
                )
                continue
            child_fields = fields.get(name) if fields else None
            child = self.resolve(
                child_level,
                extra.get(name, {}),
                child_fields or None,
                exclude.get(name, {}),
                child_path,
                depth + 1,
            )
            if name in names:
                children.append((name, child))
        return Shape(names, tuple(children), open=keep is None)


def within_depth(depth: int, max_depth: int | None) -> bool:
    """Whether a nested serializer below a level `depth` levels deep may be requested:
    requesting one (as an extra, or with names below it) counts towards MAX_DEPTH;
    naming a default nested field alone does not. The OpenAPI extension lists the
    paths by the same rule."""
    return max_depth is None or depth + 1 <= max_depth


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def resolve(
    request: ShapeRequest,
    level: Level,
    *,
    max_depth: int | None = None,
    ignore_unknown: bool = False,
    max_errors: int = 20,
) -> Shape:
    """Check `request` against `level` and return the resolved Shape.

    Extras are added first, then `exclude` removes fields, then `fields` keeps only
    the names it lists, so `exclude` wins. A name in `fields` that is an extra
    requests it. Raise ShapeError with every problem found.
    """
    resolver = _Resolver(request, max_depth, ignore_unknown, max_errors)
    shape = resolver.resolve(level, request.extra, request.fields, request.exclude, "", 0)
    if resolver.errors:
        raise ShapeError(resolver.errors)
    return shape


def _as_text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def body_tree(body: object, *, max_nesting: int) -> Tree:
    """Check a JSON shape such as `{"code": null, "customer": {"name": null}}`.

    Each value is `null` or `{}` for a leaf, or an object for the names below it.
    Raise ShapeError keyed `fields` when it is anything else.
    """
    if not isinstance(body, Mapping):
        raise ShapeError(
            {"fields": [f"Expected an object of field names, found {_json_type(body)}."]}
        )
    root: Tree = {}
    errors: list[str] = []
    stack: list[tuple[Mapping[str, object], Tree, str, int]] = [(body, root, "", 1)]
    while stack:
        node, target, path, depth = stack.pop()
        for name, value in node.items():
            child_path = f"{path}.{name}" if path else name
            if not isinstance(name, str) or not name.strip():
                errors.append(f"Empty field name at '{path or '(root)'}'.")
                continue
            target[name] = {}
            if value is None:
                continue
            if not isinstance(value, Mapping):
                errors.append(
                    f"Expected null or an object at '{child_path}', found {_json_type(value)}."
                )
            elif value and depth >= max_nesting:
                errors.append(f"'{child_path}' is nested deeper than {max_nesting} levels.")
            else:
                stack.append((value, target[name], child_path, depth + 1))
    if errors:
        raise ShapeError({"fields": sorted(errors)[:20]})
    return root


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def build_request(
    *,
    extra: object = None,
    fields: object = None,
    exclude: object = None,
    body_fields: object = None,
    params: Mapping[str, str] | None = None,
) -> ShapeRequest:
    """Parse the three parameters (query syntax, or lists of paths) or a JSON body.

    A non-None `body_fields` describes the whole shape: its names are fields, and
    naming an extra requests it. Raise ShapeError with every syntax error found.
    """
    if body_fields is not None:
        tree = body_tree(body_fields, max_nesting=MAX_NESTING)
        return ShapeRequest(
            fields=tree, params={"extra": "fields", "fields": "fields", "exclude": "fields"}
        )
    params = params or {"extra": "extra", "fields": "fields", "exclude": "exclude"}
    trees: dict[str, Tree | None] = {}
    errors: dict[str, list[str]] = {}
    for part, value in (("extra", extra), ("fields", fields), ("exclude", exclude)):
        text = "" if value is None else _as_text(value)
        if not text.strip():
            trees[part] = None
            continue
        try:
            trees[part] = parse(text)
        except ParseError as exc:
            errors.setdefault(params[part], []).append(exc.message)
    if errors:
        raise ShapeError(errors)
    return ShapeRequest(
        extra=trees["extra"] or {},
        fields=trees["fields"],
        exclude=trees["exclude"] or {},
        params=params,
    )
