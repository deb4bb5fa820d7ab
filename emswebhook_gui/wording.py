"""Counts in words, for every adapter: "1 notification", "1,234 notifications".

One place so the CLI, the REST API's messages and the app say a count the same way, rather than
each writing its own "(s)". (The widgets import it from here too.)
"""

from __future__ import annotations

__all__ = ["plural", "milliseconds", "shorten"]


def plural(count: int, word: str = "notification", words: str | None = None) -> str:
    """``count`` with thousands separators and ``word``, or ``words`` (default: ``word`` + "s")
    when it is not exactly one."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def milliseconds(value: object, missing: str, digits: int = 2) -> str:
    """A duration given in milliseconds: "840 ms", or seconds past one ("1.25 s", ``digits``
    decimals); ``missing`` when there is no number (nothing was measured)."""
    if not isinstance(value, (int, float)):
        return missing
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.{digits}f} s"


def shorten(text: str, limit: int) -> str:
    """``text`` quoted in a message line: at most ``limit`` characters, cut with "…"."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
