"""Engine, sessions and the database worker.

Decisions:
- SQLAlchemy's synchronous engine, driven from asyncio through one dedicated worker thread per
  database (``Database.run``). The GUI and the engine are async, and SQLite allows one writer at a
  time anyway: a single serialised worker (as Anki does) avoids "database is locked" storms and
  keeps one code path for SQLite and PostgreSQL. PostgreSQL gets a few workers.
- Long reads (``--where`` scans: seconds over a million rows) go to readers of their own
  (``Database.read``, two threads, each transaction a snapshot of its own): on the worker, every
  step of a scan held publishes and delivery records behind it for tens of milliseconds, and on
  two cores two steps read at once (SQLite reads with the GIL released).
- Plain URLs are accepted (``sqlite:///file.db``, ``postgresql://user@host/db``) and mapped to the
  drivers we ship (pysqlite, psycopg 3), so users never need to know driver names.
- SQLite runs in WAL mode with foreign keys on and a busy timeout, so a CLI ``publish`` from another
  process can write while the GUI or ``serve`` delivers. The log is copied back into the file by
  a thread of its own (``checkpoint.py``), not inside the worker's commits.
- The schema is created and upgraded by Alembic on open: a database made by an older version is
  upgraded in place before anything else touches it. Read-only commands open with
  ``require_schema=True`` instead: no file, folder or table is created, and a database without
  the current schema is refused in words (``migrations_runner.require_current_schema``).
- Failures are left as the driver raised them; ``store.errors.explain`` turns them into words
  for each adapter. PostgreSQL connections give up after 10 s (``connect_timeout`` in the URL
  overrides it), so an unreachable server is an error, not a hang.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import platformdirs
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from .checkpoint import LOG_SIZE_LIMIT, SAFETY_NET_PAGES, SETTLE_PAGES, Checkpointer
from .errors import NO_SCHEMA, DatabaseProblem, DatabaseUnavailable
from .migrations_runner import CREATE_IT, require_current_schema, upgrade_to_head

T = TypeVar("T")
READERS = 2
"""Reader threads (``Database.read``): one a core on the machines this is measured on."""

APP_DIR_NAME = "emswebhook-gui"
ENV_DATABASE_URL = "EMSWEBHOOK_DATABASE_URL"


class DatabaseURLError(ValueError):
    """A --db / EMSWEBHOOK_DATABASE_URL value we cannot use; the message says why."""


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)) / "emswebhook.db"


def resolve_database_url(url: str | None = None) -> str:
    """The URL to use: explicit, else the environment, else SQLite in the user data directory."""
    url = url or os.environ.get(ENV_DATABASE_URL) or None
    if url is None:
        return f"sqlite:///{default_database_path()}"
    return url


def normalise_url(url: str) -> str:
    """Map plain dialect URLs to the drivers this app ships; refuse anything else clearly."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(
            f"database URL {url!r} is not a URL; use sqlite:///path/file.db or "
            "postgresql://user@host:5432/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise DatabaseURLError(
            f"database URL scheme {parsed.drivername!r} is not supported; use sqlite:// or postgresql://"
        )
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record, *, wal: bool = True) -> None:
    cursor = dbapi_connection.cursor()
    if wal:  # both persistent in the file; they write a header even to an empty one, hence not always
        if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
            # only a new file takes it (before the first table), and only a writable one can; see lifecycle
            cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # checkpoints run on their own thread (store/checkpoint.py); in a commit only as a safety net
    cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={LOG_SIZE_LIMIT}")
    cursor.close()


PG_CONNECT_TIMEOUT_S = 10
PG_IDLE_IN_TRANSACTION_MS = 20_000
"""A session idle inside a transaction this long is ended by the server. Every transaction of this
app is a few statements with no wait in between, so only a process that was stopped or suspended
in the middle of one (SIGSTOP, a suspended VM, a debugger) gets here: it would otherwise hold its
row locks for as long as its connection lives, and the other services' claims (``FOR UPDATE SKIP
LOCKED``) would pass those notifications by all that time. Its own work is safe: the transaction
is rolled back, and a lease it held runs out as any other (``delivery/outbox.py``)."""

SQLITE_MINIMUM = (3, 35, 0)
"""``UPDATE``/``INSERT ... RETURNING`` (claims, publishes) arrived in SQLite 3.35 (2021)."""


