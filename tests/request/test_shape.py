"""Resolution of a shape request against fake serializer levels: no Django, no database.

The fakes describe a customer API:

    Customer  default: id, name             extras: countries, orders, last_10_orders
    Order     default: id, code, created_at  extras: article, customer
    Article   default: id, code              extras: customer
    Country   default: id, name
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from drf_eager.parsing import MAX_NESTING
from drf_eager.shape import (
    Shape,
    ShapeError,
    ShapeRequest,
    body_tree,
    build_request,
    resolve,
)

# ------------------------------------------------------------------------------- fakes

LEVELS: dict[str, FakeLevel] = {}


@dataclass(eq=False)
class FakeLevel:
    """A serializer as resolve() sees it; `links` maps a nested field to a level's label."""

    label: str
    default_fields: tuple[str, ...]
    extra_fields: tuple[str, ...] = ()
    links: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        LEVELS[self.label] = self

    def nested(self, name: str) -> FakeLevel | None:
        label = self.links.get(name)
        return LEVELS[label] if label is not None else None


CUSTOMER = FakeLevel(
    "Customer",
    ("id", "name"),
    ("countries", "orders", "last_10_orders"),
    {"countries": "Country", "orders": "Order", "last_10_orders": "Order"},
)
ORDER = FakeLevel(
    "Order",
    ("id", "code", "created_at"),
    ("article", "customer"),
    {"article": "Article", "customer": "Customer"},
)
ARTICLE = FakeLevel("Article", ("id", "code"), ("customer",), {"customer": "Customer"})
COUNTRY = FakeLevel("Country", ("id", "name"))

# Levels with nested *default* fields (a basket shows its lines, each line its article),
# for the depth limit, and a level with a plain (not nested) extra.
BASKET = FakeLevel("Basket", ("id", "lines"), (), {"lines": "Line"})
LINE = FakeLevel("Line", ("id", "article"), (), {"article": "Article"})
WALLET = FakeLevel("Wallet", ("id",), ("balance",))

CUSTOMER_DEFAULT = Shape(("id", "name"))
ORDER_DEFAULT = Shape(("id", "code", "created_at"))
ARTICLE_DEFAULT = Shape(("id", "code"))
COUNTRY_DEFAULT = Shape(("id", "name"))

CUSTOMER_EXTRAS = "countries, last_10_orders, orders"
CUSTOMER_ALL = "countries, id, last_10_orders, name, orders"
ORDER_ALL = "article, code, created_at, customer, id"


def shape(level=CUSTOMER, *, max_depth=None, ignore_unknown=False, **params):
    return resolve(
        build_request(**params), level, max_depth=max_depth, ignore_unknown=ignore_unknown
    )


def errors(level=CUSTOMER, *, max_depth=None, ignore_unknown=False, **params):
    with pytest.raises(ShapeError) as info:
        shape(level, max_depth=max_depth, ignore_unknown=ignore_unknown, **params)
    return info.value.errors


# ------------------------------------------------------------------------ resolution


