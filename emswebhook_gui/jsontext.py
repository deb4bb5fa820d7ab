"""Reading JSON that others wrote: request bodies, entity states, token answers, cursors, drops.

Python's reader raises RecursionError, not ValueError, for text nested deeper than the
interpreter's recursion limit (about 1,000 levels), so a few kilobytes of ``[`` escaped every
caller that, reasonably, catches ValueError for bad JSON. Read through here, deep nesting is one
more way for JSON to be invalid, and each caller's own message for invalid JSON applies.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["read_json"]


def read_json(text: str | bytes, decoder: json.JSONDecoder | None = None) -> Any:
    """``json.loads(text)``, or ``decoder.decode(text)``; ValueError for anything not valid JSON."""
    try:
        return json.loads(text) if decoder is None else decoder.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply, beyond about 1,000 levels") from None
