"""An occurrence's fields and rules: what the licensing system may publish.

Publishing is the hot path (every event of the licensing system passes here): one walk of the
declared fields, each check once, and nothing built per call that could be built once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from .. import catalog
from ..delivery.payload import compact_json
from ..errors import FieldError, ValidationError
from ..jsontext import read_json
from ..store.models import new_id
from .checks import Collector, check_optional_text, parse_instant, required_text, unstorable
from .events import check_activity, check_event
from .fields import Field, Fields, Flag
from .urls import URL_MAX

STATE_MAX = 5 * 1024 * 1024


class OccurrenceInput(NamedTuple):
    """A validated occurrence (a tuple: made once per publish, on the event loop, so cheaply)."""

    event: catalog.Event
    activity: str
    entity_id: str
    entity_name: str
    url: str
    request_id: str
    current_state: Any  # parsed JSON (dict) or None
    current_text: str | None
    previous_text: str | None
    op_datetime: datetime


def _state(value: Any, field: str, errors: Collector) -> tuple[Any, str | None]:
    """Entity states arrive as JSON objects or as JSON text; both are kept as compact text."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str):
        if len(value) > STATE_MAX:
            errors.add(field, f"is larger than {STATE_MAX // (1024 * 1024)} MiB")
            return None, None
        try:
            parsed = read_json(value)
        except ValueError as exc:
            errors.add(field, f"is not valid JSON ({exc})")
            return None, None
        text = value
    else:
        parsed = value
        text = None
    if not isinstance(parsed, dict):
        errors.add(field, "must be a JSON object (the entity state)")
        return None, None
    if text is None:
        try:
            text = compact_json(parsed)
        except RecursionError:
            errors.add(field, "is nested too deeply to be written as JSON (beyond about 1,000 levels)")
            return None, None
        except (TypeError, ValueError) as exc:  # not JSON data (a caller of the Python API)
            errors.add(field, f"cannot be written as JSON ({exc})")
            return None, None
        problem = unstorable(text)  # a string given as such was checked with the other fields
        if problem:
            errors.add(field, f"as JSON text, {problem}")
            return None, None
    return parsed, text


def _when(value: Any, errors: Collector) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, (datetime, str)):
        errors.add("opDatetime", "must be an ISO 8601 date-time")
        return None
    return parse_instant(value, "opDatetime", errors, what="date-time", example="2025-07-23T10:01:33.437Z")


def _optional(value, errors, f, _clean):
    return check_optional_text(value, errors, f.name, f.limit)


OCCURRENCE = Fields(
    Field("event", "string", "an event name from 'emswebhook catalog events'", required=True,
          check=lambda value, errors, _f, _clean: check_event(value, errors), example="Entitlement Added",
          schema_extra={"enum": catalog.event_names}, flag=Flag("--event")),
    Field("activity", "string", "one of the event's activities ('emswebhook catalog events --activities')",
          required=True, check=lambda value, errors, _f, clean: check_activity(value, clean["event"], errors),
          example="Add Entitlement", flag=Flag("--activity")),
    Field("entityId", "string", "the id of the entity the event is about", required=True, limit=255,
          check=lambda value, errors, f, _clean: required_text(value, errors, f.name, f.limit), example="E-1",
          flag=Flag("--entity-id", metavar="ID")),
    Field("entity", "string", "entity name (default: the event's entity in the catalogue)", nullable=True,
          limit=100, check=_optional, flag=Flag("--entity")),
    Field("url", "string", "the EMS endpoint URL that caused the event", nullable=True, limit=URL_MAX,
          check=_optional, flag=Flag("--url")),
    Field("requestId", "string", "originating request id (default: a new UUID)", nullable=True, limit=255,
          check=_optional, flag=Flag("--request-id", metavar="ID")),
    Field("currentState", ("object", "string"), "entity state after the event: a JSON object, or JSON text",
          nullable=True, limit=STATE_MAX, check=lambda value, errors, f, _clean: _state(value, f.name, errors),
          flag=Flag("--current-state", metavar="FILE", help="entity state after the event (JSON; - for stdin)")),
    Field("previousState", ("object", "string"), "entity state before the event: a JSON object, or JSON text",
          nullable=True, limit=STATE_MAX, check=lambda value, errors, f, _clean: _state(value, f.name, errors),
          flag=Flag("--previous-state", metavar="FILE", help="entity state before the event (JSON)")),
    Field("opDatetime", "string", "ISO 8601 date-time; default: now", nullable=True,
          check=lambda value, errors, _f, _clean: _when(value, errors), example="2025-07-23T10:01:33.437Z"),
)


def validate_occurrence(data: dict, now: datetime) -> OccurrenceInput:
    """Check an occurrence; every problem is reported at once and nothing is stored on error."""
    errors = Collector()
    if not isinstance(data, dict):
        raise ValidationError(FieldError("body", "must be an object"))
    OCCURRENCE.refuse_unknown(data, errors)
    clean = OCCURRENCE.check(data, errors)
    errors.raise_if_any()
    event = clean["event"]
    current, current_text = clean["currentState"]
    return OccurrenceInput(event, clean["activity"], clean["entityId"], clean["entity"] or event.entity,
                           clean["url"] or "", clean["requestId"] or new_id(), current, current_text,
                           clean["previousState"][1], clean["opDatetime"] or now)
