"""Prometheus metrics of one service (``GET /metrics`` of its REST API), through prometheus-client.

Each ``WebhookService`` has its own registry (:func:`for_service`), never the library's global
default: tests, benchmarks and the GUI's tests run several services and engines in one process,
and the global registry would add their counters up (and refuse a second registration).

Families (all prefixed ``emswebhook_``):

- ``deliveries_total{outcome}``: attempts made by this process: ``success`` (2xx), ``failure``
  (anything else), and ``not_sent`` (the webhook was deleted or disabled, so it ended FAILED
  unsent).
- ``webhook_deliveries_total{webhook,outcome}``: the same per webhook (by name). Bounded: the first
  :data:`WEBHOOK_SERIES_LIMIT` webhooks this process delivers for get a series each, any further
  ones share ``webhook="(other)"``, so a database with thousands of webhooks cannot blow up the
  scraper's memory.
- ``attempt_duration_seconds``: histogram of attempt durations (connect to answer), buckets up to
  the 15 s request timeout.
- ``notifications{status}``: notifications in the database by status, shared by every service on
  it (aggregate with ``max``, not ``sum``, across services). Read at most every
  :data:`DATABASE_CACHE_SECONDS`: with a million notifications the count costs tens of ms.
- ``oldest_due_seconds``: how long the longest-waiting due notification has been due (0 when
  nothing is due): the backlog signal to alert on. From the database, cached likewise.
- ``in_flight``: notifications this process has claimed and not yet recorded.
- ``alerts_total{channel,outcome}``: operational alerts sent (``webhook``, ``email``).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from bisect import bisect_left
from typing import TYPE_CHECKING, Iterable

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from .store.models import FAILED, IN_PROGRESS, STATUSES, Notification

if TYPE_CHECKING:
    from .service import WebhookService

__all__ = ["CONTENT_TYPE", "ServiceMetrics", "for_service"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
WEBHOOK_SERIES_LIMIT = 50
OTHER_WEBHOOKS = "(other)"
DATABASE_CACHE_SECONDS = 5.0
SUCCESSFUL_EVERY = 12
"""The SUCCESSFUL gauge is counted once every this many refreshes (a minute at the default cache).
IN_PROGRESS and FAILED are index range counts, cheap at any size, and what operators alert on;
SUCCESSFUL is most of the rows (a million after a month), and counting it on every scrape held the
one database worker for a scan each time."""
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

log = logging.getLogger(__name__)

_registries: "weakref.WeakKeyDictionary[WebhookService, ServiceMetrics]" = weakref.WeakKeyDictionary()


def for_service(service: "WebhookService") -> "ServiceMetrics":
    """The metrics of ``service`` (made on first use): the engine records into them, the REST
    API serves them."""
    metrics = _registries.get(service)
    if metrics is None:
        metrics = _registries[service] = ServiceMetrics(service)
    return metrics


class ServiceMetrics:
    """Delivery counts are plain integers updated on the event loop, turned into metric families
    when scraped (:class:`_DeliveryCollector`): prometheus-client's own Counter and Histogram take
    a lock per update, five per delivery, which cost about 5 µs of a delivery's CPU on a busy
    2-core machine; these updates cost a fraction of that."""

    def __init__(self, service: "WebhookService") -> None:
        self._service = weakref.ref(service)
        self.registry = CollectorRegistry(auto_describe=True)
        self.alerts = Counter("emswebhook_alerts", "Operational alerts sent, by channel and outcome",
                              ["channel", "outcome"], registry=self.registry)
        self.outcomes: dict[str, int] = {"success": 0, "failure": 0, "not_sent": 0}
        self.by_webhook: dict[tuple[str, str], int] = {}
        """(webhook label, outcome) -> attempts; at most WEBHOOK_SERIES_LIMIT labels plus OTHER."""
        self._labels: dict[str, str] = {}
        self.buckets = [0] * (len(DURATION_BUCKETS) + 1)
        """Attempts per duration bucket (not cumulative); the last one is above the largest bound."""
        self.duration_sum = 0.0
        self.engines: "weakref.WeakSet" = weakref.WeakSet()
        """Delivery engines of this service in this process (their ``in_flight`` is summed)."""
        self.cache_seconds = DATABASE_CACHE_SECONDS
        """How old the database figures may be when served."""
        self._database = _DatabaseCollector(self)
        self.registry.register(_DeliveryCollector(self))
        self.registry.register(self._database)

    # -- recorded by the engine (on the event loop) -------------------------------------------

    def attempt(self, webhook: str, ok: bool, seconds: float) -> None:
        outcome = "success" if ok else "failure"
        self.outcomes[outcome] += 1
        self.buckets[bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.duration_sum += seconds
        key = (self._labels.get(webhook) or self._label(webhook), outcome)
        self.by_webhook[key] = self.by_webhook.get(key, 0) + 1

    def not_sent(self, webhook: str) -> None:
        self.outcomes["not_sent"] += 1
        key = (self._labels.get(webhook) or self._label(webhook), "not_sent")
        self.by_webhook[key] = self.by_webhook.get(key, 0) + 1

    def _label(self, webhook: str) -> str:
        named = len(self._labels) - list(self._labels.values()).count(OTHER_WEBHOOKS)
        label = self._labels[webhook] = webhook if named < WEBHOOK_SERIES_LIMIT else OTHER_WEBHOOKS
        return label

    # -- served ---------------------------------------------------------------------------------

    async def render(self) -> bytes:
        """The text exposition format, with the database figures at most a few seconds old."""
        await self._database.refresh()
        return generate_latest(self.registry)

    def in_flight(self) -> int:
        return sum(engine.in_flight for engine in list(self.engines))

    def service(self) -> "WebhookService | None":
        return self._service()


class _DeliveryCollector:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        m = self._metrics
        deliveries = CounterMetricFamily("emswebhook_deliveries", "Delivery attempts by outcome (success: 2xx; "
                                         "failure: anything else; not_sent: webhook deleted or disabled)",
                                         labels=["outcome"])
        for outcome, count in m.outcomes.items():
            deliveries.add_metric([outcome], count)
        yield deliveries
        per_webhook = CounterMetricFamily(
            "emswebhook_webhook_deliveries",
            f"Delivery attempts by webhook and outcome (the first {WEBHOOK_SERIES_LIMIT} webhooks; "
            f"others as webhook=\"{OTHER_WEBHOOKS}\")", labels=["webhook", "outcome"])
        for (label, outcome), count in list(m.by_webhook.items()):
            per_webhook.add_metric([label, outcome], count)
        yield per_webhook
        cumulative, buckets = 0, []
        for bound, count in zip((*DURATION_BUCKETS, float("inf")), m.buckets):
            cumulative += count
            buckets.append((floatToGoString(bound), cumulative))
        yield HistogramMetricFamily("emswebhook_attempt_duration_seconds", "Duration of delivery attempts",
                                    buckets=buckets, sum_value=m.duration_sum)

    def describe(self) -> Iterable[Metric]:
        return []


class _DatabaseCollector:
    """Gauges read from the database (and this process's engines) when scraped."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics
        self._counts: dict[str, int] = {status: 0 for status in STATUSES}
        self._oldest_due = 0.0
        self._fetched = float("-inf")
        self._refreshes = 0
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        if time.monotonic() - self._fetched < self._metrics.cache_seconds:
            return
        async with self._lock:
            if time.monotonic() - self._fetched < self._metrics.cache_seconds:
                return
            service = self._metrics.service()
            if service is None:
                return
            now = service.clock()
            every = SUCCESSFUL_EVERY if self._metrics.cache_seconds > 0 else 1
            wanted = STATUSES if self._refreshes % every == 0 else (IN_PROGRESS, FAILED)

            def work(session) -> tuple[dict[str, int], object]:
                counts = {status: session.scalar(select(func.count()).select_from(Notification)
                                                 .where(Notification.status == status)) for status in wanted}
                oldest = session.scalar(select(func.min(Notification.next_attempt_at)).where(
                    Notification.status == IN_PROGRESS, Notification.next_attempt_at <= now))
                return counts, oldest

            try:
                counts, oldest = await service.db.run(work)
            except Exception:  # a database hiccup: serve the previous figures, try again next scrape
                log.warning("metrics: reading notification counts failed", exc_info=True)
                return
            self._refreshes += 1
            self._counts.update({status: int(count or 0) for status, count in counts.items()})
            self._oldest_due = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            self._fetched = time.monotonic()

    def collect(self) -> Iterable[Metric]:
        notifications = GaugeMetricFamily("emswebhook_notifications", "Notifications in the database by "
                                          "status (shared by every service on the database)", labels=["status"])
        for status, count in self._counts.items():
            notifications.add_metric([status], count)
        yield notifications
        yield GaugeMetricFamily("emswebhook_oldest_due_seconds", "Seconds the longest-waiting due "
                                "notification has been due (0: nothing is due)", value=self._oldest_due)
        yield GaugeMetricFamily("emswebhook_in_flight", "Notifications this process has claimed and not yet "
                                "recorded", value=self._metrics.in_flight())

    def describe(self) -> Iterable[Metric]:
        return []
