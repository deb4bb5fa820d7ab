"""Retention and purge: notifications go with their body and attempts, in small transactions.

Why small transactions: SQLite has one writer and this app one database worker thread, so a
purge of 200,000 rows in one statement would hold every publish and delivery record behind it
for seconds. A batch takes about ``PURGE_TARGET_SECONDS`` (``BatchSize``), and it deletes in
slices of ``SLICE_ROWS``, committing early after any slice once other work waits for the worker
(``Database.waiting``): a publish or a delivery record waits behind a slice, not a batch. The
vacuum after a purge is sliced the same way. Decided for the latency of deliveries over the
purge's own rate: a background purge has an hour until the next one.

Rules:
- IN_PROGRESS notifications are never removed (the DELETE itself re-checks the status, so a
  notification retried between the choice and the delete stays).
- Retention keeps SUCCESSFUL notifications ``retentionSuccessfulDays`` and FAILED ones
  ``retentionFailedDays`` after they were created (0: forever). Creation, not the last change,
  is the age: it is what "keep 30 days of history" means to a reader, and an index answers it.
- A notification's body and attempts go with it (foreign keys ON DELETE CASCADE). Its
  occurrence goes when no notification of it is left; an occurrence that notified nobody is
  removed once older than the SUCCESSFUL retention. When a sibling notification stays whose
  webhook did not include data, the entity states are first copied from the removed body to
  the occurrence, so ``--where`` still reads them.
- On PostgreSQL each batch takes a transaction-scoped advisory lock (``pg_try_advisory_xact_lock``);
  a service that finds it taken ends its run, so two services never purge at once and never
  delete the same rows (or deadlock on them). Nothing to release if a service dies.
- Space: SQLite files created by this version use ``auto_vacuum=INCREMENTAL``, and after a run
  the free pages are returned with ``PRAGMA incremental_vacuum`` in steps; older files get their
  space back with ``emswebhook db compact``. PostgreSQL's autovacuum reuses the space; nothing
  is done here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from sqlalchemy import delete, exists, func, select, text, true
from sqlalchemy.orm import Session

from ..rules import properties
from ..notifications import Filter, scan, sql_clauses
from ..state_search import BODY_MARK, sibling_states
from ..store.bulk import RawCursor
from ..store.models import (
    FAILED,
    IN_PROGRESS,
    SUCCESSFUL,
    MaintenanceRun,
    Notification,
    NotificationPayload,
    Occurrence,
    iso,
)

if TYPE_CHECKING:
    from .host import Host

log = logging.getLogger(__name__)

PURGE_BATCH = 1000
"""At most this many notifications per transaction (see ``BatchSize`` for the actual number)."""
MIN_BATCH = 10
PURGE_TARGET_SECONDS = 0.003
"""Seconds a batch takes when nobody waits; its commit grows with it (the pages it dirtied)."""
SLICE_ROWS = 16
"""A batch deletes in slices of this many notifications and commits early, after any slice,
once other work waits for the database worker (``Database.waiting``): a publish or a delivery
record then waits behind a slice (about a millisecond) rather than a whole batch (5 ms at the
median, 10 to 20 at the 99th percentile on a busy 2-core machine; the p99 record wait during a
purge of 1,000,000 rows was 4 to 5x the p99 without it, bench_lifecycle.py). 16 rows take about
0.5 ms on an idle machine."""
VACUUM_SLICE = 8
"""Pages per ``incremental_vacuum`` statement inside a vacuum step (which stops early, as a
purge batch does, when other work waits): on a file freed of 1,000,000 notifications, 8 pages
took 0.13 ms at the median and 0.7 ms at the 99th percentile, 32 pages 0.5 and 2.7 ms, for
about the same total. Free pages at the end of the file cost next to nothing; a page still in
use there must move, and SQLite looks through the whole free list for a place below it: with
700,000 free pages, 14 ms for 8 pages. So a statement that took longer than
``SLICE_SECONDS`` makes the next ones a page each (``VacuumPace``)."""
SLICE_SECONDS = 0.001
ORPHAN_CHUNK = 5000
VACUUM_PAGES = 256
"""Pages returned per ``incremental_vacuum`` transaction by default; a purge's vacuum adjusts
the number to take about ``PURGE_TARGET_SECONDS`` a step (``BatchSize``, at most 4x this): 256
pages took 7 ms at the median and 29 ms at the 99th percentile on a busy 2-core machine."""
ADVISORY_KEY = 0x656D7370  # 'emsp'
TASK = "purge"
FIRST_RUN_DELAY = (5.0, 50.0)
"""Seconds after an engine starts before its first run (random, so services started together
do not all try at once); within a minute, as promised."""
RUN_INTERVAL = 3600.0


@dataclass
class PurgeResult:
    purged: int = 0
    skipped_in_progress: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    occurrences: int = 0
    freed_bytes: int = 0
    locked_out: bool = False

    def as_dict(self) -> dict:
        return {"purged": self.purged, "skippedInProgress": self.skipped_in_progress}


# -- one batch ------------------------------------------------------------------------------------


def _lock(session: Session) -> bool:
    """PostgreSQL: this transaction holds the purge lock (else another service is purging)."""
    if session.get_bind().dialect.name == "sqlite":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY}))


def _keep_states(session: Session, raw: RawCursor, seqs: list[int], occurrence_of: dict[int, str]) -> set[str]:
    """Before removing ``seqs``: occurrences that keep other notifications and whose states live
    only in removed bodies get the states copied onto them. Returns the occurrences that keep
    notifications (the others go with the batch)."""
    in_batch: dict[str, int] = {}
    for seq in seqs:
        in_batch[occurrence_of[seq]] = in_batch.get(occurrence_of[seq], 0) + 1
    where, params = raw.member("occurrence_id", in_batch)
    totals = raw.run(f"SELECT occurrence_id, count(*) FROM notifications WHERE {where} GROUP BY occurrence_id",
                     params)
    survivors = {occurrence_id for occurrence_id, total in totals if total > in_batch[occurrence_id]}
    if not survivors:
        return survivors
    find = func.instr if raw.sqlite else func.strpos
    stateless = session.scalars(select(Occurrence.id).where(
        Occurrence.id.in_(list(survivors)),
        Occurrence.current_state.is_(None) | Occurrence.previous_state.is_(None))).all()
    for occurrence_id in stateless:
        payloads = session.scalars(
            select(NotificationPayload.payload).join(Notification, Notification.event_id == NotificationPayload.event_id)
            .where(Notification.occurrence_id == occurrence_id, Notification.seq.in_(seqs),
                   find(NotificationPayload.payload, BODY_MARK) > 0).limit(1)).all()
        states = sibling_states(payloads)
        if states is None:
            continue
        occurrence = session.get(Occurrence, occurrence_id)
        current, previous = states
        if occurrence.current_state is None and current:
            occurrence.current_state = current
        if occurrence.previous_state is None and previous:
            occurrence.previous_state = previous
    session.flush()
    return survivors


def delete_seqs(session: Session, seqs: list[int], occurrence_of: dict[int, str] | None = None) -> int:
    """Remove these notifications (not IN_PROGRESS ones), their bodies and attempts, and the
    occurrences left without notifications; returns how many notifications went."""
    if not seqs:
        return 0
    raw = RawCursor(session.connection())
    try:
        if occurrence_of is None:
            where, params = raw.member("seq", seqs)
            occurrence_of = dict(raw.run(f"SELECT seq, occurrence_id FROM notifications WHERE {where}", params))
            seqs = list(occurrence_of)
            if not seqs:
                return 0
        survivors = _keep_states(session, raw, seqs, occurrence_of)
        where, params = raw.member("seq", seqs)
        gone = [row[0] for row in raw.run(
            f"DELETE FROM notifications WHERE {where} AND status <> ? RETURNING seq", [*params, IN_PROGRESS])]
        kept = set(seqs).difference(gone)  # became IN_PROGRESS meanwhile (a retry): its occurrence stays
        orphans = {occurrence_of[seq] for seq in gone} - survivors - {occurrence_of[seq] for seq in kept}
        if orphans:
            where, params = raw.member("id", orphans)
            raw.run(f"DELETE FROM occurrences WHERE {where}", params)
        return len(gone)
    finally:
        raw.close()


class BatchSize:
    """Rows per purge transaction, adjusted to take about ``target`` seconds on this machine:
    a fixed number is a few milliseconds on one machine and a quarter of a second on a busy
    one (every removed notification touches about sixteen B-trees), and the time, not the
    count, is what publishes and delivery records wait behind."""

    def __init__(self, target: float = PURGE_TARGET_SECONDS, start: int = 200, largest: int = PURGE_BATCH) -> None:
        self.target = target
        self.rows = start
        self.largest = largest

    def update(self, rows: int, seconds: float) -> None:
        if rows < self.rows or seconds <= 0:
            return
        wanted = int(self.rows * self.target / seconds)
        self.rows = max(MIN_BATCH, min(self.largest, wanted, self.rows * 2))


def never() -> bool:
    return False


def _delete_sliced(session: Session, rows: list, limit: int, yielding: Callable[[], bool]) -> tuple[int, bool]:
    """Delete the chosen ``(seq, occurrence_id)`` rows slice by slice, stopping after a slice
    when ``yielding()`` says others wait (see ``SLICE_ROWS``): (removed, whether rows may remain)."""
    removed = 0
    for start in range(0, len(rows), SLICE_ROWS):
        part = rows[start:start + SLICE_ROWS]
        removed += delete_seqs(session, [seq for seq, _ in part], dict(part))
        if start + SLICE_ROWS < len(rows) and yielding():
            return removed, True
    return removed, len(rows) >= limit


def retention_batch(session: Session, status: str, cutoff: datetime, limit: int = PURGE_BATCH,
                    yielding: Callable[[], bool] = never) -> tuple[int, bool] | None:
    """One transaction of retention for one status: (removed, whether rows may remain); None
    when another service holds the lock."""
    if not _lock(session):
        return None
    raw = RawCursor(session.connection())
    try:
        rows = raw.run("SELECT seq, occurrence_id FROM notifications WHERE status = ? AND created_at < ? "
                       "ORDER BY created_at LIMIT ?", [status, raw.stamp(cutoff), int(limit)])
    finally:
        raw.close()
    return _delete_sliced(session, rows, limit, yielding)


def orphan_batch(session: Session, cutoff: datetime, after: str | None,
                 chunk: int = ORPHAN_CHUNK) -> tuple[int, str | None] | None:
    """Occurrences that notified nobody, older than ``cutoff``, among the next ``chunk`` by id;
    returns (removed, where to continue or None at the end), None when locked out."""
    if not _lock(session):
        return None
    start = Occurrence.id > after if after is not None else true()
    upper = session.scalar(select(Occurrence.id).where(start).order_by(Occurrence.id).offset(chunk - 1).limit(1))
    end = Occurrence.id <= upper if upper is not None else true()
    removed = session.execute(delete(Occurrence).where(
        start, end, Occurrence.created_at < cutoff,
        ~exists().where(Notification.occurrence_id == Occurrence.id))).rowcount
    return removed, upper


def filter_batch(session: Session, flt: Filter, limit: int = PURGE_BATCH,
                 yielding: Callable[[], bool] = never) -> tuple[int, bool] | None:
    """One transaction of a purge on demand without ``--where`` (SQL filters only), as
    :func:`retention_batch`."""
    if not _lock(session):
        return None
    rows = session.execute(select(Notification.seq, Notification.occurrence_id).where(
        *sql_clauses(session, flt), Notification.status != IN_PROGRESS)
        .order_by(Notification.seq).limit(limit)).all()
    return _delete_sliced(session, rows, limit, yielding)


def count_in_progress(session: Session, flt: Filter) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        *sql_clauses(session, flt.only(IN_PROGRESS))))


class VacuumPace:
    """Pages per statement of one vacuum run: ``VACUUM_SLICE``, one after a slow statement, and
    back up (doubling) once statements are fast again."""

    def __init__(self) -> None:
        self.pages = VACUUM_SLICE

    def took(self, seconds: float) -> None:
        if seconds > SLICE_SECONDS:
            self.pages = 1
        elif seconds < SLICE_SECONDS / 4:
            self.pages = min(VACUUM_SLICE, self.pages * 2)


def vacuum_step(engine, pages: int = VACUUM_PAGES, yielding: Callable[[], bool] = never,
                pace: VacuumPace | None = None) -> int:
    """SQLite with auto_vacuum=INCREMENTAL: return up to ``pages`` free pages to the file system,
    a few at a time (``VacuumPace``; each statement its own short transaction), stopping early
    when ``yielding()`` says others wait; returns the bytes given back (0: nothing free, or mode off).

    ``executescript``, because Python's ``execute`` steps a statement that returns no rows only
    once, and ``incremental_vacuum`` frees one page per step."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        if connection.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            return 0
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        before = connection.execute("PRAGMA freelist_count").fetchone()[0]
        if not before:
            return 0
        pace = pace or VacuumPace()
        left = int(pages)
        while left > 0:
            count = min(left, pace.pages)
            started = time.perf_counter()
            connection.executescript(f"PRAGMA incremental_vacuum({count});")
            pace.took(time.perf_counter() - started)
            left -= count
            if yielding():
                break
        after = connection.execute("PRAGMA freelist_count").fetchone()[0]
        return (before - after) * page_size
    finally:
        raw.close()


