"""The outbox in the database: claiming due notifications and recording what attempts did.

Blocking functions over a SQLAlchemy ``Session``, run on the database worker by the engine.

Claiming is one ``UPDATE ... WHERE seq IN (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING``
statement: atomic on SQLite (one writer at a time) and, on PostgreSQL, skipping rows another
service is claiming at the same moment. A claim is a lease (owner, expiry in real time): a live
service renews the leases of what it has in flight; a dead service's leases run out and are taken
over. Due-ness uses the injected clock (so tests advance time), leases use the wall clock (they
are about processes being alive, which a test clock knows nothing of).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, func, null, or_, select, update
from sqlalchemy.orm import Session

from ..store.bulk import Prepared, prepared_insert
from ..store.models import (
    FAILED,
    IN_PROGRESS,
    SUCCESSFUL,
    AuthProfile,
    DeliveryAttempt,
    Notification,
    NotificationPayload,
    Webhook,
)
from .http import AttemptResult
from .schedule import next_attempt_delay


# Not frozen: made for every delivery, and a frozen dataclass's __init__ costs five times as much
# (object.__setattr__ per field). Nothing mutates it.
@dataclass(slots=True)
class Claimed:
    """A notification this service holds the lease on, with what it takes to send it."""

    seq: int
    event_id: str
    webhook_id: str
    payload: str
    round_kind: str
    round_attempts: int
    attempts: int


@dataclass(frozen=True, slots=True)
class Target:
    """Where and how to send for one webhook, read fresh at claim time (edits apply to retries)."""

    webhook_id: str
    name: str
    enabled: bool
    endpoint_url: str
    signing: bool
    profile_id: str
    profile_type: str
    username: str | None
    token_url: str | None
    client_id: str | None
    scope: str | None
    audience: str | None


class Lease(NamedTuple):
    """The lease a publish writes on the notifications it makes, for the engine in its process
    (``service.Dispatcher``): they are inserted already claimed, up to ``limit`` of them."""

    owner: str
    expires: datetime
    limit: int


class Handoff(NamedTuple):
    """What a publish's transaction claimed for the engine in its process (``service.Dispatcher``)."""

    claimed: list[Claimed]
    targets: dict[str, Target]
    complete: bool
    """Whether every notification of the publish was claimed (else some are left for others)."""


@dataclass(slots=True)  # not frozen: see above
class Outcome:
    claimed: Claimed
    result: AttemptResult | None  # None: not sent at all (webhook deleted or disabled)
    reason: str | None = None


def _claimable(now, wall):
    """Due and not leased by a live service; ``now`` and ``wall`` are bind parameters."""
    return and_(
        Notification.status == IN_PROGRESS,
        Notification.next_attempt_at <= now,
        or_(Notification.lease_expires_at.is_(None), Notification.lease_expires_at < wall),
    )


