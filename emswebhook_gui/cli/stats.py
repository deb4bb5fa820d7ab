"""``emswebhook stats [--hours N] [--json]``: delivery health from the hourly rollups
(``stats.py``), registered by ``cli.parser``.

The table is for a terminal: totals, one line per webhook (success rate, attempts, p50/p95, the
last 24 hours as a sparkline of failed attempts), then the top error reasons. ``--json`` prints
what ``GET /api/v1/stats`` answers.
"""

from __future__ import annotations

import argparse

from ..errors import ValidationError
from ..stats import DEFAULT_HOURS, MAX_HOURS, MIN_HOURS, check_hours, sparkline
from .options import READ_ONLY, command
from .output import EXIT_OK, emit_json, emit_table


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g} ms"


async def stats(service, args) -> int:
    result = await service.stats(args.hours)
    if args.json:
        emit_json(result)
        return EXIT_OK
    totals = result["totals"]
    span = f"{result['hours']} h" + (f", {result['bucketHours']}-hour buckets" if result["bucketHours"] > 1 else "")
    print(f"last {span} ({result['from']} to {result['to']}): {totals['attempts']:,} attempts, "
          f"{totals['delivered']:,} delivered, {totals['failedAttempts']:,} failed attempts, "
          f"{totals['endedFailed']:,} ended FAILED; success {_rate(totals['successRate'])}, "
          f"p50 {_ms(totals['p50Ms'])}, p95 {_ms(totals['p95Ms'])}")
    print()
    rows = [{**row, "rate": _rate(row["successRate"]), "p50": _ms(row["p50Ms"]), "p95": _ms(row["p95Ms"]),
             "spark": sparkline([d + f for d, f in zip(row["sparkline"]["delivered"],
                                                       row["sparkline"]["failedAttempts"])]),
             "failedSpark": sparkline(row["sparkline"]["failedAttempts"]),
             "error": (row["lastError"] or "-")[:60]}
            for row in result["webhooks"]]
    emit_table(rows, [("webhookName", "WEBHOOK"), ("rate", "SUCCESS"), ("attempts", "ATTEMPTS"),
                      ("failedAttempts", "FAILED"), ("endedFailed", "ENDED FAILED"), ("p50", "P50"),
                      ("p95", "P95"), ("spark", "ATTEMPTS 24H"), ("failedSpark", "FAILED 24H"),
                      ("error", "LAST ERROR")])
    if result["topReasons"]:
        print()
        emit_table(result["topReasons"], [("reason", "TOP ERROR REASON"), ("count", "ATTEMPTS"),
                                          ("webhooks", "WEBHOOKS")])
    return EXIT_OK


def _hours(text: str) -> int:
    """argparse's check, with the service's wording (``stats.check_hours``)."""
    try:
        return check_hours(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.errors[0].message) from None


def register(commands, listing: argparse.ArgumentParser) -> None:
    parser = command(commands, "stats", parents=[listing],
                     help="delivery health: outcomes per hour and per webhook, p50/p95, top error reasons",
                     example="emswebhook stats\nemswebhook stats --hours 168 --json", handler=stats, **READ_ONLY)
    parser.add_argument("--hours", type=_hours, default=DEFAULT_HOURS, metavar="N",
                        help=f"how far back, in hours ({MIN_HOURS}-{MAX_HOURS}; default {DEFAULT_HOURS}); "
                             "hourly buckets up to 48, six-hourly beyond")
