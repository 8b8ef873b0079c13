"""Parse the query syntax of `extra`, `fields` and `exclude` into a tree of names.

Dotted paths (`orders.article.code`), slashes (`author/username`) and the
partial-response syntax (`author(id,accounts(id,date))`) all parse to the same
nested dict. Pure Python: nothing here imports Django.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

__all__ = [
    "ParseError",
    "Tree",
    "WILDCARD",
    "count_paths",
    "format_tree",
    "merge_trees",
    "parse",
    "tree_depth",
]

#: A requested shape before it is checked against a serializer: each name maps
#: to the names requested below it; a leaf maps to an empty dict.
Tree = dict[str, "Tree"]

#: Stands for every default field of a level.
WILDCARD = "*"

#: Bounds the nesting of parentheses and dots, so that no input can make the
#: parser, or anything that walks its result recursively, run out of stack.
MAX_NESTING = 32

_SEPARATORS = ".,/()"


class ParseError(ValueError):
    """A syntax error in a shape string; `position` is 1-based."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _tokens(text: str) -> Iterable[tuple[str, str, int]]:
    """Yield `(kind, value, position)` with kind `name` or a separator character."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _SEPARATORS:
            yield char, char, i + 1
            i += 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _SEPARATORS:
                i += 1
            yield "name", text[start:i], start + 1
    yield "end", "", n + 1


def parse(text: str) -> Tree:
    """Parse `text` into a Tree; raise ParseError with the position of the fault.

    An empty or blank string parses to an empty tree.
    """
    root: Tree = {}
    if not text.strip():
        return root
    # `levels` holds the tree that each open parenthesis adds names to, and
    # `bases` the depth of that tree's names less one.
    levels: list[Tree] = [root]
    bases = [0]
    node: Tree | None = None  # the node of the last name read, if a path is open
    depth = 0  # dots followed in the current path
    expect_name = True
    for kind, value, position in _tokens(text):
        if expect_name:
            if kind != "name":
                found = "the end" if kind == "end" else f"'{value}'"
                raise ParseError(
                    f"Expected a field name at position {position}, found {found}.", position
                )
            parent = levels[-1] if node is None else node
            node = parent.setdefault(value, {})
            expect_name = False
            continue
        if node is _CLOSED and kind not in (",", ")", "end"):
            raise ParseError(f"Unexpected '{value}' at position {position} after ')'.", position)
        if kind in (".", "/"):
            depth += 1
            if bases[-1] + depth >= MAX_NESTING:
                raise ParseError(
                    f"Nesting deeper than {MAX_NESTING} levels at position {position}.", position
                )
            expect_name = True
        elif kind == "(":
            assert node is not None
            if bases[-1] + depth + 1 >= MAX_NESTING:
                raise ParseError(
                    f"Nesting deeper than {MAX_NESTING} levels at position {position}.", position
                )
            levels.append(node)
            bases.append(bases[-1] + depth + 1)
            node, depth, expect_name = None, 0, True
        elif kind == ")":
            if len(levels) == 1:
                raise ParseError(f"Unbalanced ')' at position {position}.", position)
            levels.pop()
            bases.pop()
            # After `a(b)` only a separator, a closing parenthesis or the end may follow.
            node, depth = _CLOSED, 0
        elif kind == ",":
            node, depth, expect_name = None, 0, True
        elif kind == "end":
            if len(levels) > 1:
                raise ParseError(f"Missing ')' at position {position}.", position)
        else:  # a second name without a separator in between
            raise ParseError(
                f"Unexpected '{value}' at position {position}: names are "
                f"separated by ',', '.', '/' or '(…)'.",
                position,
            )
    return root


# A sentinel node: names cannot be added below a closed parenthesis group.
_CLOSED: Tree = {}


def merge_trees(*trees: Mapping[str, Mapping]) -> Tree:  # type: ignore[type-arg]
    """Return the union of trees: `a.b` and `a.c` give `a(b,c)`."""
    merged: Tree = {}
    # Breadth first, so that names keep the order in which they first appear.
    queue: deque[tuple[Tree, Mapping]] = deque((merged, tree) for tree in trees)  # type: ignore[type-arg]
    while queue:
        target, source = queue.popleft()
        for name, children in source.items():
            queue.append((target.setdefault(name, {}), children))
    return merged


def tree_depth(tree: Mapping[str, Mapping]) -> int:  # type: ignore[type-arg]
    """Return the number of levels below the root: `a` is 1, `a.b` is 2."""
    depth = 0
    stack: list[tuple[Mapping, int]] = [(tree, 0)]  # type: ignore[type-arg]
    while stack:
        node, level = stack.pop()
        for children in node.values():
            depth = max(depth, level + 1)
            stack.append((children, level + 1))
    return depth


def count_paths(tree: Mapping[str, Mapping]) -> int:  # type: ignore[type-arg]
    """Return the number of names in a tree, at every level: `a(b,c),d` is 4."""
    count = 0
    stack: list[Mapping] = [tree]  # type: ignore[type-arg]
    while stack:
        node = stack.pop()
        count += len(node)
        stack.extend(node.values())
    return count


def format_tree(tree: Mapping[str, Mapping]) -> str:  # type: ignore[type-arg]
    """Print a tree in the partial-response syntax; `parse(format_tree(t)) == t`."""
    parts = []
    for name, children in tree.items():
        parts.append(f"{name}({format_tree(children)})" if children else name)
    return ",".join(parts)
