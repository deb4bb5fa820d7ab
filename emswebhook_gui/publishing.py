"""Publishing an occurrence (validated by ``rules.occurrences``): match webhooks, build the outbox.

Used only by ``WebhookService.publish``. Everything happens in the caller's transaction: the
occurrence and one notification per matching webhook are committed together, before any send, so
a crash can never lose a notification the publisher was told about (DESIGN section 4).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .conditions import compiled
from .delivery.outbox import Claimed, Lease
from .delivery.payload import build_payload
from .rules.occurrences import OccurrenceInput
from .store.bulk import prepared_insert
from .store.models import IN_PROGRESS, Notification, NotificationPayload, Occurrence, Webhook, new_id


def webhook_admits(webhook, occurrence: OccurrenceInput) -> bool:
    """Both filters must pass: the activity filter (empty = all) and the trigger condition."""
    if webhook.activities and occurrence.activity not in webhook.activities:
        return False
    if webhook.trigger_condition:
        return compiled(webhook.trigger_condition)(occurrence.current_state)
    return True


# Built once: constructing these per batch cost more than running them.
_ENABLED_WEBHOOKS = select(Webhook.id, Webhook.name, Webhook.endpoint_url, Webhook.activities,
                           Webhook.trigger_condition, Webhook.include_data).where(
    Webhook.event_name == bindparam("event_name"), Webhook.enabled.is_(True))
_OCCURRENCE_COLUMNS = ("id", "event_name", "entity_name", "activity_name", "entity_id", "url", "request_id",
                       "current_state", "previous_state", "op_datetime", "created_at")
_NOTIFICATION_COLUMNS = ("event_id", "occurrence_id", "webhook_id", "webhook_name", "event_name", "activity_name",
                         "entity_id", "endpoint_url", "status", "round_kind", "round_attempts", "attempts",
                         "next_attempt_at", "created_at", "updated_at")
_INSERT_OCCURRENCES = prepared_insert(Occurrence.__table__, _OCCURRENCE_COLUMNS)
_INSERT_NOTIFICATIONS = prepared_insert(Notification.__table__, _NOTIFICATION_COLUMNS)
_INSERT_LEASED = prepared_insert(Notification.__table__, (*_NOTIFICATION_COLUMNS, "lease_owner", "lease_expires_at"),
                                 returning=("event_id", "seq"))
_INSERT_PAYLOADS = prepared_insert(NotificationPayload.__table__, ("event_id", "payload"))


class Published(NamedTuple):
    event_ids: list[list[str]]
    """Each occurrence's new eventIds (maybe none), in the order given."""
    leased: list[Claimed]
    """The notifications written under the lease given (the first ``lease.limit``, none of
    ``lease.excluded``)."""


def _escaped(state: str | None) -> bool:
    """Whether a state's text holds a ``\\u`` escape: such a state stays on its occurrence even
    when bodies carry it, so a ``--where`` scan need not look for escapes in the bodies
    (``state_search``: checking every 2 KB body for them halved the scan's rate)."""
    return state is not None and "\\u" in state


