"""The trigger-condition language (DESIGN.md section 3): parse, normalise, compile, build.

Qt-free by contract (an import-linter rule in pyproject.toml); the GUI's condition builder adapts
the plain model in :mod:`.tree`.
"""

from .ast import ARRAY_WILDCARD, WILDCARD, And, Comparison, Expr, Or, Paren, Path, iter_comparisons
from .canonical import format_literal, normalise, unparse
from .errors import MAX_LENGTH, MAX_NESTING, ApiOnlyExpression, ConditionSyntaxError
from .evaluator import compile_expression, compiled, evaluate
from .parser import parse, parse_path
from .tree import (
    Condition,
    Group,
    contains,
    depth,
    find_parent,
    is_builder_compatible,
    label_for,
    move,
    move_refusal,
    nesting,
    render,
    to_tree,
    walk,
)

__all__ = [
    "ARRAY_WILDCARD",
    "MAX_LENGTH",
    "MAX_NESTING",
    "WILDCARD",
    "And",
    "ApiOnlyExpression",
    "Comparison",
    "Condition",
    "ConditionSyntaxError",
    "Expr",
    "Group",
    "Or",
    "Paren",
    "Path",
    "compile_expression",
    "compiled",
    "contains",
    "depth",
    "evaluate",
    "find_parent",
    "format_literal",
    "is_builder_compatible",
    "iter_comparisons",
    "label_for",
    "move",
    "move_refusal",
    "nesting",
    "normalise",
    "parse",
    "parse_path",
    "render",
    "to_tree",
    "unparse",
    "walk",
]
