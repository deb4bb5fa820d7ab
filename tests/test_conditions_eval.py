"""Evaluating trigger conditions against entity states (DESIGN.md section 3 semantics).

The examples of the source's "Supported Symbols" table run against the sample entitlement, each
with a change of state that flips its result, so a test fails if a symbol is misread.
"""

from __future__ import annotations

import json
import math

import pytest

from emswebhook_gui.conditions import compile_expression, compiled, evaluate, parse
from emswebhook_gui.conditions import evaluator
from tests.conftest import SAMPLE_STATES

PRODUCT_ANY = "entitlement.productKeys.productKey[*].item.itemProduct.product.nameVersion.name == 'TestProduct'"
PRODUCT_SECOND = "entitlement.productKeys.productKey[1].item.itemProduct.product.nameVersion.name == 'TestProduct'"
PARENTHESES = (
    "((entitlement.customer.name == 'TestCustomer' && entitlement.customer.identifier == '1111') || "
    "(entitlement.marketGroup.name == 'APAC' && entitlement.state == 'DRAFT'))"
)
WALKTHROUGH = (
    "((entitlement.customer.name == 'Sam Smith' && entitlement.state == 'ENABLE') || "
    "(entitlement.contact.externalId == '617AWUD'))"
)


def load(name: str) -> dict:
    return json.loads((SAMPLE_STATES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def entitlement() -> dict:
    return load("entitlement")


def product_name(state: dict, position: int, name: str) -> None:
    keys = state["entitlement"]["productKeys"]["productKey"]
    keys[position]["item"]["itemProduct"]["product"]["nameVersion"]["name"] = name


def test_dot(entitlement):
    assert evaluate("entitlement.customer.name == 'TestCustomer'", entitlement) is False
    entitlement["entitlement"]["customer"]["name"] = "TestCustomer"
    assert evaluate("entitlement.customer.name == 'TestCustomer'", entitlement) is True


def test_single_quotes_and_equality(entitlement):
    assert evaluate("entitlement.state == 'ENABLE'", entitlement) is True
    entitlement["entitlement"]["state"] = "DISABLE"
    assert evaluate("entitlement.state == 'ENABLE'", entitlement) is False


def test_inequality_on_a_missing_path_is_true(entitlement):
    # The source's example reads a top-level "status" the entitlement does not have.
    assert evaluate("status != 'CLOSE'", entitlement) is True
    assert evaluate("status == 'CLOSE'", entitlement) is False
    entitlement["status"] = "CLOSE"
    assert evaluate("status != 'CLOSE'", entitlement) is False
    entitlement["status"] = "OPEN"
    assert evaluate("status != 'CLOSE'", entitlement) is True


def test_wildcard_over_the_customer(entitlement):
    assert evaluate("entitlement.customer.* == 'TestCustomerExternalId'", entitlement) is False
    assert evaluate("entitlement.customer.* == 'CUST-EXT-77'", entitlement) is True
    assert evaluate("entitlement.customer.* == '1111'", entitlement) is True
    entitlement["entitlement"]["customer"]["externalId"] = "TestCustomerExternalId"
    assert evaluate("entitlement.customer.* == 'TestCustomerExternalId'", entitlement) is True
    # not recursive: values of nested objects are not the customer's values
    assert evaluate("entitlement.* == 'Sam Smith'", entitlement) is False


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, False),
        ({"name": "TestCustomer"}, True),
        ({"name": "TestCustomer", "identifier": "2222"}, False),
        ({"state": "DRAFT"}, True),
        ({"state": "DRAFT", "market": "EMEA"}, False),
    ],
)
def test_parentheses(entitlement, change, expected):
    inner = entitlement["entitlement"]
    inner["customer"]["name"] = change.get("name", inner["customer"]["name"])
    inner["customer"]["identifier"] = change.get("identifier", inner["customer"]["identifier"])
    inner["state"] = change.get("state", inner["state"])
    inner["marketGroup"]["name"] = change.get("market", inner["marketGroup"]["name"])
    assert evaluate(PARENTHESES, entitlement) is expected


