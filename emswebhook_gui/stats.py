"""Delivery health over the last hours (issue 19): what the Overview, ``emswebhook stats`` and
``GET /api/v1/stats`` show.

Read from the hourly rollups the recorder keeps (``delivery/rollups.py``: what counts where is
decided there), never from notifications or attempts: the cost is hours x webhooks, a few
thousand rows at most for 7 days, whatever the number of notifications. Names of deleted
webhooks come from their newest notification, one indexed row each.

Percentiles come from the duration histogram, interpolated linearly inside the bucket they fall
in (as Prometheus' ``histogram_quantile``), so they are exact to within a bucket
(``store.models.ROLLUP_BUCKETS_MS``). A percentile in the last, open bucket is given as its lower
bound, the request timeout.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .delivery.rollups import COUNTERS, hour_of
from .errors import FieldError, ValidationError
from .store.models import ROLLUP_BUCKETS_MS, ROLLUP_HISTOGRAM, DeliveryRollup, ErrorRollup, Notification, Webhook, iso

MIN_HOURS, MAX_HOURS, DEFAULT_HOURS = 1, 168, 24
HOURLY_UP_TO = 48
"""Up to this many hours the buckets are hourly; beyond, six-hourly (7 days: 28 bars)."""
SPARKLINE_HOURS = 24
TOP_REASONS = 10
_HOUR = timedelta(hours=1)
_HISTOGRAM_AT = 4  # COUNTERS: delivered, failed_attempts, ended_failed, duration_ms_sum, histogram...


_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """One block character per value, scaled to the largest (an empty hour is the lowest block):
    the 24-hour trend of a webhook, in the Overview's table and ``emswebhook stats``."""
    peak = max(values, default=0)
    if peak <= 0:
        return _BLOCKS[0] * len(values)
    return "".join(_BLOCKS[min(len(_BLOCKS) - 1, round(v / peak * (len(_BLOCKS) - 1)))] for v in values)


def check_hours(value: Any) -> int:
    """``hours`` as a whole number of 1 to 168; text (a query parameter) is parsed."""
    rule = f"a whole number of hours from {MIN_HOURS} to {MAX_HOURS} (7 days)"
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValidationError(FieldError("hours", f"'{value}' is not {rule}")) from None
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_HOURS <= value <= MAX_HOURS:
        raise ValidationError(FieldError("hours", f"must be {rule}"))
    return value


def percentile(histogram: list[int], q: float) -> float | None:
    total = sum(histogram)
    if not total:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            if index == len(ROLLUP_BUCKETS_MS):  # the open bucket: past the last bound
                return float(ROLLUP_BUCKETS_MS[-1])
            low = 0.0 if index == 0 else float(ROLLUP_BUCKETS_MS[index - 1])
            high = float(ROLLUP_BUCKETS_MS[index])
            return round(low + (high - low) * (rank - seen) / count, 1)
        seen += count
    return float(ROLLUP_BUCKETS_MS[-1])


def _zero() -> list:
    return [0, 0, 0, 0.0] + [0] * len(ROLLUP_HISTOGRAM)


def _add(into: list, row) -> None:
    for index in range(len(into)):
        into[index] += row[index]


