"""``emswebhook``: the headless command, a thin adapter over ``WebhookService``.

Exit codes (contract): 0 success; 2 invalid input or a request the rules refuse (message on
stderr); 1 anything else. Secrets are read from standard input only (``--password-stdin``,
``--client-secret-stdin``), never from argv, where ``ps`` and shell history would show them.
Listing commands take ``--json`` for scripts; without it they print an aligned table.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any, Awaitable, Callable

from . import __version__, catalog
from .errors import FieldError, ServiceError, ValidationError
from .secrets import SecretStoreUnavailable
from .store import DatabaseURLError
from .validation import parse_yes_no

EXIT_OK, EXIT_ERROR, EXIT_INVALID = 0, 1, 2

Handler = Callable[[Any, argparse.Namespace], Awaitable[int]]


class CliError(Exception):
    """Refused input detected by the CLI itself (exit 2)."""


# -- output -------------------------------------------------------------------------------------


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def emit_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """An aligned plain-text table; ``columns`` are (key, heading)."""
    if not rows:
        print("(none)")
        return
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (_, h) in enumerate(columns)]
    print("  ".join(h.ljust(w) for (_, h), w in zip(columns, widths)).rstrip())
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def read_secret(prompt: str) -> str:
    """One secret from stdin: a prompt without echo on a terminal, else the first line of a pipe."""
    if sys.stdin is None:
        raise CliError("no standard input to read the secret from")
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def yes_no(field: str) -> Callable[[str], bool]:
    def parse(value: str) -> bool:
        try:
            return parse_yes_no(value, field)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(exc.errors[0].message) from None

    return parse


# -- profile ------------------------------------------------------------------------------------


async def profile_add(service, args) -> int:
    data: dict[str, Any] = {"name": args.name, "type": args.type}
    if args.type == "basic":
        if args.token_url or args.client_id or args.client_secret_stdin or args.scope or args.audience:
            raise CliError("--token-url, --client-id, --client-secret-stdin, --scope and --audience are for --type oauth")
        if not args.password_stdin:
            raise ValidationError(FieldError("password", "is required: pass --password-stdin and pipe it in"))
        data.update(username=args.username, password=read_secret("Password: "))
    else:
        if args.username or args.password_stdin:
            raise CliError("--username and --password-stdin are for --type basic")
        if not args.client_secret_stdin:
            raise ValidationError(FieldError("clientSecret", "is required: pass --client-secret-stdin and pipe it in"))
        data.update(tokenUrl=args.token_url, clientId=args.client_id, scope=args.scope,
                    audience=args.audience, clientSecret=read_secret("Client secret: "))
    profile = await service.create_profile(data)
    print(f"created authentication profile '{profile['name']}' ({profile['id']})")
    return EXIT_OK


async def profile_list(service, args) -> int:
    profiles = await service.list_profiles()
    if args.json:
        emit_json(profiles)
    else:
        for p in profiles:
            p["detail"] = p.get("username") if p["type"] == "basic" else f"{p['clientId']} @ {p['tokenUrl']}"
        emit_table(profiles, [("name", "NAME"), ("type", "TYPE"), ("detail", "USER / CLIENT"), ("usedBy", "USED BY")])
    return EXIT_OK


async def profile_delete(service, args) -> int:
    await service.delete_profile(args.name)
    print(f"deleted authentication profile '{args.name}'")
    return EXIT_OK


# -- webhook ------------------------------------------------------------------------------------


def webhook_data(args, *, creating: bool) -> dict:
    """Only the options the user gave, so 'update' changes nothing else."""
    data: dict[str, Any] = {}
    for option, field in (("name", "name"), ("event", "event"), ("url", "endpointUrl"),
                          ("profile", "authProfile"), ("condition", "triggerCondition"),
                          ("description", "description"), ("include_data", "includeData"),
                          ("enabled", "enabled")):
        value = getattr(args, option, None)
        if value is not None:
            data[field] = value
    if args.activity:
        data["activities"] = args.activity
    elif getattr(args, "all_activities", False):
        data["activities"] = []
    if not creating and not data:
        raise CliError("nothing to update: give at least one option (see 'emswebhook webhook update --help')")
    return data


WEBHOOK_COLUMNS = [("name", "NAME"), ("event", "EVENT"), ("endpointUrl", "ENDPOINT"),
                   ("authProfile", "PROFILE"), ("enabled", "ENABLED"), ("activities", "ACTIVITIES"),
                   ("triggerCondition", "CONDITION")]


async def webhook_add(service, args) -> int:
    webhook = await service.create_webhook(webhook_data(args, creating=True))
    print(f"created webhook '{webhook['name']}' ({webhook['id']})")
    return EXIT_OK


async def webhook_update(service, args) -> int:
    webhook = await service.update_webhook(args.ref, webhook_data(args, creating=False))
    print(f"updated webhook '{webhook['name']}'")
    return EXIT_OK


async def webhook_list(service, args) -> int:
    webhooks = await service.list_webhooks()
    if args.json:
        emit_json(webhooks)
    else:
        emit_table([{**w, "activities": w["activities"] or "(all)"} for w in webhooks], WEBHOOK_COLUMNS)
    return EXIT_OK


async def webhook_show(service, args) -> int:
    webhook = await service.get_webhook(args.ref)
    if args.json:
        emit_json(webhook)
    else:
        width = max(map(len, webhook))
        for key, value in webhook.items():
            print(f"{key.ljust(width)}  {_cell(value)}")
    return EXIT_OK


async def webhook_enable(service, args) -> int:
    webhook = await service.set_webhook_enabled(args.ref, True)
    print(f"enabled webhook '{webhook['name']}'")
    return EXIT_OK


async def webhook_disable(service, args) -> int:
    webhook = await service.set_webhook_enabled(args.ref, False)
    print(f"disabled webhook '{webhook['name']}'")
    return EXIT_OK


async def webhook_delete(service, args) -> int:
    await service.delete_webhook(args.ref)
    print(f"deleted webhook '{args.ref}'")
    return EXIT_OK


# -- catalog / config ---------------------------------------------------------------------------


async def catalog_events(_service, args) -> int:
    events = [
        {"entity": e.entity, "operation": e.operation, "event": e.name, "activities": list(e.activities),
         "triggerConditions": e.allows_conditions, "deprecated": e.deprecated}
        for e in catalog.events()
    ]
    if args.json:
        emit_json(events)
    else:
        rows = [{**e, "activities": len(e["activities"])} for e in events]
        emit_table(rows, [("entity", "ENTITY"), ("operation", "OPERATION"), ("event", "EVENT"),
                          ("activities", "ACTIVITIES"), ("triggerConditions", "CONDITIONS")])
    return EXIT_OK


async def config_set(service, args) -> int:
    value = await service.set_property(args.key, args.value)
    print(json.dumps(value) if not isinstance(value, str) else value)
    return EXIT_OK


async def config_get(service, args) -> int:
    if args.key is None:
        values = await service.list_properties()
        if args.json:
            emit_json(values)
        else:
            for key, value in values.items():
                print(f"{key} = {json.dumps(value)}")
        return EXIT_OK
    value = await service.get_property(args.key)
    if args.json:
        emit_json(value)
    else:
        print(value if isinstance(value, str) else json.dumps(value))
    return EXIT_OK


# -- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emswebhook",
        description="Manage and deliver Sentinel EMS style webhooks from the shell.",
    )
    parser.add_argument("--version", action="version", version=f"emswebhook {__version__}")
    parser.add_argument("--db", metavar="URL", help="database URL (default: $EMSWEBHOOK_DATABASE_URL, "
                        "else SQLite in the user data directory), e.g. sqlite:///path/file.db or "
                        "postgresql://user@host:5432/db")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = argparse.ArgumentParser(add_help=False)
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    profile = commands.add_parser("profile", help="authentication profiles").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    add = profile.add_parser("add", help="create a Basic or OAuth profile (secret from stdin)")
    add.add_argument("--name", required=True)
    add.add_argument("--type", required=True, choices=["basic", "oauth"])
    add.add_argument("--username")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--token-url")
    add.add_argument("--client-id")
    add.add_argument("--client-secret-stdin", action="store_true", help="read the client secret from stdin")
    add.add_argument("--scope")
    add.add_argument("--audience")
    add.set_defaults(handler=profile_add)
    profile.add_parser("list", parents=[listing], help="list profiles").set_defaults(handler=profile_list)
    delete = profile.add_parser("delete", help="delete an unused profile")
    delete.add_argument("name")
    delete.set_defaults(handler=profile_delete)

    webhook = commands.add_parser("webhook", help="webhooks").add_subparsers(
        dest="action", required=True, metavar="ACTION")

    def webhook_options(p: argparse.ArgumentParser, creating: bool) -> None:
        p.add_argument("--name", required=creating)
        p.add_argument("--event", required=creating, help="an event name from 'emswebhook catalog events'")
        p.add_argument("--url", required=creating, help="endpoint URL (http or https)")
        p.add_argument("--profile", required=creating, help="authentication profile name")
        p.add_argument("--activity", action="append", default=[], metavar="A",
                       help="deliver only for this activity (repeatable; none = all activities)")
        if not creating:
            p.add_argument("--all-activities", action="store_true", help="remove the activity filter")
        p.add_argument("--condition", metavar="EXPR", help="trigger condition ('' removes it)")
        p.add_argument("--description")
        p.add_argument("--include-data", type=yes_no("includeData"), metavar="yes|no")
        p.add_argument("--enabled", type=yes_no("enabled"), metavar="yes|no")

    add = webhook.add_parser("add", help="create a webhook")
    webhook_options(add, creating=True)
    add.set_defaults(handler=webhook_add)
    update = webhook.add_parser("update", help="change some attributes of a webhook")
    update.add_argument("ref", metavar="NAME")
    webhook_options(update, creating=False)
    update.set_defaults(handler=webhook_update)
    webhook.add_parser("list", parents=[listing], help="list webhooks").set_defaults(handler=webhook_list)
    for name, handler, text in (("show", webhook_show, "show one webhook"),
                                ("enable", webhook_enable, "enable a webhook"),
                                ("disable", webhook_disable, "stop a webhook from delivering"),
                                ("delete", webhook_delete, "delete a webhook (its history stays)")):
        sub = webhook.add_parser(name, help=text, parents=[listing] if name == "show" else [])
        sub.add_argument("ref", metavar="NAME")
        sub.set_defaults(handler=handler)

    cat = commands.add_parser("catalog", help="the event catalogue").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    cat.add_parser("events", parents=[listing], help="list events and activities").set_defaults(
        handler=catalog_events, needs_service=False)

    config = commands.add_parser("config", help="application properties").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    cset = config.add_parser("set", help="set a property, e.g. allowPrivateEndpoints yes")
    cset.add_argument("key")
    cset.add_argument("value")
    cset.set_defaults(handler=config_set)
    cget = config.add_parser("get", parents=[listing], help="print a property (all without KEY)")
    cget.add_argument("key", nargs="?")
    cget.set_defaults(handler=config_get)

    from . import cli_extra  # commands of later features, kept in their own module

    cli_extra.register(commands, listing, webhook)
    from . import cli_data  # data lifecycle: events purge|export, db backup|compact|info

    cli_data.register(commands, listing)
    return parser


async def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "needs_service", True):
        return await args.handler(None, args)
    from .service import WebhookService

    service = await WebhookService.open(args.db)
    try:
        return await args.handler(service, args)
    finally:
        await service.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (ServiceError, CliError, DatabaseURLError) as exc:
        print(f"emswebhook: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except SecretStoreUnavailable as exc:
        print(f"emswebhook: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error worth a message
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # last resort: a message, never a traceback with local values
        print(f"emswebhook: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
