"""The outbox in the database: claiming due notifications and recording what attempts did.

Blocking functions over a SQLAlchemy ``Session``, run on the database worker by the engine.

Claiming is one ``UPDATE ... WHERE seq IN (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING``
statement: atomic on SQLite (one writer at a time) and, on PostgreSQL, skipping rows another
service is claiming at the same moment. A claim is a lease (owner, expiry, fencing token): a live
service renews the leases of what it has in flight; a dead service's leases run out and are taken
over. Leases are judged by the database's clock in SQL (``store.clock``), never by a service's
own clock, so a host whose clock is off neither takes live leases nor loses its own. Due-ness
and endpoint pauses use the service's clock (``WebhookService.clock``: the database's time as
measured, or a test's clock, so tests advance time).

Every claim increments ``lease_version``; an outcome is recorded only when the row still carries
the owner and the version of the claim it was sent under. A service paused or cut off past its
lease (SIGSTOP, a suspended VM, a partition) whose notification another service has meanwhile
claimed, sent and recorded, thus never writes its late answer over the new owner's: the answer
comes back as ``lost`` and is logged, nothing of it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Float, Integer, and_, bindparam, exists, func, null, or_, select, update
from sqlalchemy.orm import Session

from ..store.bulk import Prepared, RawCursor, prepared_insert
from ..store.clock import db_later, db_now
from ..store.models import (
    FAILED,
    IN_PROGRESS,
    SUCCESSFUL,
    AuthProfile,
    DeliveryAttempt,
    EndpointPause,
    Notification,
    NotificationPayload,
    Webhook,
)
from . import rollups
from .http import AttemptResult
from .politeness import PAUSING_STATUSES, pause_endpoint, pause_reason, retry_after_delay
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
    lease: int = 0
    """The fencing token: ``lease_version`` as this claim set it (0: inserted leased by a publish)."""
    held_until: float = 0.0
    """``time.monotonic()`` until which the lease is surely still this service's (the engine
    sets it at the claim and at each renewal, and does not send a claim past it)."""


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
    (``delivery.collaborators.Dispatcher``): they are inserted already claimed, up to ``limit`` of them."""

    owner: str
    expires: datetime
    """On the database's clock as last measured (``store.clock.DatabaseClock``)."""
    limit: int
    excluded: frozenset[str] = frozenset()
    """Webhooks whose endpoint already holds its share of the engine (``lanes``): written unclaimed."""


class Handoff(NamedTuple):
    """What a publish's transaction claimed for the engine in its process (``delivery.collaborators.Dispatcher``)."""

    claimed: list[Claimed]
    targets: dict[str, Target]
    complete: bool
    """Whether every notification of the publish was claimed (else some are left for others)."""


@dataclass(slots=True)  # not frozen: see above
class Outcome:
    claimed: Claimed
    result: AttemptResult | None  # None: not sent at all (webhook deleted or disabled)
    reason: str | None = None


def _not_paused(now):
    return ~exists().where(EndpointPause.webhook_id == Notification.webhook_id, EndpointPause.paused_until > now)


def _claimable(now):
    """Due at ``now`` (a bind parameter), not leased by a live service (by the database's clock),
    and not to an endpoint that asked for a pause."""
    return and_(
        Notification.status == IN_PROGRESS,
        Notification.next_attempt_at <= now,
        or_(Notification.lease_expires_at.is_(None), Notification.lease_expires_at < db_now()),
        _not_paused(now),
    )


def _claim_statement(skip_locked: bool, excluding: bool = False):
    """The claim; ``excluding`` leaves out the webhooks of an ``exclude`` list (``lanes``)."""
    table = Notification.__table__
    due = (
        select(table.c.seq)
        .where(_claimable(bindparam("now", type_=table.c.next_attempt_at.type)))
        .order_by(table.c.next_attempt_at)
        .limit(bindparam("limit", type_=Integer()))
    )
    if excluding:
        due = due.where(table.c.webhook_id.not_in(bindparam("exclude", expanding=True)))
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        update(table).where(table.c.seq.in_(due.scalar_subquery()))
        .values(lease_owner=bindparam("owner", type_=table.c.lease_owner.type),
                lease_expires_at=db_later(bindparam("lease", type_=Float())),
                lease_version=table.c.lease_version + 1)
        # the columns of a claim row (see _with_payloads)
        .returning(table.c.seq, table.c.event_id, table.c.webhook_id, table.c.round_kind, table.c.round_attempts,
                   table.c.attempts, table.c.lease_version)
    )


