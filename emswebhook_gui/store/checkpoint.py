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

Durability is unchanged: a commit is in the log before it returns, as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

INTERVAL = 0.25
"""Seconds between looks at the log; a look that finds it unchanged since the last one costs a
``stat`` and nothing else, so an idle application does no database work."""

SAFETY_NET_PAGES = 16000
"""``wal_autocheckpoint`` of the application's connections (about 64 MB of log)."""


class Checkpointer:
    """A daemon thread checkpointing one SQLite file; ``stop()`` ends it (``Database.close``)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._wal = f"{path}-wal"
        self._stop = threading.Event()
        self._written = 0  # the log file's modification time at the last look
        self._thread = threading.Thread(target=self._run, name="emswebhook-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(INTERVAL):
                if not self._grown():
                    continue
                if connection is None:
                    connection = sqlite3.connect(self._path, timeout=10, isolation_level=None,
                                                 check_same_thread=False)
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy or locked now: the next look tries again
                    log.debug("background checkpoint skipped: %s", exc)
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
