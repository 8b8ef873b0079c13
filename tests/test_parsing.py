"""The query syntax: valid input → the exact tree, invalid input → the exact message."""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import strategies as st

from drf_eager.parsing import (
    MAX_NESTING,
    ParseError,
    format_tree,
    merge_trees,
    parse,
    tree_depth,
)

VALID = [
    ("", {}),
    ("   ", {}),
    ("name", {"name": {}}),
    ("orders.article,countries", {"orders": {"article": {}}, "countries": {}}),
    (" orders . article , countries ", {"orders": {"article": {}}, "countries": {}}),
    ("author/username", {"author": {"username": {}}}),
    (
        "id,title,author(username,photo)",
        {"id": {}, "title": {}, "author": {"username": {}, "photo": {}}},
    ),
    (
        "author(id,accounts(id,type_of,date))",
        {"author": {"id": {}, "accounts": {"id": {}, "type_of": {}, "date": {}}}},
    ),
    ("a(b),a.c", {"a": {"b": {}, "c": {}}}),
    ("a.b,a.c", {"a": {"b": {}, "c": {}}}),
    ("a,a.b", {"a": {"b": {}}}),
    ("a.b(c,d.e)", {"a": {"b": {"c": {}, "d": {"e": {}}}}}),
    ("*", {"*": {}}),
    ("*,a(*)", {"*": {}, "a": {"*": {}}}),
    ("a( b , c )", {"a": {"b": {}, "c": {}}}),
]


@pytest.mark.parametrize(("text", "tree"), VALID)
def test_valid(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(("text", "tree"), VALID)
def test_format_round_trip(text, tree):
    assert parse(format_tree(tree)) == tree


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("a..b", "Expected a field name at position 3, found '.'.", 3),
        ("a.", "Expected a field name at position 3, found the end.", 3),
        ("a,", "Expected a field name at position 3, found the end.", 3),
        (",", "Expected a field name at position 1, found ','.", 1),
        ("(a)", "Expected a field name at position 1, found '('.", 1),
        ("a(b", "Missing ')' at position 4.", 4),
        ("a)b", "Unbalanced ')' at position 2.", 2),
        ("a(b))", "Unbalanced ')' at position 5.", 5),
        ("a(b)(c)", "Unexpected '(' at position 5 after ')'.", 5),
        ("a(b)c", "Unexpected 'c' at position 5 after ')'.", 5),
        ("a(b).c", "Unexpected '.' at position 5 after ')'.", 5),
        ("a(,)", "Expected a field name at position 3, found ','.", 3),
        ("a()", "Expected a field name at position 3, found ')'.", 3),
        (
            "a b",
            "Unexpected 'b' at position 3: names are separated by ',', '.', '/' or '(…)'.",
            3,
        ),
    ],
)
def test_invalid(text, message, position):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == message
    assert info.value.position == position


@pytest.mark.parametrize("separator", [".", "/"])
def test_deep_paths_are_refused_without_recursion(separator):
    with pytest.raises(ParseError, match=f"Nesting deeper than {MAX_NESTING} levels"):
        parse(separator.join(["a"] * 10_000))


def test_deep_parentheses_are_refused_without_recursion():
    with pytest.raises(ParseError, match=f"Nesting deeper than {MAX_NESTING} levels"):
        parse("a(" * 10_000 + "b" + ")" * 10_000)


def test_nesting_up_to_the_limit_parses():
    text = ".".join(["a"] * (MAX_NESTING - 1))
    assert tree_depth(parse(text)) == MAX_NESTING - 1


def test_merge_and_depth():
    assert merge_trees({"a": {"b": {}}}, {"a": {"c": {}}, "d": {}}) == {
        "a": {"b": {}, "c": {}},
        "d": {},
    }
    assert tree_depth({}) == 0
    assert tree_depth({"a": {}, "b": {"c": {"d": {}}}}) == 3


names = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True)
trees = st.recursive(
    st.just({}),
    lambda children: st.dictionaries(names, children, min_size=1, max_size=4),
    max_leaves=20,
)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(st.one_of(st.text(), st.text(alphabet="ab.,()/* \t")))
def test_any_text_parses_or_raises_parse_error(text):
    try:
        tree = parse(text)
    except ParseError as exc:
        assert exc.message
    else:
        assert isinstance(tree, dict)
        assert parse(format_tree(tree)) == tree


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(st.dictionaries(names, trees, max_size=5))
def test_printed_trees_parse_to_themselves(tree):
    assert parse(format_tree(tree)) == tree
