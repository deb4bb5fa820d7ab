"""Tokenizer: turns the expression text into tokens that remember their 1-based column.

A lexical problem does not raise here: it becomes a final ``error`` token, so the parser reports
whichever problem comes first in the text (a grammar error before a bad character wins).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .ast import Literal

IDENT = "ident"
NUMBER = "number"
STRING = "string"
END = "end"
ERROR = "error"

_SCANNER = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    | (?P<ident>[^\W\d][\w$]*|\$[\w$]*)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<op>==|!=|&&|\|\||[()\[\].*])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)

_BAD_CHARACTER = {
    "=": "use '==' to compare",
    "&": "use '&&' to require both conditions",
    "|": "use '||' to accept either condition",
    "!": "'!' must be followed by '=' ('!='); negation with '!' is not supported",
    "<": "only '==' and '!=' are supported",
    ">": "only '==' and '!=' are supported",
}


class Token(NamedTuple):
    kind: str
    """``ident``, ``number``, ``string``, ``end``, ``error``, or the operator text itself."""
    text: str
    column: int
    value: Literal = None
    """Decoded literal for strings and numbers; the message for ``error`` tokens."""


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    append = tokens.append
    match = _SCANNER.match
    position, length = 0, len(text)
    while position < length:
        found = match(text, position)
        if found is None:
            append(Token(ERROR, text[position], position + 1, _bad_character(text, position)))
            return tokens
        kind = found.lastgroup
        raw = found.group()
        column = position + 1
        if kind == "op":
            append(Token(raw, raw, column))
        elif kind == IDENT:
            append(Token(IDENT, raw, column, raw))
        elif kind == STRING:
            decoded = _unescape(raw, column)
            if isinstance(decoded, Token):
                append(decoded)
                return tokens
            append(Token(STRING, raw, column, decoded))
        elif kind == NUMBER:
            number = _number(raw)
            if number is None:
                append(Token(ERROR, raw, column, f"number {raw} is out of range"))
                return tokens
            append(Token(NUMBER, raw, column, number))
        position = found.end()
    append(Token(END, "", length + 1))
    return tokens


def _number(raw: str) -> int | float | None:
    if "." not in raw and "e" not in raw and "E" not in raw:
        return int(raw)
    value = float(raw)
    # inf cannot be written back as a literal, so it is refused rather than silently kept.
    return value if value - value == 0 else None


def _unescape(raw: str, column: int) -> str | Token:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    for escape in _ESCAPE.finditer(body):
        if escape.group(1) not in "'\"\\":
            where = column + 1 + escape.start()
            return Token(
                ERROR,
                escape.group(),
                where,
                f"unknown escape {escape.group()!r} in string; only \\', \\\" and \\\\ are allowed",
            )
    return _ESCAPE.sub(r"\1", body)


def _bad_character(text: str, position: int) -> str:
    char = text[position]
    if char in "'\"":
        return f"unterminated string: add the closing {char}"
    if char in _BAD_CHARACTER:
        return _BAD_CHARACTER[char]
    if char == "-":
        return "'-' must be followed by digits (a negative number)"
    return f"unexpected character {char!r}"
