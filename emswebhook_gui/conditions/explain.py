"""Which rows of a builder tree match an entity state, each judged by the service's evaluator.

Nothing here evaluates a condition itself: every row (a condition, or a group with what it holds)
is rendered as the expression it stands for and run through :func:`.evaluator.evaluate`, the
same compiled predicate the service matches deliveries with, so "Try on a sample state" can only
say what a delivery would do. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from .evaluator import evaluate
from .tree import Condition, Group, Node, render, walk


@dataclass(frozen=True)
class RowResult:
    node: Node
    depth: int
    """0 for the top group, 1 for its rows, ..."""
    matched: bool | None
    """None when the row says nothing yet (no attribute, an empty group) or cannot be rendered."""


def expression_matches(expression: str, state: object) -> bool:
    """What the service decides for an occurrence with this ``currentState``: no condition
    (``''``) matches every occurrence."""
    return evaluate(expression, state) if expression else True


def row_results(root: Group, state: object) -> list[RowResult]:
    """Every row in display order, root first, with whether it matches ``state``."""
    depths: dict[int, int] = {}
    results = []
    for parent, node in walk(root):
        depths[id(node)] = 0 if parent is None else depths[id(parent)] + 1
        text = _text(node)
        results.append(RowResult(node, depths[id(node)], evaluate(text, state) if text else None))
    return results


def _text(node: Node) -> str:
    """The expression a row stands for; '' when it stands for nothing yet."""
    group = node if isinstance(node, Group) else Group("and", [node])
    try:
        return render(_complete(group))
    except ValueError:
        return ""


def _complete(group: Group) -> Group:
    """The group without rows that have no attribute yet (they say nothing, as in a save)."""
    children: list[Node] = []
    for child in group.children:
        if isinstance(child, Group):
            children.append(_complete(child))
        elif isinstance(child, Condition) and child.path:
            children.append(child)
    return Group(group.combinator, children)
