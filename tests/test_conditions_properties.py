"""Property tests: round trips, idempotence, and "never raises" over generated input.

The compiled predicates are also checked against a deliberately naive evaluator written from
the DESIGN.md semantics, so an optimisation in the code generator cannot change an answer.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path as FilePath

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from emswebhook_gui.conditions import (
    ARRAY_WILDCARD,
    WILDCARD,
    And,
    Comparison,
    Condition,
    ConditionSyntaxError,
    Group,
    Or,
    Paren,
    Path,
    compile_expression,
    iter_comparisons,
    normalise,
    parse,
    render,
    to_tree,
    unparse,
)

FAST = settings(max_examples=200, deadline=None)

# pyproject.toml's norecursedirs replaces pytest's defaults, so a .hypothesis directory in the
# checkout makes the hypothesis plugin warn during collection, which filterwarnings=error turns
# into a collection error for the whole suite. Keep hypothesis's files out of the checkout.
set_hypothesis_home_dir(FilePath(tempfile.gettempdir()) / "emswebhook-gui-hypothesis")

# --- strategies -------------------------------------------------------------------------------

FEW_KEYS = st.sampled_from(["a", "b", "$x"])
ANY_KEY = FEW_KEYS | st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("aZ_$\u00e9\u00df"),
    st.text(alphabet="aZ09_$\u00e9", max_size=6),
)
TEXT = st.text(max_size=12) | st.sampled_from(["", "10", "10.0", "-2", "1e1", "a", "'", "\\", '"'])
NUMBERS = st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False)
# A small pool shared by literals and data, so that generated comparisons often hit.
POOL = st.sampled_from(["a", "b", "$x", "", "1", "1.0", "x", 0, 1, 1.0, -2.5, True, False, None])
LITERALS = POOL | st.one_of(TEXT, NUMBERS, st.booleans(), st.none())


def segments(keys, indexes: bool):
    extra = [st.just(WILDCARD), st.just(ARRAY_WILDCARD)]
    if indexes:
        extra.append(st.integers(0, 3))
    return st.tuples(keys, st.lists(st.one_of(keys, *extra), max_size=4)).map(
        lambda parts: (parts[0], *parts[1])
    )


def comparisons(keys=FEW_KEYS, indexes=True, literals=LITERALS):
    return st.builds(
        lambda segs, op, value: Comparison(Path(segs), op, value),
        segments(keys, indexes),
        st.sampled_from(["==", "!="]),
        literals,
    )


def _expressions(leaves):
    """ASTs shaped as the parser builds them: And of primaries, Or of ands, Paren around any."""

    def extend(children):
        primary = leaves | st.builds(Paren, children)
        conjunction = primary | st.lists(primary, min_size=2, max_size=3).map(lambda xs: And(tuple(xs)))
        return conjunction | st.lists(conjunction, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs)))

    return st.recursive(leaves, extend, max_leaves=8)


EXPRESSIONS = _expressions(comparisons())

conditions = st.builds(
    Condition,
    segments(ANY_KEY, indexes=False).map(lambda segs: str(Path(segs))),
    st.sampled_from(["==", "!="]),
    LITERALS,
)


def groups(children):
    return st.builds(Group, st.sampled_from(["and", "or"]), st.lists(children, min_size=1, max_size=4))


TREES = groups(st.recursive(conditions, groups, max_leaves=10))

JSON = st.recursive(
    POOL | st.none() | st.booleans() | NUMBERS | st.floats() | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(FEW_KEYS, children, max_size=4),
    max_leaves=15,
)
STATES = st.dictionaries(FEW_KEYS, JSON, max_size=4) | JSON

TOKENS = st.sampled_from(
    ["a", "b.c", ".", "*", "[", "]", "[*]", "[1]", "(", ")", "==", "!=", "=", "!", "&&", "||", "&",
     "|", "'x'", "'", '"', "\\", "1", "-", "2.5", "1e3", "true", "null", " ", "\n", "é", "#", "$"]
)
SOUP = st.lists(TOKENS, max_size=25).map("".join)

# --- a naive reference evaluator --------------------------------------------------------------

NUMERIC = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def as_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and len(value) <= 400 and NUMERIC.fullmatch(value):
        return float(value) if re.search("[.eE]", value) else int(value)
    return None


def equal(data, literal) -> bool:
    if literal is None or isinstance(literal, bool):
        return type(data) is type(literal) and data == literal
    if isinstance(data, str) and isinstance(literal, str):
        return data == literal
    if isinstance(data, (str, int, float)) and not isinstance(data, bool):
        left, right = as_number(data), as_number(literal)
        return left is not None and right is not None and left == right
    return False


def values_at(state, path: Path):
    values = [state]
    for segment in path.segments:
        found = []
        for value in values:
            if segment == WILDCARD and isinstance(value, dict):
                found.extend(value.values())
            elif segment == ARRAY_WILDCARD and isinstance(value, list):
                found.extend(value)
            elif type(segment) is int and isinstance(value, list) and segment < len(value):
                found.append(value[segment])
            elif isinstance(segment, str) and segment not in (WILDCARD, ARRAY_WILDCARD):
                if isinstance(value, dict) and segment in value:
                    found.append(value[segment])
        values = found
    return values


def reference(expr, state) -> bool:
    if isinstance(expr, Comparison):
        matched = any(equal(value, expr.value) for value in values_at(state, expr.path))
        return matched if expr.op == "==" else not matched
    if isinstance(expr, Paren):
        return reference(expr.inner, state)
    results = [reference(item, state) for item in expr.items]
    return all(results) if isinstance(expr, And) else any(results)


# --- properties -------------------------------------------------------------------------------


def assert_reads_back(value, write, read):
    """What ``write`` makes of ``value``, ``read`` turns back into it, and it is already normalised."""
    text = write(value)
    assert read(text) == value
    assert normalise(text) == text


@FAST
@given(TREES)
def test_rendered_trees_load_back_unchanged(tree):
    assert_reads_back(tree, render, to_tree)


@FAST
@given(EXPRESSIONS)
def test_unparse_round_trips_and_normalise_is_a_fixed_point(expr):
    assert_reads_back(expr, unparse, parse)


def related(literal):
    """A data value near the literal: itself, its text/number/bool twin, or something else."""
    twins = [literal, str(literal), None, "x", [literal], {"a": literal}]
    if isinstance(literal, str) and as_number(literal) is not None:
        twins.append(as_number(literal))
    if isinstance(literal, bool):
        twins.append(int(literal))
    elif isinstance(literal, (int, float)):
        twins += [float(literal), repr(literal), bool(literal)]
    return st.sampled_from(twins) | POOL


def materialise(draw, segments, literal):
    """Data in which ``segments`` leads to a value related to the literal, amid noise.

    Now and then a container has the wrong kind (an object where the path reads an array, or
    the reverse), which the path must then not see through.
    """
    value = draw(related(literal))
    for segment in reversed(segments):
        wrong = draw(st.integers(0, 5)) == 0
        if segment == WILDCARD:
            if wrong:
                value = [value]
            else:
                value = {**draw(st.dictionaries(FEW_KEYS, POOL, max_size=2)), draw(FEW_KEYS): value}
        elif segment == ARRAY_WILDCARD or type(segment) is int:
            if wrong:
                value = {str(segment if type(segment) is int else 0): value, draw(FEW_KEYS): value}
            else:
                noise = draw(st.lists(POOL | JSON, max_size=2))
                if type(segment) is int:
                    noise, position = (noise + [None] * segment)[:segment], segment
                else:
                    position = draw(st.integers(0, len(noise)))
                value = noise[:position] + [value] + noise[position:]
        else:
            value = [{segment: value}] if wrong else {segment: value}
    return value


def merge(left, right):
    if isinstance(left, dict) and isinstance(right, dict):
        merged = dict(left)
        for key, value in right.items():
            merged[key] = merge(left[key], value) if key in left else value
        return merged
    return left


@FAST
@given(comparisons(literals=POOL), st.data())
def test_each_comparison_agrees_with_the_reference(comparison, data):
    # One comparison at a time: inside && and || a wrong answer is often masked.
    state = data.draw(STATES)
    if data.draw(st.integers(0, 4)):
        state = merge(materialise(data.draw, comparison.path.segments, comparison.value), state)
    assert compile_expression(comparison)(state) is reference(comparison, state)


@FAST
@given(st.data())
def test_compiled_predicates_agree_with_the_reference(data):
    expr = data.draw(EXPRESSIONS)
    state = data.draw(STATES)
    for comparison in iter_comparisons(expr):
        if data.draw(st.booleans()):
            state = merge(materialise(data.draw, comparison.path.segments, comparison.value), state)
    assert compile_expression(expr)(state) is reference(expr, state)


@FAST
@given(STATES)
def test_odd_states_never_raise(state):
    predicate = compile_expression(
        "a.*[*][0].b == 1 || a[1].* != 'x' && (b[*] == null || c.a.b == true || $x.* != -2.5)"
    )
    assert predicate(state) in (True, False)


@FAST
@given(st.text(max_size=60) | SOUP)
def test_any_text_parses_or_raises_a_syntax_error(text):
    try:
        expr = parse(text)
    except ConditionSyntaxError as error:
        assert 1 <= error.column <= len(text) + 1
        assert str(error) == f"column {error.column}: {error.detail}"
        return
    canonical = normalise(text)
    assert normalise(canonical) == canonical
    assert parse(canonical) == expr
    assert compile_expression(expr)({}) in (True, False)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers())
def test_numbers_keep_their_value_and_type_through_text(number):
    value = parse(normalise(f"a == {number!r}")).value
    assert type(value) is type(number) and value == number and math.copysign(1, value) == math.copysign(1, number)
