"""The long-running service and what it reports: ``serve``, ``status`` and ``api-token``."""

from __future__ import annotations

import asyncio
import signal
import sys

from .. import logs
from .options import READ_ONLY, command
from .output import EXIT_ERROR, EXIT_OK, CliError, emit_json, emit_table


async def status(service, args) -> int:
    report = await service.delivery_status()
    if args.json:
        emit_json(report)
        return EXIT_OK
    print(f"queue depth: {report['queueDepth']} in progress ({report['due']} due now), "
          f"{report['failed']} failed, {report['successful']} successful")
    from ..instances import offset_text, offset_warning

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
    from ..delivery.engine import DeliveryEngine

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    api = engine = None
    try:
        api = await _start_api(service, args)
        if api is False:
            return EXIT_ERROR
        engine = DeliveryEngine(service, kind="serve")
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
    from ..api import is_loopback, start_api
    from ..rules import properties
    from ..secrets import SecretStoreUnavailable

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
    from ..api import token
    from ..secrets import SecretStore

    store = SecretStore()
    print(await asyncio.to_thread(token.rotate if args.rotate else token.load_or_create, store))
    return EXIT_OK


def register(commands, listing) -> None:
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
