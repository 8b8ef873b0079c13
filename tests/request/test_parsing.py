"""The query syntax of `extra`, `fields` and `exclude`: pure Python, no Django, no database.

Valid input parses to the exact tree, invalid input raises ParseError with the exact message
and position, and `format_tree` prints a tree that parses back to itself.
"""

from __future__ import annotations

import copy

import pytest

from drf_eager.parsing import (
    MAX_NESTING,
    WILDCARD,
    ParseError,
    format_tree,
    merge_trees,
    parse,
    tree_depth,
)

# --------------------------------------------------------------------------- valid input

VALID = [
    pytest.param("", {}, id="empty"),
    pytest.param("   ", {}, id="blank"),
    pytest.param(" \t\n ", {}, id="blank-mixed-whitespace"),
    pytest.param("name", {"name": {}}, id="one-name"),
    pytest.param("id,name", {"id": {}, "name": {}}, id="two-names"),
    pytest.param(
        "orders.article,countries",
        {"orders": {"article": {}}, "countries": {}},
        id="dotted",
    ),
    pytest.param(
        " orders . article , countries ",
        {"orders": {"article": {}}, "countries": {}},
        id="whitespace-around-names",
    ),
    pytest.param(
        "orders.article.code",
        {"orders": {"article": {"code": {}}}},
        id="dotted-three-levels",
    ),
    pytest.param("author/username", {"author": {"username": {}}}, id="slash"),
    pytest.param(
        "orders/article.code",
        {"orders": {"article": {"code": {}}}},
        id="slash-and-dot",
    ),
    pytest.param(
        "id,title,author(username,photo)",
        {"id": {}, "title": {}, "author": {"username": {}, "photo": {}}},
        id="partial-response",
    ),
    pytest.param(
        "author(id,accounts(id,type_of,date))",
        {"author": {"id": {}, "accounts": {"id": {}, "type_of": {}, "date": {}}}},
        id="partial-response-nested",
    ),
    pytest.param(
        " a ( b , c ) ",
        {"a": {"b": {}, "c": {}}},
        id="whitespace-inside-parentheses",
    ),
    pytest.param("a(b),a.c", {"a": {"b": {}, "c": {}}}, id="mix-parentheses-then-dot"),
    pytest.param("a.c,a(b)", {"a": {"c": {}, "b": {}}}, id="mix-dot-then-parentheses"),
    pytest.param(
        "a.b(c,d.e)",
        {"a": {"b": {"c": {}, "d": {"e": {}}}}},
        id="mix-dots-around-parentheses",
    ),
    pytest.param(
        "a(b(c),d)",
        {"a": {"b": {"c": {}}, "d": {}}},
        id="closing-then-comma",
    ),
    pytest.param("a(b(c))", {"a": {"b": {"c": {}}}}, id="two-closings"),
    pytest.param("*", {"*": {}}, id="wildcard"),
    pytest.param("a(*)", {"a": {"*": {}}}, id="wildcard-in-group"),
    pytest.param("*,a(*)", {"*": {}, "a": {"*": {}}}, id="wildcards-at-two-levels"),
    pytest.param("a.*", {"a": {"*": {}}}, id="wildcard-dotted"),
    pytest.param("a.b,a.c", {"a": {"b": {}, "c": {}}}, id="repeated-paths-merge"),
    pytest.param("a,a.b", {"a": {"b": {}}}, id="leaf-then-path"),
    pytest.param("a.b,a", {"a": {"b": {}}}, id="path-then-leaf"),
    pytest.param("a,a", {"a": {}}, id="duplicate-leaf"),
    pytest.param(
        "a(b.c),a(b.d),a.e",
        {"a": {"b": {"c": {}, "d": {}}, "e": {}}},
        id="repeated-groups-merge",
    ),
    pytest.param("a_1,B2", {"a_1": {}, "B2": {}}, id="identifier-characters"),
]


