"""What the condition dialog decides, apart from how it shows it (Qt-free): which builder rows
still stop a save, the text the builder would save, and what the Text tab's expression is.

The messages are rich text for the dialog's status line; ``row:N`` links let it jump to a row.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from emswebhook_gui.conditions import (
    ApiOnlyExpression,
    Condition,
    ConditionSyntaxError,
    Group,
    normalise,
    parse,
    render,
    to_tree,
    walk,
)

MAX_LISTED_ISSUES = 3


def incomplete_rows(root: Group) -> list[Condition]:
    """Conditions without an attribute yet, in display order (row numbers count these rows)."""
    return [node for _, node in walk(root) if isinstance(node, Condition) and not node.path]


def conditions_in_order(root: Group) -> list[Condition]:
    return [node for _, node in walk(root) if isinstance(node, Condition)]


def without_incomplete(group: Group) -> Group:
    """A copy of the tree without rows that have no attribute (what the text can show so far)."""
    children = []
    for child in group.children:
        if isinstance(child, Group):
            children.append(without_incomplete(child))
        elif child.path:
            children.append(child)
    return Group(group.combinator, children)


def builder_issues(root: Group) -> tuple[str, list[str]]:
    """The text the builder would save ('' when it cannot), and what stops it being saved."""
    issues = []
    numbered = conditions_in_order(root)
    missing = incomplete_rows(root)
    for condition in missing[:MAX_LISTED_ISSUES]:
        row = next(i for i, c in enumerate(numbered, 1) if c is condition)
        issues.append(f'<a href="row:{row}">Row {row}</a>: choose an attribute.')
    if len(missing) > MAX_LISTED_ISSUES:
        issues.append(f"{len(missing) - MAX_LISTED_ISSUES} more rows have no attribute.")
    try:
        text = render(without_incomplete(root))
        if text:
            parse(text)  # the global limits (length, nesting) are checked on the text
    except ValueError as error:
        text = ""
        issues.append(html.escape(str(error), quote=False))
    return text, issues


@dataclass(frozen=True)
class TextCheck:
    """The Text tab's expression, checked: its canonical form, or why the builder cannot show
    it (``api_only``: it still saves), or the error that stops a save."""

    canonical: str
    api_only: str | None = None
    error: ConditionSyntaxError | None = None


@dataclass(frozen=True)
class Subject:
    """What "Try on a sample state" evaluates: the expression Save would store, the rows to
    explain (None: none to show, e.g. for an API-only expression) and, when it cannot be tried,
    why."""

    expression: str
    tree: Group | None
    problem: str | None = None


def try_subject(text: str | None, root: Group) -> Subject:
    """The Text tab's ``text`` (None: the builder is shown, with its tree ``root``), to try."""
    if text is None:
        try:
            return Subject(render(without_incomplete(root)), root)
        except ValueError as error:
            return Subject("", None, f"The rows cannot be tried yet: {error}.")
    check = check_text(text)
    if check.error is not None:
        return Subject("", None, f"Fix the expression first (column {check.error.column}).")
    return Subject(check.canonical, None if check.api_only else to_tree(check.canonical))


def check_text(text: str) -> TextCheck:
    try:
        to_tree(text)
        return TextCheck(normalise(text) if text.strip() else "")
    except ApiOnlyExpression as error:
        return TextCheck(normalise(text), api_only=error.reason)
    except ConditionSyntaxError as error:
        return TextCheck("", error=error)
