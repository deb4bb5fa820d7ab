"""Parsing, canonical text and syntax errors of trigger conditions (DESIGN.md section 3)."""

from __future__ import annotations

import pickle

import pytest

from emswebhook_gui.conditions import (
    ARRAY_WILDCARD,
    WILDCARD,
    And,
    Comparison,
    ConditionSyntaxError,
    Or,
    Paren,
    Path,
    normalise,
    parse,
    parse_path,
)

WALKTHROUGH = (
    "((entitlement.customer.name == 'Sam Smith' && entitlement.state == 'ENABLE') || "
    "(entitlement.contact.externalId == '617AWUD'))"
)


def path(*segments):
    return Path(tuple(segments))


def test_walkthrough_parses_to_the_nested_groups_it_shows():
    assert parse(WALKTHROUGH) == Paren(
        Or(
            (
                Paren(
                    And(
                        (
                            Comparison(path("entitlement", "customer", "name"), "==", "Sam Smith"),
                            Comparison(path("entitlement", "state"), "==", "ENABLE"),
                        )
                    )
                ),
                Paren(Comparison(path("entitlement", "contact", "externalId"), "==", "617AWUD")),
            )
        )
    )


def test_and_binds_tighter_than_or():
    a, b, c = (Comparison(path(name), "==", 1) for name in "abc")
    assert parse("a == 1 || b == 1 && c == 1") == Or((a, And((b, c))))
    assert parse("a == 1 && b == 1 || c == 1") == Or((And((a, b)), c))


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("entitlement.customer.*", ("entitlement", "customer", WILDCARD)),
        ("a.b[*].c", ("a", "b", ARRAY_WILDCARD, "c")),
        ("a[1][*]", ("a", 1, ARRAY_WILDCARD)),
        ("a [ 01 ] . b", ("a", 1, "b")),
        ("entitlement.refId1", ("entitlement", "refId1")),
        ("$ref._x.eId", ("$ref", "_x", "eId")),
        ("a.null.true", ("a", "null", "true")),
    ],
)
def test_path_segments(text, segments):
    assert parse_path(text).segments == segments


@pytest.mark.parametrize(
    ("literal", "value", "value_type"),
    [
        ("'Sam Smith'", "Sam Smith", str),
        ('"Sam Smith"', "Sam Smith", str),
        (r"'O\'Brien'", "O'Brien", str),
        (r'"say \"hi\""', 'say "hi"', str),
        (r"'C:\\temp'", "C:\\temp", str),
        ("''", "", str),
        ("10", 10, int),
        ("-3", -3, int),
        ("2.50", 2.5, float),
        ("1e3", 1000.0, float),
        ("true", True, bool),
        ("false", False, bool),
        ("null", None, type(None)),
    ],
)
def test_literals(literal, value, value_type):
    comparison = parse(f"a == {literal}")
    assert comparison.value == value and type(comparison.value) is value_type


def test_true_and_one_are_different_literals():
    assert parse("a == true") != parse("a == 1")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (WALKTHROUGH, WALKTHROUGH),
        ('a=="x"&&b!=1', "a == 'x' && b != 1"),
        ("( a=='x' )||(b==2)", "(a == 'x') || (b == 2)"),
        ("((a == 1))", "((a == 1))"),
        ('a == "it\'s"', r"a == 'it\'s'"),
        (r"a == 'back\\slash'", r"a == 'back\\slash'"),
        (r'a == "q\"q"', "a == 'q\"q'"),
        ("a == 1.50", "a == 1.5"),
        ("a == 1E3", "a == 1000.0"),
        ("a == 1e16", "a == 1e+16"),
        ("a == -0", "a == 0"),
        ("a == 007", "a == 7"),
        ("a[ 2 ].b . * [*] == null", "a[2].b.*[*] == null"),
        ("a\n==\ttrue", "a == true"),
    ],
)
def test_normalise(text, canonical):
    assert normalise(text) == canonical
    assert normalise(canonical) == canonical