@pytest.mark.parametrize(("text", "tree"), VALID)
def test_parse_valid(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(("text", "tree"), VALID)
def test_format_round_trip(text, tree):
    assert parse(format_tree(tree)) == tree


@pytest.mark.parametrize(
    ("tree", "text"),
    [
        ({}, ""),
        ({"a": {}}, "a"),
        ({"a": {}, "b": {}}, "a,b"),
        ({"a": {"b": {}, "c": {}}, "d": {}}, "a(b,c),d"),
        ({"a": {"b": {"c": {}}}}, "a(b(c))"),
        ({"*": {}, "a": {"*": {}}}, "*,a(*)"),
    ],
)
def test_format_tree(tree, text):
    assert format_tree(tree) == text


def test_wildcard_constant():
    assert WILDCARD == "*"
    assert parse(WILDCARD) == {WILDCARD: {}}


def test_repeated_paths_do_not_share_nodes():
    tree = parse("a.b,c.b")
    tree["a"]["b"]["x"] = {}
    assert tree["c"] == {"b": {}}


# ------------------------------------------------------------------------- invalid input

INVALID = [
    pytest.param("a..b", "Expected a field name at position 3, found '.'.", 3, id="empty-segment"),
    pytest.param(
        " a..b", "Expected a field name at position 4, found '.'.", 4, id="position-counts-spaces"
    ),
    pytest.param(
        "a.", "Expected a field name at position 3, found the end.", 3, id="trailing-dot"
    ),
    pytest.param(
        "a/", "Expected a field name at position 3, found the end.", 3, id="trailing-slash"
    ),
    pytest.param(
        "a,", "Expected a field name at position 3, found the end.", 3, id="trailing-comma"
    ),
    pytest.param(",", "Expected a field name at position 1, found ','.", 1, id="lone-comma"),
    pytest.param(".", "Expected a field name at position 1, found '.'.", 1, id="lone-dot"),
    pytest.param(
        "(a)", "Expected a field name at position 1, found '('.", 1, id="group-without-name"
    ),
    pytest.param("a(b", "Missing ')' at position 4.", 4, id="unclosed"),
    pytest.param("a(b(c)", "Missing ')' at position 7.", 7, id="unclosed-outer"),
    pytest.param("a)b", "Unbalanced ')' at position 2.", 2, id="unopened"),
    pytest.param("a(b))", "Unbalanced ')' at position 5.", 5, id="closed-twice"),
    pytest.param("a(b)(c)", "Unexpected '(' at position 5 after ')'.", 5, id="group-after-group"),
    pytest.param("a(b)c", "Unexpected 'c' at position 5 after ')'.", 5, id="name-after-group"),
    pytest.param(
        "a(b) c", "Unexpected 'c' at position 6 after ')'.", 6, id="spaced-name-after-group"
    ),
    pytest.param("a(b).c", "Unexpected '.' at position 5 after ')'.", 5, id="dot-after-group"),
    pytest.param("a(b)/c", "Unexpected '/' at position 5 after ')'.", 5, id="slash-after-group"),
    pytest.param(
        "a b",
        "Unexpected 'b' at position 3: names are separated by ',', '.', '/' or '(…)'.",
        3,
        id="space-between-names",
    ),
    pytest.param(
        "a(,)", "Expected a field name at position 3, found ','.", 3, id="empty-group-item"
    ),
    pytest.param("a()", "Expected a field name at position 3, found ')'.", 3, id="empty-group"),
    pytest.param(
        "a(b),", "Expected a field name at position 6, found the end.", 6, id="comma-after-group"
    ),
]


@pytest.mark.parametrize(("text", "message", "position"), INVALID)
def test_parse_invalid(text, message, position):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == message
    assert str(info.value) == message
    assert info.value.position == position
    # Every message names the position it reports.
    assert f"position {position}" in message


def test_parse_error_is_a_value_error():
    assert issubclass(ParseError, ValueError)


# ----------------------------------------------------------------------------- nesting

DEEP_MESSAGE = f"Nesting deeper than {MAX_NESTING} levels at position {2 * MAX_NESTING}."


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(".".join(["a"] * MAX_NESTING), id="dots"),
        pytest.param("/".join(["a"] * MAX_NESTING), id="slashes"),
        pytest.param("a(" * (MAX_NESTING - 1) + "b" + ")" * (MAX_NESTING - 1), id="parentheses"),
        pytest.param("a(" * (MAX_NESTING - 2) + "b.c" + ")" * (MAX_NESTING - 2), id="mixed"),
    ],
)
def test_nesting_up_to_the_limit_parses(text):
    assert tree_depth(parse(text)) == MAX_NESTING


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(".".join(["a"] * (MAX_NESTING + 1)), id="dots"),
        pytest.param("/".join(["a"] * (MAX_NESTING + 1)), id="slashes"),
        pytest.param("a(" * MAX_NESTING + "b" + ")" * MAX_NESTING, id="parentheses"),
        pytest.param("a(" * (MAX_NESTING - 1) + "b.c" + ")" * (MAX_NESTING - 1), id="mixed"),
    ],
)
def test_one_level_past_the_limit_is_refused(text):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == DEEP_MESSAGE
    assert info.value.position == 2 * MAX_NESTING


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(".".join(["a"] * 10_000), id="dots"),
        pytest.param("/".join(["a"] * 10_000), id="slashes"),
        pytest.param("a(" * 10_000 + "b" + ")" * 10_000, id="parentheses"),
        pytest.param("a(" * 10_000, id="unclosed-parentheses"),
        pytest.param("a.a(" * 5_000 + "b" + ")" * 5_000, id="dots-and-parentheses"),
    ],
)
def test_deep_input_raises_parse_error_not_recursion_error(text):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message.startswith(f"Nesting deeper than {MAX_NESTING} levels at position ")


