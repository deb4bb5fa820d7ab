"""Finding, retrying and closing notifications (the source's Search Events, Retry Event and Mark
as Bulk Successful). Used only by ``WebhookService``; every function runs inside its transaction.

Search is newest first with a keyset cursor over ``seq`` (never OFFSET), so paging stays fast at a
million rows; each filter maps onto one of the indexes declared in ``store.models``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select, true, update
from sqlalchemy.orm import Session

from . import catalog
from .delivery import exchange
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
    Occurrence,
    Webhook,
    iso,
)
from .state_search import (
    BODY_MARK,
    StateWhere,
    parse_where,
    passthrough,
    prefilter,
    presence,
    sibling_states,
    state_texts,
)
from .rules.checks import Collector, parse_instant, unstorable
from .rules.filters import FILTERS, NEEDS_ATTENTION, STATUS_FILTERS

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
FILTER_FIELDS = FILTERS.names
SCAN_CHUNK = 4000
"""Notifications a ``--where`` scan reads per transaction: a few milliseconds of the database
worker, so publishes and delivery records queued behind it wait no longer than that."""


@dataclass(frozen=True)
class Filter:
    status: str | None = None
    webhook: str | None = None
    event_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entity_id: str | None = None
    event: str | None = None
    activity: str | None = None
    where: StateWhere | None = None

    def only(self, status: str) -> "Filter":
        return dataclasses.replace(self, status=status)


def parse_filter(data: dict[str, Any]) -> Filter:
    """Validate search filters given by name (``status``, ``webhook``, ``eventId``, ``since``,
    ``until``, ``entityId``, ``event``, ``activity``, ``where``).

    ``event`` and ``activity`` are checked against the catalogue (a typo would silently find
    nothing, or purge nothing); an activity with an event must be one of that event's."""
    errors = Collector()
    for key in data:
        if key not in FILTER_FIELDS:
            errors.add(key, f"unknown filter; expected one of: {', '.join(FILTER_FIELDS)}")
    status = data.get("status") or None
    if status is not None:
        status = str(status).upper().replace("-", "_")
        if status not in STATUS_FILTERS:
            errors.add("status", f"must be one of {', '.join(STATUS_FILTERS)}")
    for field in ("webhook", "eventId", "entityId", "event", "activity", "where"):
        value = data.get(field)
        if value is not None and not isinstance(value, str):
            errors.add(field, "must be text")
            continue
        problem = unstorable(value)
        if problem:
            errors.add(field, problem)
    since = _time(data.get("since"), "since", errors)
    until = _time(data.get("until"), "until", errors)
    if since and until and since > until:
        errors.add("until", "is before 'since'")
    event, activity = _event_and_activity(data.get("event") or None, data.get("activity") or None, errors)
    where = None
    if data.get("where") and "where" not in {e.field for e in errors.errors}:
        try:
            where = parse_where(data["where"])
        except ValidationError as exc:
            errors.errors.extend(exc.errors)
    errors.raise_if_any()
    return Filter(status, data.get("webhook") or None, data.get("eventId") or None, since, until,
                  data.get("entityId") or None, event, activity, where)


def _event_and_activity(event: Any, activity: Any, errors: Collector) -> tuple[str | None, str | None]:
    if not isinstance(event, (str, type(None))) or not isinstance(activity, (str, type(None))):
        return None, None
    found = None
    if event is not None:
        found = catalog.get_event(event)
        if found is None:
            suggestion = catalog.suggest_event(event)
            hint = f"; did you mean '{suggestion}'?" if suggestion else ""
            errors.add("event", f"'{event}' is not an event of the catalogue{hint}")
    if activity is not None:
        if found is not None:
            if activity not in found.activities:
                suggestion = catalog.suggest_activity(found, activity)
                hint = f"; did you mean '{suggestion}'?" if suggestion else ""
                errors.add("activity", f"'{activity}' is not an activity of '{found.name}'{hint}")
        elif event is None and not any(activity in e.activities for e in catalog.events()):
            errors.add("activity", f"'{activity}' is not an activity of any event of the catalogue")
    return event, activity


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


