"""The field checks every resource shares: text that can be stored, names, lengths, booleans,
instants, yes/no.

Each check reports to a :class:`Collector` instead of raising, so a form can show every wrong
field at once; the caller raises one ``ValidationError``. Nothing here touches the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..errors import FieldError, ValidationError

NAME_MAX = 100


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


def parse_yes_no(value: str, field: str) -> bool:
    """CLI spelling of booleans (--include-data yes|no)."""
    folded = value.strip().lower()
    if folded in ("yes", "y", "true", "on", "1"):
        return True
    if folded in ("no", "n", "false", "off", "0"):
        return False
    raise ValidationError(FieldError(field, f"'{value}' is not yes or no"))
