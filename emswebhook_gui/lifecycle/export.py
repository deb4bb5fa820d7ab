"""Streamed exports of notifications as CSV or NDJSON.

Why streamed: an export of a year of history is millions of rows; it is produced one batch at
a time (one short transaction each, newest first like a search), written out and dropped, so
memory stays flat whatever the size (tests/benchmarks/bench_lifecycle.py measures it).

Each row holds the search fields (``EXPORT_FIELDS``, the names of ``events search --json``);
NDJSON adds ``endpointUrl``, ``payload`` (the exact body sent, as a string, so it round-trips
byte for byte) and ``attemptHistory``. CSV cells are written as they are (no spreadsheet
formula escaping), so scripts read back exactly what was stored.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .. import notifications
from ..errors import FieldError, ValidationError
from ..notifications import Filter

if TYPE_CHECKING:
    from ..store import Database

FORMATS = ("csv", "ndjson")
EXPORT_BATCH = 1000
EXPORT_FIELDS = ("eventId", "webhookId", "webhookName", "eventName", "activityName", "entityId", "status",
                 "attempts", "lastStatusCode", "lastError", "nextAttemptAt", "roundKind", "markedSuccessfulBy",
                 "markedSuccessfulAt", "createdAt", "updatedAt")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


def check_format(value: str | None) -> str:
    fmt = (value or "").strip().lower()
    if fmt not in FORMATS:
        raise ValidationError(FieldError("format", f"must be one of {', '.join(FORMATS)}"))
    return fmt


def _csv_text(items: list[dict], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(EXPORT_FIELDS)
    for item in items:
        writer.writerow(["" if item[key] is None else item[key] for key in EXPORT_FIELDS])
    return out.getvalue()


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


async def export(db: "Database", flt: Filter, fmt: str) -> AsyncIterator[str]:
    """The export as text chunks (one per batch); CSV starts with its header even when empty."""
    fmt = check_format(fmt)
    if fmt == "csv":
        yield _csv_text([], header=True)
    position = None
    while True:
        def work(session, position=position):
            if flt.where is None:
                rows = notifications.listed_below(session, flt, position, EXPORT_BATCH)
                after = rows[-1][0] if len(rows) == EXPORT_BATCH else None
            else:
                rows, after = notifications.scan(session, flt, position, EXPORT_BATCH)
            if fmt == "ndjson":
                items = notifications.details_of(session, rows)
            else:
                items = [notifications.as_row_dict(row) for row in rows]
            return items, after

        items, position = await db.run(work)
        if items:
            if fmt == "csv":
                yield _csv_text(items, header=False)
            else:
                yield "".join(_dumps(item) + "\n" for item in items)
        if position is None:
            return