def _sql_only(flt: Filter) -> None:
    if flt.where is not None:  # a programming error: --where is evaluated in scan(), not in SQL
        raise ValueError("a --where filter is driven chunk by chunk with scan()")


def sql_clauses(session: Session, flt: Filter) -> list:
    """The SQL conditions of every filter but ``where`` (for the lifecycle module's statements)."""
    return _where(session, flt)


def _where(session: Session, flt: Filter, webhook_ids: list[str] | None = None) -> list:
    """``webhook_ids``: the webhook filter already resolved (``_webhook_ids``)."""
    clauses = []
    if flt.status == NEEDS_ATTENTION:
        clauses.append(or_(Notification.status == FAILED,
                           and_(Notification.status == IN_PROGRESS, Notification.attempts > 0)))
    elif flt.status:
        clauses.append(Notification.status == flt.status)
    if flt.webhook:
        ids = webhook_ids if webhook_ids is not None else _webhook_ids(session, flt.webhook)
        clauses.append(Notification.webhook_id.in_(ids) if ids else Notification.seq < 0)
    if flt.event_id:
        clauses.append(Notification.event_id == flt.event_id)
    if flt.since:
        clauses.append(Notification.created_at >= flt.since)
    if flt.until:
        clauses.append(Notification.created_at <= flt.until)
    if flt.entity_id:
        clauses.append(Notification.entity_id == flt.entity_id)
    if flt.event:
        clauses.append(Notification.event_name == flt.event)
    if flt.activity:
        clauses.append(Notification.activity_name == flt.activity)
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


def as_row_dict(row) -> dict:
    return _item(*row[:len(LISTED_COLUMNS)])


def as_dict(n: Notification) -> dict:
    return _item(*(getattr(n, column.key) for column in LISTED_COLUMNS))


def check_limit(limit: Any) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}"))
    return limit


def page(rows: list, more: bool) -> dict:
    """A search answer from listed rows (``LISTED_COLUMNS`` first) in newest-first order."""
    return {"items": [_item(*row[:len(LISTED_COLUMNS)]) for row in rows],
            "nextCursor": encode_cursor(rows[-1][0]) if more and rows else None}


def count_step(session: Session, flt: Filter, before: int | None, lower: int | None) -> int:
    """The matches of one scan step (``step_bounds``), counted. When a row lacking every plain
    literal of the expression matches (``name != 'Sam Smith'``), those rows are counted in SQL,
    never crossing into Python, and only the others are scanned: an ``!=`` count had moved every
    row of the store through Python to learn what the database already knew."""
    where = flt.where
    chunk = MAX_SEQ  # the bounds are given: no step limit
    if where is not None and where.literals and where.decide(frozenset(where.literals)):
        settled = session.connection().execute(_scan_statement(session, flt, "settled"), _bounds(before, lower))
        rows, _ = scan(session, flt, before, chunk, chunk, listed=False, lower=lower, variant="unsettled")
        return settled.scalar_one() + len(rows)
    rows, _ = scan(session, flt, before, chunk, chunk, listed=False, lower=lower)
    return len(rows)


def _bounds(before: int | None, lower: int | None) -> dict:
    return {"upto": before - 1 if before is not None else MAX_SEQ, "lower": lower if lower is not None else 0}


