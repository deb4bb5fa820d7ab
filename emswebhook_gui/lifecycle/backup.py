"""SQLite backups and compaction, and the facts about a store (``db backup|compact|info``).

Backups use SQLite's online backup API in one step: the copy is one read transaction, so it is
a consistent snapshot of every committed notification while services keep delivering (WAL mode
lets them write meanwhile). It is written beside the target and renamed into place only once
complete and checked (``PRAGMA quick_check``), so a file with the target's name is always a whole
backup; an existing target is replaced, as ``cp`` would. The copy uses a rollback journal, so it
is one self-contained file. PostgreSQL is refused with the ``pg_dump`` advice: its own tools make
consistent copies of a shared database better than an application can.

Compaction is ``VACUUM`` on its own connection (not on the worker, so this process keeps
working; other writers wait for it, up to their busy timeout), after ``auto_vacuum=INCREMENTAL``
so a file made by an older version returns space after every purge from then on.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .. import notifications
from ..rules import properties
from ..errors import Conflict, FieldError, ValidationError
from ..store.models import Notification, iso
from ..threads import run_blocking
from .retention import last_run

if TYPE_CHECKING:
    from .host import Host

PG_BACKUP_ADVICE = ("this store is PostgreSQL: back it up with pg_dump (e.g. 'pg_dump -Fc -f emswebhook.dump "
                    "DBNAME'), which makes a consistent copy while services run")
PG_COMPACT_ADVICE = ("this store is PostgreSQL: autovacuum reuses the space of purged rows by itself; "
                     "'VACUUM FULL' returns it to the file system but locks the tables, so run it in a "
                     "maintenance window with psql")


def sqlite_path(service: "Host") -> Path:
    database = make_url(service.db.url).database
    if not database or database == ":memory:":
        raise Conflict("this SQLite store is in memory; there is no file to back up or compact")
    return Path(database).expanduser().resolve()


def _file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def backup_sqlite(source: Path, target: Path) -> dict:
    if target == source or str(target) in (f"{source}-wal", f"{source}-shm"):
        raise ValidationError(FieldError("file", "is the database itself; choose another file"))
    if target.is_dir():
        raise ValidationError(FieldError("file", f"'{target}' is a directory; give a file name"))
    if not target.parent.is_dir():
        raise ValidationError(FieldError("file", f"the directory '{target.parent}' does not exist"))
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        src = sqlite3.connect(str(source), timeout=10)
        try:
            dst = sqlite3.connect(str(partial))
            try:
                src.backup(dst)  # pages=-1: one step, one snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise RuntimeError(f"the copy failed its check ({check}); nothing was written")
                count = dst.execute("SELECT count(*) FROM notifications").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    except OSError as exc:
        raise ValidationError(FieldError("file", f"cannot write '{target}': {exc.strerror or exc}")) from None
    finally:
        partial.unlink(missing_ok=True)
    return {"file": str(target), "bytes": target.stat().st_size, "notifications": count}


async def backup(service: "Host", file: str) -> dict:
    if not service.db.is_sqlite:
        raise Conflict(PG_BACKUP_ADVICE)
    if not isinstance(file, str) or not file.strip():
        raise ValidationError(FieldError("file", "is required: the path of the backup file"))
    return await run_blocking(backup_sqlite, sqlite_path(service), Path(file).expanduser().resolve())


TRUNCATE_TRIES = 100
"""Tries, 50 ms apart, of the checkpoint that ends a compaction (see ``compact_sqlite``)."""


def compact_sqlite(path: Path) -> dict:
    """VACUUM, then a TRUNCATE checkpoint, which moves the rebuilt file out of the log and empties
    the log file. A checkpoint refuses at once (busy, without waiting) while another connection
    runs one, as a service's checkpoint thread does just after the VACUUM filled the log: without
    trying again, the file and its log kept their old size (measured once after a purge of
    1,000,000 notifications: 196.6 MiB before and after)."""
    before = _file_size(path)
    connection = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
        connection.execute("VACUUM")
        for _ in range(TRUNCATE_TRIES):
            busy, _log, _copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                break
            time.sleep(0.05)
    except sqlite3.OperationalError as exc:
        raise Conflict(f"cannot compact now ({exc}); other processes are writing, try again when quieter") from None
    finally:
        connection.close()
    after = _file_size(path)
    return {"bytesBefore": before, "bytesAfter": after, "bytesFreed": max(0, before - after)}


async def compact(service: "Host") -> dict:
    if not service.db.is_sqlite:
        raise Conflict(PG_COMPACT_ADVICE)
    return await run_blocking(compact_sqlite, sqlite_path(service))


def public_url(url: str) -> str:
    """The URL as a user would write it, without its password."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=parsed.get_backend_name())
    return parsed.render_as_string(hide_password=True)


def _facts(session: Session) -> dict:
    counts = notifications.counts_by_status(session)
    oldest = session.scalar(select(func.min(Notification.created_at)))
    facts = {"notifications": counts, "total": sum(counts.values()), "oldestNotification": iso(oldest),
             "lastPurge": last_run(session)}
    if session.get_bind().dialect.name == "sqlite":
        raw = session.connection().connection.cursor()
        try:
            page_size = raw.execute("PRAGMA page_size").fetchone()[0]
            facts["freeBytes"] = raw.execute("PRAGMA freelist_count").fetchone()[0] * page_size
            facts["autoVacuum"] = {0: "none", 1: "full", 2: "incremental"}.get(
                raw.execute("PRAGMA auto_vacuum").fetchone()[0], "unknown")
        finally:
            raw.close()
    else:
        facts["sizeBytes"] = int(session.scalar(text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind = 'r'")) or 0)
    return facts


async def info(service: "Host") -> dict:
    facts = await service.db.run(_facts)
    result = {"url": public_url(service.db.url), "backend": "sqlite" if service.db.is_sqlite else "postgresql",
              "location": service.db.display_location}
    if service.db.is_sqlite:
        database = make_url(service.db.url).database
        in_file = database and database != ":memory:"
        result["sizeBytes"] = _file_size(Path(database).expanduser()) if in_file else 0
    result.update(facts)
    result["retention"] = {
        "successfulDays": await service.get_property(properties.RETENTION_SUCCESSFUL_DAYS),
        "failedDays": await service.get_property(properties.RETENTION_FAILED_DAYS),
    }
    return result