def publish_batch(session: Session, items: list[tuple[OccurrenceInput, str | None, datetime]],
                  expiry_zone: str, lease: Lease | None = None) -> Published:
    """Store occurrences and their notifications.

    ``items`` are (occurrence, only_webhook_id, now). Publishing is the hot path (every event of
    the licensing system passes here), so a whole group-committed batch costs one webhook query
    per event name and three executemany inserts on the driver's cursor (``store.bulk``). Entity
    states are written once: the occurrence keeps its copy only when no notification body carries
    it (nothing matched, or Include Data is off), which halves what a publish writes; a state
    whose text holds a ``\\u`` escape is kept on the occurrence too (``_escaped``).

    With a ``lease`` (from this process's engine, ``service.Dispatcher``) the first
    ``lease.limit`` notifications are inserted already claimed by it, so the engine gets them
    without a second statement rewriting the rows just written (the claim is the ordinary lease:
    if the engine never sends them, it runs out).

    The caller tells listening services (``wakeup.notify_due``) about what is left unclaimed.
    """
    connection = session.connection()
    webhooks: dict[str, list] = {}
    for name in {occurrence.event.name for occurrence, _only, _now in items}:
        webhooks[name] = list(connection.execute(_ENABLED_WEBHOOKS, {"event_name": name}))
    zone = ZoneInfo(expiry_zone)
    occurrence_rows, notification_rows, leased_rows, payload_rows, results = [], [], [], [], []
    leased_payloads: list[dict] = []
    room = lease.limit if lease is not None else 0
    for occurrence, only_webhook_id, now in items:
        candidates = webhooks[occurrence.event.name]
        if only_webhook_id is not None:
            candidates = [w for w in candidates if w.id == only_webhook_id]
        occurrence_id = new_id()
        row = {
            "id": occurrence_id, "event_name": occurrence.event.name, "entity_name": occurrence.entity_name,
            "activity_name": occurrence.activity, "entity_id": occurrence.entity_id, "url": occurrence.url,
            "request_id": occurrence.request_id, "current_state": occurrence.current_text,
            "previous_state": occurrence.previous_text, "op_datetime": occurrence.op_datetime, "created_at": now,
        }
        occurrence_rows.append(row)
        event_ids = []
        for webhook in candidates:
            if not webhook_admits(webhook, occurrence):
                continue
            event_id = new_id()
            body = build_payload(
                event_name=occurrence.event.name, activity_name=occurrence.activity, webhook_id=webhook.id,
                webhook_name=webhook.name, request_id=occurrence.request_id, event_id=event_id,
                url=occurrence.url, entity_id=occurrence.entity_id, op_datetime=occurrence.op_datetime,
                include_data=webhook.include_data, current_state=occurrence.current_text,
                previous_state=occurrence.previous_text, expiry_time_zone=zone,
                entity_name=occurrence.entity_name,
            )
            notification = {
                "event_id": event_id, "occurrence_id": occurrence_id, "webhook_id": webhook.id,
                "webhook_name": webhook.name, "event_name": occurrence.event.name,
                "activity_name": occurrence.activity, "entity_id": occurrence.entity_id,
                "endpoint_url": webhook.endpoint_url, "status": IN_PROGRESS,
                "round_kind": "auto", "round_attempts": 0, "attempts": 0, "next_attempt_at": now,
                "created_at": now, "updated_at": now,
            }
            payload = {"event_id": event_id, "payload": body.decode("utf-8")}
            if len(leased_rows) < room and webhook.id not in lease.excluded:
                notification["lease_owner"], notification["lease_expires_at"] = lease.owner, lease.expires
                leased_rows.append(notification)
                leased_payloads.append(payload)
            else:
                notification_rows.append(notification)
            payload_rows.append(payload)
            event_ids.append(event_id)
            if webhook.include_data:  # the body holds the state: keep it once, not twice
                if not _escaped(occurrence.previous_text):
                    row["previous_state"] = None
                if not (occurrence.event.deletes_subject(occurrence.activity) or _escaped(occurrence.current_text)):
                    row["current_state"] = None
        results.append(event_ids)
    _INSERT_OCCURRENCES.execute(connection, occurrence_rows)
    seqs = dict(_INSERT_LEASED.insert_returning(connection, leased_rows)) if leased_rows else {}
    if notification_rows:
        _INSERT_NOTIFICATIONS.execute(connection, notification_rows)
    if payload_rows:
        _INSERT_PAYLOADS.execute(connection, payload_rows)
    leased = [Claimed(seqs[row["event_id"]], row["event_id"], row["webhook_id"], body["payload"], "auto", 0, 0)
              for row, body in zip(leased_rows, leased_payloads)]
    return Published(results, leased)