# Built once (the claim runs every few milliseconds under load); PostgreSQL skips rows another
# service is claiming at the same moment. The excluding claims (rarer: an endpoint is behind) go
# through SQLAlchemy, whose expanding parameter the raw-cursor ``Prepared`` has no use for.
_CLAIM = {False: Prepared(_claim_statement(False)), True: Prepared(_claim_statement(True))}
_CLAIM_EXCLUDING = {False: _claim_statement(False, True), True: _claim_statement(True, True)}
_PAYLOADS = select(NotificationPayload.event_id, NotificationPayload.payload).where(
    NotificationPayload.event_id.in_(bindparam("event_ids", expanding=True)))


def claim_due(session: Session, owner: str, now: datetime, lease_seconds: float, limit: int,
              exclude: frozenset[str] = frozenset()) -> list[Claimed]:
    """Claim up to ``limit`` notifications due at ``now`` for ``lease_seconds`` of the database's
    clock, none of the webhooks in ``exclude``."""
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    parameters = {"now": now, "limit": limit, "owner": owner, "lease": lease_seconds}
    if exclude:
        rows = connection.execute(_CLAIM_EXCLUDING[postgresql], {**parameters, "exclude": sorted(exclude)}).all()
    else:
        rows = _CLAIM[postgresql].fetch(connection, parameters)
    return _with_payloads(connection, rows)


def _with_payloads(connection, rows) -> list[Claimed]:
    """Claimed notifications from claim rows (seq, eventId, webhookId, round kind, round attempts,
    attempts, lease version), each with its body."""
    if not rows:
        return []
    payloads = dict(connection.execute(_PAYLOADS, {"event_ids": [row[1] for row in rows]}).all())
    return [Claimed(seq, event_id, webhook_id, payloads.get(event_id, ""), kind, round_attempts, attempts, version)
            for seq, event_id, webhook_id, kind, round_attempts, attempts, version in rows]


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


def next_due(session: Session, now: datetime) -> datetime | None:
    """When the earliest claimable notification falls due, or a pause holding back due ones
    ends (None: nothing pending). Paused notifications are left out, else a due one behind a
    pause would make the claim loop spin."""
    free = and_(Notification.status == IN_PROGRESS,
                or_(Notification.lease_expires_at.is_(None), Notification.lease_expires_at < db_now()))
    due = session.scalar(select(func.min(Notification.next_attempt_at)).where(free, _not_paused(now)))
    pause_end = session.scalar(
        select(func.min(EndpointPause.paused_until)).where(
            EndpointPause.paused_until > now,
            exists().where(Notification.webhook_id == EndpointPause.webhook_id, free)))
    return min((t for t in (due, pause_end) if t is not None), default=None)


def renew(session: Session, owner: str, seqs: list[int], lease_seconds: float) -> set[int]:
    """Extend this owner's leases by ``lease_seconds`` of the database's clock; returns the seqs
    it still held (the others were taken over while this service could not renew them)."""
    renewed: set[int] = set()
    table = Notification.__table__
    for start in range(0, len(seqs), 500):
        renewed.update(session.execute(
            update(table)
            .where(table.c.seq.in_(seqs[start:start + 500]), table.c.lease_owner == owner)
            .values(lease_expires_at=db_later(lease_seconds))
            .returning(table.c.seq)
        ).scalars())
    return renewed


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
                                        table.c.lease_owner == bindparam("v_owner", type_=table.c.lease_owner.type),
                                        table.c.lease_version == bindparam("v_lease", type_=Integer()))
                    .values(values))


_RECORD = {True: _record_statement(True), False: _record_statement(False)}
_INSERT_ATTEMPTS = prepared_insert(DeliveryAttempt.__table__, (
    "notification_seq", "number", "kind", "started_at", "duration_ms", "status_code", "error", "response_excerpt",
    "request_head", "response_head", "connect_ms", "first_byte_ms"))


class Recorded(NamedTuple):
    finished: list[tuple[str, str]]
    """(eventId, status) of the rows that reached a final state, for broadcasts (tray alerts)."""
    lost: list[Outcome]
    """Outcomes not recorded: the lease had been taken over (see the module's docstring)."""
    pauses: dict[str, datetime]
    """Pauses this batch asked for (webhook id of the answer -> end), for the engine to apply at once."""


