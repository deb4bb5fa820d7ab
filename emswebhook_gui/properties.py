"""Application properties: declared once with their type, default and meaning.

Stored as JSON text in ``app_properties``; unknown keys are refused so a typo in
``emswebhook config set`` cannot silently create a property nobody reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import FieldError, ValidationError
from .validation import parse_yes_no

ALLOW_PRIVATE_ENDPOINTS = "allowPrivateEndpoints"
EXPIRATION_TIME_ZONE = "timeZoneForExpirationEvents"
API_PORT = "apiPort"


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return parse_yes_no(value, key)
    raise ValidationError(FieldError(key, "must be true or false"))


def _time_zone(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(FieldError(key, "must be an IANA time zone name such as 'Europe/Berlin' or 'UTC'"))
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            FieldError(key, f"'{value}' is not an IANA time zone name (e.g. 'UTC', 'Asia/Kolkata')")
        ) from None
    return value.strip()


def _port(value: Any, key: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValidationError(FieldError(key, f"'{value}' is not a port number")) from None
    if isinstance(value, bool) or not 1 <= port <= 65535:
        raise ValidationError(FieldError(key, "must be a port number from 1 to 65535"))
    return port


@dataclass(frozen=True)
class Property:
    key: str
    default: Any
    parse: Callable[[Any, str], Any]
    description: str


PROPERTIES: dict[str, Property] = {
    p.key: p
    for p in (
        Property(
            ALLOW_PRIVATE_ENDPOINTS, False, _bool,
            "Deliver to loopback, private and link-local addresses (off: such endpoints are refused).",
        ),
        Property(
            EXPIRATION_TIME_ZONE, "UTC", _time_zone,
            "Time Zone for Expiration Events: the zone of opDatetime in Entitlement Expired and "
            "Product Key Expired notifications.",
        ),
        Property(API_PORT, 8477, _port, "Port of the local REST API (bound to 127.0.0.1)."),
    )
}


def require_known(key: str) -> Property:
    prop = PROPERTIES.get(key)
    if prop is None:
        raise ValidationError(
            FieldError("key", f"'{key}' is not an application property; known: {', '.join(PROPERTIES)}")
        )
    return prop


def parse_property(key: str, value: Any) -> Any:
    return require_known(key).parse(value, key)


def encode(value: Any) -> str:
    return json.dumps(value)


def decode(key: str, text: str | None) -> Any:
    if text is None:
        return PROPERTIES[key].default
    try:
        return json.loads(text)
    except ValueError:
        return PROPERTIES[key].default


def time_zone_names() -> list[str]:
    return sorted(available_timezones())
