"""The definitions: authentication profiles, webhooks, the event catalogue and the trigger-condition
language (``profile``, ``webhook``, ``catalog``, ``condition``).

The options of ``profile add``, ``webhook add|update`` come from the resources' declarations
(``rules.profiles``, ``rules.webhooks``): their flags, help and limits are the service's.
"""

from __future__ import annotations

import sys
from typing import Any

from .. import catalog
from ..errors import FieldError, ValidationError
from ..jsontext import read_json
from ..rules.profiles import PROFILE
from ..rules.webhooks import WEBHOOK
from .options import READ_ONLY, command, group
from .output import EXIT_OK, CliError, cell, emit_json, emit_table, read_secret, read_state

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


WEBHOOK_OPTIONS = ("name", "event", "endpointUrl", "authProfile", "activities")
WEBHOOK_MORE_OPTIONS = ("triggerCondition", "description", "includeData", "enabled")


def webhook_data(args, *, creating: bool) -> dict:
    """Only the options the user gave, so 'update' changes nothing else."""
    data = WEBHOOK.from_args(args, (*WEBHOOK_OPTIONS, *WEBHOOK_MORE_OPTIONS))
    if "activities" not in data and getattr(args, "all_activities", False):
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
            print(f"{key.ljust(width)}  {cell(value)}")
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


async def signing_secret(service, args) -> int:
    secret = await service.signing_secret(args.ref, rotate=args.rotate, remove=args.remove)
    print(secret if secret is not None else f"signing turned off for webhook '{args.ref}'")
    return EXIT_OK


# -- catalog / condition ------------------------------------------------------------------------


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


async def condition_check(_service, args) -> int:
    from ..conditions import ConditionSyntaxError, evaluate, normalise

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
        text = read_state(args.state, "state")
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
    from ..conditions import iter_comparisons, parse

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


# -- parser -------------------------------------------------------------------------------------


def register_profiles(commands, listing) -> None:
    profile = group(commands, "profile", help="authentication profiles",
                    description="Authentication profiles (Basic or OAuth).", example="emswebhook profile list")
    add = command(profile, "add", help="create a Basic or OAuth profile (secret from stdin)",
                  example="printf '%s\\n' \"$PASSWORD\" | emswebhook profile add --name ERP --type basic "
                          "--username ems --password-stdin\n"
                          "printf '%s\\n' \"$SECRET\" | emswebhook profile add --name IdP --type oauth "
                          "--token-url https://idp.example.com/oauth2/token --client-id ems-webhooks "
                          "--client-secret-stdin --scope webhooks",
                  handler=profile_add)
    PROFILE.add_arguments(add, PROFILE.names, creating=True)
    command(profile, "list", help="list profiles", example="emswebhook profile list --json",
            parents=[listing], handler=profile_list, **READ_ONLY)
    delete = command(profile, "delete", help="delete an unused profile", example="emswebhook profile delete ERP",
                     handler=profile_delete)
    delete.add_argument("name", help="the profile's name or id")


def register_webhooks(commands, listing) -> None:
    webhook = group(commands, "webhook", help="webhooks", description="Webhooks: which events go to which endpoint.",
                    example="emswebhook webhook list")

    def webhook_options(p, creating: bool) -> None:
        WEBHOOK.add_arguments(p, WEBHOOK_OPTIONS, creating=creating)
        if not creating:
            p.add_argument("--all-activities", action="store_true", help="remove the activity filter")
        WEBHOOK.add_arguments(p, WEBHOOK_MORE_OPTIONS, creating=creating)

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
    webhook_signing = command(webhook, "signing-secret", help="turn on Standard Webhooks signing and print the secret",
                              example='emswebhook webhook signing-secret "New entitlements"\n'
                                      'emswebhook webhook signing-secret "New entitlements" --rotate',
                              handler=signing_secret)
    webhook_signing.add_argument("ref", metavar="NAME", help="the webhook's name or id")
    choice = webhook_signing.add_mutually_exclusive_group()
    choice.add_argument("--rotate", action="store_true", help="replace the secret")
    choice.add_argument("--remove", action="store_true", help="turn signing off and forget the secret")


def register_catalog(commands, listing) -> None:
    cat = group(commands, "catalog", help="the event catalogue",
                description="The event catalogue: events and their activities.",
                example="emswebhook catalog events --activities")
    events = command(cat, "events", help="list events and activities",
                     example="emswebhook catalog events\nemswebhook catalog events --activities",
                     parents=[listing], handler=catalog_events, needs_service=False)
    events.add_argument("--activities", action="store_true",
                        help="list each event's activity names (the values of --activity)")


def register_condition(commands, listing) -> None:
    condition = group(commands, "condition", help="the trigger-condition language",
                      description="The trigger-condition language.",
                      example="emswebhook condition check \"entitlement.state == 'ENABLE'\"")
    check = command(condition, "check", help="validate and normalise an expression",
                    example="emswebhook condition check \"entitlement.state=='ENABLE'\" --event \"Entitlement Added\"\n"
                            "emswebhook condition check \"entitlement.state=='ENABLE'\" --state entitlement.json",
                    parents=[listing], handler=condition_check, needs_service=False)
    check.add_argument("expression", metavar="EXPR", help="the expression, e.g. \"entitlement.state == 'ENABLE'\"")
    check.add_argument("--event", help="also check that this event allows trigger conditions, and warn (on "
                                       "stderr) about paths none of its catalogue attributes starts with")
    check.add_argument("--state", metavar="FILE", help="evaluate against this entity state (JSON; - for stdin)")
