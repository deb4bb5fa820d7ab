"""``emswebhook``: the headless command, a thin adapter over ``WebhookService``.

Exit codes (contract): 0 success; 2 invalid input or a request the rules refuse (message on
stderr); 1 anything else. Secrets are read from standard input only (``--password-stdin``,
``--client-secret-stdin``), never from argv, where ``ps`` and shell history would show them.
Listing commands take ``--json`` for scripts; without it they print an aligned table.

Database failures are one line in words (``store.errors.explain``), exit 1, e.g.
``emswebhook: database: cannot connect to db.internal:5432 (host not found); check --db or
EMSWEBHOOK_DATABASE_URL``; never SQLAlchemy's text, never a password from the URL. Read-only
commands (``read_only`` below) never create a schema: on a database without one they say so and
exit 1 (the database is not what they need; nothing the user typed was invalid).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any, Awaitable, Callable

from . import __version__, catalog, logs
from .errors import FieldError, ServiceError, ValidationError
from .secrets import SecretStoreUnavailable
from .store import DatabaseURLError, explain, resolve_database_url
from .store.errors import HINT
from .validation import DESCRIPTION_MAX, NAME_MAX, parse_yes_no

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
    _warn_about_condition(webhook)
    return EXIT_OK


async def webhook_update(service, args) -> int:
    webhook = await service.update_webhook(args.ref, webhook_data(args, creating=False))
    print(f"updated webhook '{webhook['name']}'")
    if args.condition or args.event:  # the condition, or the event it is read against, changed
        _warn_about_condition(webhook)
    return EXIT_OK


def _warn_about_condition(webhook: dict) -> None:
    if webhook.get("triggerCondition"):
        from .cli_extra import warn_unknown_paths

        warn_unknown_paths(webhook["event"], webhook["triggerCondition"])


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
    elif args.activities:
        for position, e in enumerate(events):
            print(("\n" if position else "") + e["event"])
            for activity in e["activities"]:
                print(f"  {activity}")
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


async def config_proxy_credentials(service, args) -> int:
    if args.clear:
        if args.username or args.password_stdin:
            raise CliError("--clear takes no --username or --password-stdin")
        await service.set_proxy_credentials(None)
        print("proxy credentials removed from the keyring")
        return EXIT_OK
    if not args.username:
        raise ValidationError(FieldError("username", "is required: pass --username NAME (or --clear)"))
    password = read_secret("Proxy password: ") if args.password_stdin else ""
    await service.set_proxy_credentials(args.username, password)
    print(f"proxy credentials for user '{args.username}' kept in the keyring; deliveries send them as "
          "Proxy-Authorization to the proxy in effect")
    return EXIT_OK


# -- parser -------------------------------------------------------------------------------------

READ_ONLY = {"read_only": True}
"""Defaults of the commands that only read: they open the database with ``require_schema``."""


def command(group, name: str, *, help: str, example: str, parents=(), **defaults) -> argparse.ArgumentParser:
    """A subcommand with its help line and, in ``--help``, an example (``example`` is one or more
    lines, each a complete command a user can paste)."""
    lines = "\n".join(f"  {line}" for line in example.strip().splitlines())
    parser = group.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                              parents=list(parents), epilog=f"example:\n{lines}",
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    if defaults:
        parser.set_defaults(**defaults)
    return parser


def actions(parser: argparse.ArgumentParser, *, title: str = "ACTION"):
    """The sub-actions of a command group; ``required`` so a bare group prints its usage."""
    return parser.add_subparsers(dest="action", required=True, metavar=title, title="actions",
                                 help="one of these (each has --help with an example)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emswebhook",
        description="Manage and deliver Sentinel EMS style webhooks from the shell.",
        epilog="example:\n  emswebhook --db postgresql://ems@db.internal:5432/emswebhooks status\n\n"
               "exit codes: 0 success; 2 invalid input or a request the rules refuse; 1 anything else\n"
               "(the database unreachable, full or without a schema, say).\n"
               "'emswebhook COMMAND --help' shows each command's options and an example.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"emswebhook {__version__}",
                        help="print the version and exit")
    parser.add_argument("--db", metavar="URL", help="database URL (default: $EMSWEBHOOK_DATABASE_URL, "
                        "else SQLite in the user data directory), e.g. sqlite:///path/file.db or "
                        "postgresql://user@host:5432/db")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands",
                                     help="one of these (each has --help with an example)")
    listing = argparse.ArgumentParser(add_help=False)
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    profile = actions(commands.add_parser(
        "profile", help="authentication profiles", description="Authentication profiles (Basic or OAuth).",
        epilog="example:\n  emswebhook profile list", formatter_class=argparse.RawDescriptionHelpFormatter))
    add = command(profile, "add", help="create a Basic or OAuth profile (secret from stdin)",
                  example="printf '%s\\n' \"$PASSWORD\" | emswebhook profile add --name ERP --type basic "
                          "--username ems --password-stdin\n"
                          "printf '%s\\n' \"$SECRET\" | emswebhook profile add --name IdP --type oauth "
                          "--token-url https://idp.example.com/oauth2/token --client-id ems-webhooks "
                          "--client-secret-stdin --scope webhooks",
                  handler=profile_add)
    add.add_argument("--name", required=True, help=f"the profile's unique name (at most {NAME_MAX} characters)")
    add.add_argument("--type", required=True, choices=["basic", "oauth"], help="Basic or OAuth client credentials")
    add.add_argument("--username", help="Basic: the user name sent to the endpoint")
    add.add_argument("--password-stdin", action="store_true",
                     help="Basic: read the password from stdin (never from the command line)")
    add.add_argument("--token-url", metavar="URL", help="OAuth: the token endpoint (https)")
    add.add_argument("--client-id", metavar="ID", help="OAuth: the client id")
    add.add_argument("--client-secret-stdin", action="store_true",
                     help="OAuth: read the client secret from stdin (never from the command line)")
    add.add_argument("--scope", help="OAuth: the scope to request (optional)")
    add.add_argument("--audience", help="OAuth: the audience to request (optional)")
    command(profile, "list", help="list profiles", example="emswebhook profile list --json",
            parents=[listing], handler=profile_list, **READ_ONLY)
    delete = command(profile, "delete", help="delete an unused profile", example="emswebhook profile delete ERP",
                     handler=profile_delete)
    delete.add_argument("name", help="the profile's name or id")

    webhook = actions(commands.add_parser(
        "webhook", help="webhooks", description="Webhooks: which events go to which endpoint.",
        epilog="example:\n  emswebhook webhook list", formatter_class=argparse.RawDescriptionHelpFormatter))

    def webhook_options(p: argparse.ArgumentParser, creating: bool) -> None:
        p.add_argument("--name", required=creating, help=f"the webhook's unique name (at most {NAME_MAX} characters)")
        p.add_argument("--event", required=creating, help="an event name from 'emswebhook catalog events'")
        p.add_argument("--url", required=creating, help="endpoint URL (http or https)")
        p.add_argument("--profile", required=creating, help="authentication profile name")
        p.add_argument("--activity", action="append", default=[], metavar="A",
                       help="deliver only for this activity (repeatable; none = all activities; "
                            "'emswebhook catalog events --activities' lists them)")
        if not creating:
            p.add_argument("--all-activities", action="store_true", help="remove the activity filter")
        p.add_argument("--condition", metavar="EXPR", help="trigger condition ('' removes it)")
        p.add_argument("--description", help=f"free text for people (at most {DESCRIPTION_MAX} characters)")
        p.add_argument("--include-data", type=yes_no("includeData"), metavar="yes|no",
                       help="send the entity states in the notification (default yes)")
        p.add_argument("--enabled", type=yes_no("enabled"), metavar="yes|no",
                       help="deliver (yes, the default) or keep it switched off (no)")

    add = command(webhook, "add", help="create a webhook",
                  example='emswebhook webhook add --name "New entitlements" --event "Entitlement Added" '
                          "--url https://erp.example.com/hooks/ems --profile ERP --activity \"Add Entitlement\" "
                          "--condition \"entitlement.state == 'ENABLE'\"",
                  handler=webhook_add)
    webhook_options(add, creating=True)
    update = command(webhook, "update", help="change some attributes of a webhook",
                     example='emswebhook webhook update "New entitlements" --all-activities --enabled no',
                     handler=webhook_update)
    update.add_argument("ref", metavar="NAME", help="the webhook's name or id")
    webhook_options(update, creating=False)
    command(webhook, "list", help="list webhooks", example="emswebhook webhook list --json",
            parents=[listing], handler=webhook_list, **READ_ONLY)
    for name, handler, text, defaults in (("show", webhook_show, "show one webhook", READ_ONLY),
                                          ("enable", webhook_enable, "enable a webhook", {}),
                                          ("disable", webhook_disable, "stop a webhook from delivering", {}),
                                          ("delete", webhook_delete, "delete a webhook (its history stays)", {})):
        sub = command(webhook, name, help=text, example=f'emswebhook webhook {name} "New entitlements"',
                      parents=[listing] if name == "show" else [], handler=handler, **defaults)
        sub.add_argument("ref", metavar="NAME", help="the webhook's name or id")

    cat = actions(commands.add_parser(
        "catalog", help="the event catalogue", description="The event catalogue: events and their activities.",
        epilog="example:\n  emswebhook catalog events --activities",
        formatter_class=argparse.RawDescriptionHelpFormatter))
    events = command(cat, "events", help="list events and activities",
                     example="emswebhook catalog events\nemswebhook catalog events --activities",
                     parents=[listing], handler=catalog_events, needs_service=False)
    events.add_argument("--activities", action="store_true",
                        help="list each event's activity names (the values of --activity)")

    config = actions(commands.add_parser(
        "config", help="application properties", description="Application properties, shared by every "
        "service on the database.", epilog="example:\n  emswebhook config get",
        formatter_class=argparse.RawDescriptionHelpFormatter))
    cset = command(config, "set", help="set a property, e.g. allowPrivateEndpoints yes",
                   example="emswebhook config set allowPrivateEndpoints yes\n"
                           "emswebhook config set timeZoneForExpirationEvents Europe/Berlin",
                   handler=config_set)
    cset.add_argument("key", help="the property's name ('emswebhook config get' lists them)")
    cset.add_argument("value", help="its new value")
    cget = command(config, "get", help="print a property (all without KEY)",
                   example="emswebhook config get apiPort\nemswebhook config get --json",
                   parents=[listing], handler=config_get, **READ_ONLY)
    cget.add_argument("key", nargs="?", help="the property's name (omit it to list them all)")
    cproxy = command(config, "proxy-credentials",
                     help="keep the forward proxy's user name and password in the keyring",
                     example="printf '%s\\n' \"$PROXY_PASSWORD\" | emswebhook config proxy-credentials "
                             "--username alice --password-stdin\nemswebhook config proxy-credentials --clear",
                     handler=config_proxy_credentials)
    cproxy.add_argument("--username", metavar="NAME", help="the proxy account's user name")
    cproxy.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cproxy.add_argument("--clear", action="store_true", help="forget the stored proxy credentials")

    from . import cli_extra  # commands of later features, kept in their own module

    cli_extra.register(commands, listing, webhook, command, actions)
    from . import cli_data  # data lifecycle: events purge|export, db backup|compact|info

    cli_data.register(commands, listing)
    from . import cli_stats  # stats [--hours N] [--json]

    cli_stats.register(commands, listing)
    return parser


async def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "needs_service", True):
        return await args.handler(None, args)
    from .service import WebhookService

    service = await WebhookService.open(args.db, require_schema=getattr(args, "read_only", False))
    try:
        return await args.handler(service, args)
    finally:
        await service.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup_cli(args)
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
        problem = explain(exc, _database_url(args))
        if problem is not None:
            hint = f"; {HINT}" if problem.connection else ""
            print(f"emswebhook: database: {problem.message}{hint}", file=sys.stderr)
        else:
            print(f"emswebhook: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _database_url(args: argparse.Namespace) -> str | None:
    try:
        return resolve_database_url(args.db)
    except Exception:
        return None


if __name__ == "__main__":
    sys.exit(main())
