"""The table's query queue: which query runs next, and each query's answer as a value.

Every query runs on the bridge, one at a time (the SQLite store has one worker anyway), with a
priority: a new search (filters changed) beats a refresh, which beats the next page. Every
failure becomes a :class:`Failure`, so one callback ends every query and the queue always
moves on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from emswebhook_gui.errors import ServiceError


@dataclass
class Failure:
    message: str


async def guarded(work: Callable[[], Awaitable[Any]]) -> Any:
    """Every failure becomes a value, so one callback ends every query and the queue always
    moves on."""
    try:
        return await work()
    except asyncio.CancelledError:
        raise
    except ServiceError as exc:
        return Failure(str(exc))
    except Exception as exc:  # noqa: BLE001 - shown to the user as the search's failure
        return Failure(f"Unexpected error: {type(exc).__name__}: {exc}")


SEARCH, REFRESH, MORE = "search", "refresh", "more"
PRIORITY = (SEARCH, REFRESH, MORE)


class QueryQueue:
    """The kinds of query waiting, each at most once, and the one running."""

    def __init__(self) -> None:
        self.pending: set[str] = set()
        self.running: str | None = None

    def wants(self, kind: str) -> bool:
        """Whether ``kind`` is waiting or running already (asking again would add nothing)."""
        return kind in self.pending or self.running == kind

    def take(self) -> str | None:
        """The next kind to run, now marked running; None while one runs or none waits."""
        if self.running is not None:
            return None
        kind = next((kind for kind in PRIORITY if kind in self.pending), None)
        if kind is not None:
            self.pending.discard(kind)
            self.running = kind
        return kind
