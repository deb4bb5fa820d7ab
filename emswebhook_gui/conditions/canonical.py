"""Canonical text of an expression: one spelling per meaning-and-grouping.

The canonical form is what the app stores and shows, so two administrators typing the same
condition differently (``a=="x"`` and ``a == 'x'``) see and diff the same text. Parentheses are
reproduced exactly as written; only spacing, quoting and number spelling change.
"""

from __future__ import annotations

import math

from .ast import And, Comparison, Expr, Literal, Or, Paren
from .parser import parse


def format_literal(value: Literal) -> str:
    """Literal text: single-quoted strings, ``true``/``false``/``null``, shortest numbers.

    Integers are written in decimal; floats with Python's shortest round-trip ``repr``
    (``1.50`` -> ``1.5``, ``1e3`` -> ``1000.0``, ``1e16`` -> ``1e+16``), so a value parsed back
    is the same value of the same type.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be written in a condition; use a finite number")
        return repr(float(value))
    raise TypeError(f"a condition value is text, a number, true, false or null, not {type(value).__name__}")


def unparse(expr: Expr) -> str:
    if isinstance(expr, Comparison):
        return f"{expr.path} {expr.op} {format_literal(expr.value)}"
    if isinstance(expr, Paren):
        return f"({unparse(expr.inner)})"
    if isinstance(expr, And):
        return " && ".join(unparse(item) for item in expr.items)
    if isinstance(expr, Or):
        return " || ".join(unparse(item) for item in expr.items)
    raise TypeError(f"not a condition expression: {expr!r}")


def normalise(text: str) -> str:
    """Parse and write back canonically; raises :class:`ConditionSyntaxError` like ``parse``."""
    return unparse(parse(text))
