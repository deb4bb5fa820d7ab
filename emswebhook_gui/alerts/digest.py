"""Which alerts are due: at most one per webhook per :data:`WINDOW`, counting what happened in
between.

An alert is made when a notification of a webhook ends FAILED, and when a webhook that was failing
delivers again (a notification of it ends SUCCESSFUL). The first such event after a quiet window is
alerted at once; events within the window of the previous alert are gathered, and one digest is
due when the window ends: how many notifications ended FAILED meanwhile, the last error, their
eventIds, and whether the webhook is failing or delivering again by then. A webhook that keeps
failing thus produces one alert every 15 minutes, not one per notification.

Pure logic over an injected clock (the service's), so tests move time instead of waiting. The
state is this process's: a service restarted after a failure does not know the webhook was failing
(no "delivers again" alert then), and several services on one PostgreSQL database each alert
about what they delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

WINDOW = timedelta(minutes=15)
MAX_EVENT_IDS = 100
"""eventIds listed in one alert; the rest are counted (``moreEventIds``)."""

FAILING, RECOVERED = "failing", "recovered"


@dataclass
class Alert:
    webhook_id: str
    webhook_name: str
    status: str
    """``failing`` (a notification ended FAILED and none has succeeded since) or ``recovered``."""
    failed: int
    """Notifications of the webhook that ended FAILED since the previous alert about it."""
    last_error: str | None
    event_ids: list[str]
    more_event_ids: int
    since: datetime
    until: datetime
    test: bool = False

    @property
    def subject(self) -> str:
        prefix = "[emswebhook] test alert: " if self.test else "[emswebhook] "
        failed = f"{self.failed} notification{'s' if self.failed != 1 else ''} FAILED"
        if self.status == RECOVERED:
            tail = f" ({failed} meanwhile)" if self.failed else ""
            return f"{prefix}webhook '{self.webhook_name}' delivers again{tail}"
        return f"{prefix}webhook '{self.webhook_name}': {failed}"


@dataclass
class _Pending:
    name: str
    since: datetime
    failed: int = 0
    last_error: str | None = None
    event_ids: list[str] = field(default_factory=list)
    more: int = 0
    changed: bool = False
    """Whether anything worth an alert happened since the previous alert."""


class Digest:
    def __init__(self, clock: Callable[[], datetime], window: timedelta = WINDOW) -> None:
        self._clock = clock
        self.window = window
        self.failing: set[str] = set()
        """Webhooks with a notification that ended FAILED and no success since (read on the hot
        path: a success of a webhook not in it costs one set lookup)."""
        self._pending: dict[str, _Pending] = {}
        self._last_sent: dict[str, datetime] = {}

    def _entry(self, webhook_id: str, name: str) -> _Pending:
        entry = self._pending.get(webhook_id)
        if entry is None:
            entry = self._pending[webhook_id] = _Pending(name, self._clock())
        entry.name = name or entry.name
        return entry

    def failed(self, webhook_id: str, name: str, event_id: str, error: str | None) -> None:
        entry = self._entry(webhook_id, name)
        entry.failed += 1
        entry.last_error = error or entry.last_error
        if len(entry.event_ids) < MAX_EVENT_IDS:
            entry.event_ids.append(event_id)
        else:
            entry.more += 1
        entry.changed = True
        self.failing.add(webhook_id)

    def delivered(self, webhook_id: str, name: str) -> None:
        """A notification of the webhook ended SUCCESSFUL: worth an alert only if it was failing."""
        if webhook_id not in self.failing:
            return
        self.failing.discard(webhook_id)
        self._entry(webhook_id, name).changed = True

    def due(self) -> list[Alert]:
        """Alerts to send now (each webhook's quiet window over), forgetting what they report."""
        now = self._clock()
        alerts = []
        for webhook_id, entry in list(self._pending.items()):
            last = self._last_sent.get(webhook_id)
            if entry.changed and (last is None or now >= last + self.window):
                alerts.append(self._take(webhook_id, entry, now))
        for webhook_id, last in list(self._last_sent.items()):  # forget quiet webhooks' windows
            if now >= last + self.window and webhook_id not in self._pending:
                del self._last_sent[webhook_id]
        return alerts

    def drain(self) -> list[Alert]:
        """Everything pending, windows or not (the service is stopping)."""
        now = self._clock()
        return [self._take(w, e, now) for w, e in list(self._pending.items()) if e.changed]

    def next_due(self) -> datetime | None:
        times = [self._last_sent[w] + self.window for w, e in self._pending.items()
                 if e.changed and w in self._last_sent]
        if any(e.changed and w not in self._last_sent for w, e in self._pending.items()):
            return self._clock()
        return min(times, default=None)

    def _take(self, webhook_id: str, entry: _Pending, now: datetime) -> Alert:
        del self._pending[webhook_id]
        self._last_sent[webhook_id] = now
        status = FAILING if webhook_id in self.failing else RECOVERED
        return Alert(webhook_id, entry.name, status, entry.failed, entry.last_error, entry.event_ids,
                     entry.more, entry.since, now)
