"""Counts in words for the GUI's labels and messages: "1 notification", "1,234 notifications".

Kept apart from the widgets (no Qt here) so every page says a count the same way, rather than
each writing its own "(s)".
"""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, word: str = "notification", words: str | None = None) -> str:
    """``count`` with thousands separators and ``word``, or ``words`` (default: ``word`` + "s")
    when it is not exactly one."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
