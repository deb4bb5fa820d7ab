"""SQLAlchemy 2 models: the whole persistent state of the app.

The notifications table is the delivery outbox (DESIGN section 4): a row is committed before the
first attempt, and the engine works from ``status``/``next_attempt_at``. Indexes follow the event
browser's queries (status, webhook, eventId, time) and the engine's claim query. Secrets are never
columns here: they live in the keyring (``emswebhook_gui.secrets``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import uuid_utils
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, stored naive-UTC so SQLite and PostgreSQL sort alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)

    def bind_processor(self, dialect):
        """On SQLite, the text SQLAlchemy's DATETIME would store (``YYYY-MM-DD HH:MM:SS.ffffff``,
        UTC), in one step: its processor formats through a dict of seven fields, and every
        published notification stores three timestamps, which had cost 3 µs a publish."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value):
            value = self.process_bind_param(value, dialect)
            return None if value is None else value.isoformat(" ", "microseconds")

        return process


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


# Notification states (contract, DESIGN section 4).
IN_PROGRESS = "IN_PROGRESS"
FAILED = "FAILED"
SUCCESSFUL = "SUCCESSFUL"
STATUSES = (IN_PROGRESS, FAILED, SUCCESSFUL)


class Definition:
    """What a profile and a webhook share: an id, a name unique ignoring case, and when it was made
    and last changed (the timestamps stay the table's last columns)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # casefolded name: the unique key, so "Prod" and "prod" cannot both exist
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(sort_order=1)
    updated_at: Mapped[datetime] = mapped_column(sort_order=1)


class AuthProfile(Definition, Base):
    __tablename__ = "auth_profiles"

    type: Mapped[str] = mapped_column(String(10))
    username: Mapped[str | None] = mapped_column(String(255))
    token_url: Mapped[str | None] = mapped_column(String(2000))
    client_id: Mapped[str | None] = mapped_column(String(255))
    scope: Mapped[str | None] = mapped_column(String(1000))
    audience: Mapped[str | None] = mapped_column(String(1000))


class Webhook(Definition, Base):
    __tablename__ = "webhooks"

    event_name: Mapped[str] = mapped_column(String(100), index=True)
    endpoint_url: Mapped[str] = mapped_column(String(2000))
    auth_profile_id: Mapped[str] = mapped_column(
        ForeignKey("auth_profiles.id", ondelete="RESTRICT"), index=True
    )
    activities: Mapped[list] = mapped_column(JSON, default=list)
    trigger_condition: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(500))
    include_data: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # the secret itself is in the keyring; this only says one is expected there
    signing_enabled: Mapped[bool] = mapped_column(Boolean, default=False)


class Occurrence(Base):
    """One event that happened in the licensing system (one publish), before fan-out."""

    __tablename__ = "occurrences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_name: Mapped[str] = mapped_column(String(100))
    entity_name: Mapped[str] = mapped_column(String(100))
    activity_name: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(2000))
    request_id: Mapped[str] = mapped_column(String(255), index=True)
    current_state: Mapped[str | None] = mapped_column(Text)
    previous_state: Mapped[str | None] = mapped_column(Text)
    op_datetime: Mapped[datetime]
    created_at: Mapped[datetime]


class Notification(Base):
    """One occurrence delivered to one webhook: the unit the browser lists and the engine sends.

    ``seq`` is a monotonically increasing integer so the browser pages with a keyset cursor
    (``seq < last``) instead of OFFSET, which stays fast at a million rows. ``webhook_id`` is not a
    foreign key and the webhook's name is copied, so history survives a deleted webhook.
    """

    __tablename__ = "notifications"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    occurrence_id: Mapped[str] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"), index=True)
    webhook_id: Mapped[str] = mapped_column(String(36))
    webhook_name: Mapped[str] = mapped_column(String(100))
    event_name: Mapped[str] = mapped_column(String(100))
    activity_name: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(255))
    endpoint_url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(12))
    round_kind: Mapped[str] = mapped_column(String(8), default="auto")
    round_attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    # the fencing token (added in 0005): every claim increments it, and an outcome is recorded
    # only by the owner of the claim it was sent under (delivery/outbox.py)
    lease_version: Mapped[int] = mapped_column(Integer, server_default="0")
    marked_successful_by: Mapped[str | None] = mapped_column(String(255))
    marked_successful_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_status_seq", "status", "seq"),
        Index("ix_notifications_webhook_seq", "webhook_id", "seq"),
        # "FAILED for this webhook", the browser's commonest question (added in 0004)
        Index("ix_notifications_webhook_status_seq", "webhook_id", "status", "seq"),
        Index("ix_notifications_created", "created_at"),
        # what a notification is about (--entity-id), newest first (added in 0007)
        Index("ix_notifications_entity_seq", "entity_id", "seq"),
        # retention: the oldest of one status first, an exact index range (added in 0007)
        Index("ix_notifications_status_created", "status", "created_at"),
    )


class NotificationPayload(Base):
    """The body sent for a notification, kept apart from its state (added in 0003).

    Every attempt updates the notification row; in SQLite and PostgreSQL an update rewrites the
    whole row, so a 2-3 KB body in it made each state change write the body again. The body is
    written once, read at claim time and by the details view; the browser never touches it.
    """

    __tablename__ = "notification_payloads"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("notifications.event_id", ondelete="CASCADE"), primary_key=True
    )
    payload: Mapped[str] = mapped_column(Text)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_seq: Mapped[int] = mapped_column(
        ForeignKey("notifications.seq", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime]
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    # the exchange as sent and answered (added in 0009), JSON text built by delivery/exchange.py:
    # secrets masked, the answer's headers capped; None for attempts recorded before 0009
    request_head: Mapped[str | None] = mapped_column(Text)
    response_head: Mapped[str | None] = mapped_column(Text)
    connect_ms: Mapped[float | None] = mapped_column(Float)
    first_byte_ms: Mapped[float | None] = mapped_column(Float)


ROLLUP_BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000)
"""Upper bounds (ms) of the attempt-duration histogram of :class:`DeliveryRollup`; a last bucket
holds what took longer. Roughly 1-2-5 steps, so a percentile read from it is within a factor
of 2.5 at worst, and the request timeout (15 s) is a bound."""
ROLLUP_HISTOGRAM = tuple(f"le_{i:02d}" for i in range(len(ROLLUP_BUCKETS_MS) + 1))


class DeliveryRollup(Base):
    """Delivery outcomes per webhook and hour (added in 0009): what the Overview, ``stats`` and
    ``GET /stats`` read, so their cost depends on hours x webhooks, never on notifications.

    Written by the engine's recorder in the transaction that records the outcomes, as an
    ``INSERT ... ON CONFLICT DO UPDATE`` of increments (``delivery/rollups.py``), which is safe with
    several services on one PostgreSQL store. ``webhook_id`` is not a foreign key: history
    outlives a deleted webhook, as notifications do.
    """

    __tablename__ = "delivery_rollups"

    webhook_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    ended_failed: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms_sum: Mapped[float] = mapped_column(Float, default=0.0)
    le_00: Mapped[int] = mapped_column(Integer, default=0)
    le_01: Mapped[int] = mapped_column(Integer, default=0)
    le_02: Mapped[int] = mapped_column(Integer, default=0)
    le_03: Mapped[int] = mapped_column(Integer, default=0)
    le_04: Mapped[int] = mapped_column(Integer, default=0)
    le_05: Mapped[int] = mapped_column(Integer, default=0)
    le_06: Mapped[int] = mapped_column(Integer, default=0)
    le_07: Mapped[int] = mapped_column(Integer, default=0)
    le_08: Mapped[int] = mapped_column(Integer, default=0)
    le_09: Mapped[int] = mapped_column(Integer, default=0)
    le_10: Mapped[int] = mapped_column(Integer, default=0)
    le_11: Mapped[int] = mapped_column(Integer, default=0)
    le_12: Mapped[int] = mapped_column(Integer, default=0)
    le_13: Mapped[int] = mapped_column(Integer, default=0)
    le_14: Mapped[int] = mapped_column(Integer, default=0)
    # the latest failure of the hour, kept by the upsert (COALESCE): the table's "last error"
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]

    __table_args__ = (
        # the stats query: every webhook over a range of hours
        Index("ix_delivery_rollups_hour", "hour"),
    )


class ErrorRollup(Base):
    """Failed attempts per webhook, hour and reason group (``delivery/rollups.reason_of``;
    added in 0009): the Overview's top error reasons, without reading attempts."""

    __tablename__ = "error_rollups"

    webhook_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    example: Mapped[str | None] = mapped_column(Text)
    """One full message of the group (the latest), for the tooltip and the details."""

    __table_args__ = (Index("ix_error_rollups_hour", "hour"),)


