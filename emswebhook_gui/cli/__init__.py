"""``emswebhook``: the headless command, a thin adapter over ``WebhookService``.

One module per command group (``definitions``, ``events``, ``config``, ``serve``, ``data``,
``alerts``), each with its handlers and its ``register``; ``parser`` assembles them, ``options``
and ``output`` are what they share.

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
import sys

from .. import logs
from ..errors import ServiceError
from ..secrets import SecretStoreUnavailable
from ..store import DatabaseURLError, explain, resolve_database_url
from ..store.errors import HINT
from .output import EXIT_ERROR, EXIT_INVALID, EXIT_OK, CliError
from .parser import build_parser

__all__ = ["build_parser", "main"]


async def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "needs_service", True):
        return await args.handler(None, args)
    from ..service import WebhookService

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
