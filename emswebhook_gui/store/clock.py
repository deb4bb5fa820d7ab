"""The database's clock: the one clock every delivery service shares.

Several services on several hosts cannot agree on who holds a lease, or on when a retry is due,
by their own wall clocks: a host whose clock is 70 s ahead took over the leases of live services
and sent their notifications again (issue 16). So:

- leases, heartbeats and liveness are judged in SQL, by the database server's own clock
  (:class:`db_now`, :class:`db_later`): PostgreSQL's ``now()``; on SQLite ``'now'``, which is the
  host's clock (one file, one host, one clock), through the same code;
- the times the service writes (publication, the next attempt of the retry schedule, attempts,
  endpoint pauses) come from :class:`DatabaseClock`: the database's time, read at start-up and at
  every heartbeat, carried forward by this process's monotonic clock. It never reads the host's
  wall clock once measured, so neither a skewed clock nor a clock step moves a schedule.

Tests inject their own clock into the service (``tests/support/clock.py``) to run the retry
schedule in milliseconds: it replaces :class:`DatabaseClock` for the times written, and leaves
leases on the database's clock, which a test clock knows nothing of.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from .models import UTCDateTime

__all__ = ["DatabaseClock", "db_later", "db_now"]

_PG_NOW = "(now() AT TIME ZONE 'UTC')"
_SQLITE_FORMAT = "'%Y-%m-%d %H:%M:%f'"  # the text the UTC columns hold (milliseconds here)


class db_now(FunctionElement):
    """The database server's current time, naive UTC like the columns (the transaction's start
    on PostgreSQL: stable within a statement, so the planner may use indexes)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "db_now"


class db_later(FunctionElement):
    """The database server's current time plus a number of seconds (an expression, usually a
    bind parameter; negative for the past)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "db_later"


@compiles(db_now)
def _now_postgresql(element, compiler, **kw):
    return _PG_NOW


@compiles(db_now, "sqlite")
def _now_sqlite(element, compiler, **kw):
    return f"strftime({_SQLITE_FORMAT}, 'now')"


@compiles(db_later)
def _later_postgresql(element, compiler, **kw):
    return f"({_PG_NOW} + {compiler.process(element.clauses, **kw)} * INTERVAL '1 second')"


@compiles(db_later, "sqlite")
def _later_sqlite(element, compiler, **kw):
    return f"strftime({_SQLITE_FORMAT}, 'now', ({compiler.process(element.clauses, **kw)}) || ' seconds')"




class DatabaseClock:
    """The database's time as this process knows it: read from the server, then carried forward
    by ``time.monotonic`` (which no clock adjustment moves). Before the first reading it is the
    host's wall clock, so a service made without a database round trip still works."""

    def __init__(self) -> None:
        self._base: tuple[datetime, float] | None = None
        self.offset: float | None = None
        """The host's wall clock minus the database's, in seconds, at the last reading."""

    def __call__(self) -> datetime:
        base = self._base
        if base is None:
            return datetime.now(UTC)
        return base[0] + timedelta(seconds=time.monotonic() - base[1])

    def measure(self, session: Session) -> float:
        """Read the database's time (on the database worker); returns and keeps ``offset``. The
        reading is placed at the middle of the round trip, so the error is at most half of it."""
        before = time.monotonic()
        if session.get_bind().dialect.name == "postgresql":
            # the actual time, not the transaction's start (now()), which may be earlier
            value = session.execute(select(_clock_timestamp())).scalar_one()
        else:
            value = session.execute(select(db_now())).scalar_one()
        after = time.monotonic()
        wall = datetime.now(UTC)
        middle = (before + after) / 2
        self._base = (value, middle)
        self.offset = (wall - (value + timedelta(seconds=after - middle))).total_seconds()
        return self.offset


class _clock_timestamp(FunctionElement):
    type = UTCDateTime()
    inherit_cache = True
    name = "clock_timestamp_utc"


@compiles(_clock_timestamp)
def _clock_timestamp_postgresql(element, compiler, **kw):
    return "(clock_timestamp() AT TIME ZONE 'UTC')"


@compiles(_clock_timestamp, "sqlite")
def _clock_timestamp_sqlite(element, compiler, **kw):
    return f"strftime({_SQLITE_FORMAT}, 'now')"
