"""Application properties: declared once with their type, default and meaning.

Stored as JSON text in ``app_properties``; unknown keys are refused so a typo in
``emswebhook config set`` cannot silently create a property nobody reads.
"""

from __future__ import annotations

import ipaddress
import json
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..errors import FieldError, ValidationError
from .checks import Collector, parse_yes_no
from .urls import check_http_url

ALLOW_PRIVATE_ENDPOINTS = "allowPrivateEndpoints"
EXPIRATION_TIME_ZONE = "timeZoneForExpirationEvents"
API_PORT = "apiPort"
HTTP_PROXY = "httpProxy"
NO_PROXY = "noProxy"
CA_BUNDLE = "caBundle"
RETENTION_SUCCESSFUL_DAYS = "retentionSuccessfulDays"
RETENTION_FAILED_DAYS = "retentionFailedDays"
ALERT_WEBHOOK_URL = "alertWebhookUrl"
ALERT_EMAIL_TO = "alertEmailTo"
ALERT_SMTP_HOST = "alertSmtpHost"
ALERT_SMTP_PORT = "alertSmtpPort"
ALERT_SMTP_USER = "alertSmtpUser"
METRICS_OPEN = "metricsOpen"
RETENTION_MAX_DAYS = 36500


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


def _text(value: Any, key: str, maximum: int = 500) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(FieldError(key, "must be text"))
    value = value.strip()
    if len(value) > maximum:
        raise ValidationError(FieldError(key, f"is {len(value)} characters long; at most {maximum} are allowed"))
    if any(not ch.isprintable() for ch in value):
        raise ValidationError(FieldError(key, "must not contain control characters (tabs, line breaks, ...)"))
    return value


def _days(value: Any, key: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError(FieldError(key, f"'{value}' is not a whole number of days")) from None
    if isinstance(value, bool) or not 0 <= days <= RETENTION_MAX_DAYS:
        raise ValidationError(FieldError(key, f"must be a number of days from 0 (keep forever) to {RETENTION_MAX_DAYS}"))
    return days


_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


def _host(value: Any, key: str) -> str:
    host = _text(value, key, 253)
    if not host:
        return ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    if not _HOST.match(host):
        raise ValidationError(FieldError(key, f"'{host}' is not a host name or IP address"))
    return host


def _proxy_url(value: Any, key: str) -> str:
    """``http://host:port``; a password in it is refused, because properties are stored as plain
    text in the shared database and every secret lives in the keyring instead."""
    url = _text(value, key, 2000)
    if not url:
        return ""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if "@" in parts.netloc:  # before the URL rule, whose message points to authentication profiles
        raise ValidationError(FieldError(
            key, "must not hold a user name or password; give the proxy's credentials with "
            "`emswebhook config proxy-credentials` (they are kept in the keyring)",
        ))
    errors = Collector()
    check_http_url(url, errors, key)
    errors.raise_if_any()
    if parts.scheme.lower() != "http":
        raise ValidationError(FieldError(key, "must be an http:// proxy URL, e.g. http://proxy.example.com:3128"))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(FieldError(key, "must be only http://host:port, without a path or query"))
    return url.rstrip("/")


def _no_proxy(value: Any, key: str) -> str:
    """Comma-separated hosts (``erp.internal``), domains (``.example.com``), CIDRs
    (``10.0.0.0/8``), addresses, or ``*`` (never use the proxy)."""
    text = _text(value, key, 4000)
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry.strip("[]"), strict=False)
            continue
        except ValueError:
            pass
        name = entry.lstrip(".").removeprefix("*.")
        host, _, port = name.rpartition(":") if name.count(":") == 1 else (name, "", "")
        if not _HOST.match(host or name) or (port and not port.isdigit()):
            raise ValidationError(FieldError(
                key, f"'{entry}' is not a host, domain (.example.com), address or CIDR (10.0.0.0/8)"
            ))
    return ",".join(entries)