def test_array_wildcard_matches_any_element(entitlement):
    assert evaluate(PRODUCT_ANY, entitlement) is True
    product_name(entitlement, 0, "Other")
    assert evaluate(PRODUCT_ANY, entitlement) is False
    product_name(entitlement, 1, "TestProduct")
    assert evaluate(PRODUCT_ANY, entitlement) is True


def test_array_index_is_zero_based(entitlement):
    assert evaluate(PRODUCT_SECOND, entitlement) is False  # the first one is TestProduct
    assert evaluate(PRODUCT_SECOND.replace("[1]", "[0]"), entitlement) is True
    product_name(entitlement, 1, "TestProduct")
    product_name(entitlement, 0, "Other")
    assert evaluate(PRODUCT_SECOND, entitlement) is True
    assert evaluate(PRODUCT_SECOND.replace("[1]", "[2]"), entitlement) is False


def test_walkthrough_on_entitlement(entitlement):
    assert evaluate(WALKTHROUGH, entitlement) is True
    entitlement["entitlement"]["state"] = "DISABLE"
    assert evaluate(WALKTHROUGH, entitlement) is True  # the contact still matches
    entitlement["entitlement"]["contact"]["externalId"] = "other"
    assert evaluate(WALKTHROUGH, entitlement) is False


def test_activation_sample():
    activation = load("activation")
    assert evaluate("activation.activatee.contact.externalId == '617AWUD' && activation.quantity == 1", activation)
    assert not evaluate("entitlement.state == 'ENABLE'", activation)


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        # strings: exact and case-sensitive
        ("x == 'ENABLE'", "ENABLE", True),
        ("x == 'ENABLE'", "enable", False),
        ("x == 'ENABLE'", "ENABLE ", False),
        ("x == ''", "", True),
        ("x == 'it\\'s'", "it's", True),
        # numbers numerically, and against numeric strings
        ("x == 10", 10, True),
        ("x == 10", 10.0, True),
        ("x == 10.0", 10, True),
        ("x == 10", 11, False),
        ("x == 10", "10", True),
        ("x == 10", "10.0", True),
        ("x == 10", "1e1", True),
        ("x == 10", "10 ", False),
        ("x == 10", "ten", False),
        ("x == '10'", 10, True),
        ("x == '10'", 10.0, True),
        ("x == '10'", "10", True),
        ("x == '10'", "10.0", False),  # two strings compare as text
        ("x == '10.0'", 10, True),
        ("x == -2.5", "-2.5", True),
        ("x == 0.1", 0.1, True),
        ("x == 10", float("nan"), False),
        ("x == 10", "9" * 5000, False),
        # booleans only equal booleans
        ("x == true", True, True),
        ("x == true", 1, False),
        ("x == 1", True, False),
        ("x == '1'", True, False),
        ("x == 'true'", True, False),
        ("x == false", False, True),
        ("x == false", 0, False),
        ("x == false", None, False),
        # null equals JSON null only
        ("x == null", None, True),
        ("x == null", "", False),
        ("x == null", 0, False),
        ("x == 'null'", None, False),
        # objects and arrays never equal a literal
        ("x == 'a'", ["a"], False),
        ("x == 1", {"a": 1}, False),
        ("x == null", [], False),
        ("x == null", {}, False),
    ],
)
def test_equality(expression, value, expected):
    state = {"x": value}
    assert evaluate(expression, state) is expected
    assert evaluate(expression.replace("==", "!=", 1), state) is (not expected)


@pytest.mark.parametrize("literal", ["'x'", "1", "true", "null"])
def test_missing_paths_yield_nothing(literal):
    for state in ({}, {"x": {}}, {"x": {"y": {}}}):
        assert evaluate(f"x.y.z == {literal}", state) is False
        assert evaluate(f"x.y.z != {literal}", state) is True