def record_run(session: Session, owner: str, started: datetime, finished: datetime, result: PurgeResult,
               kind: str) -> None:
    detail = json.dumps({"kind": kind, "byStatus": result.by_status, "occurrences": result.occurrences,
                         "freedBytes": result.freed_bytes, "skippedInProgress": result.skipped_in_progress})
    row = session.get(MaintenanceRun, TASK)
    if row is None:
        session.add(MaintenanceRun(task=TASK, started_at=started, finished_at=finished, owner=owner,
                                   removed=result.purged, detail=detail))
    else:
        row.started_at, row.finished_at, row.owner, row.removed, row.detail = (
            started, finished, owner, result.purged, detail)


def last_run(session: Session) -> dict | None:
    row = session.get(MaintenanceRun, TASK)
    if row is None:
        return None
    try:
        detail = json.loads(row.detail or "{}")
    except ValueError:
        detail = {}
    return {"startedAt": iso(row.started_at), "finishedAt": iso(row.finished_at), "service": row.owner,
            "purged": row.removed, **detail}


# -- runs (async, one transaction per batch) ------------------------------------------------------


async def _vacuum(service: "Host", result: PurgeResult) -> None:
    if not service.db.is_sqlite or not result.purged and not result.occurrences:
        return
    size = BatchSize(start=64, largest=VACUUM_PAGES * 4)
    db = service.db
    pace = VacuumPace()
    while True:
        pages = size.rows

        def step(pages=pages):
            start = time.perf_counter()
            return vacuum_step(db.engine, pages, db.waiting, pace), time.perf_counter() - start

        freed, seconds = await db.run_raw(step)
        result.freed_bytes += freed
        if not freed:
            return
        size.update(pages if freed >= pages * 1024 else 0, seconds)  # a step cut short says nothing
        await db.settle_log()