def compute(session: Session, hours: int, now: datetime) -> dict:
    """The stats of the ``hours`` up to ``now`` (the current hour included).

    The database adds up: per webhook, per hour, and the last 24 hours per webhook and hour for
    the sparklines, each a GROUP BY over the rollups of the range. Reading the rollup rows
    themselves (hours x webhooks: 3,360 for 7 days of 20 webhooks) and adding them in Python took
    60 ms, most of it turning each row's hour into a datetime."""
    step = 1 if hours <= HOURLY_UP_TO else 6
    end = hour_of(now) + _HOUR
    count = -(-hours // step)
    start = end - timedelta(hours=count * step)
    spark_start = end - timedelta(hours=SPARKLINE_HOURS)
    table = DeliveryRollup.__table__
    sums = [func.sum(table.c[c]) for c in COUNTERS]
    in_range = (DeliveryRollup.hour >= start, DeliveryRollup.hour < end)
    buckets = [_zero() for _ in range(count)]
    for hour, *counts in session.execute(select(DeliveryRollup.hour, *sums[:3]).where(*in_range)
                                         .group_by(DeliveryRollup.hour)):
        bucket = buckets[int((hour - start) / _HOUR) // step]
        for index in range(3):
            bucket[index] += counts[index]
    per_webhook = {webhook_id: list(counts) for webhook_id, *counts in session.execute(
        select(DeliveryRollup.webhook_id, *sums).where(*in_range).group_by(DeliveryRollup.webhook_id))}
    sparks: dict[str, list] = {}
    for webhook_id, hour, delivered, failed in session.execute(
            select(DeliveryRollup.webhook_id, DeliveryRollup.hour, *sums[:2])
            .where(DeliveryRollup.hour >= spark_start, DeliveryRollup.hour < end)
            .group_by(DeliveryRollup.webhook_id, DeliveryRollup.hour)):
        spark = sparks.setdefault(webhook_id, [[0] * SPARKLINE_HOURS, [0] * SPARKLINE_HOURS])
        slot = int((hour - spark_start) / _HOUR)
        spark[0][slot] += delivered
        spark[1][slot] += failed
    latest = (select(DeliveryRollup.webhook_id, DeliveryRollup.last_error, DeliveryRollup.last_error_at,
                     func.row_number().over(partition_by=DeliveryRollup.webhook_id,
                                            order_by=DeliveryRollup.last_error_at.desc()).label("n"))
              .where(*in_range, DeliveryRollup.last_error.is_not(None)).subquery())
    last_errors = {webhook_id: (at, error) for webhook_id, error, at in session.execute(
        select(latest.c.webhook_id, latest.c.last_error, latest.c.last_error_at).where(latest.c.n == 1))}
    names = _names(session, set(per_webhook) | set(sparks))
    totals = _zero()
    for counts in per_webhook.values():
        _add(totals, counts)
    webhook_rows = []
    for webhook_id, (name, enabled) in names.items():
        counts = per_webhook.get(webhook_id, _zero())
        spark = sparks.get(webhook_id, [[0] * SPARKLINE_HOURS, [0] * SPARKLINE_HOURS])
        last = last_errors.get(webhook_id)
        webhook_rows.append({
            "webhookId": webhook_id, "webhookName": name, "enabled": enabled, **_figures(counts),
            "lastError": last[1] if last else None, "lastErrorAt": iso(last[0]) if last else None,
            "sparkline": {"delivered": spark[0], "failedAttempts": spark[1]},
        })
    webhook_rows.sort(key=lambda row: (-row["failedAttempts"], -row["attempts"], row["webhookName"].casefold()))
    return {
        "hours": hours,
        "bucketHours": step,
        "from": iso(start),
        "to": iso(end),
        "buckets": [{"start": iso(start + timedelta(hours=i * step)), "delivered": b[0], "failedAttempts": b[1],
                     "endedFailed": b[2]} for i, b in enumerate(buckets)],
        "totals": _figures(totals),
        "webhooks": webhook_rows,
        "topReasons": _reasons(session, start, end, names),
    }


def _figures(counts: list) -> dict:
    delivered, failed, ended = counts[0], counts[1], counts[2]
    attempts = delivered + failed
    histogram = counts[_HISTOGRAM_AT:]
    return {
        "attempts": attempts, "delivered": delivered, "failedAttempts": failed, "endedFailed": ended,
        "successRate": round(delivered / attempts, 4) if attempts else None,
        "p50Ms": percentile(histogram, 0.50), "p95Ms": percentile(histogram, 0.95),
    }


def _names(session: Session, seen: set[str]) -> dict[str, tuple[str, bool | None]]:
    """Every current webhook, and the deleted ones with figures (their last known name)."""
    names = {webhook_id: (name, enabled) for webhook_id, name, enabled in
             session.execute(select(Webhook.id, Webhook.name, Webhook.enabled))}
    for webhook_id in sorted(seen - set(names)):
        old = session.scalar(select(Notification.webhook_name).where(Notification.webhook_id == webhook_id)
                             .order_by(Notification.seq.desc()).limit(1))
        names[webhook_id] = (old or f"(deleted webhook {webhook_id[:8]})", None)
    return names


def _reasons(session: Session, start: datetime, end: datetime, names: dict) -> list[dict]:
    total = func.sum(ErrorRollup.count)
    rows = session.execute(
        select(ErrorRollup.reason, total, func.max(ErrorRollup.example))
        .where(ErrorRollup.hour >= start, ErrorRollup.hour < end)
        .group_by(ErrorRollup.reason).order_by(total.desc(), ErrorRollup.reason).limit(TOP_REASONS)).all()
    found = []
    for reason, count, example in rows:
        ids = session.scalars(select(ErrorRollup.webhook_id).distinct()
                              .where(ErrorRollup.reason == reason, ErrorRollup.hour >= start, ErrorRollup.hour < end)
                              .limit(20)).all()
        found.append({"reason": reason, "count": int(count), "example": example,
                      "webhooks": sorted(names.get(i, (i, None))[0] for i in ids)})
    return found