def _claim_statement(skip_locked: bool) -> Prepared:
    table = Notification.__table__
    due = (
        select(table.c.seq)
        .where(_claimable(bindparam("now", type_=table.c.next_attempt_at.type),
                          bindparam("wall", type_=table.c.lease_expires_at.type)))
        .order_by(table.c.next_attempt_at)
        .limit(bindparam("limit", type_=Integer()))
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return Prepared(
        update(table).where(table.c.seq.in_(due.scalar_subquery()))
        .values(lease_owner=bindparam("owner", type_=table.c.lease_owner.type),
                lease_expires_at=bindparam("expires", type_=table.c.lease_expires_at.type))
        # the columns of a claim row (see _with_payloads)
        .returning(table.c.seq, table.c.event_id, table.c.webhook_id, table.c.round_kind, table.c.round_attempts,
                   table.c.attempts)
    )


# Built once (the claim runs every few milliseconds under load); PostgreSQL skips rows another
# service is claiming at the same moment.
_CLAIM = {False: _claim_statement(False), True: _claim_statement(True)}
_PAYLOADS = select(NotificationPayload.event_id, NotificationPayload.payload).where(
    NotificationPayload.event_id.in_(bindparam("event_ids", expanding=True)))


def claim_due(session: Session, owner: str, now: datetime, wall: datetime, lease: timedelta,
              limit: int) -> list[Claimed]:
    connection = session.connection()
    statement = _CLAIM[connection.dialect.name == "postgresql"]
    rows = statement.fetch(connection, {"now": now, "wall": wall, "limit": limit, "owner": owner,
                                        "expires": wall + lease})
    return _with_payloads(connection, rows)


def _with_payloads(connection, rows) -> list[Claimed]:
    """Claimed notifications from claim rows (seq, eventId, webhookId, round kind, round attempts,
    attempts), each with its body."""
    if not rows:
        return []
    payloads = dict(connection.execute(_PAYLOADS, {"event_ids": [row[1] for row in rows]}).all())
    return [Claimed(seq, event_id, webhook_id, payloads.get(event_id, ""), kind, round_attempts, attempts)
            for seq, event_id, webhook_id, kind, round_attempts, attempts in rows]


_TARGETS = (
    select(Webhook.id, Webhook.name, Webhook.enabled, Webhook.endpoint_url, Webhook.signing_enabled, AuthProfile.id,
           AuthProfile.type, AuthProfile.username, AuthProfile.token_url, AuthProfile.client_id, AuthProfile.scope,
           AuthProfile.audience)
    .join(AuthProfile, AuthProfile.id == Webhook.auth_profile_id)
    .where(Webhook.id.in_(bindparam("webhook_ids", expanding=True)))
)
"""Plain columns in :class:`Target`'s order, built once: read with every claim, where loading
two ORM entities per webhook had cost as much as the claim itself."""


def targets(session: Session, webhook_ids: set[str]) -> dict[str, Target]:
    rows = session.execute(_TARGETS, {"webhook_ids": list(webhook_ids)}).all()
    return {row[0]: Target(*row) for row in rows}


def next_due(session: Session, wall: datetime) -> datetime | None:
    """When the earliest claimable notification falls due (None: nothing pending)."""
    return session.scalar(
        select(func.min(Notification.next_attempt_at)).where(
            Notification.status == IN_PROGRESS,
            or_(Notification.lease_expires_at.is_(None), Notification.lease_expires_at < wall),
        )
    )


def renew(session: Session, owner: str, seqs: list[int], wall: datetime, lease: timedelta) -> None:
    for start in range(0, len(seqs), 500):
        session.execute(
            update(Notification)
            .where(Notification.seq.in_(seqs[start:start + 500]), Notification.lease_owner == owner)
            .values(lease_expires_at=wall + lease)
            .execution_options(synchronize_session=False)
        )


def release(session: Session, owner: str, seqs: list[int]) -> None:
    """Give back claims that were never sent (graceful stop): due again at once for anyone."""
    for start in range(0, len(seqs), 500):
        session.execute(
            update(Notification)
            .where(Notification.seq.in_(seqs[start:start + 500]), Notification.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )


def release_owner(session: Session, owner: str) -> None:
    session.execute(
        update(Notification).where(Notification.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None).execution_options(synchronize_session=False)
    )


def _record_statement(sent: bool) -> Prepared:
    table = Notification.__table__
    values = {
        "status": bindparam("v_status", type_=table.c.status.type),
        "next_attempt_at": bindparam("v_next", type_=table.c.next_attempt_at.type),
        "last_status_code": bindparam("v_code", type_=table.c.last_status_code.type),
        "last_error": bindparam("v_error", type_=table.c.last_error.type),
        "lease_owner": null(), "lease_expires_at": null(),
        "updated_at": bindparam("v_now", type_=table.c.updated_at.type),
    }
    if sent:  # counters are incremented in SQL: the row is the truth, not what was claimed
        values.update(attempts=table.c.attempts + 1, round_attempts=table.c.round_attempts + 1)
    return Prepared(update(table).where(table.c.seq == bindparam("v_seq", type_=Integer()),
                                        table.c.lease_owner == bindparam("v_owner", type_=table.c.lease_owner.type))
                    .values(values))


_RECORD = {True: _record_statement(True), False: _record_statement(False)}
_INSERT_ATTEMPTS = prepared_insert(DeliveryAttempt.__table__, (
    "notification_seq", "number", "kind", "started_at", "duration_ms", "status_code", "error", "response_excerpt"))


def record(session: Session, owner: str, outcomes: list[Outcome], now: datetime) -> list[tuple[str, str]]:
    """Write attempts and new states in one transaction; returns (eventId, status) of the rows
    that reached a final state, for broadcasts (tray alerts on FAILED).

    Three statements per batch whatever its size, each an executemany on the driver's cursor
    (``store.bulk``): the attempts, the rows that were sent, the rows that were not. A batch is
    hundreds of outcomes under load, and SQLAlchemy's per-statement and per-row machinery had
    cost more than the database's own work. psycopg runs an executemany as one pipeline, so
    PostgreSQL pays no round trip per row (bench_scaleout: 2,249 -> 3,032 deliveries/s for one
    service). Rows whose lease was taken over by another service (``lease_owner`` no longer
    ours) are left alone.
    """
    attempts: list[dict] = []
    changes: dict[bool, list[dict]] = {True: [], False: []}
    finished: list[tuple[str, str]] = []
    for outcome in outcomes:
        c, result = outcome.claimed, outcome.result
        if result is None:
            finished.append((c.event_id, FAILED))
            changes[False].append({"v_seq": c.seq, "v_owner": owner, "v_status": FAILED, "v_next": None,
                                   "v_code": None, "v_error": outcome.reason, "v_now": now})
            continue
        attempts.append({
            "notification_seq": c.seq, "number": c.attempts + 1, "kind": c.round_kind,
            "started_at": result.started_at, "duration_ms": result.duration_ms,
            "status_code": result.status_code, "error": result.error,
            "response_excerpt": result.response_excerpt,
        })
        if result.ok:
            status, next_at = SUCCESSFUL, None
        else:
            delay = next_attempt_delay(c.round_kind, c.round_attempts + 1)
            status, next_at = (FAILED, None) if delay is None else (IN_PROGRESS, now + delay)
        if status != IN_PROGRESS:
            finished.append((c.event_id, status))
        changes[True].append({"v_seq": c.seq, "v_owner": owner, "v_status": status, "v_next": next_at,
                              "v_code": result.status_code, "v_error": result.error, "v_now": now})
    connection = session.connection()
    _INSERT_ATTEMPTS.execute(connection, attempts)
    for sent, rows in changes.items():
        _RECORD[sent].execute(connection, rows)
    return finished