@pytest.mark.parametrize(
    ("expression", "state", "expected"),
    [
        ("a[*] == 2", {"a": [1, 2, 3]}, True),
        ("a[*] == 4", {"a": [1, 2, 3]}, False),
        ("a[*] != 2", {"a": [1, 2, 3]}, False),  # != is "no element equals", not "some differs"
        ("a[*] != 4", {"a": [1, 2, 3]}, True),
        ("a[*] == 'k'", {"a": {"k": "k"}}, False),  # [*] reads arrays only (not keys, not values)
        ("a.* == 1", {"a": [1]}, False),  # .* reads objects only
        ("a.* == 'k'", {"a": {"k": "v"}}, False),  # .* yields values, not keys
        ("a.* == 1", {"a": {"k": 1}}, True),
        ("a[0] == 1", {"a": {"0": 1}}, False),
        ("a[0] == 'h'", {"a": "hello"}, False),  # strings are not arrays
        ("a.b == 1", {"a": [{"b": 1}]}, False),  # keys do not reach into arrays
        ("a[*].b == 1", {"a": [{"b": 2}, "x", None, {"b": 1}]}, True),
        ("a[*][*].* == 'deep'", {"a": [[{"k": "x"}], [{"k": "deep"}]]}, True),
        ("a.*[1] == 5", {"a": {"p": [4], "q": [4, 5]}}, True),
        ("a[99999999999999999999] == 1", {"a": [1]}, False),
        ("$a.b_c.d1 == 1", {"$a": {"b_c": {"d1": 1}}}, True),
        ("a == 1 && b == 2 || c == 3", {"c": 3}, True),
        ("a == 1 && (b == 2 || c == 3)", {"c": 3}, False),
    ],
)
def test_paths(expression, state, expected):
    assert evaluate(expression, state) is expected


@pytest.mark.parametrize(
    "state",
    [
        None,
        "entitlement",
        42,
        math.nan,
        [],
        [{"entitlement": {"state": "ENABLE"}}],
        {"entitlement": None},
        {"entitlement": []},
        {"entitlement": "ENABLE"},
        {"entitlement": {"productKeys": {"productKey": "not a list"}}},
        {"entitlement": {"productKeys": {"productKey": [None, 1, "s", [], {"item": []}]}}},
        {"entitlement": {"customer": {"name": math.inf}}},
    ],
)
def test_odd_shapes_never_raise(state):
    for text in (WALKTHROUGH, PRODUCT_ANY, PRODUCT_SECOND, "entitlement.customer.* != 1", "a.*[*][0] == null"):
        assert compiled(text)(state) in (True, False)


def test_deeply_nested_data_and_long_paths():
    deep: object = "bottom"
    for _ in range(10_000):
        deep = {"a": [deep]}
    assert evaluate("a[0].a[0].a[*].a[0] != 'x'", deep) is True
    long_path = "a" + "[0].a" * 600 + " == 1"
    assert len(long_path) < 4000 and evaluate(long_path, deep) is False


def test_many_wildcards_compile_and_evaluate():
    text = "a" + "[*]" * 40 + " == 1"
    value: object = 1
    for _ in range(40):
        value = [value]
    assert evaluate(text, {"a": value}) is True
    assert evaluate(text, {"a": [[[]]]}) is False


def test_a_raising_comparison_counts_as_no_match():
    class Hostile:
        def __eq__(self, other):
            raise RuntimeError("boom")

        __hash__ = object.__hash__

    assert evaluate("x == 1", {"x": Hostile()}) is False
    assert evaluate("x == 'a'", {"x": Hostile()}) is False


def test_compiled_is_cached_and_never_reparses(monkeypatch):
    calls = []
    real_parse = evaluator.parse
    monkeypatch.setattr(evaluator, "parse", lambda text: calls.append(text) or real_parse(text))
    text = "x == 'cache-test-unique-42'"
    first = compiled(text)
    assert compiled(text) is first
    assert first({"x": "cache-test-unique-42"}) is True
    assert evaluate(text, {"x": "other"}) is False
    assert calls == [text]


def test_compile_accepts_a_parsed_expression():
    assert compile_expression(parse("x != 1"))({"x": 2}) is True


def test_generated_code_cannot_be_injected():
    # Keys and values reach the generated source only through repr().
    state = {"x": "'); import os; ('"}
    assert evaluate("x == '\\'); import os; (\\''", state) is True
    assert evaluate('x == "\\"\\"\\"\\\\"', {"x": '"""\\'}) is True
