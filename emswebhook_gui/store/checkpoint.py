"""Moving SQLite's write-ahead log back into the database file, on a thread of its own.

Why: in WAL mode SQLite copies the log into the database file (a checkpoint, with fsyncs) inside
whichever commit pushes the log past ``wal_autocheckpoint`` pages. Under load that commit is on the
database worker, which every publish and every recorded delivery waits for: measured with batches
of 32 publishes, a commit took 381 µs at the median and 1,549 µs on average, the difference being
those checkpoints (about 35 µs per publish). Here a thread with its own connection runs a PASSIVE
checkpoint (it never waits for readers or writers) when the log was written, so commits only
append to the log; SQLite does the copying and syncing with the GIL released, on the other core.
``wal_autocheckpoint`` stays on the application's connections as a safety net, set high enough
(:data:`SAFETY_NET_PAGES`) that it only acts if this thread cannot keep up.

Only a writer can start the log anew, and only once everything in it was copied. When the writing
pauses, a passive checkpoint completes and the next commit restarts the log. Under writes that
never pause, the log keeps growing until the safety net checkpoints inside a commit, as SQLite
would have done anyway, at most every 64 MB. Measured end to end (bench_delivery's publish-to-
SUCCESSFUL loop, alternating runs on a noisy 2-core machine), this thread gained about 4%; also
tried, following each passive checkpoint with a RESTART checkpoint, which holds writers back while
it copies the rest, lost about 15%.

A purge is such a writer: it writes for minutes, and each 64 MB of log a safety-net checkpoint
held one of its commits for 60-90 ms, with every delivery record behind it (the purge's p99
record wait was 6x the p99 without it; bench_lifecycle.py). So a long writer asks for the log
to be settled (:meth:`Checkpointer.settle`) once it holds ``SETTLE_PAGES``: it waits, off the
database worker, while this thread copies the log completely, and its next commit starts the
log anew. Publishes and delivery records go on meanwhile.

Durability is unchanged: a commit is in the log before it returns, as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

SETTLE_PAGES = 4096
"""Log pages (16 MB at 4 KiB pages) past which a long writer settles the log (``settle``)."""
INTERVAL = 0.25
"""Seconds between looks at the log; a look that finds it unchanged since the last one costs a
``stat`` and nothing else, so an idle application does no database work."""

SAFETY_NET_PAGES = 16000
"""``wal_autocheckpoint`` of the application's connections (about 64 MB of log)."""

LOG_SIZE_LIMIT = 64 * 2**20
"""``journal_size_limit`` of the application's connections: when a commit starts the log anew,
a log file grown past this by a burst (one large transaction) is cut back to it. Without it the
file keeps its largest size for as long as the store is open (140 MB after one large
transaction, measured, on a store of 20 MB). Not less than the safety net: a log cut back at
every restart must grow again, block by block, and growing it beside the checkpoint thread's
fsyncs stalled commits (with 16 MiB, the p99 delivery-record wait during a purge of 1,000,000
rows went from 5 to 17 ms)."""


class Checkpointer:
    """A daemon thread checkpointing one SQLite file; ``stop()`` ends it (``Database.close``)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._wal = f"{path}-wal"
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._complete = threading.Event()
        """Set by a checkpoint that copied the whole log (cleared by ``settle`` before it asks)."""
        self.log_pages = 0
        """Pages in the log at the last checkpoint (0 until one ran)."""
        self._written = 0  # the log file's modification time at the last look
        self._thread = threading.Thread(target=self._run, name="emswebhook-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        self._thread.join(timeout=10)

    def settle(self, timeout: float = 1.0) -> bool:
        """Checkpoint now and wait (blocking, at most ``timeout`` s) until the whole log is in
        the database file; whether it got there (a reader holding an old snapshot can keep it
        from completing: the writer then goes on, and the safety net remains)."""
        self._complete.clear()
        self._written = 0  # look even if the log's time did not change
        self._kick.set()
        return self._complete.wait(timeout)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while True:
                self._kick.wait(INTERVAL)
                self._kick.clear()
                if self._stop.is_set():
                    break
                if not self._grown():
                    continue
                if connection is None:
                    connection = sqlite3.connect(self._path, timeout=10, isolation_level=None,
                                                 check_same_thread=False)
                try:
                    _busy, pages, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # busy or locked now: the next look tries again
                    log.debug("background checkpoint skipped: %s", exc)
                    continue
                self.log_pages = pages
                if copied == pages:
                    self._complete.set()
        except Exception:  # never take the application down; the safety net still checkpoints
            log.warning("background checkpoints stopped", exc_info=True)
        finally:
            if connection is not None:
                connection.close()

    def _grown(self) -> bool:
        """Whether anything was committed since the last look (the log file was written)."""
        try:
            written = os.stat(self._wal).st_mtime_ns
        except OSError:
            return False
        if written == self._written:
            return False
        self._written = written
        return True
