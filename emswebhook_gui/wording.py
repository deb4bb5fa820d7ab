"""Counts in words, for every adapter: "1 notification", "1,234 notifications".

One place so the CLI, the REST API's messages and the app say a count the same way, rather than
each writing its own "(s)". (The widgets import it from here too.)
"""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, word: str = "notification", words: str | None = None) -> str:
    """``count`` with thousands separators and ``word``, or ``words`` (default: ``word`` + "s")
    when it is not exactly one."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