async def _in_batches(db, batch) -> tuple[int, bool]:
    """Run ``batch(limit, yielding)`` (an awaitable of ``((removed, more), seconds)``, None
    instead of the pair when another service holds the lock) at the adaptive size until no rows
    remain: the rows removed in all, and whether it stopped at the lock. A batch cut short by
    ``yielding`` (others waited) says nothing about the size."""
    removed, size = 0, BatchSize()
    while True:
        limit = size.rows
        outcome, seconds = await batch(limit, db.waiting)
        if outcome is None:
            return removed, True
        n, more = outcome
        removed += n
        if not more:
            return removed, False
        size.update(n, seconds)
        await db.settle_log()  # never a checkpoint inside one of these commits (store/checkpoint.py)


async def _finish(service: "Host", owner: str, started: datetime, result: PurgeResult, kind: str) -> PurgeResult:
    """The end of every complete run: the freed pages returned (SQLite), and the run recorded."""
    await _vacuum(service, result)
    finished = service.clock()
    await service.db.run(lambda s: record_run(s, owner, started, finished, result, kind))
    return result


async def purge_expired(service: "Host", owner: str = "manual") -> PurgeResult:
    """Apply the retention properties once, now (by the service's clock)."""
    started = service.clock()
    successful_days = await service.get_property(properties.RETENTION_SUCCESSFUL_DAYS)
    failed_days = await service.get_property(properties.RETENTION_FAILED_DAYS)
    result = PurgeResult()
    for status, days in ((SUCCESSFUL, successful_days), (FAILED, failed_days)):
        if not days:
            continue
        cutoff = started - timedelta(days=days)

        async def batch(limit: int, yielding, status=status, cutoff=cutoff):
            return await _timed(service, lambda s: retention_batch(s, status, cutoff, limit, yielding))

        removed, result.locked_out = await _in_batches(service.db, batch)
        result.by_status[status] = removed
        result.purged += removed
        if result.locked_out:
            return result
    if successful_days:
        cutoff, after = started - timedelta(days=successful_days), None
        while True:
            step = await service.db.run(lambda s, after=after: orphan_batch(s, cutoff, after))
            if step is None:
                result.locked_out = True
                return result
            removed, after = step
            result.occurrences += removed
            if after is None:
                break
    return await _finish(service, owner, started, result, "retention")