def assert_error(text, column, detail):
    with pytest.raises(ConditionSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert (error.column, error.detail) == (column, detail)
    assert str(error) == f"column {column}: {detail}"


@pytest.mark.parametrize(
    ("text", "column", "detail"),
    [
        # missing comparison operator
        ("a == 1 &&entitlement.state", 27, "expected '==' or '!=' after path 'entitlement.state'"),
        ("entitlement.state 'ENABLE'", 19, "expected '==' or '!=' after path 'entitlement.state'"),
        # unterminated strings: the column of the opening quote
        ("entitlement.state == 'ENABLE", 22, "unterminated string: add the closing '"),
        ('a == "x\\"', 6, 'unterminated string: add the closing "'),
        # stray operators
        ("== 'x'", 1, "unexpected operator '==': expected a path such as entitlement.state or '(' here"),
        (
            "a == 1 && && b == 2",
            11,
            "unexpected operator '&&': expected a path such as entitlement.state or '(' after '&&'",
        ),
        (
            "a == 1 || != 2",
            11,
            "unexpected operator '!=': expected a path such as entitlement.state or '(' after '||'",
        ),
        ("a == 1 && ()", 11, "empty parentheses '()': put a condition inside or remove them"),
        # single-character operators
        ("entitlement.state = 'ENABLE'", 19, "use '==' to compare"),
        ("a == 1 & b == 2", 8, "use '&&' to require both conditions"),
        ("a == 1 | b == 2", 8, "use '||' to accept either condition"),
        ("!(a == 1)", 1, "'!' must be followed by '=' ('!='); negation with '!' is not supported"),
        ("a ! 1", 3, "'!' must be followed by '=' ('!='); negation with '!' is not supported"),
        ("a < 1", 3, "only '==' and '!=' are supported"),
        # parentheses
        ("(a == 1 && b == 2", 18, "missing ')' to close the '(' at column 1"),
        ("((a == 1) || b == 2", 20, "missing ')' to close the '(' at column 1"),
        ("(a == 1 b == 2)", 9, "expected '&&', '||' or ')' to close the '(' at column 1, found 'b'"),
        ("a == 1)", 7, "unexpected ')' without a matching '('"),
        (") a == 1", 1, "unexpected ')' without a matching '('"),
        ("a == 1 && )", 11, "expected a condition after '&&', found ')'"),
        # trailing garbage
        ("a == 1 b == 2", 8, "unexpected 'b' after a complete expression; join conditions with '&&' or '||'"),
        ("a == 'x' 'y'", 10, "unexpected 'y' after a complete expression; join conditions with '&&' or '||'"),
        ("a == 1 b == 'x", 8, "unexpected 'b' after a complete expression; join conditions with '&&' or '||'"),
        ("a == 1.", 7, "unexpected '.' after a complete expression; join conditions with '&&' or '||'"),
        # missing or bad literal
        ("a ==", 5, "missing value after '==': expected a quoted string, number, true, false or null"),
        (
            "a == && b == 1",
            6,
            "expected a value after '==' (a quoted string, number, true, false or null), found '&&'",
        ),
        ("a == ENABLE", 6, "expected a value after '==', found the word 'ENABLE'; quote text values: 'ENABLE'"),
        ("a == 1e999", 6, "number 1e999 is out of range"),
        ("a == 'x\\n'", 8, "unknown escape '\\\\n' in string; only \\', \\\" and \\\\ are allowed"),
        ("a == -x", 6, "'-' must be followed by digits (a negative number)"),
        ("'x' == a", 1, "a condition starts with a path, found the value 'x'; write it as path == value"),
        # bad paths
        ("a. == 1", 4, "expected a key or '*' after '.' in path 'a.'"),
        ("a.1 == 1", 3, "expected a key or '*' after '.' in path 'a.'"),
        ("a[ == 1", 4, "expected an index (0, 1, ...) or '*' inside '[ ]' in path 'a['"),
        ("a.b[x] == 1", 5, "expected an index (0, 1, ...) or '*' inside '[ ]' in path 'a.b['"),
        ("a[-1] == 1", 3, "expected an index (0, 1, ...) or '*' inside '[ ]' in path 'a['"),
        ("a[1 == 1", 5, "expected ']' to close '[' in path 'a[1'"),
        ("a # b", 3, "unexpected character '#'"),
        # empty
        ("", 1, "empty expression: write a condition such as entitlement.state == 'ENABLE'"),
        ("   ", 1, "empty expression: write a condition such as entitlement.state == 'ENABLE'"),
        ("a == 1 ||", 10, "missing condition after '||': expected a path such as entitlement.state or '('"),
    ],
)
def test_error_messages_name_the_column_and_the_fix(text, column, detail):
    assert_error(text, column, detail)


def test_long_values_are_shortened_in_messages():
    with pytest.raises(ConditionSyntaxError) as caught:
        parse("a == 'x' '" + "y" * 100 + "'")
    assert len(caught.value.detail) < 120 and "..." in caught.value.detail


def test_length_limit():
    longest = "a == '" + "x" * (4000 - 7) + "'"
    assert len(longest) == 4000
    assert parse(longest).value == "x" * 3993
    assert_error(longest + " ", 4001, "expression is 4,001 characters long; the limit is 4,000")


def test_nesting_limit_without_recursion_error():
    deepest = "(" * 32 + "a == 1" + ")" * 32
    assert normalise(deepest) == deepest
    assert_error("(" * 33 + "a == 1" + ")" * 33, 33, "parentheses nested deeper than the limit of 32 levels")
    assert_error("(" * 4_000, 33, "parentheses nested deeper than the limit of 32 levels")
    assert_error("(" * 10_000, 4001, "expression is 10,000 characters long; the limit is 4,000")


def test_the_first_problem_in_the_text_is_reported():
    # A grammar error before a bad character wins, although the tokenizer reaches both.
    assert_error("a b == 1 ~", 3, "expected '==' or '!=' after path 'a'")


def test_error_is_a_value_error_and_survives_pickling():
    with pytest.raises(ValueError) as caught:
        parse("a = 1")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.column, copy.detail, str(copy)) == (3, "use '==' to compare", "column 3: use '==' to compare")


def test_parse_path_refuses_anything_but_a_path():
    with pytest.raises(ConditionSyntaxError, match="column 3: unexpected '==' after the path"):
        parse_path("a == 1")
    with pytest.raises(ConditionSyntaxError, match="column 1: expected a path"):
        parse_path("(a)")


def test_non_text_is_a_type_error():
    with pytest.raises(TypeError):
        parse(None)
