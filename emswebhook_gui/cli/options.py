"""How a subcommand is made: each has a help line, a description and an example (tests/test_cli_help.py
runs every example through the real parser), and a group's bare name prints its usage."""

from __future__ import annotations

import argparse

RAW = argparse.RawDescriptionHelpFormatter


READ_ONLY = {"read_only": True}
"""Defaults of the commands that only read: they open the database with ``require_schema``."""


def command(group, name: str, *, help: str, example: str, parents=(), **defaults) -> argparse.ArgumentParser:
    """A subcommand with its help line and, in ``--help``, an example (``example`` is one or more
    lines, each a complete command a user can paste)."""
    lines = "\n".join(f"  {line}" for line in example.strip().splitlines())
    parser = group.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                              parents=list(parents), epilog=f"example:\n{lines}",
                              formatter_class=RAW)
    if defaults:
        parser.set_defaults(**defaults)
    return parser


def actions(parser: argparse.ArgumentParser, *, title: str = "ACTION"):
    """The sub-actions of a command group; ``required`` so a bare group prints its usage."""
    return parser.add_subparsers(dest="action", required=True, metavar=title, title="actions",
                                 help="one of these (each has --help with an example)")


def group(commands, name: str, *, help: str, description: str, example: str):
    """A command group (``webhook``, ``events``, ...) and its sub-actions."""
    return actions(commands.add_parser(name, help=help, description=description, epilog=f"example:\n  {example}",
                                       formatter_class=RAW))


def listing_parent() -> argparse.ArgumentParser:
    """The ``--json`` option of the commands that list or show."""
    listing = argparse.ArgumentParser(add_help=False)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    return listing
