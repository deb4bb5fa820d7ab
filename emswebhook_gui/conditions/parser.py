"""Recursive-descent parser for the trigger-condition grammar (DESIGN.md section 3).

Every message says what was expected where, because administrators type these expressions by
hand (or paste them from the source product's API) and need to fix them without a manual.
Recursion is bounded by :data:`MAX_NESTING` before it can approach Python's recursion limit, so
hostile input such as ten thousand ``(`` ends in a :class:`ConditionSyntaxError`.
"""

from __future__ import annotations

from .ast import ARRAY_WILDCARD, WILDCARD, And, Comparison, Expr, Literal, Or, Paren, Path
from .errors import MAX_LENGTH, MAX_NESTING, ConditionSyntaxError
from .tokens import END, ERROR, IDENT, NUMBER, STRING, Token, tokenize

_LITERAL_WORDS: dict[str, Literal] = {"true": True, "false": False, "null": None}
_VALUE_HINT = "a quoted string, number, true, false or null"


def parse(text: str) -> Expr:
    """Parse an expression; only :class:`ConditionSyntaxError` escapes for any string."""
    parser = _Parser(text)
    expr = parser.expression()
    parser.expect_end()
    return expr


def parse_path(text: str) -> Path:
    """Parse a bare path such as ``entitlement.customer.name`` (what the builder stores)."""
    parser = _Parser(text)
    token = parser.peek()
    if token.kind != IDENT:
        parser.fail(token, f"expected a path such as entitlement.state, found {_describe(token)}")
    path = parser.path()
    parser.expect_end(after="path")
    return path


class _Parser:
    __slots__ = ("text", "tokens", "index")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"a condition is text, not {type(text).__name__}")
        if len(text) > MAX_LENGTH:
            raise ConditionSyntaxError(
                MAX_LENGTH + 1,
                f"expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}",
            )
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token:
        token = self.tokens[self.index]
        if token.kind == ERROR:
            raise ConditionSyntaxError(token.column, token.value)
        return token

    def advance(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def fail(self, token: Token, detail: str):
        raise ConditionSyntaxError(token.column, detail)

    def expect_end(self, after: str = "expression") -> None:
        token = self.peek()
        if token.kind == END:
            return
        if token.kind == ")":
            self.fail(token, "unexpected ')' without a matching '('")
        if after == "path":
            self.fail(token, f"unexpected {_describe(token)} after the path")
        self.fail(
            token,
            f"unexpected {_describe(token)} after a complete expression; "
            "join conditions with '&&' or '||'",
        )

    def expression(self, depth: int = 0) -> Expr:
        items = [self.conjunction(depth)]
        while self.peek().kind == "||":
            self.advance()
            items.append(self.conjunction(depth, after="||"))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self, depth: int, after: str | None = None) -> Expr:
        items = [self.primary(depth, after)]
        while self.peek().kind == "&&":
            self.advance()
            items.append(self.primary(depth, "&&"))
        return items[0] if len(items) == 1 else And(tuple(items))

    def primary(self, depth: int, after: str | None) -> Expr:
        token = self.peek()
        if token.kind == "(":
            return self.parenthesised(token, depth)
        if token.kind == IDENT:
            return self.comparison()
        if token.kind == END and self.index == 0:
            self.fail(token._replace(column=1), self._expected_condition(token, after))
        self.fail(token, self._expected_condition(token, after))

    def parenthesised(self, opening: Token, depth: int) -> Paren:
        if depth >= MAX_NESTING:
            self.fail(opening, f"parentheses nested deeper than the limit of {MAX_NESTING} levels")
        self.advance()
        if self.peek().kind == ")":
            self.fail(opening, "empty parentheses '()': put a condition inside or remove them")
        inner = self.expression(depth + 1)
        closing = self.peek()
        if closing.kind != ")":
            if closing.kind == END:
                self.fail(closing, f"missing ')' to close the '(' at column {opening.column}")
            self.fail(
                closing,
                f"expected '&&', '||' or ')' to close the '(' at column {opening.column}, "
                f"found {_describe(closing)}",
            )
        self.advance()
        return Paren(inner)

    def comparison(self) -> Comparison:
        path = self.path()
        token = self.peek()
        if token.kind not in ("==", "!="):
            self.fail(token, f"expected '==' or '!=' after path '{path}'")
        self.advance()
        return Comparison(path, token.kind, self.literal(token.kind))

    def path(self) -> Path:
        segments: list = [self.advance().value]
        while True:
            token = self.peek()
            if token.kind == ".":
                self.advance()
                segment = self.peek()
                if segment.kind == IDENT:
                    segments.append(segment.value)
                elif segment.kind == "*":
                    segments.append(WILDCARD)
                else:
                    self.fail(
                        segment,
                        f"expected a key or '*' after '.' in path '{Path(tuple(segments))}.'",
                    )
                self.advance()
            elif token.kind == "[":
                self.advance()
                segments.append(self.index_segment(segments))
            else:
                return Path(tuple(segments))

    def index_segment(self, segments: list) -> int | str:
        token = self.peek()
        if token.kind == "*":
            segment: int | str = ARRAY_WILDCARD
        elif token.kind == NUMBER and token.text.isdigit() and token.text.isascii():
            segment = int(token.text)
        else:
            self.fail(
                token,
                f"expected an index (0, 1, ...) or '*' inside '[ ]' "
                f"in path '{Path(tuple(segments))}['",
            )
        self.advance()
        closing = self.peek()
        if closing.kind != "]":
            self.fail(
                closing,
                f"expected ']' to close '[' in path '{Path(tuple(segments))}[{token.text}'",
            )
        self.advance()
        return segment

    def literal(self, operator: str) -> Literal:
        token = self.peek()
        if token.kind in (STRING, NUMBER):
            self.advance()
            return token.value
        if token.kind == IDENT:
            if token.value in _LITERAL_WORDS:
                self.advance()
                return _LITERAL_WORDS[token.value]
            self.fail(
                token,
                f"expected a value after '{operator}', found the word '{token.text}'; "
                f"quote text values: '{token.text}'",
            )
        if token.kind == END:
            self.fail(token, f"missing value after '{operator}': expected {_VALUE_HINT}")
        self.fail(token, f"expected a value after '{operator}' ({_VALUE_HINT}), found {_describe(token)}")

    def _expected_condition(self, token: Token, after: str | None) -> str:
        where = f"after '{after}'" if after else "here"
        if token.kind == END:
            if self.index == 0:
                return "empty expression: write a condition such as entitlement.state == 'ENABLE'"
            return f"missing condition {where}: expected a path such as entitlement.state or '('"
        if token.kind == ")":
            if after:
                return f"expected a condition {where}, found ')'"
            return "unexpected ')' without a matching '('"
        if token.kind in ("==", "!=", "&&", "||"):
            return (
                f"unexpected operator '{token.kind}': expected a path such as "
                f"entitlement.state or '(' {where}"
            )
        if token.kind in (STRING, NUMBER):
            return (
                f"a condition starts with a path, found the value {_shorten(token.text)}; "
                "write it as path == value"
            )
        return f"expected a path such as entitlement.state or '(' {where}, found {_describe(token)}"


def _describe(token: Token) -> str:
    if token.kind == END:
        return "the end of the expression"
    if token.kind == STRING:
        return _shorten(token.text)
    return f"'{_shorten(token.text)}'"


def _shorten(text: str, limit: int = 40) -> str:
    """Keep messages readable when the offending token is a long pasted string."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
