"""The notification body, byte-compatible with the source system's "Event Notification Data".

Receivers written against Sentinel EMS parse ``currentState`` / ``previousState`` a second time
(they are JSON *strings*, not objects) and some compare ``opDatetime`` textually, so the shapes here
follow the documented examples exactly: key order, compact separators inside the state strings,
millisecond timestamps without a zone suffix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson

from emswebhook_gui.catalog import get_event

__all__ = ["EXPIRY_NAMES", "build_payload", "compact_json", "format_op_datetime"]

# An occurrence is an expiry when its event or its activity carries one of these names:
# "Entitlement Expired" is an activity of "Entitlement Updated"; "Product Key Expired" is both.
EXPIRY_NAMES = frozenset({"Entitlement Expired", "Product Key Expired"})


def format_op_datetime(moment: datetime, tz: tzinfo = UTC) -> str:
    """``YYYY-MM-DD HH:MM:SS.mmm`` in ``tz``; naive datetimes are taken as UTC.

    Naive values are accepted because SQLite hands back the stored UTC timestamps without a zone.
    Milliseconds are truncated, never rounded, so a value never moves into the next second.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # isoformat truncates to the millisecond too, at a third of strftime's cost (once a notification)
    return moment.astimezone(tz).replace(tzinfo=None).isoformat(" ", "milliseconds")


# States given as objects: one encoder, as ``json.dumps`` with options builds a new one per call.
compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _state_text(state: Mapping[str, Any] | str) -> str:
    if isinstance(state, str):
        return state
    return compact_json(state)


def build_payload(
    *,
    event_name: str,
    activity_name: str,
    webhook_id: str,
    webhook_name: str,
    request_id: str,
    event_id: str,
    url: str,
    entity_id: str,
    op_datetime: datetime,
    include_data: bool = True,
    current_state: Mapping[str, Any] | str | None = None,
    previous_state: Mapping[str, Any] | str | None = None,
    expiry_time_zone: tzinfo = UTC,
    entity_name: str | None = None,
) -> bytes:
    """The UTF-8 JSON body of one notification.

    States given as strings are sent verbatim (the store keeps what was published); mappings are
    serialised compactly. With ``include_data`` the body carries ``previousState`` when the
    occurrence has one and ``currentState`` when it has one, forced to ``""`` for an activity that
    deletes the event's subject. ``expiry_time_zone`` is the application property "Time Zone for
    Expiration Events" and applies to expiry occurrences only. ``entity_name`` defaults to the
    catalogue's entity of the event; an unknown event raises ValueError.
    """
    event = get_event(event_name)
    if event is None:
        raise ValueError(f"unknown event {event_name!r}: not in the event catalogue")
    is_expiry = event_name in EXPIRY_NAMES or activity_name in EXPIRY_NAMES
    body: dict[str, str] = {
        "eventName": event_name,
        "entityName": entity_name if entity_name is not None else event.entity,
        "webhookId": webhook_id,
        "webhookName": webhook_name,
        "activityName": activity_name,
        "requestId": request_id,
        "eventId": event_id,
        "url": url,
        "entityId": entity_id,
    }
    if include_data:
        if previous_state is not None:
            body["previousState"] = _state_text(previous_state)
        if event.deletes_subject(activity_name):
            body["currentState"] = ""
        elif current_state is not None:
            body["currentState"] = _state_text(current_state)
    body["opDatetime"] = format_op_datetime(op_datetime, expiry_time_zone if is_expiry else UTC)
    # Every value is text, and for text orjson writes exactly the bytes of compact_json(body)
    # encoded as UTF-8 (tests/test_delivery_payload.py checks it over generated text) in a fifth
    # of the time: escaping a state of 2 KB cost the json module 8 µs of the publish path's 90.
    return orjson.dumps(body)