def create_db_engine(url: str, *, create: bool = True) -> Engine:
    """The engine; with ``create=False`` a missing SQLite file is refused instead of created."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if sqlite3.sqlite_version_info < SQLITE_MINIMUM:
            raise DatabaseURLError(
                f"SQLite {sqlite3.sqlite_version} is too old: this app needs {'.'.join(map(str, SQLITE_MINIMUM))} "
                "or newer (Python's sqlite3 uses the system library); use a newer Python build or "
                "postgresql://")
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            if not create and not path.exists():
                raise DatabaseUnavailable(DatabaseProblem(
                    NO_SCHEMA, f"there is no emswebhook database at {path}; {CREATE_IT}", connection=True))
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        # Opened only to read (create=False), an existing file is left as it is: a schema this app
        # made is in WAL mode already, and an empty file must stay empty.
        event.listen(engine, "connect", _sqlite_pragmas if create else functools.partial(_sqlite_pragmas, wal=False))
        return engine
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args)
    event.listen(engine, "connect", _pg_session_settings)
    return engine


def _pg_session_settings(dbapi_connection, _record) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET idle_in_transaction_session_timeout = {PG_IDLE_IN_TRANSACTION_MS}")
    dbapi_connection.commit()


class Database:
    """One database: engine, session factory, and the worker threads that run blocking work."""

    def __init__(self, url: str | None = None, *, migrate: bool = True, require_schema: bool = False) -> None:
        """``migrate``: create or upgrade the schema; ``require_schema``: instead, refuse a
        database without the current schema, creating nothing (read-only commands)."""
        self.url = normalise_url(resolve_database_url(url))
        self.engine = create_db_engine(self.url, create=not require_schema)
        try:
            if require_schema:
                require_current_schema(self.engine)
            elif migrate:
                upgrade_to_head(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        workers = 1 if self.is_sqlite else 4
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="emswebhook-db")
        self._counts = threading.Lock()
        self._queued = 0  # see waiting()
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="emswebhook-read")
        self._closed = threading.Event()
        database = make_url(self.url).database if self.is_sqlite else None
        self._checkpointer = None
        if database and database != ":memory:":
            self._checkpointer = Checkpointer(str(Path(database).expanduser()))

    @property
    def display_location(self) -> str:
        """Where the data is, for people: a file path for SQLite, the URL without password else."""
        parsed = make_url(self.url)
        if self.is_sqlite:
            return str(Path(parsed.database or ":memory:").expanduser())
        return parsed.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in one transaction on the worker thread and return its result."""

        def call() -> T:
            with self.session() as session:
                return fn(session)

        return await self._on_worker(call)

    async def read(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a transaction of its own on a reader thread, beside the worker:
        for reads that take long and write nothing (see the module's docstring)."""

        if self.is_sqlite and self._checkpointer is None:
            # an in-memory SQLite database is a connection's own: another thread would see none of it
            return await self.run(fn)

        def call() -> T:
            with self.sessions() as session:  # closing it rolls back: a reader never writes
                return fn(session)

        return await asyncio.get_running_loop().run_in_executor(self._readers, call)

    async def run_raw(self, fn: Callable[[], T]) -> T:
        """Run a blocking callable on the worker thread (for work that manages its own session)."""
        return await self._on_worker(fn)

    async def _on_worker(self, fn: Callable[[], T]) -> T:
        begun = False

        def leave_queue() -> None:
            nonlocal begun
            with self._counts:
                if not begun:
                    begun = True
                    self._queued -= 1

        def started() -> T:
            leave_queue()
            return fn()

        with self._counts:
            self._queued += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, started)
        finally:  # cancelled before it started (or never queued): it leaves the queue all the same
            leave_queue()

    def waiting(self) -> int:
        """Jobs queued for the worker and not yet started. A long writer (a purge) that asks
        between two slices of its transaction can commit early when somebody waits, so a
        publish or a delivery record waits behind a slice, not a whole batch."""
        return self._queued

    @property
    def checkpointer(self) -> Checkpointer | None:
        """The checkpoint thread of a SQLite file (None for PostgreSQL and in-memory SQLite)."""
        return self._checkpointer

    async def settle_log(self) -> None:
        """For a long writer between two of its transactions (a purge): when SQLite's log holds
        ``SETTLE_PAGES`` or more, wait (off the worker) until it is copied into the database
        file, so no commit of the writer has to checkpoint it (``checkpoint.py``)."""
        checkpointer = self._checkpointer
        if checkpointer is not None and checkpointer.log_pages >= SETTLE_PAGES:
            await asyncio.get_running_loop().run_in_executor(None, checkpointer.settle)

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._readers.shutdown(wait=True, cancel_futures=True)
            if self._checkpointer is not None:
                self._checkpointer.stop()
            self.engine.dispose()
