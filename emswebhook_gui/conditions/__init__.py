"""The trigger-condition language (DESIGN.md section 3): parse, normalise, compile, build.

Qt-free by contract (an import-linter rule in pyproject.toml); the GUI's condition builder adapts
the plain model in :mod:`.tree`.
"""

from .ast import ARRAY_WILDCARD, WILDCARD, And, Comparison, Expr, Or, Paren, Path, iter_comparisons
from .canonical import format_literal, normalise, unparse
from .errors import MAX_LENGTH, MAX_NESTING, ApiOnlyExpression, ConditionSyntaxError
from .evaluator import compile_expression, compiled, evaluate
from .explain import RowResult, expression_matches, row_results
from .parser import parse, parse_path
from .steps import STEPS, landing_row, location, plan_step, step_refusal, step_target
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
    nesting_refusal,
    plan_move,
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
    "RowResult",
    "STEPS",
    "compile_expression",
    "compiled",
    "contains",
    "depth",
    "evaluate",
    "expression_matches",
    "find_parent",
    "format_literal",
    "is_builder_compatible",
    "iter_comparisons",
    "label_for",
    "landing_row",
    "location",
    "move",
    "move_refusal",
    "nesting",
    "nesting_refusal",
    "normalise",
    "parse",
    "parse_path",
    "plan_move",
    "plan_step",
    "render",
    "row_results",
    "step_refusal",
    "step_target",
    "to_tree",
    "unparse",
    "walk",
]