def _ca_bundle(value: Any, key: str) -> str:
    """A PEM file of extra CAs, checked when set so a typo is found now, not at the next delivery."""
    text = _text(value, key, 4096)
    if not text:
        return ""
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise ValidationError(FieldError(key, f"'{text}' must be an absolute path to a PEM file"))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(FieldError(key, f"cannot read '{path}': {exc.strerror or exc}")) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ValidationError(FieldError(key, f"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"))
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except (ssl.SSLError, ValueError) as exc:
        raise ValidationError(FieldError(key, f"'{path}' is not a readable PEM CA bundle ({exc})")) from None
    return str(path)


def _alert_url(value: Any, key: str) -> str:
    url = _text(value, key, 2000)
    if not url:
        return ""
    errors = Collector()
    check_http_url(url, errors, key)
    errors.raise_if_any()
    return url


_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


def _emails(value: Any, key: str) -> str:
    text = _text(value, key, 2000)
    addresses = [entry.strip() for entry in text.replace(";", ",").split(",") if entry.strip()]
    for address in addresses:
        if not _EMAIL.fullmatch(address):
            raise ValidationError(FieldError(key, f"'{address}' is not an e-mail address such as ops@example.com"))
    return ", ".join(addresses)


def _smtp_user(value: Any, key: str) -> str:
    return _text(value, key, 320)


@dataclass(frozen=True)
class Property:
    key: str
    default: Any
    parse: Callable[[Any, str], Any]
    description: str
    schema: dict = field(default_factory=lambda: {"type": "string"})
    """The JSON schema of the stored value (the REST API's Config object is derived from it)."""


PROPERTIES: dict[str, Property] = {
    p.key: p
    for p in (
        Property(
            ALLOW_PRIVATE_ENDPOINTS, False, _bool,
            "Deliver to loopback, private and link-local addresses (off: such endpoints are refused).",
            {"type": "boolean"},
        ),
        Property(
            EXPIRATION_TIME_ZONE, "UTC", _time_zone,
            "Time Zone for Expiration Events: the zone of opDatetime in Entitlement Expired and "
            "Product Key Expired notifications.",
        ),
        Property(API_PORT, 8477, _port, "Port of the local REST API (bound to 127.0.0.1).",
                 {"type": "integer", "minimum": 1, "maximum": 65535}),
        Property(
            HTTP_PROXY, "", _proxy_url,
            "Forward proxy for deliveries and token requests, http://host:port (empty: the "
            "environment's HTTPS_PROXY / HTTP_PROXY). Credentials go in the keyring, not here.",
        ),
        Property(
            NO_PROXY, "", _no_proxy,
            "Comma-separated hosts, domains (.example.com), addresses or CIDRs reached without the "
            "proxy (empty: the environment's NO_PROXY).",
        ),
        Property(
            CA_BUNDLE, "", _ca_bundle,
            "Absolute path of a PEM file whose CAs are trusted beside the system's, for endpoints "
            "with certificates from an internal CA.",
        ),
        Property(
            RETENTION_SUCCESSFUL_DAYS, 30, _days,
            "Days a SUCCESSFUL notification, its body and its attempts are kept (0: forever).",
            {"type": "integer", "minimum": 0, "maximum": RETENTION_MAX_DAYS},
        ),
        Property(
            RETENTION_FAILED_DAYS, 90, _days,
            "Days a FAILED notification, its body and its attempts are kept (0: forever).",
            {"type": "integer", "minimum": 0, "maximum": RETENTION_MAX_DAYS},
        ),
        Property(
            ALERT_WEBHOOK_URL, "", _alert_url,
            "Operational webhook told when notifications end FAILED and when a failing webhook "
            "delivers again (signed when an alert signing secret exists).",
        ),
        Property(ALERT_EMAIL_TO, "", _emails, "Comma-separated e-mail addresses that receive the same alerts."),
        Property(ALERT_SMTP_HOST, "", _host, "SMTP server for e-mail alerts (STARTTLS is used when offered)."),
        Property(ALERT_SMTP_PORT, 587, _port, "Port of the SMTP server.",
                 {"type": "integer", "minimum": 1, "maximum": 65535}),
        Property(ALERT_SMTP_USER, "", _smtp_user,
                 "User name for the SMTP server (its password is kept in the keyring); empty: no login."),
        Property(METRICS_OPEN, False, _bool,
                 "Serve GET /metrics without the bearer token (for a Prometheus on the same host).",
                 {"type": "boolean"}),
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
