"""Occurrences and notifications: ``publish``, and ``events search|retry|mark-successful|purge|export``.

``events purge`` prints the number deleted alone on a line (scripts read it) and the number of
IN_PROGRESS matches it kept on stderr. On a terminal it first says how many match and asks; with
``--yes``, or when standard input is not a terminal (a script, cron), it does not ask: a script
has nobody to answer, and the filters it gives are its decision.

``events export`` writes to standard output unless ``--output FILE``; a file is written beside
its name and renamed when complete, so a failed or interrupted export never leaves a truncated
file that looks whole.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import FieldError, ValidationError
from ..rules.filters import FILTERS
from ..rules.occurrences import OCCURRENCE
from ..wording import plural
from .options import READ_ONLY, command, group
from .output import EXIT_OK, CliError, emit_json, emit_table, read_state

PUBLISH_OPTIONS = ("event", "activity", "entityId", "entity", "url", "requestId", "currentState", "previousState")

# -- publish ------------------------------------------------------------------------------------


async def publish(service, args) -> int:
    data = OCCURRENCE.from_args(args, PUBLISH_OPTIONS)
    for field in ("currentState", "previousState"):
        if field in data:
            data[field] = read_state(data[field], field)
    for event_id in await service.publish(data):
        print(event_id)
    return EXIT_OK


# -- events -------------------------------------------------------------------------------------


def filters_of(args) -> dict:
    return {k: v for k, v in FILTERS.from_args(args, FILTERS.names).items() if v}


def add_filters(p: argparse.ArgumentParser) -> None:
    """The search filters of ``events search|retry|mark-successful|purge|export``."""
    FILTERS.add_arguments(p, FILTERS.names, creating=False)


async def events_search(service, args) -> int:
    page = await service.search_notifications(filters_of(args), limit=args.limit, cursor=args.cursor)
    if args.json:
        emit_json(page["items"])
    else:
        emit_table(page["items"], [("status", "STATUS"), ("createdAt", "CREATED"), ("webhookName", "WEBHOOK"),
                                   ("eventName", "EVENT"), ("activityName", "ACTIVITY"), ("entityId", "ENTITY"),
                                   ("eventId", "EVENT ID"), ("attempts", "ATTEMPTS"),
                                   ("lastStatusCode", "HTTP"), ("lastError", "LAST ERROR"),
                                   ("nextAttemptAt", "NEXT ATTEMPT")])
    if page["nextCursor"]:
        print(f"nextCursor: {page['nextCursor']}  (more: add --cursor {page['nextCursor']})", file=sys.stderr)
    return EXIT_OK


def _one_or_filters(args) -> tuple[str | None, dict | None]:
    filters = filters_of(args)
    filters.pop("eventId", None)
    if args.event_id and filters:
        raise CliError("give either --event-id or filters, not both")
    if not args.event_id and not filters:
        raise CliError("give --event-id ID, or filters (e.g. --status FAILED --webhook NAME) to act on every match")
    return (args.event_id, None) if args.event_id else (None, filters)


async def events_retry(service, args) -> int:
    event_id, filters = _one_or_filters(args)
    count = await service.retry_notifications(event_id=event_id, filters=filters)
    print(f"retrying {plural(count)}")
    return EXIT_OK


async def events_mark_successful(service, args) -> int:
    event_id, filters = _one_or_filters(args)
    count = await service.mark_successful(event_id=event_id, filters=filters)
    print(f"marked {plural(count)} successful")
    return EXIT_OK


async def events_purge(service, args) -> int:
    filters = filters_of(args)
    event_id = filters.pop("eventId", None)
    if event_id and filters:
        raise CliError("give either --event-id or filters, not both")
    if not event_id and not filters:
        raise CliError("give --event-id ID, or filters (e.g. --status FAILED --until 2026-01-01) to purge every match")
    if not args.yes and sys.stdin is not None and sys.stdin.isatty():
        matching = 1 if event_id else await service.count_notifications(filters)
        answer = input(f"Delete {matching:,} notification{'s' if matching != 1 else ''} (IN_PROGRESS ones are "
                       "kept) with their bodies and attempts? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("emswebhook: nothing deleted", file=sys.stderr)
            return EXIT_OK
    result = await service.purge_notifications(event_id=event_id, filters=None if event_id else filters)
    print(result["purged"])
    if result["skippedInProgress"]:
        print(f"skipped {result['skippedInProgress']} IN_PROGRESS notification(s)", file=sys.stderr)
    return EXIT_OK


async def events_export(service, args) -> int:
    chunks = service.export_notifications(filters_of(args), args.format)
    if args.output is None:
        async for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return EXIT_OK
    target = Path(args.output).expanduser()
    if target.is_dir():
        raise ValidationError(FieldError("output", f"'{target}' is a directory; give a file name"))
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            async for chunk in chunks:
                out.write(chunk)
        os.replace(partial, target)
    except OSError as exc:
        raise ValidationError(FieldError("output", f"cannot write '{target}': {exc.strerror or exc}")) from None
    finally:
        partial.unlink(missing_ok=True)
    print(f"exported to {target}", file=sys.stderr)
    return EXIT_OK


def register(commands, listing) -> None:
    pub = command(commands, "publish", help="publish an occurrence; prints the created eventIds",
                  example='emswebhook publish --event "Entitlement Added" --activity "Add Entitlement" '
                          "--entity-id E-1 --current-state entitlement.json",
                  handler=publish)
    OCCURRENCE.add_arguments(pub, PUBLISH_OPTIONS, creating=True)

    events = group(commands, "events", help="notifications: search, retry, mark successful",
                   description="Notifications (one per webhook and occurrence): search, retry, mark successful.",
                   example="emswebhook events search --status FAILED")

    search = command(events, "search", help="find notifications, newest first",
                     example='emswebhook events search --status FAILED --webhook "New entitlements" --json',
                     parents=[listing], handler=events_search, **READ_ONLY)
    add_filters(search)
    search.add_argument("--limit", type=int, default=50, metavar="N", help="at most N per page (default 50)")
    search.add_argument("--cursor", metavar="C", help="continue after a previous page (printed on stderr)")
    retry = command(events, "retry", help="retry one FAILED notification, or every FAILED match",
                    example="emswebhook events retry --event-id 5c9d6072-b5bf-4640-8aae-422a52847994\n"
                            'emswebhook events retry --status FAILED --webhook "New entitlements"',
                    handler=events_retry)
    add_filters(retry)
    mark = command(events, "mark-successful", help="close FAILED notifications by hand",
                   example="emswebhook events mark-successful --status FAILED --until 2026-11-01T00:00:00Z",
                   handler=events_mark_successful)
    add_filters(mark)
    purge = command(events, "purge", help="delete notifications (not IN_PROGRESS ones) with bodies and "
                    "attempts; prints the number deleted",
                    example="emswebhook events purge --status SUCCESSFUL --until 2026-11-01T00:00:00Z --yes\n"
                            "emswebhook events purge --entity-id E-1",
                    handler=events_purge)
    add_filters(purge)
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    export = command(events, "export", help="write matching notifications as CSV or NDJSON (streamed)",
                     example="emswebhook events export --format csv --status FAILED --output failed.csv\n"
                             "emswebhook events export --format ndjson --where \"entitlement.customer.name == 'Sam Smith'\"",
                     handler=events_export, **READ_ONLY)
    add_filters(export)
    export.add_argument("--format", required=True, choices=["csv", "ndjson"],
                        help="csv: the search fields; ndjson: also the payload and attempts")
    export.add_argument("--output", metavar="FILE", help="write to FILE (default: standard output)")
