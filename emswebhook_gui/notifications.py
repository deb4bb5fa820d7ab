"""Finding, retrying and closing notifications (the source's Search Events, Retry Event and Mark
as Bulk Successful). Used only by ``WebhookService``; every function runs inside its transaction.

Search is newest first with a keyset cursor over ``seq`` (never OFFSET), so paging stays fast at a
million rows; each filter maps onto one of the indexes declared in ``store.models``.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .delivery.wakeup import notify_due
from .errors import Conflict, FieldError, NotFound, ValidationError
from .jsontext import read_json
from .store.models import (
    FAILED,
    IN_PROGRESS,
    STATUSES,
    SUCCESSFUL,
    DeliveryAttempt,
    Notification,
    NotificationPayload,
    Webhook,
    iso,
)
from .validation import Collector, parse_instant, unstorable

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
FILTER_FIELDS = ("status", "webhook", "eventId", "since", "until")


@dataclass(frozen=True)
class Filter:
    status: str | None = None
    webhook: str | None = None
    event_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def parse_filter(data: dict[str, Any]) -> Filter:
    """Validate search filters given by name (``status``, ``webhook``, ``eventId``, ``since``, ``until``)."""
    errors = Collector()
    for key in data:
        if key not in FILTER_FIELDS:
            errors.add(key, f"unknown filter; expected one of: {', '.join(FILTER_FIELDS)}")
    status = data.get("status") or None
    if status is not None:
        status = str(status).upper().replace("-", "_")
        if status not in STATUSES:
            errors.add("status", f"must be one of {', '.join(STATUSES)}")
    for field in ("webhook", "eventId"):
        problem = unstorable(data.get(field))
        if problem:
            errors.add(field, problem)
    since = _time(data.get("since"), "since", errors)
    until = _time(data.get("until"), "until", errors)
    if since and until and since > until:
        errors.add("until", "is before 'since'")
    errors.raise_if_any()
    return Filter(status, data.get("webhook") or None, data.get("eventId") or None, since, until)


def _time(value: Any, field: str, errors: Collector) -> datetime | None:
    if value in (None, ""):
        return None
    return parse_instant(value if isinstance(value, datetime) else str(value), field, errors,
                         what="date or date-time", example="2026-11-28T10:00:00Z")


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"seq": seq}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        seq = read_json(base64.urlsafe_b64decode(padded.encode()))["seq"]
        if not isinstance(seq, int):
            raise ValueError
        return seq
    except (ValueError, KeyError, TypeError):
        raise ValidationError(FieldError("cursor", "is not a cursor returned by a previous search")) from None


def _webhook_ids(session: Session, ref: str) -> list[str]:
    """A webhook by id or name; a deleted webhook's history is still found by its old name."""
    try:
        uuid.UUID(ref)
        return [ref]
    except ValueError:
        pass
    current = session.scalar(select(Webhook.id).where(Webhook.name_key == ref.strip().casefold()))
    if current is not None:
        return [current]
    return list(session.scalars(
        select(Notification.webhook_id).where(Notification.webhook_name == ref).distinct().limit(20)))


def _where(session: Session, flt: Filter) -> list:
    clauses = []
    if flt.status:
        clauses.append(Notification.status == flt.status)
    if flt.webhook:
        ids = _webhook_ids(session, flt.webhook)
        clauses.append(Notification.webhook_id.in_(ids) if ids else Notification.seq < 0)
    if flt.event_id:
        clauses.append(Notification.event_id == flt.event_id)
    if flt.since:
        clauses.append(Notification.created_at >= flt.since)
    if flt.until:
        clauses.append(Notification.created_at <= flt.until)
    return clauses


LISTED_COLUMNS = (
    Notification.seq, Notification.event_id, Notification.webhook_id, Notification.webhook_name,
    Notification.event_name, Notification.activity_name, Notification.entity_id, Notification.status,
    Notification.attempts, Notification.last_status_code, Notification.last_error, Notification.next_attempt_at,
    Notification.round_kind, Notification.marked_successful_by, Notification.marked_successful_at,
    Notification.created_at, Notification.updated_at,
)
"""What a search reads per notification: the columns of :func:`as_dict`, in ``_item``'s order.

A search selects these as plain rows, not ORM objects: at a million rows, building 200
entities (every column, identity map) cost four times the query itself, and a search never
changes what it reads."""


