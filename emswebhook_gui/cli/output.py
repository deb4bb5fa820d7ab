"""What every command shares: exit codes, tables and JSON on stdout, secrets and files read from
standard input, and the refusal the CLI itself detects."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import FieldError, ValidationError

EXIT_OK, EXIT_ERROR, EXIT_INVALID = 0, 1, 2


class CliError(Exception):
    """Refused input detected by the CLI itself (exit 2)."""


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def emit_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """An aligned plain-text table; ``columns`` are (key, heading)."""
    if not rows:
        print("(none)")
        return
    cells = [[cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (_, h) in enumerate(columns)]
    print("  ".join(h.ljust(w) for (_, h), w in zip(columns, widths)).rstrip())
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def read_secret(prompt: str) -> str:
    """One secret from stdin: a prompt without echo on a terminal, else the first line of a pipe."""
    if sys.stdin is None:
        raise CliError("no standard input to read the secret from")
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def read_state(path: str | None, field: str) -> str | None:
    if path is None:
        return None
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(FieldError(field, f"cannot read '{path}': {exc.strerror}")) from None
    except UnicodeDecodeError:
        raise ValidationError(FieldError(field, f"'{path}' is not UTF-8 text")) from None


def size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