def _still_held(connection, owner: str, outcomes: list[Outcome]) -> set[int]:
    """The seqs whose row still carries this owner and the claim's token, locked until the
    commit: on PostgreSQL by ``FOR UPDATE`` (a concurrent claim skips them), on SQLite by taking
    the single write lock before reading."""
    # on the driver's cursor, as the statements after it (store/bulk.py): through Core, building
    # and running this one select cost about 3% of the process's GIL time at full speed
    raw = RawCursor(connection)
    try:
        if raw.sqlite:
            dbapi = connection.connection.dbapi_connection
            if not dbapi.in_transaction:
                dbapi.execute("BEGIN IMMEDIATE")
        where, params = raw.member("seq", [o.claimed.seq for o in outcomes])
        versions = dict(raw.run(f"SELECT seq, lease_version FROM notifications WHERE {where} AND lease_owner = ?"
                                + ("" if raw.sqlite else " FOR UPDATE"), [*params, owner]))
    finally:
        raw.close()
    return {o.claimed.seq for o in outcomes if versions.get(o.claimed.seq) == o.claimed.lease}


def record(session: Session, owner: str, outcomes: list[Outcome], now: datetime) -> Recorded:
    """Write attempts and new states in one transaction.

    Five statements per batch whatever its size: which rows are still this owner's (fencing),
    then, each an executemany on the driver's cursor (``store.bulk``), the attempts, the rows
    that were sent, the rows that were not; last, the hourly rollups. A batch is hundreds of outcomes under load, and
    SQLAlchemy's per-statement and per-row machinery had cost more than the database's own
    work. psycopg runs an executemany as one pipeline, so PostgreSQL pays no round trip per row
    (bench_scaleout: 2,249 -> 3,032 deliveries/s for one service).

    A 429 or 503 answer with ``Retry-After`` pauses the endpoint for every service
    (``politeness``); the attempt is failed with that reason, and its next attempt is never
    earlier than the schedule's.
    """
    connection = session.connection()
    held = _still_held(connection, owner, outcomes) if outcomes else set()
    attempts: list[dict] = []
    changes: dict[bool, list[dict]] = {True: [], False: []}
    finished: list[tuple[str, str]] = []
    lost: list[Outcome] = []
    pauses: dict[str, datetime] = {}
    tally = rollups.Tally()
    for outcome in outcomes:
        c, result = outcome.claimed, outcome.result
        if c.seq not in held:
            lost.append(outcome)
            continue
        if result is None:
            finished.append((c.event_id, FAILED))
            tally.ended_failed(c.webhook_id, outcome.reason)
            changes[False].append({"v_seq": c.seq, "v_owner": owner, "v_lease": c.lease, "v_status": FAILED,
                                   "v_next": None, "v_code": None, "v_error": outcome.reason, "v_now": now})
            continue
        error = result.error
        pause = None
        if not result.ok and result.status_code in PAUSING_STATUSES:
            delay = retry_after_delay(getattr(result, "retry_after", None), now)
            if delay is not None:
                pause = now + delay
                error = f"{error}; {pause_reason(result.status_code, pause, delay)}"
                if pause > pauses.get(c.webhook_id, now):
                    pauses[c.webhook_id] = pause
        attempts.append({
            "notification_seq": c.seq, "number": c.attempts + 1, "kind": c.round_kind,
            "started_at": result.started_at, "duration_ms": result.duration_ms,
            "status_code": result.status_code, "error": error,
            "response_excerpt": result.response_excerpt,
            "request_head": result.request_head, "response_head": result.response_head,
            "connect_ms": result.connect_ms, "first_byte_ms": result.first_byte_ms,
        })
        if result.ok:
            status, next_at = SUCCESSFUL, None
        else:
            delay = next_attempt_delay(c.round_kind, c.round_attempts + 1)
            status, next_at = (FAILED, None) if delay is None else (IN_PROGRESS, now + delay)
            if next_at is not None and pause is not None and pause > next_at:
                next_at = pause  # the pause may lengthen the schedule, never shorten it
        if status != IN_PROGRESS:
            finished.append((c.event_id, status))
        tally.attempt(c.webhook_id, result.ok, result.duration_ms, error)
        if status == FAILED:
            tally.ended_failed(c.webhook_id)
        changes[True].append({"v_seq": c.seq, "v_owner": owner, "v_lease": c.lease, "v_status": status,
                              "v_next": next_at, "v_code": result.status_code, "v_error": error, "v_now": now})
    _INSERT_ATTEMPTS.execute(connection, attempts)
    for sent, rows in changes.items():
        _RECORD[sent].execute(connection, rows)
    if pauses:
        urls = dict(session.execute(select(Webhook.id, Webhook.endpoint_url)
                                    .where(Webhook.id.in_(list(pauses)))).all())
        for webhook_id, until in pauses.items():
            if webhook_id in urls:
                pause_endpoint(session, urls[webhook_id], until, f"Retry-After from {urls[webhook_id]}")
    tally.write(connection, now)  # last: its rows are shared with other services (delivery/rollups.py)
    return Recorded(finished, lost, pauses)