def _item(_seq, event_id, webhook_id, webhook_name, event_name, activity_name, entity_id, status, attempts,
          last_status_code, last_error, next_attempt_at, round_kind, marked_by, marked_at, created_at,
          updated_at) -> dict:
    return {
        "eventId": event_id,
        "webhookId": webhook_id,
        "webhookName": webhook_name,
        "eventName": event_name,
        "activityName": activity_name,
        "entityId": entity_id,
        "status": status,
        "attempts": attempts,
        "lastStatusCode": last_status_code,
        "lastError": last_error,
        "nextAttemptAt": iso(next_attempt_at) if status == IN_PROGRESS else None,
        "roundKind": round_kind,
        "markedSuccessfulBy": marked_by,
        "markedSuccessfulAt": iso(marked_at),
        "createdAt": iso(created_at),
        "updatedAt": iso(updated_at),
    }


def as_dict(n: Notification) -> dict:
    return _item(*(getattr(n, column.key) for column in LISTED_COLUMNS))


def search(session: Session, flt: Filter, limit: int | None, cursor: str | None) -> dict:
    limit = DEFAULT_LIMIT if limit is None else limit
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}"))
    query = select(*LISTED_COLUMNS).where(*_where(session, flt))
    if cursor:
        query = query.where(Notification.seq < decode_cursor(cursor))
    rows = session.execute(query.order_by(Notification.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [_item(*row) for row in rows],
        "nextCursor": encode_cursor(rows[-1].seq) if more and rows else None,
    }


def count(session: Session, flt: Filter) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(*_where(session, flt)))


def details(session: Session, event_id: str) -> dict:
    n = _one(session, event_id)
    attempts = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.notification_seq == n.seq).order_by(DeliveryAttempt.id)
    ).all()
    return {
        **as_dict(n),
        "endpointUrl": n.endpoint_url,
        "payload": session.scalar(select(NotificationPayload.payload).where(
            NotificationPayload.event_id == n.event_id)) or "",
        "attemptHistory": [
            {"number": a.number, "kind": a.kind, "startedAt": iso(a.started_at),
             "durationMs": round(a.duration_ms, 1), "statusCode": a.status_code, "error": a.error,
             "responseExcerpt": a.response_excerpt}
            for a in attempts
        ],
    }


def _one(session: Session, event_id: str) -> Notification:
    if unstorable(event_id):  # no eventId is such text, and the driver could not bind it
        raise NotFound(f"no notification with eventId {event_id!r}")
    n = session.scalar(select(Notification).where(Notification.event_id == event_id))
    if n is None:
        raise NotFound(f"no notification with eventId '{event_id}'")
    return n


def _refuse_unless_failed(n: Notification, action: str) -> None:
    if n.status == IN_PROGRESS:
        raise Conflict(
            f"notification {n.event_id} is IN_PROGRESS: automatic attempts are still pending, so it "
            f"cannot be {action} by hand; wait until it is FAILED"
        )
    if n.status == SUCCESSFUL:
        raise Conflict(f"notification {n.event_id} is already SUCCESSFUL; only FAILED notifications can be {action}")


def _failed_only(flt: Filter, action: str) -> Filter:
    if flt.status not in (None, FAILED):
        raise ValidationError(FieldError("status", f"only FAILED notifications can be {action}"))
    return Filter(FAILED, flt.webhook, flt.event_id, flt.since, flt.until)


def retry(session: Session, event_id: str | None, flt: Filter | None, now: datetime) -> int:
    """Start a manual round (at once, then 5 and 15 minutes) for one or for every FAILED match."""
    notify_due(session)
    return _change_failed(session, event_id, flt, "retried", {
        "status": IN_PROGRESS, "round_kind": "manual", "round_attempts": 0, "next_attempt_at": now,
        "lease_owner": None, "lease_expires_at": None, "updated_at": now})


def mark_successful(session: Session, event_id: str | None, flt: Filter | None, now: datetime, by: str) -> int:
    return _change_failed(session, event_id, flt, "marked successful", {
        "status": SUCCESSFUL, "next_attempt_at": None, "marked_successful_by": by, "marked_successful_at": now,
        "updated_at": now})


def _change_failed(session: Session, event_id: str | None, flt: Filter | None, action: str, values: dict) -> int:
    """Set ``values`` on one FAILED notification (any other state is refused, naming ``action``)
    or on every FAILED one matching the filter; returns how many changed."""
    if event_id is not None:
        n = _one(session, event_id)
        _refuse_unless_failed(n, action)
        for key, value in values.items():
            setattr(n, key, value)
        return 1
    flt = _failed_only(flt or Filter(), action)
    return session.execute(update(Notification).where(*_where(session, flt)).values(**values)).rowcount


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
    return {status: 0 for status in STATUSES} | {status: n for status, n in rows}


def open_counts(session: Session) -> dict[str, int]:
    """IN_PROGRESS and FAILED counts only: index range counts that stay cheap with a million
    SUCCESSFUL rows (a GROUP BY over every status would scan them all)."""
    return {
        status: session.scalar(select(func.count()).select_from(Notification).where(Notification.status == status))
        for status in (IN_PROGRESS, FAILED)
    }