RESOLVED = [
    # No request, extras.
    pytest.param({}, CUSTOMER_DEFAULT, id="no-request"),
    pytest.param(
        {"extra": "orders"},
        Shape(("id", "name", "orders"), (("orders", ORDER_DEFAULT),)),
        id="extra",
    ),
    pytest.param(
        {"extra": "orders.article"},
        Shape(
            ("id", "name", "orders"),
            (
                (
                    "orders",
                    Shape(
                        ("id", "code", "created_at", "article"),
                        (("article", ARTICLE_DEFAULT),),
                    ),
                ),
            ),
        ),
        id="dotted-extra",
    ),
    pytest.param(
        {"extra": "last_10_orders,orders,countries"},
        Shape(
            ("id", "name", "countries", "orders", "last_10_orders"),
            (
                ("countries", COUNTRY_DEFAULT),
                ("orders", ORDER_DEFAULT),
                ("last_10_orders", ORDER_DEFAULT),
            ),
        ),
        id="extras-in-declaration-order",
    ),
    pytest.param(
        {"extra": ["countries", "orders"]},
        Shape(
            ("id", "name", "countries", "orders"),
            (("countries", COUNTRY_DEFAULT), ("orders", ORDER_DEFAULT)),
        ),
        id="extra-as-a-list",
    ),
    pytest.param(
        {"extra": "orders.customer.countries"},
        Shape(
            ("id", "name", "orders"),
            (
                (
                    "orders",
                    Shape(
                        ("id", "code", "created_at", "customer"),
                        (
                            (
                                "customer",
                                Shape(
                                    ("id", "name", "countries"),
                                    (("countries", COUNTRY_DEFAULT),),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        id="extra-through-a-cycle",
    ),
    # fields
    pytest.param({"fields": "name"}, Shape(("name",)), id="fields"),
    pytest.param({"fields": "name,id"}, Shape(("id", "name")), id="fields-keep-declared-order"),
    pytest.param(
        {"fields": "orders.code"},
        Shape(("orders",), (("orders", Shape(("code",))),)),
        id="dotted-fields-keep-the-parent",
    ),
    pytest.param(
        {"fields": "name,orders"},
        Shape(("name", "orders"), (("orders", ORDER_DEFAULT),)),
        id="fields-request-an-extra",
    ),
    pytest.param({"fields": "*"}, CUSTOMER_DEFAULT, id="wildcard"),
    pytest.param(
        {"fields": "*,orders(*)"},
        Shape(("id", "name", "orders"), (("orders", ORDER_DEFAULT),)),
        id="wildcard-at-two-levels",
    ),
    pytest.param(
        {"extra": "orders", "fields": "*"},
        Shape(("id", "name", "orders"), (("orders", ORDER_DEFAULT),)),
        id="wildcard-keeps-requested-extras",
    ),
    pytest.param(
        {"fields": "name,orders(code,article(code))"},
        Shape(
            ("name", "orders"),
            (("orders", Shape(("code", "article"), (("article", Shape(("code",))),))),),
        ),
        id="partial-response",
    ),
    pytest.param(
        {"fields": "name,orders/article/code"},
        Shape(
            ("name", "orders"),
            (("orders", Shape(("article",), (("article", Shape(("code",))),))),),
        ),
        id="slashes",
    ),
    pytest.param(
        {"extra": "orders.article", "fields": "name,orders.code"},
        Shape(("name", "orders"), (("orders", Shape(("code",))),)),
        id="fields-drop-requested-extras",
    ),
    pytest.param(
        {"extra": "orders.article", "fields": "name,orders"},
        Shape(
            ("name", "orders"),
            (
                (
                    "orders",
                    Shape(
                        ("id", "code", "created_at", "article"),
                        (("article", ARTICLE_DEFAULT),),
                    ),
                ),
            ),
        ),
        id="fields-leaf-keeps-the-extras-below",
    ),
    # exclude
    pytest.param({"exclude": "id"}, Shape(("name",)), id="exclude"),
    pytest.param(
        {"extra": "orders", "exclude": "orders.id"},
        Shape(("id", "name", "orders"), (("orders", Shape(("code", "created_at"))),)),
        id="dotted-exclude",
    ),
    pytest.param({"fields": "name,id", "exclude": "id"}, Shape(("name",)), id="exclude-wins"),
    pytest.param(
        {"extra": "orders", "exclude": "orders"}, CUSTOMER_DEFAULT, id="exclude-wins-over-extra"
    ),
    pytest.param({"exclude": "orders"}, CUSTOMER_DEFAULT, id="exclude-an-unrequested-extra"),
    pytest.param(
        {"fields": "*,orders(*)", "exclude": "id,orders.created_at"},
        Shape(("name", "orders"), (("orders", Shape(("id", "code"))),)),
        id="wildcard-minus-exclude",
    ),
]


@pytest.mark.parametrize(("params", "expected"), RESOLVED)
def test_resolve(params, expected):
    assert shape(**params) == expected


def test_resolve_a_shape_request_directly():
    request = ShapeRequest(extra={"orders": {}}, fields={"name": {}, "orders": {"code": {}}})
    assert resolve(request, CUSTOMER) == Shape(("name", "orders"), (("orders", Shape(("code",))),))


def test_default_nested_fields_are_resolved():
    assert shape(BASKET) == Shape(
        ("id", "lines"),
        (("lines", Shape(("id", "article"), (("article", ARTICLE_DEFAULT),))),),
    )
    assert shape(BASKET, extra="lines.article.customer") == Shape(
        ("id", "lines"),
        (
            (
                "lines",
                Shape(
                    ("id", "article"),
                    (
                        (
                            "article",
                            Shape(("id", "code", "customer"), (("customer", CUSTOMER_DEFAULT),)),
                        ),
                    ),
                ),
            ),
        ),
    )


# ----------------------------------------------------------------------------- errors

ERRORS = [
    # Unknown names, in each parameter, at the root and below.
    pytest.param(
        {"extra": "ordrs"},
        {"extra": [f"Unknown field 'ordrs'. Allowed: {CUSTOMER_EXTRAS}."]},
        id="unknown-extra",
    ),
    pytest.param(
        {"extra": "id"},
        {"extra": [f"Unknown field 'id'. Allowed: {CUSTOMER_EXTRAS}."]},
        id="default-field-is-not-an-extra",
    ),
    pytest.param(
        {"extra": "orders.customer.ordrs"},
        {"extra": [f"Unknown field 'ordrs' at 'orders.customer'. Allowed: {CUSTOMER_EXTRAS}."]},
        id="unknown-extra-below",
    ),
    pytest.param(
        {"fields": "nme"},
        {"fields": [f"Unknown field 'nme'. Allowed: *, {CUSTOMER_ALL}."]},
        id="unknown-field",
    ),
    pytest.param(
        {"fields": "orders.cde"},
        {"fields": [f"Unknown field 'cde' at 'orders'. Allowed: *, {ORDER_ALL}."]},
        id="unknown-field-below",
    ),
    pytest.param(
        {"exclude": "nme"},
        {"exclude": [f"Unknown field 'nme'. Allowed: {CUSTOMER_ALL}."]},
        id="unknown-exclude",
    ),
    pytest.param(
        {"extra": "orders", "exclude": "orders.cde"},
        {"exclude": [f"Unknown field 'cde' at 'orders'. Allowed: {ORDER_ALL}."]},
        id="unknown-exclude-below",
    ),
    pytest.param(
        {"extra": "ordrs", "fields": "nme", "exclude": "orders.cde"},
        {
            "extra": [f"Unknown field 'ordrs'. Allowed: {CUSTOMER_EXTRAS}."],
            "fields": [f"Unknown field 'nme'. Allowed: *, {CUSTOMER_ALL}."],
            "exclude": [f"Unknown field 'cde' at 'orders'. Allowed: {ORDER_ALL}."],
        },
        id="unknown-in-all-three",
    ),
    pytest.param(
        {"extra": "orders.artcle,orders.custmer,cntries"},
        {
            "extra": [
                f"Unknown field 'cntries'. Allowed: {CUSTOMER_EXTRAS}.",
                "Unknown field 'artcle' at 'orders'. Allowed: article, customer.",
                "Unknown field 'custmer' at 'orders'. Allowed: article, customer.",
            ]
        },
        id="every-bad-path-at-once",
    ),
    pytest.param(
        {"extra": "nope.deeper"},
        {"extra": [f"Unknown field 'nope'. Allowed: {CUSTOMER_EXTRAS}."]},
        id="nothing-reported-below-an-unknown-name",
    ),
    pytest.param(
        {"extra": "ordrs,ordrs.x"},
        {"extra": [f"Unknown field 'ordrs'. Allowed: {CUSTOMER_EXTRAS}."]},
        id="one-message-per-problem",
    ),
    # A name below a plain field.
    pytest.param(
        {"fields": "name.x"},
        {"fields": ["Field 'name' has no nested fields: 'name.x' cannot be selected."]},
        id="fields-below-a-plain-field",
    ),
    pytest.param(
        {"fields": "orders.code.x"},
        {
            "fields": [
                "Field 'orders.code' has no nested fields: 'orders.code.x' cannot be selected."
            ]
        },
        id="fields-below-a-plain-field-below",
    ),
    pytest.param(
        {"exclude": "name.x"},
        {"exclude": ["Field 'name' has no nested fields: 'name.x' cannot be selected."]},
        id="exclude-below-a-plain-field",
    ),
    pytest.param(
        {"fields": "*(a)"},
        {"fields": ["Field '*' has no nested fields: '*.a' cannot be selected."]},
        id="below-the-wildcard",
    ),
]


@pytest.mark.parametrize(("params", "expected"), ERRORS)
def test_errors(params, expected):
    assert errors(**params) == expected


def test_errors_below_a_plain_extra_in_fields_and_exclude():
    message = "Field 'balance' has no nested fields: 'balance.currency' cannot be selected."
    assert errors(WALLET, fields="balance.currency") == {"fields": [message]}
    assert errors(WALLET, exclude="balance.currency") == {"exclude": [message]}


def test_extra_below_a_plain_extra_is_an_error():
    assert errors(WALLET, extra="balance.currency") == {
        "extra": ["Field 'balance' has no nested fields: 'balance.currency' cannot be selected."]
    }


# ------------------------------------------------------------------------ depth limit


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {"extra": "orders.article.customer"},
            {"extra": ["'orders.article.customer' is nested 3 levels deep; the maximum is 2."]},
            id="extra",
        ),
        pytest.param(
            {"fields": "orders.article.customer.name"},
            {"fields": ["'orders.article.customer' is nested 3 levels deep; the maximum is 2."]},
            id="fields",
        ),
        pytest.param(
            {"fields": "orders(article(customer(name)))"},
            {"fields": ["'orders.article.customer' is nested 3 levels deep; the maximum is 2."]},
            id="partial-response",
        ),
        pytest.param(
            {"extra": "orders.article.customer,last_10_orders.customer.orders"},
            {
                "extra": [
                    "'orders.article.customer' is nested 3 levels deep; the maximum is 2.",
                    "'last_10_orders.customer.orders' is nested 3 levels deep; the maximum is 2.",
                ]
            },
            id="every-deep-path",
        ),
    ],
)
def test_depth_limit(params, expected):
    assert errors(max_depth=2, **params) == expected


def test_depth_limit_allows_the_limit():
    assert shape(max_depth=2, extra="orders.article") == shape(extra="orders.article")
    # A plain field at the end does not count.
    assert shape(max_depth=2, fields="orders.article.code") == Shape(
        ("orders",),
        (("orders", Shape(("article",), (("article", Shape(("code",))),))),),
    )
    assert shape(max_depth=1, extra="orders") == Shape(
        ("id", "name", "orders"), (("orders", ORDER_DEFAULT),)
    )


def test_default_nested_levels_do_not_count_towards_the_depth():
    # Basket → lines → article is 2 deep, but the request names none of it.
    assert shape(BASKET, max_depth=1) == shape(BASKET)
    assert shape(BASKET, max_depth=0) == shape(BASKET)
    # Only the levels the request names count.
    assert shape(BASKET, max_depth=3, extra="lines.article.customer") == shape(
        BASKET, extra="lines.article.customer"
    )
    assert errors(BASKET, max_depth=1, fields="lines.article.code") == {
        "fields": ["'lines.article' is nested 2 levels deep; the maximum is 1."]
    }
    assert errors(BASKET, max_depth=3, extra="lines.article.customer.orders") == {
        "extra": ["'lines.article.customer.orders' is nested 4 levels deep; the maximum is 3."]
    }
    assert errors(BASKET, max_depth=0, fields="lines.quantity") == {
        "fields": ["'lines' is nested 1 level deep; the maximum is 0."]
    }


def test_exclude_does_not_count_towards_the_depth():
    assert shape(max_depth=1, extra="orders", exclude="orders.article.customer") == Shape(
        ("id", "name", "orders"), (("orders", ORDER_DEFAULT),)
    )


# ---------------------------------------------------------------- ignore_unknown, params


def test_ignore_unknown_drops_unknown_names_and_keeps_valid_siblings():
    assert shape(
        extra="orders,nope", fields="name,orders.code,orders.nope", ignore_unknown=True
    ) == Shape(("name", "orders"), (("orders", Shape(("code",))),))
    assert shape(extra="nope", exclude="id,nope", ignore_unknown=True) == Shape(("name",))


def test_ignore_unknown_still_reports_other_errors():
    assert errors(fields="name.x,nope", ignore_unknown=True) == {
        "fields": ["Field 'name' has no nested fields: 'name.x' cannot be selected."]
    }


def test_params_rename_the_error_keys():
    params = {"extra": "expand", "fields": "only", "exclude": "omit"}
    assert errors(extra="nope", fields="nme", exclude="x", params=params) == {
        "expand": [f"Unknown field 'nope'. Allowed: {CUSTOMER_EXTRAS}."],
        "only": [f"Unknown field 'nme'. Allowed: *, {CUSTOMER_ALL}."],
        "omit": [f"Unknown field 'x'. Allowed: {CUSTOMER_ALL}."],
    }
    assert errors(extra="orders.article.customer", params=params, max_depth=2) == {
        "expand": ["'orders.article.customer' is nested 3 levels deep; the maximum is 2."]
    }


def test_max_errors_caps_the_messages():
    request = build_request(fields=",".join(f"x{i}" for i in range(50)))
    with pytest.raises(ShapeError) as info:
        resolve(request, CUSTOMER, max_errors=5)
    assert info.value.errors == {
        "fields": [f"Unknown field 'x{i}'. Allowed: *, {CUSTOMER_ALL}." for i in range(5)]
    }


def test_max_errors_adds_no_empty_keys():
    request = build_request(extra="nope", fields="nme")
    with pytest.raises(ShapeError) as info:
        resolve(request, CUSTOMER, max_errors=1)
    assert info.value.errors == {"extra": [f"Unknown field 'nope'. Allowed: {CUSTOMER_EXTRAS}."]}


# ---------------------------------------------------------------------- build_request

DEFAULT_PARAMS = {"extra": "extra", "fields": "fields", "exclude": "exclude"}
BODY_PARAMS = {"extra": "fields", "fields": "fields", "exclude": "fields"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, ShapeRequest(), id="nothing"),
        pytest.param(
            {"extra": None, "fields": None, "exclude": None}, ShapeRequest(), id="all-none"
        ),
        pytest.param({"extra": "", "fields": "", "exclude": ""}, ShapeRequest(), id="all-empty"),
        pytest.param({"fields": "  "}, ShapeRequest(), id="blank-fields"),
        pytest.param({"fields": []}, ShapeRequest(), id="empty-list"),
        pytest.param(
            {"extra": "orders.article", "fields": "name,orders(code)", "exclude": "id"},
            ShapeRequest(
                extra={"orders": {"article": {}}},
                fields={"name": {}, "orders": {"code": {}}},
                exclude={"id": {}},
            ),
            id="strings",
        ),
        pytest.param(
            {"extra": ["orders.article", "countries"]},
            ShapeRequest(extra={"orders": {"article": {}}, "countries": {}}),
            id="list-of-paths",
        ),
        pytest.param(
            {"fields": ("name", "orders.code", "orders.id")},
            ShapeRequest(fields={"name": {}, "orders": {"code": {}, "id": {}}}),
            id="tuple-of-paths",
        ),
        pytest.param(
            {"exclude": ["id", "orders(code)"]},
            ShapeRequest(exclude={"id": {}, "orders": {"code": {}}}),
            id="list-with-partial-response",
        ),
    ],
)
def test_build_request(params, expected):
    request = build_request(**params)
    assert request == expected
    assert request.params == DEFAULT_PARAMS


def test_build_request_is_empty():
    assert build_request().is_empty()
    assert build_request(fields=" ").is_empty()
    assert not build_request(exclude="id").is_empty()


def test_build_request_keeps_the_params():
    params = {"extra": "expand", "fields": "only", "exclude": "omit"}
    assert build_request(extra="orders", params=params) == ShapeRequest(
        extra={"orders": {}}, params=params
    )


def test_build_request_syntax_errors_are_keyed_by_parameter():
    with pytest.raises(ShapeError) as info:
        build_request(extra="a..b", fields="x(", exclude="(")
    assert info.value.errors == {
        "extra": ["Expected a field name at position 3, found '.'."],
        "fields": ["Expected a field name at position 3, found the end."],
        "exclude": ["Expected a field name at position 1, found '('."],
    }


def test_build_request_syntax_errors_use_the_renamed_params():
    params = {"extra": "expand", "fields": "only", "exclude": "omit"}
    with pytest.raises(ShapeError) as info:
        build_request(extra="ok", fields="a)b", params=params)
    assert info.value.errors == {"only": ["Unbalanced ')' at position 2."]}


def test_build_request_too_deep_query_is_a_shape_error():
    with pytest.raises(ShapeError) as info:
        build_request(fields=".".join(["a"] * 10_000))
    assert info.value.errors == {
        "fields": [f"Nesting deeper than {MAX_NESTING} levels at position {2 * MAX_NESTING}."]
    }


# ---------------------------------------------------------------------- JSON body


@pytest.mark.parametrize(
    ("body", "tree"),
    [
        pytest.param({}, {}, id="empty"),
        pytest.param({"name": None}, {"name": {}}, id="null-leaf"),
        pytest.param({"name": {}}, {"name": {}}, id="empty-object-leaf"),
        pytest.param(
            {"name": None, "orders": {"code": None, "article": {"code": {}}}},
            {"name": {}, "orders": {"code": {}, "article": {"code": {}}}},
            id="nested",
        ),
    ],
)
def test_body_fields(body, tree):
    assert body_tree(body, max_nesting=MAX_NESTING) == tree
    assert build_request(body_fields=body) == ShapeRequest(fields=tree, params=BODY_PARAMS)


def test_body_replaces_the_query_parameters():
    request = build_request(
        body_fields={"name": None, "orders": {"code": {}}}, extra="countries", exclude="name"
    )
    assert request == ShapeRequest(fields={"name": {}, "orders": {"code": {}}}, params=BODY_PARAMS)
    assert resolve(request, CUSTOMER) == Shape(("name", "orders"), (("orders", Shape(("code",))),))


def test_body_errors_from_resolution_are_keyed_fields():
    request = build_request(body_fields={"ordrs": None, "orders": {"cde": None}})
    with pytest.raises(ShapeError) as info:
        resolve(request, CUSTOMER)
    assert info.value.errors == {
        "fields": [
            f"Unknown field 'ordrs'. Allowed: *, {CUSTOMER_ALL}.",
            f"Unknown field 'cde' at 'orders'. Allowed: *, {ORDER_ALL}.",
        ]
    }


def test_body_none_means_no_body():
    assert build_request(body_fields=None, fields="name") == ShapeRequest(fields={"name": {}})


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        # Not an object at the root.
        pytest.param([], ["Expected an object of field names, found a list."], id="list"),
        pytest.param(
            ["name"], ["Expected an object of field names, found a list."], id="list-of-names"
        ),
        pytest.param("name", ["Expected an object of field names, found a string."], id="string"),
        pytest.param(3, ["Expected an object of field names, found a number."], id="int"),
        pytest.param(2.5, ["Expected an object of field names, found a number."], id="float"),
        pytest.param(True, ["Expected an object of field names, found a boolean."], id="bool"),
        pytest.param(None, ["Expected an object of field names, found null."], id="null"),
        # A leaf that is neither null nor an object.
        pytest.param(
            {"name": True},
            ["Expected null or an object at 'name', found a boolean."],
            id="true-leaf",
        ),
        pytest.param(
            {"name": 1}, ["Expected null or an object at 'name', found a number."], id="one-leaf"
        ),
        pytest.param(
            {"name": "x"},
            ["Expected null or an object at 'name', found a string."],
            id="string-leaf",
        ),
        pytest.param(
            {"name": ["id"]},
            ["Expected null or an object at 'name', found a list."],
            id="list-leaf",
        ),
        pytest.param(
            {"orders": {"code": True}},
            ["Expected null or an object at 'orders.code', found a boolean."],
            id="bad-leaf-below",
        ),
        # Empty names.
        pytest.param({"": None}, ["Empty field name at '(root)'."], id="empty-name"),
        pytest.param({"  ": None}, ["Empty field name at '(root)'."], id="blank-name"),
        pytest.param(
            {"orders": {"": None}}, ["Empty field name at 'orders'."], id="empty-name-below"
        ),
        # Every problem at once, sorted.
        pytest.param(
            {"a": True, "b": "x", "": None},
            [
                "Empty field name at '(root)'.",
                "Expected null or an object at 'a', found a boolean.",
                "Expected null or an object at 'b', found a string.",
            ],
            id="several",
        ),
    ],
)
def test_bad_bodies(body, messages):
    with pytest.raises(ShapeError) as info:
        body_tree(body, max_nesting=MAX_NESTING)
    assert info.value.errors == {"fields": messages}
    if body is not None:  # None is "no body" to build_request
        with pytest.raises(ShapeError) as info:
            build_request(body_fields=body)
        assert info.value.errors == {"fields": messages}


