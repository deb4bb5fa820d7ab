"""The condition builder's model: a plain, mutable tree of groups and conditions.

The GUI edits this tree (a Qt item model only adapts it) and saves ``render(tree)``; loading a
saved expression goes through ``to_tree``. Decisions:

- Every group renders inside parentheses, root included; an empty root renders as ``""``
  (no condition: the webhook fires for every occurrence) and empty nested groups are skipped,
  so a half-built tree still saves something meaningful.
- Each pair of parentheses the user wrote becomes a group and each group renders one pair, so
  ``to_tree(render(t)) == t`` for every tree whose groups are non-empty and explicit grouping
  (even redundant, such as ``(a && (b && c))``) survives a round trip. Operands joined without
  parentheses form one flat group (``a && b && c``); an ``&&`` chain inside an unparenthesised
  ``||`` becomes a sub-group, which is what precedence means.
- A group with fewer than two children has no operator in the text, so its combinator is
  loaded back as ``'and'``; equality ignores it there, because it changes nothing in the text.
- Global limits (4,000 characters, 32 levels) are checked when the rendered text is validated
  with ``parse``, where the error gets a column; ``move`` refuses to nest deeper than allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

from .. import catalog
from .ast import And, Comparison, Expr, Literal, Or, Paren, Path, iter_comparisons
from .canonical import format_literal
from .errors import MAX_NESTING, ApiOnlyExpression, ConditionSyntaxError
from .parser import parse, parse_path

OPERATORS = ("==", "!=")
COMBINATORS = ("and", "or")


@dataclass(eq=False)
class Condition:
    path: str
    operator: str = "=="
    value: Literal = ""

    def __eq__(self, other: object) -> bool:
        # Type-aware: 1, 1.0 and true are equal in Python but render differently.
        if not isinstance(other, Condition):
            return NotImplemented
        return (self.path, self.operator, type(self.value), self.value) == (
            other.path,
            other.operator,
            type(other.value),
            other.value,
        )

    __hash__ = None  # mutable; nodes are tracked by identity (id()), never hashed


@dataclass(eq=False)
class Group:
    combinator: str = "and"
    children: list[Node] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Group):
            return NotImplemented
        if len(self.children) >= 2 and self.combinator != other.combinator:
            return False
        return self.children == other.children

    __hash__ = None

    def index_of(self, node: Node) -> int:
        """Position of ``node`` among the children, by identity: equal twins are distinct."""
        for position, child in enumerate(self.children):
            if child is node:
                return position
        raise ValueError("the node is not a child of this group")

    def insert(self, index: int, node: Node) -> None:
        if node is self or (isinstance(node, Group) and contains(node, self)):
            raise ValueError("a group cannot be placed inside itself")
        if any(child is node for child in self.children):
            raise ValueError("the node is already in this group")
        self.children.insert(index, node)

    def append(self, node: Node) -> None:
        self.insert(len(self.children), node)

    def remove(self, node: Node) -> None:
        del self.children[self.index_of(node)]


Node = Union[Condition, Group]


def walk(root: Group) -> Iterator[tuple[Group | None, Node]]:
    """Every ``(parent, node)`` pair, depth first in display order, root first with None."""
    stack: list[tuple[Group | None, Node]] = [(None, root)]
    while stack:
        parent, node = stack.pop()
        yield parent, node
        if isinstance(node, Group):
            stack.extend((node, child) for child in reversed(node.children))


def contains(root: Group, node: Node) -> bool:
    """True when ``node`` is ``root`` or lies anywhere below it (identity)."""
    return any(candidate is node for _, candidate in walk(root))


def find_parent(root: Group, node: Node) -> Group | None:
    """The group holding ``node``; None for the root itself or a node not in the tree."""
    for parent, candidate in walk(root):
        if candidate is node:
            return parent
    return None


def depth(root: Group, node: Node) -> int:
    """How many groups enclose ``node``: 0 for the root, 1 for its children, ..."""
    levels = 0
    while node is not root:
        parent = find_parent(root, node)
        if parent is None:
            raise ValueError("the node is not in this tree")
        node, levels = parent, levels + 1
    return levels


def nesting(node: Node) -> int:
    """Parenthesis levels a node renders with: 0 for a condition, 1 + deepest child for a group."""
    if not isinstance(node, Group):
        return 0
    deepest, stack = 0, [(node, 1)]
    while stack:
        group, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in group.children if isinstance(child, Group))
    return deepest


def move_refusal(node: Node, new_parent: Group, root: Group) -> str | None:
    """Why moving ``node`` into ``new_parent`` would be refused, or None when it is allowed.

    The one statement of the move rules: :func:`move` enforces them, and the builder's Qt model
    asks them while a drag hovers, without mutating anything, to show a refused drop before it
    happens.
    """
    if node is root:
        return "the root group cannot be moved"
    if find_parent(root, node) is None:
        return "the node is not in this tree"
    if isinstance(node, Group) and contains(node, new_parent):
        return "a group cannot go inside itself or one of its sub-groups"
    if not contains(root, new_parent):
        return "the destination group is not in this tree"
    return nesting_refusal(node, new_parent, root)


def nesting_refusal(node: Node, new_parent: Group, root: Group) -> str | None:
    """Why ``node`` cannot go into ``new_parent`` for the nesting limit, or None: the one statement
    of the limit, for a node moved there and for a new one added there alike."""
    if depth(root, new_parent) + 1 + nesting(node) > MAX_NESTING:
        return f"groups cannot be nested deeper than {MAX_NESTING} levels"
    return None


@dataclass(frozen=True)
class Move:
    """A move the rules allow, worked out before anything changes: where the node is, and where
    it goes. A view is told this before the tree changes (Qt's ``beginMoveRows``)."""

    node: Node
    old_parent: Group
    old_index: int
    new_parent: Group
    index: int
    """The destination position counted before the move, as a drop row is."""

    @property
    def changes_nothing(self) -> bool:
        """Dropping a node onto its own place, or just below itself, leaves the tree as it is."""
        return self.old_parent is self.new_parent and self.index in (self.old_index, self.old_index + 1)

    @property
    def final_index(self) -> int:
        """Where the node ends up once it has left its old place."""
        if self.old_parent is self.new_parent and self.old_index < self.index:
            return self.index - 1
        return self.index


def plan_move(node: Node, new_parent: Group, index: int, root: Group) -> Move:
    """The move of ``node`` into ``new_parent`` at ``index`` (clamped to the valid range), or
    ValueError with the reason of :func:`move_refusal`. Nothing changes yet; :func:`move` and
    the builder's Qt model both start here, so the rules and the arithmetic exist once."""
    reason = move_refusal(node, new_parent, root)
    if reason is not None:
        raise ValueError(reason)
    old_parent = find_parent(root, node)
    assert old_parent is not None  # move_refusal checked it
    index = max(0, min(index, len(new_parent.children)))
    return Move(node, old_parent, old_parent.index_of(node), new_parent, index)


def apply_move(planned: Move) -> int:
    """Carry out a move from :func:`plan_move`; return the index the node ended up at."""
    index = planned.final_index
    planned.old_parent.remove(planned.node)
    planned.new_parent.children.insert(index, planned.node)
    return index


def move(node: Node, new_parent: Group, index: int, root: Group) -> int:
    """Move ``node`` into ``new_parent`` at ``index``; return the index it ended up at.

    ``index`` counts positions before the move, as a drop row does in Qt views, so dropping a
    node just below itself is a no-op; it is clamped to the valid range. Refuses (ValueError,
    with the reason of :func:`move_refusal`) what the rules forbid.
    """
    return apply_move(plan_move(node, new_parent, index, root))


def render(root: Group) -> str:
    """The expression the builder saves; see the module docstring for the layout rules.

    Raises ValueError for a condition the text cannot express faithfully: a path that is not
    a valid path (or uses ``[n]``), an unknown operator, or a value that is not a literal.
    """
    text = _render_group(root)
    return "" if text == "()" else text


def _render_group(group: Group) -> str:
    if group.combinator not in COMBINATORS:
        raise ValueError(f"unknown combinator {group.combinator!r}; use 'and' or 'or'")
    parts = []
    for child in group.children:
        if isinstance(child, Group):
            part = _render_group(child)
            if part == "()":
                continue
        else:
            part = _render_condition(child)
        parts.append(part)
    joiner = " && " if group.combinator == "and" else " || "
    return "(" + joiner.join(parts) + ")"


def _render_condition(condition: Condition) -> str:
    try:
        path = parse_path(condition.path)
    except ConditionSyntaxError as error:
        raise ValueError(f"attribute {condition.path!r} is not a valid path ({error})") from None
    if path.first_index() is not None:
        raise ValueError(str(ApiOnlyExpression(_indexed_prefix(path))))
    if condition.operator not in OPERATORS:
        raise ValueError(f"unknown operator {condition.operator!r}; use '==' or '!='")
    try:
        value = format_literal(condition.value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"value of {condition.path}: {error}") from None
    return f"{path} {condition.operator} {value}"


def to_tree(text: str | None) -> Group:
    """Load an expression into the builder; None or blank text is the empty root (no condition).

    Raises :class:`ConditionSyntaxError` for text that does not parse and
    :class:`ApiOnlyExpression` for one with a ``[n]`` path.
    """
    if text is None or not text.strip():
        return Group()
    expr = parse(text)
    for comparison in iter_comparisons(expr):
        if comparison.path.first_index() is not None:
            raise ApiOnlyExpression(_indexed_prefix(comparison.path))
    # The root renders its own parentheses, so a fully parenthesised text is the root group.
    return _group(expr.inner if isinstance(expr, Paren) else expr)


def _group(expr: Expr) -> Group:
    if isinstance(expr, (And, Or)):
        return Group("and" if isinstance(expr, And) else "or", [_node(item) for item in expr.items])
    return Group("and", [_node(expr)])


def _node(expr: Expr) -> Node:
    if isinstance(expr, Comparison):
        return Condition(str(expr.path), expr.op, expr.value)
    if isinstance(expr, Paren):
        return _group(expr.inner)
    return _group(expr)  # an && chain directly inside an unparenthesised ||


def is_builder_compatible(text: str | None) -> bool:
    """Whether the builder can show the text (else it stays a text-only, API-style condition)."""
    try:
        to_tree(text)
    except ValueError:
        return False
    return True


def label_for(event_name: str, path: str) -> str:
    """The catalogue label of a path for the event, or the raw path when it has none."""
    return catalog.attribute_label(event_name, path) or path


def _indexed_prefix(path: Path) -> str:
    return str(Path(path.segments[: path.first_index() + 1]))
