"""CLI commands of the condition language and of delivery (registered by ``cli.build_parser``).

Kept apart from ``cli.py`` so each module stays about one subject: definitions there, the
condition checker, publishing, the notification browser and the long-running service here.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from . import catalog, logs
from .cli import EXIT_ERROR, EXIT_OK, READ_ONLY, CliError, emit_json, emit_table
from .errors import FieldError, ValidationError
from .jsontext import read_json
from .wording import plural


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
        warn_unknown_paths(event.name, expression)
    matches = None
    if args.state is not None:
        text = _read_state(args.state, "state")
        try:
            state = read_json(text)
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


def unknown_paths(event_name: str, expression: str) -> list[str]:
    """Paths of ``expression`` that lead nowhere in the catalogue's attributes of the event.

    A path is known when it is an attribute's path, leads to one (``entitlement.customer``) or
    goes below one (``entitlement.customer.name.first``, with array steps ignored): payloads
    carry more than the catalogue lists, so only a path off every listed branch is suspicious,
    most often a typo (``entitlment.state``) that would silently never match."""
    from .conditions import iter_comparisons, parse

    known = [attribute.path.split(".") for attribute in catalog.condition_attributes(event_name)]
    found: list[str] = []
    for comparison in iter_comparisons(parse(expression)):
        names = [s for s in comparison.path.segments if isinstance(s, str) and not s.startswith("[")]
        if not any(a[:len(names)] == names or names[:len(a)] == a for a in known):
            text = str(comparison.path)
            if text not in found:
                found.append(text)
    return found


def warn_unknown_paths(event_name: str, expression: str) -> None:
    """A warning on stderr (the command still succeeds: the path may be in the real payloads)."""
    for path in unknown_paths(event_name, expression):
        print(f"emswebhook: warning: triggerCondition: no attribute of '{event_name}' in the catalogue starts "
              f"with '{path}'; check the spelling (the condition is false while the path is absent)",
              file=sys.stderr)


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
                              "since": args.since, "until": args.until, "entityId": args.entity_id,
                              "event": args.event, "activity": args.activity, "where": args.where}.items() if v}


def add_filters(p: argparse.ArgumentParser) -> None:
    """The search filters of ``events search|retry|mark-successful|purge|export``."""
    p.add_argument("--status", type=str.upper, choices=["IN_PROGRESS", "FAILED", "SUCCESSFUL"],
                   help="only notifications in this state")
    p.add_argument("--webhook", metavar="NAME_OR_ID", help="only notifications of this webhook")
    p.add_argument("--event-id", metavar="ID", help="exactly this notification")
    p.add_argument("--since", metavar="T", help="created at or after T, ISO 8601, e.g. 2026-11-28T10:00:00Z")
    p.add_argument("--until", metavar="T", help="created before T, ISO 8601")
    p.add_argument("--entity-id", metavar="ID", help="what the notification is about (e.g. an entitlement id)")
    p.add_argument("--event", metavar="NAME", help="an event of the catalogue, e.g. 'Entitlement Added'")
    p.add_argument("--activity", metavar="NAME", help="an activity, e.g. 'Add Entitlement'")
    p.add_argument("--where", metavar="EXPR", help="a trigger-condition expression on the entity state, e.g. "
                   "\"entitlement.customer.name == 'Sam Smith'\" (previousState.* for the state before)")


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
    print(f"retrying {plural(count)}")
    return EXIT_OK


async def events_mark_successful(service, args) -> int:
    event_id, filters = _one_or_filters(args)
    count = await service.mark_successful(event_id=event_id, filters=filters)
    print(f"marked {plural(count)} successful")
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
    from .instances import offset_text, offset_warning

    rows = [{**entry, "offset": offset_text(entry["clockOffset"])} for entry in report["services"]]
    emit_table(rows, [("id", "SERVICE"), ("kind", "KIND"), ("startedAt", "STARTED"),
                      ("heartbeatAt", "HEARTBEAT"), ("inFlight", "IN FLIGHT"), ("offset", "CLOCK OFFSET")])
    for entry in report["services"]:
        warning = offset_warning(entry)
        if warning:
            print(f"warning: {warning}")
    return EXIT_OK


async def serve(service, args) -> int:
    """Deliver and serve the REST API until SIGINT/SIGTERM, then stop gracefully (the API stops
    taking requests first; in-flight deliveries finish).

    The API listens on ``--api-port``, else on the ``apiPort`` property. When the port was not
    asked for explicitly and cannot be used (taken by another ``serve`` on this host sharing a
    PostgreSQL store, say, or no keyring for the token), delivery runs without the API and says so;
    an explicit ``--api-port`` that cannot be used is an error.
    """

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    api = engine = None
    try:
        api = await _start_api(service, args)
        if api is False:
            return EXIT_ERROR
        engine = service.delivery_engine(kind="serve")
        await engine.start()
        print(f"emswebhook: delivering from {service.db.display_location} (service {engine.owner}); "
              "Ctrl+C stops", file=sys.stderr, flush=True)
        if api is not None:
            print(f"emswebhook: REST API on {api.url}", file=sys.stderr, flush=True)
        print(f"emswebhook: log file {logs.log_file(args.log_format)}", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        if api:
            await api.stop()
        if engine is not None:
            await engine.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("emswebhook: stopped", file=sys.stderr)
    return EXIT_OK


async def _start_api(service, args):
    """The running ``ApiServer``; None when serving without it; False after an error message."""
    from . import properties
    from .api import is_loopback, start_api
    from .secrets import SecretStoreUnavailable

    if args.no_api:
        return None
    explicit = args.api_port is not None
    port = args.api_port if explicit else await service.get_property(properties.API_PORT)
    if not 0 <= port <= 65535:
        raise CliError(f"--api-port {port} is not a port number from 0 to 65535")
    host = args.api_host
    if not is_loopback(host):
        print(f"emswebhook: warning: the REST API listens on {host}, not only on this machine; its "
              "bearer token travels unencrypted over plain HTTP. Prefer the default 127.0.0.1.",
              file=sys.stderr, flush=True)
    try:
        return await start_api(service, host, port)
    except (OSError, SecretStoreUnavailable) as exc:
        reason = (f"cannot listen on {host}:{port} ({exc.strerror or exc})" if isinstance(exc, OSError)
                  else f"no keyring for its token: {exc}")
        if explicit:
            print(f"emswebhook: REST API: {reason}", file=sys.stderr, flush=True)
            return False
        print(f"emswebhook: warning: REST API not started, {reason}; delivering only. Choose a port with "
              "--api-port P or 'emswebhook config set apiPort P', or pass --no-api.",
              file=sys.stderr, flush=True)
        return None


async def api_token(_service, args) -> int:
    from .api import token
    from .secrets import SecretStore

    store = SecretStore()
    print(await asyncio.to_thread(token.rotate if args.rotate else token.load_or_create, store))
    return EXIT_OK


async def db_upgrade(_service, args) -> int:
    """Create or upgrade the schema explicitly (``serve`` and the app also do it by themselves)."""
    from .store import Database
    from .store.migrations_runner import current_revision, head_revision, upgrade_to_head
    from .threads import run_blocking

    def work() -> str:
        db = Database(args.db, migrate=False)
        try:
            before = current_revision(db.engine)
            upgrade_to_head(db.engine)
            head = head_revision()
            where = db.display_location
        finally:
            db.close()
        if before is None:
            return f"created the emswebhook schema in {where} (revision {head})"
        if before != head:
            return f"upgraded the emswebhook schema in {where} from revision {before} to {head}"
        return f"the emswebhook schema in {where} is up to date (revision {head})"

    print(await run_blocking(work))
    return EXIT_OK


def register(commands, listing: argparse.ArgumentParser, webhook, command, actions) -> None:
    """Add the condition, delivery and database subcommands to the ``emswebhook`` parser
    (``command`` and ``actions`` are ``cli``'s helpers: every subcommand has help and an example)."""
    raw = argparse.RawDescriptionHelpFormatter
    condition = actions(commands.add_parser(
        "condition", help="the trigger-condition language", description="The trigger-condition language.",
        epilog="example:\n  emswebhook condition check \"entitlement.state == 'ENABLE'\"", formatter_class=raw))
    check = command(condition, "check", help="validate and normalise an expression",
                    example="emswebhook condition check \"entitlement.state=='ENABLE'\" --event \"Entitlement Added\"\n"
                            "emswebhook condition check \"entitlement.state=='ENABLE'\" --state entitlement.json",
                    parents=[listing], handler=condition_check, needs_service=False)
    check.add_argument("expression", metavar="EXPR", help="the expression, e.g. \"entitlement.state == 'ENABLE'\"")
    check.add_argument("--event", help="also check that this event allows trigger conditions, and warn (on "
                                       "stderr) about paths none of its catalogue attributes starts with")
    check.add_argument("--state", metavar="FILE", help="evaluate against this entity state (JSON; - for stdin)")

    pub = command(commands, "publish", help="publish an occurrence; prints the created eventIds",
                  example='emswebhook publish --event "Entitlement Added" --activity "Add Entitlement" '
                          "--entity-id E-1 --current-state entitlement.json",
                  handler=publish)
    pub.add_argument("--event", required=True, help="an event name from 'emswebhook catalog events'")
    pub.add_argument("--activity", required=True,
                     help="one of the event's activities ('emswebhook catalog events --activities')")
    pub.add_argument("--entity-id", required=True, metavar="ID", help="the id of the entity the event is about")
    pub.add_argument("--entity", help="entity name (default: the event's entity in the catalogue)")
    pub.add_argument("--url", help="the EMS endpoint URL that caused the event")
    pub.add_argument("--request-id", metavar="ID", help="originating request id (default: a new UUID)")
    pub.add_argument("--current-state", metavar="FILE", help="entity state after the event (JSON; - for stdin)")
    pub.add_argument("--previous-state", metavar="FILE", help="entity state before the event (JSON)")

    events = actions(commands.add_parser(
        "events", help="notifications: search, retry, mark successful",
        description="Notifications (one per webhook and occurrence): search, retry, mark successful.",
        epilog="example:\n  emswebhook events search --status FAILED", formatter_class=raw))

    filters = add_filters

    search = command(events, "search", help="find notifications, newest first",
                     example='emswebhook events search --status FAILED --webhook "New entitlements" --json',
                     parents=[listing], handler=events_search, **READ_ONLY)
    filters(search)
    search.add_argument("--limit", type=int, default=50, metavar="N", help="at most N per page (default 50)")
    search.add_argument("--cursor", metavar="C", help="continue after a previous page (printed on stderr)")
    retry = command(events, "retry", help="retry one FAILED notification, or every FAILED match",
                    example="emswebhook events retry --event-id 5c9d6072-b5bf-4640-8aae-422a52847994\n"
                            'emswebhook events retry --status FAILED --webhook "New entitlements"',
                    handler=events_retry)
    filters(retry)
    mark = command(events, "mark-successful", help="close FAILED notifications by hand",
                   example="emswebhook events mark-successful --status FAILED --until 2026-11-01T00:00:00Z",
                   handler=events_mark_successful)
    filters(mark)

    webhook_signing = command(webhook, "signing-secret", help="turn on Standard Webhooks signing and print the secret",
                              example='emswebhook webhook signing-secret "New entitlements"\n'
                                      'emswebhook webhook signing-secret "New entitlements" --rotate',
                              handler=signing_secret)
    webhook_signing.add_argument("ref", metavar="NAME", help="the webhook's name or id")
    group = webhook_signing.add_mutually_exclusive_group()
    group.add_argument("--rotate", action="store_true", help="replace the secret")
    group.add_argument("--remove", action="store_true", help="turn signing off and forget the secret")

    command(commands, "status", help="live delivery services and queue depth", example="emswebhook status --json",
            parents=[listing], handler=status, **READ_ONLY)
    srv = command(commands, "serve", help="run the delivery engine and the local REST API until interrupted",
                  example="emswebhook serve\nemswebhook serve --api-port 8478\nemswebhook serve --no-api", handler=serve)
    srv.add_argument("--api-port", type=int, metavar="P",
                     help="REST API port (default: the apiPort property, 8477; 0 picks a free one)")
    srv.add_argument("--api-host", default="127.0.0.1", metavar="H",
                     help="address the REST API listens on (default 127.0.0.1, this machine only)")
    srv.add_argument("--no-api", action="store_true", help="deliver only, without the REST API")
    srv.add_argument("--log-level", type=str.upper, choices=logs.LEVELS, default="INFO",
                     help="least severe level logged, to the log file and stderr (default INFO)")
    srv.add_argument("--log-format", choices=logs.FORMATS, default="text",
                     help=f"format of the log file in {logs.log_directory()} (stderr gets text; default text)")
    token = command(commands, "api-token", help="print the REST API's bearer token (created if absent)",
                    example="TOKEN=$(emswebhook api-token)\nemswebhook api-token --rotate",
                    handler=api_token, needs_service=False)
    token.add_argument("--rotate", action="store_true",
                       help="replace it; a running API accepts only the new one within 15 seconds")

    db = actions(commands.add_parser(
        "db", help="the database itself", description="The database itself: its schema.",
        epilog="example:\n  emswebhook db upgrade", formatter_class=raw))
    command(db, "upgrade", help="create the schema, or upgrade it to this version's (serve and the app do it "
                                "by themselves; read-only commands never do)",
            example="emswebhook --db postgresql://ems@db.internal:5432/emswebhooks db upgrade",
            handler=db_upgrade, needs_service=False)

    from .alerts import cli as alerts_cli

    alerts_cli.register(commands)