async def purge_matching(service: "Host", flt: Filter, owner: str = "manual") -> PurgeResult:
    """Purge on demand: every notification matching ``flt`` that is not IN_PROGRESS."""
    started = service.clock()
    result = PurgeResult()
    if flt.status == IN_PROGRESS:
        result.skipped_in_progress = await service.db.run(lambda s: count_in_progress(s, flt))
        return result
    if flt.where is None:
        result.skipped_in_progress = await service.db.run(lambda s: count_in_progress(s, flt))
        result.purged, _ = await _in_batches(
            service.db, lambda limit, yielding: _retrying(service, lambda s: filter_batch(s, flt, limit, yielding)))
    else:
        position = None
        while True:
            def work(session: Session, position=position):
                rows, next_position = scan(session, flt, position, PURGE_BATCH, chunk=PURGE_BATCH, listed=False)
                seqs = [seq for seq, status in rows if status != IN_PROGRESS]
                skipped = len(rows) - len(seqs)
                return (delete_seqs(session, seqs) if _lock(session) else None), skipped, next_position
            n, skipped, position = await service.db.run(work)
            if n is None:  # another service's retention run holds the lock: wait for it
                await asyncio.sleep(0.05)
                continue
            result.purged += n
            result.skipped_in_progress += skipped
            if position is None:
                break
    return await _finish(service, owner, started, result, "on demand")


