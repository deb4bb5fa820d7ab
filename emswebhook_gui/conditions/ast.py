"""The parsed form of a trigger condition: small frozen dataclasses.

Parentheses are kept as :class:`Paren` nodes rather than dropped after parsing, because the
builder maps each pair the user wrote to a group and ``normalise`` must give the user's grouping
back; precedence alone would lose that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

WILDCARD = "*"
"""Path segment for ``.*``: every value of an object."""

ARRAY_WILDCARD = "[*]"
"""Path segment for ``[*]``: every element of an array."""

Segment = Union[str, int]
"""A key name, :data:`WILDCARD`, :data:`ARRAY_WILDCARD`, or an ``int`` for ``[n]``.

Keys never collide with the two wildcard markers: a key is an identifier, which contains
neither ``*`` nor brackets.
"""

Literal = Union[str, int, float, bool, None]


@dataclass(frozen=True, slots=True)
class Path:
    segments: tuple[Segment, ...]

    def __str__(self) -> str:
        return format_segments(self.segments)

    def first_index(self) -> int | None:
        """Position of the first ``[n]`` segment, which makes an expression API-only."""
        for position, segment in enumerate(self.segments):
            if type(segment) is int:
                return position
        return None


def format_segments(segments: tuple[Segment, ...] | list[Segment]) -> str:
    parts: list[str] = []
    for position, segment in enumerate(segments):
        if type(segment) is int:
            parts.append(f"[{segment}]")
        elif segment == ARRAY_WILDCARD:
            parts.append(segment)
        elif position == 0:
            parts.append(segment)
        else:
            parts.append("." + segment)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Comparison:
    path: Path
    op: str
    value: Literal
    # ``1 == True == 1.0`` in Python, yet ``true``, ``1`` and ``1.0`` are different literals;
    # comparing the type too keeps AST equality (and hashing) faithful to the text.
    value_type: type = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value_type", type(self.value))


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Paren:
    inner: Expr


Expr = Union[Or, And, Paren, Comparison]


def iter_comparisons(expr: Expr):
    """Every comparison in source order, without recursion (nesting is bounded, but cheap)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Comparison):
            yield node
        elif isinstance(node, Paren):
            stack.append(node.inner)
        else:
            stack.extend(reversed(node.items))
