"""Hourly delivery rollups per webhook, added up in the recorder's transaction.

What counts where (the decision issue 19 asked for):

- ``delivered``: attempts answered 2xx; ``failed_attempts``: every other attempt (other status,
  timeout, connection or TLS error, auth failure). Attempts of a manual retry round count like
  automatic ones: they are real attempts, and their hour is when they were made.
- ``ended_failed``: each time a notification becomes FAILED, at the end of an automatic or a
  manual round, or unsent because its webhook was deleted or disabled. A notification retried by
  hand that fails again counts again: the figure is "rounds that ended FAILED" in that hour.
- "Mark successful" by hand counts nowhere: nothing was delivered, and the notification's
  earlier FAILED ending did happen. The notification keeps who closed it and when.
- The duration histogram counts every attempt that was sent (``ROLLUP_BUCKETS_MS``).
- Failed attempts (and notifications not sent) also count per reason group (:func:`reason_of`:
  "connection refused", "HTTP 500", "certificate has expired", ...) in ``error_rollups``, and
  the latest message of the hour is kept on the webhook's row: the stats' "last error" and "top
  reasons" read these, never the attempts.

A batch is added up in Python first, so the statement has one row per webhook of the batch
(usually one or a few), then written with ``INSERT ... ON CONFLICT (webhook_id, hour) DO UPDATE
SET n = n + excluded.n``: atomic on both databases, so several services on one PostgreSQL store
add to the same row without losing an increment. Rows go in webhook order, so two services'
transactions lock shared rows in the same order and cannot deadlock on them; the recorder runs
this last, so those row locks are held only until its commit.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import datetime

from sqlalchemy import bindparam, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..store.bulk import Prepared
from ..store.models import ROLLUP_BUCKETS_MS, ROLLUP_HISTOGRAM, DeliveryRollup, ErrorRollup

COUNTERS = ("delivered", "failed_attempts", "ended_failed", "duration_ms_sum", *ROLLUP_HISTOGRAM)
_DELIVERED, _FAILED, _ENDED, _SUM = 0, 1, 2, 3
_WIDTH = len(COUNTERS)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


# (pattern, group), first match wins; patterns follow the sender's wording (delivery/http.py,
# delivery/urlguard.py, delivery/engine.py), so a new wording there wants a line here
_REASONS = tuple((re.compile(pattern), group) for pattern, group in (
    (r"^HTTP (\d{3})", r"HTTP \1"),
    (r"certificate of .* has expired", "certificate has expired"),
    (r"certificate of .* is not valid yet", "certificate not valid yet"),
    (r"host name mismatch", "certificate name mismatch"),
    (r"certificate of .* is self-signed", "certificate self-signed"),
    (r"certificate of .* issued by an unknown CA", "certificate from an unknown CA"),
    (r"^TLS error", "TLS error"),
    (r"^connection refused", "connection refused"),
    (r"^connect timed out", "connect timed out"),
    (r"^timed out", "timed out"),
    (r"^DNS lookup failed", "DNS lookup failed"),
    (r"^blocked: ", "private address refused"),
    (r"^redirect \(", "redirect not followed"),
    (r"^connection closed by", "connection closed"),
    (r"^invalid HTTP answer", "invalid HTTP answer"),
    (r"^OAuth ", "OAuth token failure"),
    (r"^proxy .* answered 407|^proxy .*407", "proxy authentication"),
    (r"^(cannot connect to )?proxy ", "proxy error"),
    (r"^cannot connect to", "cannot connect"),
    (r"^connection error", "connection error"),
    (r"^invalid endpoint URL", "invalid endpoint URL"),
    (r"^webhook was deleted", "webhook deleted"),
    (r"^webhook '.*' is disabled", "webhook disabled"),
    (r"^not sent: ", "not sent"),
))


def reason_of(error: str | None) -> str:
    """The group an attempt's error belongs to, for "top error reasons"."""
    text = error or ""
    for pattern, group in _REASONS:
        found = pattern.search(text)
        if found:
            return found.expand(group)
    return (text.split(";")[0].split(":")[0].strip()[:60]) or "unknown"