async def _timed(service: "Host", fn) -> tuple:
    """``fn``'s result and how long its transaction took on the worker (commit included)."""

    def call():
        start = time.perf_counter()
        with service.db.session() as session:
            value = fn(session)
        return value, time.perf_counter() - start

    return await service.db.run_raw(call)


async def _retrying(service: "Host", fn) -> tuple[tuple[int, bool], float]:
    """A purge on demand waits for a retention run elsewhere rather than giving up."""
    while True:
        n, seconds = await _timed(service, fn)
        if n is not None:
            return n, seconds
        await asyncio.sleep(0.05)


# -- the background schedule ----------------------------------------------------------------------


class RetentionSchedule:
    """Runs :func:`purge_expired` within a minute of ``start`` and then every ``interval``.

    Made by the service for each delivery engine (``WebhookService.delivery_engine``) and
    started and stopped with it, so every running service purges and none needs a scheduler of
    its own; a failed run is logged and tried again at the next interval, never stopping
    deliveries."""

    def __init__(self, service: "Host", owner: str, *, first_delay: float | None = None,
                 interval: float = RUN_INTERVAL) -> None:
        self.service = service
        self.owner = owner
        self.first_delay = random.uniform(*FIRST_RUN_DELAY) if first_delay is None else first_delay
        self.interval = interval
        self.runs = 0
        self.last: PurgeResult | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="emswebhook-retention")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            try:
                self.last = await purge_expired(self.service, self.owner)
                self.runs += 1
                if self.last.purged or self.last.occurrences:
                    log.info("retention removed %d notifications and %d occurrences (%s); %d bytes returned",
                             self.last.purged, self.last.occurrences, self.last.by_status, self.last.freed_bytes)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("retention run failed; trying again in %.0f s", self.interval, exc_info=True)
            await asyncio.sleep(self.interval)