def scan(session: Session, flt: Filter, before: int | None, want: int, chunk: int | None = None, *,
         listed: bool = True, lower: Any = ..., variant: str = "rows") -> tuple[list, int | None]:
    """One bounded step of a search with ``--where``: up to ``want`` matching rows (listed
    columns; with ``listed`` False, ``(seq, status)`` pairs) with ``seq < before``, reading at
    most ``chunk`` notifications, newest first.

    Returns ``(rows, position)``: continue with ``before=position``; None when the scan reached
    the oldest notification. The range is fixed by position in the primary key first (an
    OFFSET over the key only, skipping purged gaps), so each step's work is bounded whatever
    the filters; the other filters and the substring prefilter (``state_search``) then run in
    SQL, and only the rows they keep have their states parsed and the expression evaluated.
    The listed columns are read afterwards, for the matches only: read with every scanned row,
    their four timestamps cost more than parsing the states (a count needs none of them).
    ``lower``, when given, is the step's lower bound as :func:`step_bounds` found it."""
    where, chunk = flt.where, chunk or SCAN_CHUNK
    if lower is ...:
        [(_before, lower)] = step_bounds(session, before, chunk, 1)
    query = _scan_statement(session, flt, variant)
    rows = session.connection().execute(query, _bounds(before, lower)).all()
    found = []
    position = lower
    decided: dict[tuple, bool | None] = {}
    literals = where.literals if where is not None else ()
    for seq, status, current, previous, payload, occurrence_id, *present in rows:
        verdict = None
        if literals:
            key = tuple(present)
            verdict = decided.get(key, ...)
            if verdict is ...:
                verdict = decided[key] = where.decide(frozenset(lit for lit, p in zip(literals, present) if not p))
        if verdict is None and where is not None:  # not settled by the literals: read the states
            current, previous, ok = state_texts(current, previous, payload, where)
            if not ok:
                current, previous = _sibling(session, occurrence_id, where) or (current, previous)
            verdict = bool(where.matches(current, previous))
        if verdict is False:
            continue
        found.append((seq, status))
        if len(found) == want:
            position = seq
            break
    if not listed or not found:
        return found, position
    by_seq = {row[0]: row for row in session.connection().execute(
        select(*LISTED_COLUMNS).where(Notification.seq.in_([seq for seq, _status in found])))}
    return [by_seq[seq] for seq, _status in found if seq in by_seq], position


def step_bounds(session: Session, before: int | None, chunk: int, steps: int) -> list[tuple[int | None, int | None]]:
    """The ``(before, lower)`` of the next ``steps`` scan steps of ``chunk`` notifications below
    ``before`` (fewer when the oldest is reached: its step's lower is None). An OFFSET over the
    primary key only, per step."""
    bounds = []
    for _ in range(steps):
        upper = Notification.seq < before if before is not None else true()
        lower = session.scalar(select(Notification.seq).where(upper).order_by(Notification.seq.desc())
                               .offset(chunk - 1).limit(1))
        bounds.append((before, lower))
        if lower is None:
            break
        before = lower
    return bounds


MAX_SEQ = 2 ** 31 - 1
"""The largest seq (a 32-bit serial on PostgreSQL): the upper bound of a scan's first step."""
_SCANS: dict[tuple, Any] = {}


