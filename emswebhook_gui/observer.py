"""What a delivery engine tells the people who run it: log lines, metrics and alerts.

The engine calls four methods (``start``, ``attempted``, ``recorded``, ``stop``) and knows nothing
else of logging formats, Prometheus or SMTP. ``attempted`` runs once per delivery, so it does the
least it can: two metric updates, and a log line only when the attempt failed. ``recorded`` runs
once per recorded batch and looks at each outcome only for what a batch can hold of interest:
not-sent notifications, and final states that the alert digest cares about.

The service composes it (``WebhookService.delivery_engine``) and hands the engine a factory
(``delivery.collaborators``): metrics belong to the service (``metrics.for_service``) and alerts
read its properties and keyring, neither of which the engine should know. An engine made with
``observe=False`` uses ``collaborators.NO_OBSERVER`` (the benchmark's "off" figure).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import metrics
from .alerts import AlertDispatcher
from .delivery.schedule import next_attempt_delay
from .store.models import FAILED, SUCCESSFUL

if TYPE_CHECKING:
    from .delivery.engine import DeliveryEngine
    from .delivery.http import AttemptResult
    from .delivery.outbox import Claimed, Outcome, Target
    from .service import WebhookService

log = logging.getLogger("emswebhook_gui.delivery")


def _minutes(delay) -> str:
    minutes = delay.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{delay.total_seconds():.0f} s"


class EngineObserver:
    def __init__(self, engine: "DeliveryEngine", service: "WebhookService") -> None:
        self.engine = engine
        self.metrics = metrics.for_service(service)
        self.alerts = AlertDispatcher(service, engine.owner)
        self._names: dict[str, str] = {}
        """webhook id -> name, from the attempts seen (for alerts about notifications not sent)."""

    async def start(self) -> None:
        self.metrics.engines.add(self.engine)
        self.alerts.start()
        log.info("delivery service %s (%s) started on %s", self.engine.owner, self.engine.kind,
                 self.engine.parts.db.display_location)

    async def stop(self) -> None:
        await self.alerts.stop()
        self.metrics.engines.discard(self.engine)
        log.info("delivery service %s (%s) stopped", self.engine.owner, self.engine.kind)

    def attempted(self, claimed: "Claimed", target: "Target", result: "AttemptResult") -> None:
        self.metrics.attempt(target.name, result.ok, result.duration_ms / 1000.0)
        self._names[target.webhook_id] = target.name
        if result.ok:
            return
        delay = next_attempt_delay(claimed.round_kind, claimed.round_attempts + 1)
        then = f"next attempt in {_minutes(delay)}" if delay is not None else "no attempts left: FAILED"
        log.warning("attempt %d of eventId %s to webhook '%s' failed: %s; %s", claimed.attempts + 1,
                    claimed.event_id, target.name, result.error, then,
                    extra={"eventId": claimed.event_id, "webhook": target.name, "webhookId": target.webhook_id,
                           "attempt": claimed.attempts + 1, "statusCode": result.status_code,
                           "reason": result.error, "final": delay is None})

    def recorded(self, batch: list["Outcome"], finished: list[tuple[str, str]]) -> None:
        for outcome in batch:
            if outcome.result is None:
                c = outcome.claimed
                name = self._names.get(c.webhook_id, c.webhook_id)
                self.metrics.not_sent(name)
                log.warning("eventId %s not sent: %s; FAILED", c.event_id, outcome.reason,
                            extra={"eventId": c.event_id, "webhookId": c.webhook_id, "reason": outcome.reason})
        if not finished:
            return
        digest = self.alerts.digest
        statuses = dict(finished)
        if not digest.failing and FAILED not in statuses.values():
            return  # the usual batch: everything delivered, nothing was failing
        changed = False
        for outcome in batch:
            c = outcome.claimed
            status = statuses.get(c.event_id)
            if status == FAILED:
                error = outcome.result.error if outcome.result is not None else outcome.reason
                digest.failed(c.webhook_id, self._names.get(c.webhook_id, c.webhook_id), c.event_id, error)
                changed = True
            elif status == SUCCESSFUL and c.webhook_id in digest.failing:
                digest.delivered(c.webhook_id, self._names.get(c.webhook_id, c.webhook_id))
                log.info("webhook '%s' delivers again (eventId %s)", self._names.get(c.webhook_id, c.webhook_id),
                         c.event_id)
                changed = True
        if changed:
            self.alerts.wake()