def chain(depth: int) -> dict:
    """`{"a": {"a": … {"a": None}}}` with `depth` names."""
    body: dict = {"a": None}
    for _ in range(depth - 1):
        body = {"a": body}
    return body


def test_body_nesting_up_to_the_limit():
    tree = body_tree(chain(MAX_NESTING), max_nesting=MAX_NESTING)
    node, depth = tree, 0
    while node:
        node, depth = node["a"], depth + 1
    assert depth == MAX_NESTING


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5_000])
def test_deep_body_is_an_error_not_a_recursion_error(depth):
    too_deep = ".".join(["a"] * MAX_NESTING)
    expected = {"fields": [f"'{too_deep}' is nested deeper than {MAX_NESTING} levels."]}
    with pytest.raises(ShapeError) as info:
        build_request(body_fields=chain(depth))
    assert info.value.errors == expected


def test_body_errors_are_capped():
    with pytest.raises(ShapeError) as info:
        body_tree({f"f{i:02}": True for i in range(30)}, max_nesting=MAX_NESTING)
    assert info.value.errors == {
        "fields": [f"Expected null or an object at 'f{i:02}', found a boolean." for i in range(20)]
    }


# ---------------------------------------------------------------------------- Shape


def test_shape_child():
    result = shape(extra="orders.article,countries")
    assert result.child("orders") == Shape(
        ("id", "code", "created_at", "article"), (("article", ARTICLE_DEFAULT),)
    )
    assert result.child("orders").child("article") == ARTICLE_DEFAULT
    assert result.child("countries") == COUNTRY_DEFAULT
    assert result.child("name") is None  # a plain field
    assert result.child("last_10_orders") is None  # not requested
    assert result.child("nope") is None