def _scan_statement(session: Session, flt: Filter, variant: str = "rows"):
    """The statement of a scan's steps, with the step's bounds as parameters (``upto``,
    ``lower``), built once per filter: building it (the prefilter's dozen clauses) took 7 ms a
    step, a quarter of each step's time. ``variant``: "rows" (every row of the step the SQL
    filters keep), "unsettled" (only those that may hold a literal), "settled" (the count of the
    others; see :func:`count_step`)."""
    dialect = session.get_bind().dialect.name
    ids = tuple(_webhook_ids(session, flt.webhook)) if flt.webhook else None
    key = (dataclasses.replace(flt, where=None), flt.where.text if flt.where is not None else None, dialect, ids,
           variant)
    query = _SCANS.get(key)
    if query is not None:
        return query
    where = flt.where
    state_columns = (Occurrence.current_state, Occurrence.previous_state, NotificationPayload.payload)
    body: Any = NotificationPayload.payload
    present: list = []
    if where is not None and where.literals:
        present = presence(where, list(state_columns[:2]), list(state_columns[2:]),
                           passthrough(where, *state_columns, dialect), dialect)
        if where.decide(frozenset(where.literals)) is not None:  # a row holding none is settled unread
            body = case((or_(*present), NotificationPayload.payload), else_=None)
    columns = ((func.count(),) if variant == "settled" else
               (Notification.seq, Notification.status, *state_columns[:2], body, Notification.occurrence_id, *present))
    query = (select(*columns).select_from(Notification)
             .join(Occurrence, Occurrence.id == Notification.occurrence_id)
             .outerjoin(NotificationPayload, NotificationPayload.event_id == Notification.event_id)
             .where(*_where(session, flt, list(ids) if ids is not None else None),
                    Notification.seq <= bindparam("upto", type_=Integer()),
                    Notification.seq >= bindparam("lower", type_=Integer())))
    if where is not None:
        sql = prefilter(where, list(state_columns[:2]), list(state_columns[2:]),
                        passthrough(where, *state_columns, dialect), dialect)
        if sql is not None:
            query = query.where(sql)
    if variant == "settled":
        query = query.where(or_(*present).is_not(true()))  # NULL (no text at all) is "lacks it" too
    else:
        if variant == "unsettled":
            query = query.where(or_(*present))
        query = query.order_by(Notification.seq.desc())
    if len(_SCANS) >= 64:
        _SCANS.clear()
    _SCANS[key] = query
    return query


def _sibling(session: Session, occurrence_id: str, where: StateWhere) -> tuple | None:
    find = func.instr if session.get_bind().dialect.name == "sqlite" else func.strpos
    payloads = session.scalars(
        select(NotificationPayload.payload).join(Notification, Notification.event_id == NotificationPayload.event_id)
        .where(Notification.occurrence_id == occurrence_id, find(NotificationPayload.payload, BODY_MARK) > 0)
        .limit(1)).all()
    return sibling_states(payloads)


def listed_below(session: Session, flt: Filter, before: int | None, limit: int) -> list:
    """Listed rows of the SQL filters (no ``where``), newest first, below ``before``: the
    indexed step of an export."""
    _sql_only(flt)
    query = select(*LISTED_COLUMNS).where(*_where(session, flt))
    if before is not None:
        query = query.where(Notification.seq < before)
    return session.execute(query.order_by(Notification.seq.desc()).limit(limit)).all()


def details_of(session: Session, rows: list) -> list[dict]:
    """Listed rows with their endpoint, body and attempts, as :func:`details` shapes them, in two
    queries for the whole batch (an export's NDJSON)."""
    if not rows:
        return []
    seqs = [row[0] for row in rows]
    extra = {seq: (url, payload) for seq, url, payload in session.execute(
        select(Notification.seq, Notification.endpoint_url, NotificationPayload.payload)
        .outerjoin(NotificationPayload, NotificationPayload.event_id == Notification.event_id)
        .where(Notification.seq.in_(seqs)))}
    attempts: dict[int, list] = {}
    for a in session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.notification_seq.in_(seqs))
                             .order_by(DeliveryAttempt.id)):
        attempts.setdefault(a.notification_seq, []).append(_attempt(a))
    result = []
    for row in rows:
        url, payload = extra.get(row[0], ("", None))
        result.append({**_item(*row), "endpointUrl": url, "payload": payload or "",
                       "attemptHistory": attempts.get(row[0], [])})
    return result


