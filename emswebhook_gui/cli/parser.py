"""The ``emswebhook`` parser, assembled from one module per command group (in the order
``emswebhook --help`` lists them)."""

from __future__ import annotations

import argparse

from .. import __version__
from . import alerts, config, data, definitions, events, serve, stats
from .options import listing_parent


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
    listing = listing_parent()
    for register in (definitions.register_profiles, definitions.register_webhooks, definitions.register_catalog,
                     config.register, definitions.register_condition, events.register, stats.register, serve.register,
                     data.register, alerts.register):
        register(commands, listing)
    return parser