@pytest.mark.parametrize(
    ("params", "depth"),
    [
        pytest.param({}, 1, id="flat"),
        pytest.param({"extra": "orders"}, 2, id="one-nested"),
        pytest.param({"extra": "orders.article,countries"}, 3, id="deepest-branch"),
        pytest.param({"extra": "orders.article.customer.orders"}, 5, id="four-nested"),
    ],
)
def test_shape_depth(params, depth):
    assert shape(**params).depth() == depth


def test_shape_equality():
    assert Shape(("id",)) == Shape(("id",), ())
    assert Shape(("id", "name")) != Shape(("name", "id"))
    assert Shape(("orders",), (("orders", Shape(("id",))),)) != Shape(
        ("orders",), (("orders", Shape(("code",))),)
    )
    assert shape(extra="orders.article") == shape(extra=["orders.article"])


def test_shape_is_hashable_and_a_dict_key():
    first = shape(extra="orders.article")
    second = shape(fields="id,name,orders", extra="orders.article")
    assert first is not second
    assert first == second
    assert hash(first) == hash(second)
    cache = {first: "cached"}
    assert cache[second] == "cached"
    assert len({first, second, shape()}) == 2


def test_shape_child_lookup_does_not_change_equality_or_hash():
    used = shape(extra="orders.article")
    fresh = shape(extra="orders.article")
    assert used.child("orders") is not None  # fills the lookup cache of `used` only
    assert used == fresh
    assert hash(used) == hash(fresh)
    assert {fresh: 1}[used] == 1


def test_shape_is_immutable():
    with pytest.raises(AttributeError):
        CUSTOMER_DEFAULT.fields = ("id",)  # type: ignore[misc]
