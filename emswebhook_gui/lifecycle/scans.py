"""Drivers of ``--where`` searches and bulk actions: one bounded ``notifications.scan`` step per
transaction, so a search over a million notifications never holds the database worker for more
than a few milliseconds at a time (publishes and delivery records run between steps), and a
cancelled search (the GUI's Cancel, a closed REST connection) stops at the next step.

A page is the first ``limit`` matches below the cursor, and its ``nextCursor`` is the seq of its
last item: the same cursor as every other search, so paging needs nothing new."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

from .. import notifications
from ..notifications import Filter
from ..store.database import READERS

if TYPE_CHECKING:
    from ..store import Database


async def search(db: "Database", flt: Filter, limit: int | None, cursor: str | None) -> dict:
    limit = notifications.check_limit(notifications.DEFAULT_LIMIT if limit is None else limit)
    position = notifications.decode_cursor(cursor) if cursor else None
    found: list = []
    while True:
        rows, position = await db.read(
            lambda s, position=position: notifications.scan(s, flt, position, limit + 1 - len(found)))
        found.extend(rows)
        if len(found) > limit or position is None:
            break
    more = len(found) > limit
    return notifications.page(found[:limit], more)


async def each_chunk(db: "Database", flt: Filter, act: Callable[[Session, list], int]) -> int:
    """``act(session, rows)`` on the matches of each step, in that step's transaction, as
    ``(seq, status)`` pairs; the sum."""
    total, position = 0, None
    while True:
        def work(session: Session, position=position):
            rows, next_position = notifications.scan(session, flt, position, notifications.SCAN_CHUNK,
                                                     listed=False)
            return (act(session, rows) if rows else 0), next_position

        done, position = await db.run(work)
        total += done
        if position is None:
            return total


async def count(db: "Database", flt: Filter) -> int:
    """On the readers (``Database.read``), ``READERS`` steps at a time: a count writes nothing,
    and two steps read at once on two cores (SQLite's reads release the GIL)."""
    total, position, chunk = 0, None, notifications.SCAN_CHUNK
    while True:
        bounds = await db.read(lambda s, position=position: notifications.step_bounds(s, position, chunk, READERS))
        steps = await asyncio.gather(*(
            db.read(lambda s, before=before, lower=lower: notifications.count_step(s, flt, before, lower))
            for before, lower in bounds))
        total += sum(steps)
        position = bounds[-1][1]
        if position is None:
            return total


async def change_failed(db: "Database", flt: Filter, values: dict) -> int:
    """Retry or mark successful every FAILED match of a ``--where`` filter (chunk by chunk)."""
    return await each_chunk(db, flt, lambda session, rows: notifications.change_failed_seqs(
        session, [row[0] for row in rows], values))