# A path written with dots *before* an opening parenthesis is not counted against the limit:
# the parser only counts open parentheses plus the dots of the current group, so
# `a.a.….a(a.a.….b)` reaches about twice MAX_NESTING. The tree it returns is then too deep
# for its own `format_tree` output to parse again.
MIXED_TOO_DEEP = [
    pytest.param("a." * 20 + "a(" + "a." * 20 + "b)", id="dots-then-group"),
    pytest.param("a.a(" * 30 + "b" + ")" * 30, id="dotted-groups"),
]


@pytest.mark.parametrize("text", MIXED_TOO_DEEP)
def test_dots_before_parentheses_count_towards_the_limit(text):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message.startswith(f"Nesting deeper than {MAX_NESTING} levels")


@pytest.mark.parametrize("text", MIXED_TOO_DEEP)
def test_whatever_parse_accepts_formats_back(text):
    try:
        tree = parse(text)
    except ParseError:
        return
    assert tree_depth(tree) <= MAX_NESTING
    assert parse(format_tree(tree)) == tree


# ------------------------------------------------------------------ merge_trees, tree_depth


@pytest.mark.parametrize(
    ("trees", "merged"),
    [
        pytest.param([], {}, id="nothing"),
        pytest.param([{}], {}, id="one-empty"),
        pytest.param([{"a": {"b": {}}}], {"a": {"b": {}}}, id="one"),
        pytest.param(
            [{"a": {"b": {}}}, {"a": {"c": {}}}], {"a": {"b": {}, "c": {}}}, id="a.b+a.c"
        ),
        pytest.param(
            [{"a": {"b": {}}}, {"a": {"c": {}}, "d": {}}],
            {"a": {"b": {}, "c": {}}, "d": {}},
            id="siblings",
        ),
        pytest.param([{"a": {}}, {"a": {"b": {}}}], {"a": {"b": {}}}, id="leaf-and-path"),
        pytest.param(
            [{"a": {"b": {"c": {}}}}, {"a": {"b": {"d": {}}}}, {"a": {"e": {}}}],
            {"a": {"b": {"c": {}, "d": {}}, "e": {}}},
            id="three-deep",
        ),
    ],
)
def test_merge_trees(trees, merged):
    before = copy.deepcopy(trees)
    assert merge_trees(*trees) == merged
    assert trees == before  # the inputs are not modified


def test_merge_trees_copies_its_input():
    tree = {"a": {"b": {}}}
    merged = merge_trees(tree)
    merged["a"]["c"] = {}
    assert tree == {"a": {"b": {}}}


def test_merge_trees_of_parsed_paths_equals_parsing_them_together():
    assert merge_trees(parse("a.b"), parse("a(c)"), parse("d")) == parse("a.b,a(c),d")


def test_merge_trees_keeps_the_order_in_which_names_first_appear():
    merged = merge_trees(parse("b(y),a"), parse("b(x,z),c"))
    assert list(merged) == ["b", "a", "c"]
    assert list(merged["b"]) == ["y", "x", "z"]


def test_merge_trees_is_not_recursive():
    deep: dict = {}
    node = deep
    for _ in range(5_000):
        node["a"] = {}
        node = node["a"]
    assert tree_depth(merge_trees(deep, deep)) == 5_000


@pytest.mark.parametrize(
    ("tree", "depth"),
    [
        pytest.param({}, 0, id="empty"),
        pytest.param({"a": {}}, 1, id="leaf"),
        pytest.param({"a": {}, "b": {}}, 1, id="two-leaves"),
        pytest.param({"a": {"b": {}}}, 2, id="a.b"),
        pytest.param({"a": {}, "b": {"c": {"d": {}}}}, 3, id="deepest-branch-counts"),
        pytest.param({"a": {"b": {"c": {}}}, "d": {}}, 3, id="deepest-branch-first"),
    ],
)
def test_tree_depth(tree, depth):
    assert tree_depth(tree) == depth


def test_tree_depth_is_not_recursive():
    deep: dict = {}
    node = deep
    for _ in range(5_000):
        node["a"] = {}
        node = node["a"]
    assert tree_depth(deep) == 5_000


# -------------------------------------------------------------------------- properties


def test_any_text_parses_to_a_dict_or_raises_parse_error():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.one_of(st.text(), st.text(alphabet="ab.,()/* ")))
    def check(text):
        try:
            tree = parse(text)
        except ParseError as exc:
            assert exc.message
            assert exc.position is not None
            assert 1 <= exc.position <= len(text) + 1
        else:
            assert isinstance(tree, dict)
            assert parse(format_tree(tree)) == tree

    check()


def test_formatted_trees_parse_to_themselves():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    names = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True)
    trees = st.recursive(
        st.just({}),
        lambda children: st.dictionaries(names, children, min_size=1, max_size=4),
        max_leaves=20,
    )

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.dictionaries(names, trees, max_size=5))
    def check(tree):
        assert tree_depth(tree) <= MAX_NESTING
        assert parse(format_tree(tree)) == tree

    check()
