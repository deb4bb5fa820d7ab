"""Pauses subscribers ask for: a 429 or 503 answer with ``Retry-After`` holds back every service.

The pause is kept in the database (``endpoint_pauses``, one row per webhook whose endpoint has
the same scheme, host and port as the one that answered), so a subscriber that asked one
service to wait is not hit by the others: claims skip the webhooks of a paused endpoint, and
engines give back what they had already claimed for it (they re-read the pauses within a
second). The pause counts on the service's clock, like the retry schedule it sits beside.

The attempt that got the answer is a failed attempt with that reason, and its next attempt is
the later of the retry schedule's and the pause's end: a pause never shortens the schedule.
A ``Retry-After`` beyond ``MAX_PAUSE`` is cut to it, so a broken header cannot silence an
endpoint for years; one that is not a number of seconds or an HTTP date is ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..store.models import EndpointPause, Webhook, iso

__all__ = ["MAX_PAUSE", "PAUSING_STATUSES", "active_pauses", "pause_endpoint", "retry_after_delay"]

PAUSING_STATUSES = frozenset({429, 503})
MAX_PAUSE = timedelta(hours=24)


def retry_after_delay(value: str | None, now: datetime) -> timedelta | None:
    """The pause a ``Retry-After`` value asks for (delta-seconds or an HTTP date, RFC 9110
    10.2.3), at most ``MAX_PAUSE``; None when absent, unreadable or already over."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=min(int(value), int(MAX_PAUSE.total_seconds())))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = min(when - now, MAX_PAUSE)
    return delay if delay > timedelta(0) else None


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def pause_endpoint(session: Session, endpoint_url: str, until: datetime, reason: str) -> None:
    """Pause every webhook whose endpoint has this one's origin until ``until`` (a longer pause
    already there is kept)."""
    origin = _origin(endpoint_url)
    rows = session.execute(select(Webhook.id, Webhook.endpoint_url)).all()
    ids = [webhook_id for webhook_id, url in rows if _origin(url) == origin]
    if not ids:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(EndpointPause).values(
        [{"webhook_id": webhook_id, "paused_until": until, "reason": reason} for webhook_id in ids])
    table = EndpointPause.__table__
    later = statement.excluded.paused_until > table.c.paused_until
    session.execute(statement.on_conflict_do_update(index_elements=[table.c.webhook_id], set_={
        "paused_until": case((later, statement.excluded.paused_until), else_=table.c.paused_until),
        "reason": case((later, statement.excluded.reason), else_=table.c.reason),
    }))


def active_pauses(session: Session, now: datetime) -> dict[str, datetime]:
    """webhook id -> end of its pause, for the pauses not over at ``now``."""
    return dict(session.execute(select(EndpointPause.webhook_id, EndpointPause.paused_until)
                                .where(EndpointPause.paused_until > now)).all())


def pause_reason(status: int, until: datetime, delay: timedelta) -> str:
    return (f"the endpoint answered {status} with Retry-After: every service holds its deliveries "
            f"to it for {delay.total_seconds():.0f} s, until {iso(until)}")
