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

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Outcome:
    claimed: Claimed
    result: AttemptResult | None  # None: not sent at all (webhook deleted or disabled)
    reason: str | None = None


def _claimable(now: datetime, wall: datetime):
    return and_(
        Notification.status == IN_PROGRESS,
        Notification.next_attempt_at <= now,
        or_(Notification.lease_expires_at.is_(None), Notification.lease_expires_at < wall),
    )


def claim_due(session: Session, owner: str, now: datetime, wall: datetime, lease: timedelta, limit: int) -> list[Claimed]:
    due = (
        select(Notification.seq)
        .where(_claimable(now, wall))
        .order_by(Notification.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(Notification)
        .where(Notification.seq.in_(due.scalar_subquery()))
        .values(lease_owner=owner, lease_expires_at=wall + lease)
        .returning(Notification.seq, Notification.event_id, Notification.webhook_id,
                   Notification.round_kind, Notification.round_attempts, Notification.attempts)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(statement).all()
    if not rows:
        return []
    payloads = dict(session.execute(
        select(NotificationPayload.event_id, NotificationPayload.payload)
        .where(NotificationPayload.event_id.in_([row.event_id for row in rows]))).all())
    return [Claimed(row.seq, row.event_id, row.webhook_id, payloads.get(row.event_id, ""), row.round_kind,
                    row.round_attempts, row.attempts) for row in rows]


def targets(session: Session, webhook_ids: set[str]) -> dict[str, Target]:
    rows = session.execute(
        select(Webhook, AuthProfile).join(AuthProfile, AuthProfile.id == Webhook.auth_profile_id)
        .where(Webhook.id.in_(webhook_ids))
    ).all()
    return {
        w.id: Target(w.id, w.name, w.enabled, w.endpoint_url, w.signing_enabled, p.id, p.type, p.username,
                     p.token_url, p.client_id, p.scope, p.audience)
        for w, p in rows
    }


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


def record(session: Session, owner: str, outcomes: list[Outcome], now: datetime) -> list[tuple[str, str]]:
    """Write attempts and new states in one transaction; returns (eventId, status) of the rows
    that reached a final state, for broadcasts (tray alerts on FAILED).

    Few statements per batch, not one per row: outcomes that set the same values (all the 200s,
    all the retries due at the same moment, ...) share one ``UPDATE ... WHERE seq IN (...)``, the
    counters being incremented in SQL; the attempts go in one executemany. Statements, not rows,
    are what costs here (on PostgreSQL each is a round trip to the server). Rows whose lease was taken over by another
    service (``lease_owner`` no longer ours) are left alone.
    """
    table = Notification.__table__
    attempts: list[dict] = []
    groups: dict[tuple, list[int]] = {}
    finished: list[tuple[str, str]] = []
    for outcome in outcomes:
        c, result = outcome.claimed, outcome.result
        if result is None:
            values = (("status", FAILED), ("next_attempt_at", None), ("last_status_code", None),
                      ("last_error", outcome.reason), ("sent", False))
            finished.append((c.event_id, FAILED))
        else:
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
            values = (("status", status), ("next_attempt_at", next_at), ("last_status_code", result.status_code),
                      ("last_error", result.error), ("sent", True))
        groups.setdefault(values, []).append(c.seq)
    if attempts:  # executemany: compiled once and cached (a multi-row VALUES is compiled per size)
        session.connection().execute(insert(DeliveryAttempt.__table__), attempts)
    for values, seqs in groups.items():
        assignments = {key: value for key, value in values if key != "sent"}
        if dict(values)["sent"]:
            assignments.update(attempts=table.c.attempts + 1, round_attempts=table.c.round_attempts + 1)
        assignments.update(lease_owner=None, lease_expires_at=None, updated_at=now)
        for start in range(0, len(seqs), 500):
            session.connection().execute(
                update(table)
                .where(table.c.seq.in_(seqs[start:start + 500]), table.c.lease_owner == owner)
                .values(**assignments)
            )
    return finished