class Tally:
    """One batch's counts, per webhook (and per webhook and reason), before they are written."""

    __slots__ = ("rows", "errors", "last")

    def __init__(self) -> None:
        self.rows: dict[str, list] = {}
        self.errors: dict[tuple[str, str], list] = {}
        self.last: dict[str, str] = {}

    def _row(self, webhook_id: str) -> list:
        row = self.rows.get(webhook_id)
        if row is None:
            row = self.rows[webhook_id] = [0, 0, 0, 0.0] + [0] * len(ROLLUP_HISTOGRAM)
        return row

    def attempt(self, webhook_id: str, ok: bool, duration_ms: float, error: str | None = None) -> None:
        row = self._row(webhook_id)
        row[_SUM] += duration_ms
        row[4 + bisect_left(ROLLUP_BUCKETS_MS, duration_ms)] += 1
        if ok:
            row[_DELIVERED] += 1
        else:
            row[_FAILED] += 1
            self._error(webhook_id, error)

    def ended_failed(self, webhook_id: str, unsent_reason: str | None = None) -> None:
        self._row(webhook_id)[_ENDED] += 1
        if unsent_reason is not None:
            self._error(webhook_id, unsent_reason)

    def _error(self, webhook_id: str, error: str | None) -> None:
        key = (webhook_id, reason_of(error))
        entry = self.errors.get(key)
        if entry is None:
            self.errors[key] = [1, error]
        else:
            entry[0] += 1
            entry[1] = error
        if error:
            self.last[webhook_id] = error

    def write(self, connection: Connection, now: datetime) -> None:
        if not self.rows:
            return
        hour = hour_of(now)
        dialect = connection.dialect.name
        last = self.last
        _UPSERT[dialect].execute(connection, [
            {"webhook_id": webhook_id, "hour": hour, **dict(zip(COUNTERS, counts)),
             "last_error": last.get(webhook_id), "last_error_at": now if webhook_id in last else None}
            for webhook_id, counts in sorted(self.rows.items())])
        if self.errors:
            _UPSERT_ERRORS[dialect].execute(connection, [
                {"webhook_id": webhook_id, "hour": hour, "reason": reason, "count": count, "example": example}
                for (webhook_id, reason), (count, example) in sorted(self.errors.items())])


def _binds(table, columns):
    return {name: bindparam(name, type_=table.c[name].type) for name in columns}


def _upsert(dialect) -> Prepared:
    table = DeliveryRollup.__table__
    statement = dialect.insert(table).values(_binds(table, ("webhook_id", "hour", *COUNTERS, "last_error",
                                                            "last_error_at")))
    new = statement.excluded
    return Prepared(statement.on_conflict_do_update(
        index_elements=[table.c.webhook_id, table.c.hour],
        set_={**{name: table.c[name] + new[name] for name in COUNTERS},
              "last_error": func.coalesce(new.last_error, table.c.last_error),
              "last_error_at": func.coalesce(new.last_error_at, table.c.last_error_at)}))


def _upsert_errors(dialect) -> Prepared:
    table = ErrorRollup.__table__
    statement = dialect.insert(table).values(_binds(table, ("webhook_id", "hour", "reason", "count", "example")))
    new = statement.excluded
    return Prepared(statement.on_conflict_do_update(
        index_elements=[table.c.webhook_id, table.c.hour, table.c.reason],
        set_={"count": table.c.count + new["count"], "example": func.coalesce(new.example, table.c.example)}))


# Built once: run with every recorded batch.
_UPSERT = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}
_UPSERT_ERRORS = {"sqlite": _upsert_errors(sqlite), "postgresql": _upsert_errors(postgresql)}
