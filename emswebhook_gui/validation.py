"""Field rules of the source's "Webhook Attributes" table and of authentication profiles.

Pure functions over plain dicts (the contract's attribute names), used only by ``WebhookService``:
it is the one place that decides. Each function collects every problem it finds, so a form can
show all of them at once, and raises one ``ValidationError``. Nothing here touches the database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from yarl import URL

from . import catalog
from .errors import FieldError, ValidationError

NAME_MAX = 100
URL_MAX = 2000
DESCRIPTION_MAX = 500
SECRET_MAX = 4096

WEBHOOK_FIELDS = (
    "event", "name", "endpointUrl", "authProfile", "activities",
    "triggerCondition", "description", "includeData", "enabled",
)
PROFILE_FIELDS = (
    "name", "type", "username", "password", "tokenUrl", "clientId", "clientSecret", "scope", "audience",
)
PROFILE_TYPES = ("basic", "oauth")

# The source allows alphanumerics and - _ . ~ : / ? # @ ! $ & ( ) * + , ; = ; '%' is added so
# percent-encoded URLs (the only way to carry other characters) are accepted.
_URL_ALLOWED = re.compile(r"[A-Za-z0-9\-_.~:/?#@!$&()*+,;=%]")
_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class Collector:
    """Accumulates field errors so all of them are reported together."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def refuse_unknown_fields(data: dict, allowed: tuple[str, ...], errors: Collector) -> None:
    """Also refuses text that cannot be stored (see :func:`unstorable`) in any text value."""
    for key, value in data.items():
        if key not in allowed:
            errors.add(key, f"unknown attribute; expected one of: {', '.join(allowed)}")
        else:
            problem = unstorable(value)
            if problem:
                errors.add(key, problem)


def unstorable(value: Any) -> str | None:
    """Why a text (or a list of texts) cannot be stored, or None.

    NUL characters: PostgreSQL cannot store them. Lone surrogates (half of a UTF-16 pair, which
    JSON can spell as ``"\\ud800"``): they are not text, and UTF-8 cannot encode them. Either would
    otherwise fail the whole group-committed batch of publishes it landed in, with a driver error.
    Objects (entity states) are checked once serialised (``publishing``). The surrogate check
    costs nothing for ASCII text, which CPython marks as such."""
    for text in (value,) if isinstance(value, str) else value if isinstance(value, (list, tuple)) else ():
        if not isinstance(text, str):
            continue
        if "\x00" in text:
            return "must not contain NUL (\\u0000) characters"
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                return (f"character {exc.start + 1} is U+{ord(text[exc.start]):04X}, half of a surrogate pair "
                        "without its other half; it is not text and cannot be stored")
    return None


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)


def parse_instant(value: datetime | str, field: str, errors: Collector, *, what: str, example: str) -> datetime | None:
    """An ISO 8601 text (``Z`` accepted) or a datetime, as an aware date-time in UTC; one without a
    zone is taken as UTC. Refused, naming ``field``, when it is not ISO 8601 (the message calls it
    ``what``, e.g. ``example``) or within a day of the calendar's ends: there, showing it in
    another zone (the expiration time zone, a user's local time) overflows."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            errors.add(field, f"'{value}' is not an ISO 8601 {what} (e.g. {example})")
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        errors.add(field, "must be between 0001-01-02 and 9999-12-30 (UTC)")
        return None
    return utc


def check_name(value: Any, errors: Collector, field: str = "name") -> str | None:
    """Names are trimmed; 1-100 characters remain; any printable characters are fine."""
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(field, "is required")
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    name = value.strip()
    if len(name) > NAME_MAX:
        errors.add(field, f"is {len(name)} characters long; at most {NAME_MAX} are allowed")
        return None
    if any(not ch.isprintable() for ch in name):
        errors.add(field, "must not contain control characters (tabs, line breaks, ...)")
        return None
    return name


class URLProblem(ValueError):
    """Why a text is not a usable endpoint URL, worded to follow the field name."""


def _authority_span(text: str) -> tuple[int, int]:
    """Where the authority (user info, host, port) lies in ``text``: after ``//``, up to the
    first ``/``, ``?`` or ``#``."""
    begin = text.find("//")
    if begin < 0:
        return (0, 0)
    begin += 2
    end = len(text)
    for mark in "/?#":
        found = text.find(mark, begin)
        if found >= 0:
            end = min(end, found)
    return (begin, end)