def _attempt(a: DeliveryAttempt) -> dict:
    request, response = exchange.as_api(a.request_head, a.response_head, a.status_code, a.response_excerpt)
    return {"number": a.number, "kind": a.kind, "startedAt": iso(a.started_at),
            "durationMs": round(a.duration_ms, 1), "statusCode": a.status_code, "error": a.error,
            "responseExcerpt": a.response_excerpt, "request": request, "response": response,
            "connectMs": _ms(a.connect_ms), "firstByteMs": _ms(a.first_byte_ms)}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def search(session: Session, flt: Filter, limit: int | None, cursor: str | None) -> dict:
    limit = DEFAULT_LIMIT if limit is None else limit
    check_limit(limit)
    if flt.where is not None:
        raise ValueError("a --where search is driven chunk by chunk: use scan()")
    query = select(*LISTED_COLUMNS).where(*_where(session, flt))
    if cursor:
        query = query.where(Notification.seq < decode_cursor(cursor))
    rows = session.execute(query.order_by(Notification.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    return page(rows[:limit], more)


def count(session: Session, flt: Filter) -> int:
    _sql_only(flt)
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
        "attemptHistory": [_attempt(a) for a in attempts],
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


def failed_only(flt: Filter, action: str) -> Filter:
    """What a bulk retry or mark acts on: the FAILED ones of the search (of "Needs attention",
    its FAILED part: the retrying ones still have automatic attempts to come)."""
    if flt.status not in (None, FAILED, NEEDS_ATTENTION):
        raise ValidationError(FieldError("status", f"only FAILED notifications can be {action}"))
    return flt.only(FAILED)


def retry_values(now: datetime) -> dict:
    return {"status": IN_PROGRESS, "round_kind": "manual", "round_attempts": 0, "next_attempt_at": now,
            "lease_owner": None, "lease_expires_at": None, "updated_at": now}


def mark_values(now: datetime, by: str) -> dict:
    return {"status": SUCCESSFUL, "next_attempt_at": None, "marked_successful_by": by, "marked_successful_at": now,
            "updated_at": now}


def retry(session: Session, event_id: str | None, flt: Filter | None, now: datetime) -> int:
    """Start a manual round (at once, then 5 and 15 minutes) for one or for every FAILED match."""
    notify_due(session)
    return _change_failed(session, event_id, flt, "retried", retry_values(now))


def mark_successful(session: Session, event_id: str | None, flt: Filter | None, now: datetime, by: str) -> int:
    return _change_failed(session, event_id, flt, "marked successful", mark_values(now, by))


def _change_failed(session: Session, event_id: str | None, flt: Filter | None, action: str, values: dict) -> int:
    """Set ``values`` on one FAILED notification (any other state is refused, naming ``action``)
    or on every FAILED one matching the filter; returns how many changed."""
    if event_id is not None:
        n = _one(session, event_id)
        _refuse_unless_failed(n, action)
        for key, value in values.items():
            setattr(n, key, value)
        return 1
    flt = failed_only(flt or Filter(), action)
    _sql_only(flt)
    return session.execute(update(Notification).where(*_where(session, flt)).values(**values)).rowcount


def change_failed_seqs(session: Session, seqs: list[int], values: dict) -> int:
    """Set ``values`` on those of ``seqs`` still FAILED (a ``--where`` bulk action, chunk by chunk)."""
    if not seqs:
        return 0
    return session.execute(update(Notification).where(Notification.seq.in_(seqs), Notification.status == FAILED)
                           .values(**values)).rowcount


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


def failing_by_webhook(session: Session) -> dict[str, int]:
    """``{webhook id: n}`` of the NEEDS_ATTENTION notifications (FAILED, and IN_PROGRESS after a
    failed attempt) of every webhook that has any: the Webhooks page's "· 15 failed".

    One GROUP BY over the two open statuses (their index ranges), so the cost follows the
    failing notifications, never the SUCCESSFUL history. Not from the hourly rollups: they count
    attempts and endings per hour, not what is failing now (a FAILED one retried and delivered
    since would still count, one failing across hours would count twice)."""
    clauses = _where(session, Filter(status=NEEDS_ATTENTION))
    rows = session.execute(select(Notification.webhook_id, func.count()).where(*clauses)
                           .group_by(Notification.webhook_id)).all()
    return {webhook_id: n for webhook_id, n in rows}
