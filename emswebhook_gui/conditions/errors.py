"""Errors of the trigger-condition language and the limits that produce some of them.

Both exceptions derive from ``ValueError`` so callers that validate webhook input can catch one
family; each carries the data a user interface needs to point at the problem (a column, an
indexed path) besides the readable message.
"""

from __future__ import annotations

MAX_LENGTH = 4000
"""Longest expression accepted, in characters (DESIGN.md section 3)."""

MAX_NESTING = 32
"""Deepest parenthesis nesting accepted; also bounds the parser's recursion."""


class ConditionSyntaxError(ValueError):
    """An expression that does not parse, located at a 1-based column of the original text.

    ``str(error)`` is ``"column N: <detail>"`` so it can be shown as is; ``column`` lets an
    editor put the cursor on the problem. The column counts characters from the start of the
    whole text (a newline counts as one character), because expressions are edited on one line.
    """

    def __init__(self, column: int, detail: str) -> None:
        super().__init__(f"column {column}: {detail}")
        self.column = column
        self.detail = detail

    def __reduce__(self):
        # The default pickling would call cls(message) and lose column/detail.
        return (type(self), (self.column, self.detail))


class ApiOnlyExpression(ValueError):
    """A valid expression the condition builder cannot show, so it stays text-only.

    The source product edits ``[n]`` (indexed array) paths only through its REST API; the
    builder supports ``[*]``. ``path`` is the offending path up to and including the index.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.reason = (
            f"uses the indexed array path '{path}', which only the API can edit; "
            "[*] is supported"
        )
        super().__init__(self.reason)

    def __reduce__(self):
        return (type(self), (self.path,))
