"""Counts in words for the GUI's labels and messages: the core's ``wording.plural``, so the app
and the CLI say a count the same way."""

from __future__ import annotations

from ..wording import plural

__all__ = ["plural"]