class AppProperty(Base):
    __tablename__ = "app_properties"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class MaintenanceRun(Base):
    """The last run of a maintenance task ("purge"), shared by every service on the database
    (added in 0007): ``db info`` and Settings show it, and a service starting up reads it to
    know whether the hourly purge is due."""

    __tablename__ = "maintenance_runs"

    task: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    owner: Mapped[str] = mapped_column(String(100))
    removed: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)


class ServiceInstance(Base):
    """A live delivery service (GUI or ``serve``), for ``emswebhook status``; added in 0002.

    ``boot_id`` and ``pid_namespace`` (0005) say where ``pid`` means something: another service
    may judge this one by its PID only on the same boot and in the same PID namespace
    (``instances.py``); None where the platform has no such notion. ``clock_offset`` is this
    host's clock minus the database's, in seconds, measured at each heartbeat; ``lease_seconds``
    the lease it takes, from which its heartbeat is judged stale.
    """

    __tablename__ = "service_instances"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    boot_id: Mapped[str | None] = mapped_column(String(64))
    pid_namespace: Mapped[str | None] = mapped_column(String(64))
    clock_offset: Mapped[float | None] = mapped_column(Float)
    lease_seconds: Mapped[float | None] = mapped_column(Float)


class EndpointPause(Base):
    """A pause a subscriber asked for (429/503 with ``Retry-After``), honoured by every service;
    one row per webhook whose endpoint is that subscriber's (added in 0005)."""

    __tablename__ = "endpoint_pauses"

    webhook_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    paused_until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A new key for an occurrence, a notification (its eventId) or a default requestId.

    Time-ordered UUIDs (version 7, RFC 9562) rather than random ones: these keys are indexed
    (primary keys, the unique eventId, the requestId and occurrence indexes), and a random key
    lands on a different B-tree page each time, so every published event dirtied one page per
    index and each commit wrote megabytes of WAL. Version 7 keys go to the right-hand edge of
    the index, a few pages a batch. They are still standard UUIDs to receivers.
    """
    return str(uuid_utils.uuid7())


def iso(value: datetime | None) -> str | None:
    """Timestamps for people and scripts: ISO 8601, UTC, milliseconds, 'Z'.

    ``isoformat`` rather than ``strftime``: this runs for every row of every page the browser
    shows, and is about twice as fast.
    """
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
