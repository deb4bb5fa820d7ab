"""CLI commands of the condition language and of delivery (registered by ``cli.build_parser``).

Kept apart from ``cli.py`` so each module stays about one subject: definitions there, the
condition checker, publishing, the notification browser and the long-running service here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from . import catalog
from .cli import EXIT_OK, CliError, emit_json, emit_table
from .errors import FieldError, ValidationError


def _read_state(path: str | None, field: str) -> str | None:
    if path is None:
        return None
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(FieldError(field, f"cannot read '{path}': {exc.strerror}")) from None
    except UnicodeDecodeError:
        raise ValidationError(FieldError(field, f"'{path}' is not UTF-8 text")) from None


# -- condition check ----------------------------------------------------------------------------


async def condition_check(_service, args) -> int:
    from .conditions import ConditionSyntaxError, evaluate, normalise

    try:
        expression = normalise(args.expression)
    except ConditionSyntaxError as exc:
        raise CliError(str(exc)) from None
    if args.event is not None:
        event = catalog.get_event(args.event)
        if event is None:
            suggestion = catalog.suggest_event(args.event)
            hint = f"; did you mean '{suggestion}'?" if suggestion else ""
            raise ValidationError(FieldError("event", f"'{args.event}' is not an event name{hint}"))
        if not event.allows_conditions:
            raise ValidationError(FieldError("event", f"trigger conditions are not available for '{event.name}'"))
    matches = None
    if args.state is not None:
        text = _read_state(args.state, "state")
        try:
            state = json.loads(text)
        except ValueError as exc:
            raise ValidationError(FieldError("state", f"'{args.state}' is not valid JSON ({exc})")) from None
        matches = evaluate(expression, state)
    if args.json:
        emit_json({"expression": expression, "valid": True, **({"matches": matches} if matches is not None else {})})
    else:
        print(expression)
        if matches is not None:
            print(f"matches: {'true' if matches else 'false'}")
    return EXIT_OK


# -- publish ------------------------------------------------------------------------------------


async def publish(service, args) -> int:
    data = {"event": args.event, "activity": args.activity, "entityId": args.entity_id, "entity": args.entity,
            "url": args.url, "requestId": args.request_id,
            "currentState": _read_state(args.current_state, "currentState"),
            "previousState": _read_state(args.previous_state, "previousState")}
    for event_id in await service.publish({k: v for k, v in data.items() if v is not None}):
        print(event_id)
    return EXIT_OK


# -- events -------------------------------------------------------------------------------------


def _filters(args) -> dict:
    return {k: v for k, v in {"status": args.status, "webhook": args.webhook, "eventId": args.event_id,
                              "since": args.since, "until": args.until}.items() if v}


async def events_search(service, args) -> int:
    page = await service.search_notifications(_filters(args), limit=args.limit, cursor=args.cursor)
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
    filters = _filters(args)
    filters.pop("eventId", None)
    if args.event_id and filters:
        raise CliError("give either --event-id or filters, not both")
    if not args.event_id and not filters:
        raise CliError("give --event-id ID, or filters (e.g. --status FAILED --webhook NAME) to act on every match")
    return (args.event_id, None) if args.event_id else (None, filters)


async def events_retry(service, args) -> int:
    event_id, filters = _one_or_filters(args)
    count = await service.retry_notifications(event_id=event_id, filters=filters)
    print(f"retrying {count} notification(s)")
    return EXIT_OK


async def events_mark_successful(service, args) -> int:
    event_id, filters = _one_or_filters(args)
    count = await service.mark_successful(event_id=event_id, filters=filters)
    print(f"marked {count} notification(s) successful")
    return EXIT_OK


# -- signing, status, serve -----------------------------------------------------------------------


async def signing_secret(service, args) -> int:
    secret = await service.signing_secret(args.ref, rotate=args.rotate, remove=args.remove)
    print(secret if secret is not None else f"signing turned off for webhook '{args.ref}'")
    return EXIT_OK


async def status(service, args) -> int:
    report = await service.delivery_status()
    if args.json:
        emit_json(report)
        return EXIT_OK
    print(f"queue depth: {report['queueDepth']} in progress ({report['due']} due now), "
          f"{report['failed']} failed, {report['successful']} successful")
    emit_table(report["services"], [("id", "SERVICE"), ("kind", "KIND"), ("startedAt", "STARTED"),
                                    ("heartbeatAt", "HEARTBEAT"), ("inFlight", "IN FLIGHT")])
    return EXIT_OK


async def serve(service, args) -> int:
    """Deliver until SIGINT/SIGTERM, then stop gracefully (in-flight requests finish first)."""
    from .delivery.engine import DeliveryEngine

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = DeliveryEngine(service, kind="serve")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await engine.start()
    print(f"emswebhook: delivering from {service.db.display_location} (service {engine.owner}); "
          "Ctrl+C stops", file=sys.stderr, flush=True)
    if args.api_port is not None:
        print("emswebhook: --api-port given, but this version has no REST API yet; delivering only",
              file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await engine.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("emswebhook: stopped", file=sys.stderr)
    return EXIT_OK


def register(commands, listing: argparse.ArgumentParser, webhook) -> None:
    """Add the condition and delivery subcommands to the ``emswebhook`` parser."""
    condition = commands.add_parser("condition", help="the trigger-condition language").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    check = condition.add_parser("check", parents=[listing], help="validate and normalise an expression")
    check.add_argument("expression", metavar="EXPR")
    check.add_argument("--event", help="also check that this event allows trigger conditions")
    check.add_argument("--state", metavar="FILE", help="evaluate against this entity state (JSON; - for stdin)")
    check.set_defaults(handler=condition_check, needs_service=False)

    pub = commands.add_parser("publish", help="publish an occurrence; prints the created eventIds")
    pub.add_argument("--event", required=True)
    pub.add_argument("--activity", required=True)
    pub.add_argument("--entity-id", required=True)
    pub.add_argument("--entity", help="entity name (default: the event's entity in the catalogue)")
    pub.add_argument("--url", help="the EMS endpoint URL that caused the event")
    pub.add_argument("--request-id", help="originating request id (default: a new UUID)")
    pub.add_argument("--current-state", metavar="FILE", help="entity state after the event (JSON; - for stdin)")
    pub.add_argument("--previous-state", metavar="FILE", help="entity state before the event (JSON)")
    pub.set_defaults(handler=publish)

    events = commands.add_parser("events", help="notifications: search, retry, mark successful").add_subparsers(
        dest="action", required=True, metavar="ACTION")

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--status", type=str.upper, choices=["IN_PROGRESS", "FAILED", "SUCCESSFUL"])
        p.add_argument("--webhook", metavar="NAME_OR_ID")
        p.add_argument("--event-id", metavar="ID")
        p.add_argument("--since", metavar="T", help="ISO 8601, e.g. 2026-11-28T10:00:00Z")
        p.add_argument("--until", metavar="T")

    search = events.add_parser("search", parents=[listing], help="find notifications, newest first")
    filters(search)
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--cursor", metavar="C", help="continue after a previous page")
    search.set_defaults(handler=events_search)
    retry = events.add_parser("retry", help="retry one FAILED notification, or every FAILED match")
    filters(retry)
    retry.set_defaults(handler=events_retry)
    mark = events.add_parser("mark-successful", help="close FAILED notifications by hand")
    filters(mark)
    mark.set_defaults(handler=events_mark_successful)

    webhook_signing = webhook.add_parser(
        "signing-secret", help="turn on Standard Webhooks signing and print the secret")
    webhook_signing.add_argument("ref", metavar="NAME")
    group = webhook_signing.add_mutually_exclusive_group()
    group.add_argument("--rotate", action="store_true", help="replace the secret")
    group.add_argument("--remove", action="store_true", help="turn signing off and forget the secret")
    webhook_signing.set_defaults(handler=signing_secret)

    commands.add_parser("status", parents=[listing], help="live delivery services and queue depth").set_defaults(
        handler=status)
    srv = commands.add_parser("serve", help="run the delivery engine until interrupted")
    srv.add_argument("--api-port", type=int, metavar="P")
    srv.set_defaults(handler=serve)
