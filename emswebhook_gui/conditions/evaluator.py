"""Compiles an expression into a Python predicate over a parsed JSON state.

Why generated code: every delivery evaluates each matching webhook's condition, so this is the
hot path. Measured on the sample entitlement (see ``tests/benchmarks/bench_conditions.py``),
nested closures ran at 0.32-0.47x the speed of a hand-written lookup function; one generated
function per expression, with key chains inlined as ``isinstance(...) and v.get(...)``
expressions, runs at 0.7-0.9x. Only wildcards get a helper function (one loop each), so neither
Python's 20-nested-blocks limit nor its indentation limit can be reached, whatever the path.

Safety: the generated source contains only ``repr()`` of keys and literals and integer indexes,
never raw user text. Evaluation never raises: JSON values cannot make the generated code fail,
and anything exotic that still does (an object whose ``==`` raises, or data nested deeper than
Python's recursion limit under as many wildcards) makes the predicate return False.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

from .ast import ARRAY_WILDCARD, WILDCARD, And, Comparison, Expr, Paren
from .parser import parse

Predicate = Callable[[object], bool]

_NUMERIC = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_MAX_NUMERIC_TEXT = 400
"""Longer numeric strings are treated as text: int() refuses over 4,300 digits, and nothing
compared with a condition's literal (itself at most 4,000 characters) needs more."""

_MISSING = object()
"""Stands in for an absent key; it equals no literal, so a missing path yields nothing."""

_SEQUENCES = (list, tuple)


def _numeric_value(text: str) -> int | float | None:
    if len(text) > _MAX_NUMERIC_TEXT or not _NUMERIC.fullmatch(text):
        return None
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equals_number(value: object, number: int | float) -> bool:
    """A number literal equals a number, or a numeric string, of the same magnitude."""
    cls = value.__class__
    if cls is int or cls is float:
        return value == number
    if isinstance(value, str):
        return _numeric_value(value) == number
    return _is_number(value) and value == number


def _equals_numeric_text(value: object, text: str, number: int | float) -> bool:
    """A string literal that reads as a number: strings compare exactly, numbers numerically."""
    if isinstance(value, str):
        return value == text
    return _is_number(value) and value == number


_HELPERS = {
    # Short names keep the generated source small: compile() time grows with its size, and a
    # 4,000-character expression must parse and compile in well under 5 ms.
    "I": isinstance,
    "D": dict,
    "S": _SEQUENCES,
    "M": _MISSING,
    "_eqn": _equals_number,
    "_eqt": _equals_numeric_text,
}


class _Generator:
    """Emits one module: wildcard helpers, then ``_predicate(s)``.

    Each distinct first key (``entitlement``) is read once into ``r0``, ``r1``... at the top of
    the predicate: every path starts with a key, and conditions usually share their root.
    """

    def __init__(self) -> None:
        self.helpers: list[str] = []
        self.roots: dict[str, str] = {}

    def source(self, expr: Expr) -> str:
        test = self.boolean(expr)
        reads = "".join(f"        {name} = d.get({key!r}, M)\n" for key, name in self.roots.items())
        return "".join(self.helpers) + (
            "def _predicate(s):\n"
            "    try:\n"
            "        d = s if I(s, D) else {}\n"
            f"{reads}"
            f"        return {test}\n"
            "    except Exception:\n"
            "        return False\n"
        )

    def boolean(self, expr: Expr) -> str:
        if isinstance(expr, Comparison):
            segments = expr.path.segments
            root = self.roots.setdefault(segments[0], f"r{len(self.roots)}")
            test = self.comparison(segments, root, expr.value)
            return f"(not ({test}))" if expr.op == "!=" else f"({test})"
        if isinstance(expr, Paren):
            return self.boolean(expr.inner)
        joiner = " and " if isinstance(expr, And) else " or "
        return "(" + joiner.join(self.boolean(item) for item in expr.items) + ")"

    def comparison(self, segments: tuple, root: str, literal) -> str:
        """Expression true when some value the path yields from ``root`` matches ``literal``.

        Built iteratively, last wildcard first, because a path may have ~2,000 segments and
        recursion per segment would overflow Python's stack.
        """
        runs: list[list] = [[]]
        kinds: list[str] = []
        for segment in segments[1:]:
            if segment == WILDCARD or segment == ARRAY_WILDCARD:
                kinds.append(segment)
                runs.append([])
            else:
                runs[-1].append(segment)
        finish = lambda value: _leaf(value, literal)  # noqa: E731
        for kind, run in zip(reversed(kinds), reversed(runs[1:])):
            helper = self.wildcard(kind, _run(run, "v", finish))
            finish = lambda value, helper=helper: f"{helper}({value})"  # noqa: E731
        return _run(runs[0], root, finish)

    def wildcard(self, segment: str, body: str) -> str:
        name = f"_w{len(self.helpers)}"
        container, items = ("D", "c.values()") if segment == WILDCARD else ("S", "c")
        self.helpers.append(
            f"def {name}(c):\n"
            f"    if I(c, {container}):\n"
            f"        for v in {items}:\n"
            f"            if {body}:\n"
            f"                return True\n"
            f"    return False\n"
        )
        return name


def _run(segments: list, value: str, finish) -> str:
    """Key and index steps as one ``and`` chain; ``finish`` writes the test on the last value.

    ``value`` is either a plain name (``r0``, ``v``) or an expression fetching the next value;
    it is bound to ``v`` with ``:=`` only when it is needed twice.
    """
    parts = []
    for segment in segments:
        name, bound = (value, value) if value.isidentifier() else ("v", f"v:={value}")
        if type(segment) is int:
            parts.append(f"I({bound},S) and len({name})>{segment}")
            value = f"{name}[{segment}]"
        else:
            parts.append(f"I({bound},D)")
            value = f"{name}.get({segment!r},M)"
    parts.append(finish(value))
    return " and ".join(parts)


def _leaf(value: str, literal) -> str:
    if literal is None:
        return f"{value} is None"
    if literal is True or literal is False:
        return f"{value} is {literal!r}"
    if isinstance(literal, str):
        number = _numeric_value(literal)
        if number is None:
            return f"{value}=={literal!r}"
        return f"_eqt({value},{literal!r},{number!r})"
    return f"_eqn({value},{literal!r})"


def compile_expression(text_or_expr: str | Expr) -> Predicate:
    """A predicate ``state -> bool`` for an expression (text is parsed first).

    Raises :class:`ConditionSyntaxError` for bad text; the predicate itself never raises.
    """
    expr = parse(text_or_expr) if isinstance(text_or_expr, str) else text_or_expr
    source = _Generator().source(expr)
    namespace = dict(_HELPERS)
    exec(compile(source, "<trigger condition>", "exec", dont_inherit=True), namespace)
    return namespace["_predicate"]


@lru_cache(maxsize=1024)
def compiled(text: str) -> Predicate:
    """``compile_expression`` memoised by text, so matching a webhook never re-parses."""
    return compile_expression(text)


def evaluate(text: str, state: object) -> bool:
    return compiled(text)(state)
