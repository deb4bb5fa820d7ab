"""Database failures in words: what went wrong, where, and what to check.

SQLAlchemy's messages are written for developers: the driver's text, the SQL, the parameters and
a link to its documentation. Users of the CLI, the REST API and the app get one sentence instead,
built here once for all three, e.g. ``cannot connect to db.internal:5432 (host not found)``.

The sentence is built from the parts of the URL (host, port, user, database name, file path) and
from a classification of the driver's error, never from the URL or the driver's text as a whole,
so a password in the URL cannot appear in it.

The adapters call :func:`explain` on any exception; it returns None for what is not a database
failure. ``connection`` problems are about where or how to connect (the CLI then adds "check
--db or EMSWEBHOOK_DATABASE_URL", the app offers to choose another database); ``kind`` lets the
REST API name a full or read-only database in its 503 problem.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

UNREACHABLE = "unreachable"
AUTHENTICATION = "authentication"
NO_DATABASE = "no-database"
READ_ONLY = "read-only"
FULL = "full"
NOT_A_DATABASE = "not-a-database"
BUSY = "busy"
NO_SCHEMA = "no-schema"
OTHER = "other"

HINT = "check --db or EMSWEBHOOK_DATABASE_URL"


@dataclass(frozen=True)
class DatabaseProblem:
    kind: str
    message: str
    """A sentence for people, without a "database:" prefix, never a password."""
    connection: bool = False
    """True when the cure is another URL or server setting (where, who, which database)."""


class DatabaseUnavailable(Exception):
    """Raised on purpose when the database cannot be used as it is (e.g. it has no schema)."""

    def __init__(self, problem: DatabaseProblem) -> None:
        self.problem = problem
        super().__init__(problem.message)


def explain(exc: BaseException, url: str | None) -> DatabaseProblem | None:
    """The problem ``exc`` (or an exception it was raised from) is, or None if not the database's."""
    for item in _chain(exc):
        if isinstance(item, DatabaseUnavailable):
            return item.problem
        if isinstance(item, DBAPIError) and item.orig is not None:
            return _from_driver(item.orig, url)
        if isinstance(item, sqlite3.Error):
            return _from_driver(item, url)
        if _is_psycopg_error(item):
            return _from_driver(item, url)
        if isinstance(item, OSError) and _about_the_file(item, url):
            return _from_os_error(item, url)
    return None


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_psycopg_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("psycopg")


# -- where ------------------------------------------------------------------------------------------


def _where(url: str | None) -> tuple[bool, str, str, str]:
    """(is_sqlite, location for people, user, database name) from a URL; never its password."""
    if not url:
        return False, "the database", "", ""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return False, "the database", "", ""
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        return True, database.removeprefix("file:").split("?")[0], "", database
    host = parsed.host or "localhost"
    host = f"[{host}]" if ":" in host else host
    return False, f"{host}:{parsed.port or 5432}", parsed.username or "", parsed.database or ""


# -- SQLite -----------------------------------------------------------------------------------------

_SQLITE_WORDS = {
    "SQLITE_READONLY": (READ_ONLY, "{where} is read-only: this user may not write to the file or its folder, "
                                   "or it is on a read-only file system"),
    "SQLITE_FULL": (FULL, "the database is full: the disk holding {where} has no space left"),
    "SQLITE_NOTADB": (NOT_A_DATABASE, "{where} is not a SQLite database (or it is encrypted or damaged)"),
    "SQLITE_CORRUPT": (NOT_A_DATABASE, "{where} is damaged (SQLite reports corruption); restore a backup"),
    "SQLITE_BUSY": (BUSY, "{where} stayed locked by another process for 10 seconds; try again"),
    "SQLITE_LOCKED": (BUSY, "{where} stayed locked by another process for 10 seconds; try again"),
    "SQLITE_CANTOPEN": (UNREACHABLE, "cannot open {where}: the file or its folder cannot be created or read"),
    "SQLITE_PERM": (READ_ONLY, "{where} is read-only: access is denied"),
}


def _from_sqlite(exc: sqlite3.Error, where: str) -> DatabaseProblem | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    for prefix, (kind, words) in _SQLITE_WORDS.items():
        if name == prefix or name.startswith(prefix + "_"):
            return DatabaseProblem(kind, words.format(where=where), kind in (UNREACHABLE, NOT_A_DATABASE))
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return DatabaseProblem(READ_ONLY, _SQLITE_WORDS["SQLITE_READONLY"][1].format(where=where))
    if "disk is full" in text or "disk i/o error" in text and "space" in text:
        return DatabaseProblem(FULL, _SQLITE_WORDS["SQLITE_FULL"][1].format(where=where))
    if name.startswith("SQLITE_IOERR"):
        return DatabaseProblem(OTHER, f"reading or writing {where} failed (an I/O error); check the disk")
    return None


# -- PostgreSQL ---------------------------------------------------------------------------------------