def parse_endpoint_url(text: str, *, drop_user_info: bool = False) -> URL:
    """The one parser of endpoint URLs: what validation accepts is what is sent, byte for byte.

    The result is the URL on the wire (``yarl.URL`` built with ``encoded=True``): the path and
    query exactly as typed, never re-quoted (``?sp=%2Ftriggers`` stays so); an IDN host in
    punycode (``bücher.example`` goes out as ``xn--bcher-kva.example``); an IPv6 literal in
    brackets. Characters outside the source's set (see ``_URL_ALLOWED``) are refused, except
    letters of an international host name and the brackets of an IPv6 literal, in the host.

    User info (``https://user:pass@host/``) is refused: it would be stored and shown like any
    other part of the URL, and a webhook authenticates with its authentication profile.
    ``drop_user_info`` is for URLs stored before that rule: the sender drops it (as it always
    did) instead of failing every delivery. Raises :class:`URLProblem`.
    """
    begin, end = _authority_span(text)
    for position, ch in enumerate(text, start=1):
        in_host = begin < position <= end
        if _URL_ALLOWED.fullmatch(ch) or (in_host and (ch in "[]" or (not ch.isascii() and ch.isalnum()))):
            continue
        shown = repr(ch) if ch.isprintable() and ch != " " else f"U+{ord(ch):04X}" + (" (space)" if ch == " " else "")
        raise URLProblem(
            f"character {shown} at position {position} is not allowed; use letters, digits and "
            "- _ . ~ : / ? # @ ! $ & ( ) * + , ; = (percent-encode anything else, e.g. %20)"
        )
    bad_escape = _PERCENT_ESCAPE.search(text)
    if bad_escape:
        raise URLProblem(f"'%' at position {bad_escape.start() + 1} must start a percent-escape such as %20")
    try:
        raw = URL(text, encoded=True)
        port = raw.explicit_port
    except ValueError as exc:
        raise URLProblem(f"is not a valid URL ({exc})") from None
    scheme = raw.scheme.lower()
    if scheme not in ("http", "https") or "//" not in text:
        raise URLProblem("must be an absolute http:// or https:// URL")
    host = raw.raw_host
    if not host:
        raise URLProblem("must name a host, e.g. https://hooks.example.com/ems")
    if "@" in text[begin:end] and not drop_user_info:
        raise URLProblem(
            "must not contain a user name or password (user@host); give the endpoint's credentials "
            "in an authentication profile and choose it as the webhook's authProfile"
        )
    if port == 0:
        raise URLProblem("port 0 is not a valid port")
    if not host.isascii():
        try:
            host = URL.build(scheme=scheme, host=host).raw_host
        except (ValueError, UnicodeError):
            raise URLProblem(f"'{host}' is not a valid international domain name") from None
    authority = f"[{host}]" if ":" in host else host
    if port is not None:
        authority += f":{port}"
    query = f"?{raw.raw_query_string}" if raw.raw_query_string else ""
    return URL(f"{scheme}://{authority}{raw.raw_path or '/'}{query}", encoded=True)


def check_http_url(value: Any, errors: Collector, field: str, *, required: bool = True) -> str | None:
    """The text as typed (stored so, shown so); :func:`parse_endpoint_url` says what is sent."""
    if value is None or value == "":
        if required:
            errors.add(field, "is required")
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    if len(value) > URL_MAX:
        errors.add(field, f"is {len(value)} characters long; at most {URL_MAX} are allowed")
        return None
    try:
        parse_endpoint_url(value)
    except URLProblem as exc:
        errors.add(field, str(exc))
        return None
    return value


def check_bool(value: Any, errors: Collector, field: str) -> bool | None:
    if isinstance(value, bool):
        return value
    errors.add(field, "must be true or false")
    return None


def check_optional_text(value: Any, errors: Collector, field: str, maximum: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    if len(value) > maximum:
        errors.add(field, f"is {len(value)} characters long; at most {maximum} are allowed")
        return None
    return value


def required_text(value: Any, errors: Collector, field: str, maximum: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(field, "is required")
        return None
    return check_optional_text(value, errors, field, maximum)


def check_event(value: Any, errors: Collector) -> catalog.Event | None:
    if value is None or value == "":
        errors.add("event", "is required; run 'emswebhook catalog events' for the list")
        return None
    if not isinstance(value, str):
        errors.add("event", "must be a string")
        return None
    event = catalog.get_event(value)
    if event is None:
        suggestion = catalog.suggest_event(value)
        hint = f"; did you mean '{suggestion}'?" if suggestion else "; run 'emswebhook catalog events' for the list"
        errors.add("event", f"'{value}' is not an event name (names are case- and space-sensitive){hint}")
    return event


def check_activities(value: Any, event: catalog.Event | None, errors: Collector) -> list[str] | None:
    """Every entry must be an activity of the event; empty means all; repeats are dropped."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(a, str) for a in value):
        errors.add("activities", "must be a list of activity names")
        return None
    activities = list(dict.fromkeys(value))
    if event is None:
        return activities
    for activity in activities:
        if activity not in event.activities:
            suggestion = catalog.suggest_activity(event, activity)
            hint = f"; did you mean '{suggestion}'?" if suggestion else ""
            errors.add(
                "activities",
                f"'{activity}' is not an activity of '{event.name}'{hint} "
                f"(its activities: {', '.join(event.activities)})",
            )
            return None
    return activities


def check_trigger_condition(value: Any, event: catalog.Event | None, errors: Collector) -> str | None:
    """Returns the normalised expression; refused on events that do not allow conditions."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        errors.add("triggerCondition", "must be a string")
        return None
    if event is not None and not event.allows_conditions:
        allowed = ", ".join(e.name for e in catalog.events() if e.allows_conditions)
        errors.add(
            "triggerCondition",
            f"trigger conditions are not available for '{event.name}'; only for {allowed}",
        )
        return None
    from .conditions import ConditionSyntaxError, normalise

    try:
        return normalise(value)
    except ConditionSyntaxError as exc:
        errors.add("triggerCondition", str(exc))
        return None


def parse_yes_no(value: str, field: str) -> bool:
    """CLI spelling of booleans (--include-data yes|no)."""
    folded = value.strip().lower()
    if folded in ("yes", "y", "true", "on", "1"):
        return True
    if folded in ("no", "n", "false", "off", "0"):
        return False
    raise ValidationError(FieldError(field, f"'{value}' is not yes or no"))
