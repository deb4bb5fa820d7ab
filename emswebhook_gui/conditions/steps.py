"""Keyboard moves of a builder row, and the arithmetic undo needs, over the plain tree (Qt-free).

A keyboard move is one step: up or down among its siblings (out past the edge of its group into
the group outside), into the group just above it (indent), or out of its group (outdent). Where
a step goes is decided here; whether it may go there is :func:`.tree.plan_move`'s rule, as for a
drop, so both kinds of move are refused for the same reasons and in the same words.
"""

from __future__ import annotations

from .tree import Group, Move, Node, find_parent, plan_move

STEPS = ("up", "down", "indent", "outdent")


def location(root: Group, node: Node) -> tuple[Group, int]:
    """``(the group holding node, its index there)``; ValueError for the root or a stranger."""
    if node is root:
        raise ValueError("the top group has no place to move from")
    parent = find_parent(root, node)
    if parent is None:
        raise ValueError("the node is not in this tree")
    return parent, parent.index_of(node)


def step_target(root: Group, node: Node, step: str) -> tuple[Group, int]:
    """Where the keyboard move ``step`` takes ``node``: ``(group, drop row)``, the row counted
    before the move as :func:`.tree.plan_move` counts it. ValueError says why there is nowhere
    to go (the rules themselves are checked by :func:`plan_step`)."""
    parent, row = location(root, node)
    outer = find_parent(root, parent)  # None when the row is in the top group
    if step == "up":
        if row > 0:
            return parent, row - 1
        if outer is None:
            raise ValueError("it is already the first row")
        return outer, outer.index_of(parent)  # above its group, in the group outside
    if step == "down":
        if row < len(parent.children) - 1:
            return parent, row + 2
        if outer is None:
            raise ValueError("it is already the last row")
        return outer, outer.index_of(parent) + 1
    if step == "indent":
        previous = parent.children[row - 1] if row > 0 else None
        if not isinstance(previous, Group):
            raise ValueError("there is no group just above it to move into")
        return previous, len(previous.children)
    if step == "outdent":
        if outer is None:
            raise ValueError("it is already in the top group")
        return outer, outer.index_of(parent) + 1
    raise ValueError(f"unknown step {step!r}; use one of {', '.join(STEPS)}")


def plan_step(root: Group, node: Node, step: str) -> Move:
    """The move a keyboard step means, checked by the move rules; ValueError with the reason."""
    group, row = step_target(root, node, step)
    return plan_move(node, group, row, root)


def step_refusal(root: Group, node: Node, step: str) -> str | None:
    """Why the keyboard step would be refused, or None when it is allowed."""
    try:
        plan_step(root, node, step)
    except ValueError as error:
        return str(error)
    return None


def landing_row(root: Group, node: Node, group: Group, final_index: int) -> int:
    """The drop row that makes ``plan_move(node, group, row)`` leave ``node`` at ``final_index``
    of ``group``: what undo and redo of a move ask for, once the node has moved elsewhere."""
    parent, index = location(root, node)
    return final_index + 1 if parent is group and index < final_index else final_index