_PG_PATTERNS: list[tuple[str, str, str]] = [
    # (regular expression on the driver's text, kind, words); {where}, {user}, {db} are filled in
    (r"could not translate host name|failed to resolve host|name or service not known|nodename nor servname",
     UNREACHABLE, "cannot connect to {where} (host not found)"),
    (r"connection refused", UNREACHABLE, "cannot connect to {where} (connection refused: no server listens there)"),
    (r"timeout expired|timed out", UNREACHABLE, "cannot connect to {where} (no answer: timed out)"),
    (r"no route to host|network is unreachable", UNREACHABLE, "cannot connect to {where} (no route to the host)"),
    (r"password authentication failed|authentication failed", AUTHENTICATION,
     "cannot connect to {where}: authentication failed for user {user} (wrong password?)"),
    (r"no password supplied|fe_sendauth", AUTHENTICATION,
     "cannot connect to {where}: the server wants a password for user {user} and none was given"),
    (r"role \".*\" does not exist", AUTHENTICATION, "cannot connect to {where}: there is no user {user}"),
    (r"database \".*\" does not exist", NO_DATABASE,
     "cannot connect to {where}: there is no database {dbq} (create it with: createdb {db})"),
    (r"no pg_hba\.conf entry", AUTHENTICATION,
     "cannot connect to {where}: the server does not let user {user} connect to database {dbq} from this "
     "host (pg_hba.conf)"),
    (r"too many connections|remaining connection slots", UNREACHABLE,
     "cannot connect to {where}: the server has no free connection slots"),
    (r"the database system is (starting up|shutting down)|terminating connection|server closed the connection",
     UNREACHABLE, "lost the connection to {where} (the server restarted or closed it); try again"),
    (r"ssl", UNREACHABLE, "cannot connect to {where}: the TLS (SSL) connection failed"),
    (r"could not extend file|no space left on device|disk full", FULL,
     "the database is full: the disk of the PostgreSQL server at {where} has no space left"),
    (r"read-only transaction|read_only_sql_transaction|recovery is in progress", READ_ONLY,
     "the database at {where} is read-only (a standby or a read-only transaction)"),
    (r"permission denied", OTHER, "user {user} may not use these tables at {where} (permission denied)"),
]
_PG_CONNECTION = {UNREACHABLE, AUTHENTICATION, NO_DATABASE}
_PG_SQLSTATE = {"53100": FULL, "25006": READ_ONLY, "42501": READ_ONLY, "57P01": UNREACHABLE,
                "28P01": AUTHENTICATION, "28000": AUTHENTICATION, "3D000": NO_DATABASE}


def _from_postgres(exc: BaseException, where: str, user: str, db: str) -> DatabaseProblem | None:
    text = str(exc)
    fill = {"where": where, "user": repr(user) if user else "(none given)", "dbq": repr(db) if db else "(none)",
            "db": db or "NAME"}
    lowered = text.lower()
    for pattern, kind, words in _PG_PATTERNS:
        if re.search(pattern, lowered):
            return DatabaseProblem(kind, words.format(**fill), kind in _PG_CONNECTION)
    kind = _PG_SQLSTATE.get(getattr(exc, "sqlstate", None) or "")
    if kind is not None:
        return DatabaseProblem(kind, f"the database at {where} refused the request ({kind})", kind in _PG_CONNECTION)
    if "connection" in lowered and ("failed" in lowered or "closed" in lowered):
        return DatabaseProblem(UNREACHABLE, f"cannot connect to {where}", True)
    return None


def _from_driver(exc: BaseException, url: str | None) -> DatabaseProblem:
    is_sqlite, where, user, db = _where(url)
    if isinstance(exc, sqlite3.Error):
        problem = _from_sqlite(exc, where)
    else:
        problem = _from_postgres(exc, where, user, db)
    if problem is not None:
        return problem
    # Not one we know: the driver's first line (its own words, without SQLAlchemy's SQL, parameters
    # and link; drivers do not repeat passwords), so the user still learns something.
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return DatabaseProblem(OTHER, f"{where}: {first}")


def _about_the_file(exc: OSError, url: str | None) -> bool:
    """An OS error about the SQLite file or one of its folders (making them), not another file."""
    is_sqlite, where, _user, _db = _where(url)
    if not is_sqlite or not exc.filename:
        return False
    try:
        target, named = Path(where).expanduser().absolute(), Path(os.fsdecode(exc.filename)).absolute()
    except (TypeError, ValueError):
        return False
    return named == target or named in target.parents


def _from_os_error(exc: OSError, url: str | None) -> DatabaseProblem:
    _is_sqlite, where, _user, _db = _where(url)
    folder = os.fsdecode(exc.filename)
    if exc.errno == errno.ENOSPC:
        return DatabaseProblem(FULL, f"the database is full: no space left on the disk of {where}")
    if exc.errno == errno.EROFS:
        return DatabaseProblem(READ_ONLY, f"{where} is read-only: {folder} is on a read-only file system", True)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return DatabaseProblem(READ_ONLY, f"cannot create {where}: permission denied on {folder}", True)
    return DatabaseProblem(UNREACHABLE, f"cannot create {where}: {folder}: {exc.strerror or exc}", True)
