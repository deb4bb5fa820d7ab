"""Application properties (``config get|set``) and the forward proxy's credentials, which live in
the keyring rather than among the properties (they are stored in plain text in the shared database)."""

from __future__ import annotations

import json

from ..errors import FieldError, ValidationError
from .options import READ_ONLY, command, group
from .output import EXIT_OK, CliError, emit_json, read_secret


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


def register(commands, listing) -> None:
    config = group(commands, "config", help="application properties",
                   description="Application properties, shared by every service on the database.",
                   example="emswebhook config get")
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
