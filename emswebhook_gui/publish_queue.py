"""The group-commit queue behind ``WebhookService.publish``.

Concurrent publishes are group-committed: those that arrive while a transaction is running are
written together in the next one. Each caller still gets its own eventIds, and only after the
transaction that holds them has committed (so a notification is never reported before it is
durable).

Under load a transaction may also wait up to ``PUBLISH_LINGER`` for as many publishes as the
previous one held: clients with N requests in flight send their next ones as the answers reach
them, and without the wait every round became a transaction of one (the first to arrive) and one
of N-1, each paying the commit. A lone publisher's last batch was one, so it never waits.
Measured with ``tests/benchmarks/bench_api.py``: 16 clients, CPU per request 305 -> 234 us.

The rules of what a publish stores are ``publishing``'s; this module only decides when, and in
which transaction, they run. What a publish makes due may be claimed in its own transaction by
this process's engine (``delivery.collaborators.Dispatcher``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from . import definitions, publishing
from .rules import properties
from .delivery.collaborators import Dispatcher
from .delivery.outbox import Handoff, targets
from .delivery.wakeup import notify_due
from .errors import NotFound
from .store import Database

PUBLISH_BATCH = 500
PUBLISH_LINGER = 0.003
"""Under load, how long a group commit may wait for as many publishes as the last one held."""
ZONE_CACHE_SECONDS = 1.0


def _fail(batch: list, exc: BaseException) -> None:
    for *_rest, future in batch:
        if not future.done():
            future.set_exception(exc)


class PublishQueue:
    def __init__(self, db: Database, clock: Callable[[], datetime],
                 get_property: Callable[[str], Awaitable[Any]]) -> None:
        self.db = db
        self.clock = clock
        self._get_property = get_property
        self._queue: list[tuple] = []
        self._flusher: asyncio.Future | None = None
        self._last_batch = 1
        self._batch_waiter: asyncio.Future | None = None
        self._zone_cache: tuple[float, str] = (0.0, "UTC")
        self._dispatcher: Dispatcher | None = None

    def attach(self, dispatcher: Dispatcher) -> Callable[[], None]:
        """Let this process's delivery engine claim what a publish makes due in the publish's own
        transaction (see ``Dispatcher``); returns the detach function."""
        self._dispatcher = dispatcher

        def detach() -> None:
            if self._dispatcher is dispatcher:
                self._dispatcher = None

        return detach

    def forget_zone(self) -> None:
        """A property changed: read the expiration time zone again at the next publish."""
        self._zone_cache = (0.0, "UTC")

    async def submit(self, occurrence: dict, only_webhook: str | None) -> list[str]:
        """Write a validated occurrence in the next group commit; its eventIds once committed."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((occurrence, only_webhook, future))
        waiter = self._batch_waiter
        if waiter is not None and len(self._queue) >= self._last_batch and not waiter.done():
            waiter.set_result(None)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            if self._last_batch > 1 and len(self._queue) < self._last_batch:
                await self._linger()
            batch, self._queue = self._queue[:PUBLISH_BATCH], self._queue[PUBLISH_BATCH:]
            self._last_batch = len(batch)
            try:
                written = await self._write(batch)
            except Exception as exc:
                # The transaction failed, so nothing of it was stored. If the database refused
                # what was written (not an unreachable or locked database, where each retry would
                # wait as long again), write each in a transaction of its own, so that the one it
                # refuses fails alone rather than taking its batch with it.
                if len(batch) == 1 or isinstance(exc, (OperationalError, InterfaceError, TimeoutError)):
                    _fail(batch, exc)
                    continue
                for one in batch:
                    try:
                        self._settle([one], *await self._write([one]))
                    except Exception as alone:
                        _fail([one], alone)
                continue
            self._settle(batch, *written)

    async def _write(self, batch: list) -> tuple[list, Handoff | None, Dispatcher | None]:
        """One transaction for a batch of ``(occurrence, only_webhook, future)``: each one's
        eventIds (or the exception for it alone), and what the engine here was handed and by
        whom it is to be accepted (raises when the transaction fails)."""
        zone = await self._expiry_zone()
        # one timestamp for the batch: its rows share it, so it is converted for storage once
        now = self.clock()
        dispatcher = self._dispatcher

        def work(session: Session) -> tuple[list, Any]:
            results: list = [None] * len(batch)
            items, positions = [], []
            for position, (occurrence, only, _future) in enumerate(batch):
                try:
                    only_id = definitions.find_webhook(session, only).id if only else None
                except NotFound as exc:
                    results[position] = exc
                    continue
                items.append((occurrence, only_id, now))
                positions.append(position)
            lease = dispatcher.offer() if dispatcher is not None else None
            event_ids, leased = publishing.publish_batch(session, items, zone, lease)
            for position, ids in zip(positions, event_ids):
                results[position] = ids
            published = sum(len(ids) for ids in event_ids)
            handoff = None
            if lease is not None and published:
                handoff = Handoff(leased, targets(session, {c.webhook_id for c in leased}) if leased else {},
                                  len(leased) == published)
            if published and (handoff is None or not handoff.complete):
                notify_due(session)  # other services: something is due (PostgreSQL)
            return results, handoff

        results, handoff = await self.db.run(work)
        return results, handoff, dispatcher

    @staticmethod
    def _settle(batch: list, results: list, handoff: Handoff | None, dispatcher: Dispatcher | None) -> None:
        """After the commit: the engine takes what it was handed, and each caller its result."""
        if handoff is not None and dispatcher is not None:
            dispatcher.accept(handoff)
        for (*_rest, future), result in zip(batch, results):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _linger(self) -> None:
        """Wait until ``submit`` has queued as many as the last batch, or ``PUBLISH_LINGER``."""
        loop = asyncio.get_running_loop()
        waiter = self._batch_waiter = loop.create_future()
        timer = loop.call_later(PUBLISH_LINGER, lambda: waiter.done() or waiter.set_result(None))
        try:
            await waiter
        finally:
            timer.cancel()
            self._batch_waiter = None

    async def _expiry_zone(self) -> str:
        """The expiration time-zone property, re-read at most once a second (hot path)."""
        expires, value = self._zone_cache
        if time.monotonic() < expires:
            return value
        value = await self._get_property(properties.EXPIRATION_TIME_ZONE)
        self._zone_cache = (time.monotonic() + ZONE_CACHE_SECONDS, value)
        return value
