"""Resolution of a request against serializers, on fake levels: no Django, no database."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from drf_eager.parsing import MAX_NESTING
from drf_eager.shape import Shape, ShapeError, ShapeRequest, body_tree, build_request, resolve


@dataclass
class Fake:
    label: str
    default_fields: tuple[str, ...]
    extra_fields: tuple[str, ...] = ()
    children: dict[str, Fake] = field(default_factory=dict)

    def nested(self, name):
        return self.children.get(name)


COUNTRY = Fake("Country", ("id", "name"))
ARTICLE = Fake("Article", ("id", "code"), ("customer",))
ORDER = Fake("Order", ("id", "code", "created_at"), ("article", "customer"))
CUSTOMER = Fake("Customer", ("id", "name"), ("countries", "orders", "last_10_orders"))
CUSTOMER.children = {"countries": COUNTRY, "orders": ORDER, "last_10_orders": ORDER}
ORDER.children = {"article": ARTICLE, "customer": CUSTOMER}
ARTICLE.children = {"customer": CUSTOMER}

ORDER_DEFAULT = Shape(("id", "code", "created_at"))


def shape(**params):
    return resolve(build_request(**params), CUSTOMER, max_depth=3)


def errors(**params):
    with pytest.raises(ShapeError) as info:
        resolve(
            build_request(**{k: v for k, v in params.items() if k != "depth"}),
            CUSTOMER,
            max_depth=params.get("depth", 3),
        )
    return info.value.errors


def test_default():
    assert shape() == Shape(("id", "name"))


def test_extras_follow_the_default_fields_in_declaration_order():
    assert shape(extra="orders,countries") == Shape(
        ("id", "name", "countries", "orders"),
        (("countries", Shape(("id", "name"))), ("orders", ORDER_DEFAULT)),
    )


def test_dotted_extra():
    assert shape(extra="orders.article") == Shape(
        ("id", "name", "orders"),
        (
            (
                "orders",
                Shape(
                    ("id", "code", "created_at", "article"), (("article", Shape(("id", "code"))),)
                ),
            ),
        ),
    )


def test_fields_keep_parents_and_request_extras():
    assert shape(fields="name,orders.code") == Shape(
        ("name", "orders"), (("orders", Shape(("code",))),)
    )


def test_partial_response_and_wildcard():
    assert shape(fields="name,orders(code,article(code))") == Shape(
        ("name", "orders"),
        (("orders", Shape(("code", "article"), (("article", Shape(("code",))),))),),
    )
    assert shape(fields="*,orders(*)", exclude="id") == Shape(
        ("name", "orders"), (("orders", ORDER_DEFAULT),)
    )


def test_exclude_and_exclude_wins():
    assert shape(exclude="id") == Shape(("name",))
    assert shape(extra="orders", exclude="orders.id") == Shape(
        ("id", "name", "orders"), (("orders", Shape(("code", "created_at"))),)
    )
    assert shape(fields="name,id", exclude="id") == Shape(("name",))


def test_unknown_names_in_each_parameter():
    assert errors(extra="ordrs", fields="nme", exclude="orders.cde") == {
        "extra": ["Unknown field 'ordrs'. Allowed: countries, last_10_orders, orders."],
        "fields": [
            "Unknown field 'nme'. Allowed: *, countries, id, last_10_orders, name, orders."
        ],
        "exclude": [
            "Unknown field 'cde' at 'orders'. Allowed: article, code, created_at, customer, id."
        ],
    }


def test_every_bad_path_is_reported():
    assert errors(extra="orders.artcle,orders.custmer") == {
        "extra": [
            "Unknown field 'artcle' at 'orders'. Allowed: article, customer.",
            "Unknown field 'custmer' at 'orders'. Allowed: article, customer.",
        ]
    }


def test_name_below_a_plain_field():
    assert errors(fields="name.first") == {
        "fields": ["Field 'name' has no nested fields: 'name.first' cannot be selected."]
    }
    assert errors(fields="*(a)") == {
        "fields": ["Field '*' has no nested fields: '*.a' cannot be selected."]
    }


def test_depth_limit():
    assert errors(extra="orders.article", depth=1) == {
        "extra": ["'orders.article' is nested 2 levels deep; the maximum is 1."]
    }
    # A level the request does not name does not count.
    assert resolve(ShapeRequest(fields={"orders": {}}), CUSTOMER, max_depth=1)
    assert resolve(build_request(extra="orders.customer.orders"), CUSTOMER, max_depth=3)
    assert errors(fields="orders.customer.orders.code", depth=2) == {
        "fields": ["'orders.customer.orders' is nested 3 levels deep; the maximum is 2."]
    }


def test_ignore_unknown_keeps_valid_siblings():
    request = build_request(extra="orders,nope", fields="name,orders.code,orders.nope")
    assert resolve(request, CUSTOMER, ignore_unknown=True) == Shape(
        ("name", "orders"), (("orders", Shape(("code",))),)
    )


def test_max_errors():
    request = build_request(fields=",".join(f"x{i}" for i in range(50)))
    with pytest.raises(ShapeError) as info:
        resolve(request, CUSTOMER, max_errors=5)
    assert len(info.value.errors["fields"]) == 5


def test_params_rename_the_error_keys():
    request = build_request(
        extra="nope", params={"extra": "expand", "fields": "f", "exclude": "omit"}
    )
    with pytest.raises(ShapeError) as info:
        resolve(request, CUSTOMER)
    assert list(info.value.errors) == ["expand"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ShapeRequest()),
        ({"fields": "  "}, ShapeRequest()),
        (
            {"extra": ["orders.article", "countries"]},
            ShapeRequest(extra={"orders": {"article": {}}, "countries": {}}),
        ),
        ({"fields": ("a", "b.c")}, ShapeRequest(fields={"a": {}, "b": {"c": {}}})),
    ],
)
def test_build_request(params, expected):
    assert build_request(**params) == expected


def test_build_request_syntax_errors_are_keyed_by_parameter():
    with pytest.raises(ShapeError) as info:
        build_request(extra="a..b", exclude="(")
    assert info.value.errors == {
        "extra": ["Expected a field name at position 3, found '.'."],
        "exclude": ["Expected a field name at position 1, found '('."],
    }


def test_body_fields():
    request = build_request(body_fields={"name": None, "orders": {"code": {}}}, extra="x")
    assert request.fields == {"name": {}, "orders": {"code": {}}}
    assert request.extra == {}
    assert resolve(request, CUSTOMER) == Shape(("name", "orders"), (("orders", Shape(("code",))),))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "Expected an object of field names, found a list."),
        ("name", "Expected an object of field names, found a string."),
        (3, "Expected an object of field names, found a number."),
        ({"name": True}, "Expected null or an object at 'name', found a boolean."),
        ({"name": 1}, "Expected null or an object at 'name', found a number."),
        ({"name": "x"}, "Expected null or an object at 'name', found a string."),
        ({"a": {"b": []}}, "Expected null or an object at 'a.b', found a list."),
        ({" ": None}, "Empty field name at '(root)'."),
    ],
)
def test_bad_bodies(body, message):
    with pytest.raises(ShapeError) as info:
        body_tree(body, max_nesting=MAX_NESTING)
    assert info.value.errors == {"fields": [message]}


def test_deep_body_is_refused_without_recursion():
    body: dict = {}
    node = body
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ShapeError) as info:
        body_tree(body, max_nesting=MAX_NESTING)
    assert "is nested deeper than" in info.value.errors["fields"][0]


def test_shape_helpers():
    result = shape(extra="orders.article")
    assert result.child("orders").child("article") == Shape(("id", "code"))
    assert result.child("name") is None
    assert result.depth() == 3
    assert {result: 1}[shape(extra="orders.article")] == 1
