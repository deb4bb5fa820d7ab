"""Prompt wake-ups across processes on PostgreSQL (LISTEN/NOTIFY) instead of busy polling.

Publishing and manual retries run ``pg_notify(CHANNEL)`` inside their transaction, so the
notification reaches every listening delivery service exactly when the rows become visible
(PostgreSQL delivers NOTIFY at commit). Each engine listens on its own connection in a small
daemon thread: blocking ``notifies()`` keeps it independent of which event loop runs the engine
(asyncio for ``serve``, qasync in the GUI), and ``call_soon_threadsafe`` hands the wake-up over.
SQLite has no such channel; there the engine's short poll interval covers other processes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "emswebhook_due"


def notify_due(session: Session) -> None:
    """Tell listening services that work is due (PostgreSQL only; delivered at commit)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class PgListener:
    def __init__(self, sqlalchemy_url: str, loop: asyncio.AbstractEventLoop, on_notify: Callable[[], None]) -> None:
        url = make_url(sqlalchemy_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._loop = loop
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emswebhook-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._wake()  # anything published while we were not listening
                    while not self._stop.is_set():
                        for _notice in conn.notifies(timeout=0.5):
                            self._wake()
            except Exception:
                if self._stop.is_set():
                    return
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def _wake(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._on_notify)
        except RuntimeError:  # the loop is closed: we are shutting down
            self._stop.set()
