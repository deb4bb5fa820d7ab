"""CLI commands of the data lifecycle: ``events purge``, ``events export`` and the ``db`` group
(``backup``, ``compact``, ``info``), registered by ``cli.build_parser``.

``events purge`` prints the number deleted alone on a line (scripts read it) and the number of
IN_PROGRESS matches it kept on stderr. On a terminal it first says how many match and asks; with
``--yes``, or when standard input is not a terminal (a script, cron), it does not ask: a script
has nobody to answer, and the filters it gives are its decision.

``events export`` writes to standard output unless ``--output FILE``; a file is written beside
its name and renamed when complete, so a failed or interrupted export never leaves a truncated
file that looks whole.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .cli import EXIT_OK, CliError, emit_json
from .cli_extra import _filters, add_filters
from .errors import FieldError, ValidationError


def _subcommands(parser: argparse.ArgumentParser):
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


# -- events purge / export ----------------------------------------------------------------------


async def events_purge(service, args) -> int:
    filters = _filters(args)
    event_id = filters.pop("eventId", None)
    if event_id and filters:
        raise CliError("give either --event-id or filters, not both")
    if not event_id and not filters:
        raise CliError("give --event-id ID, or filters (e.g. --status FAILED --until 2026-01-01) to purge every match")
    if not args.yes and sys.stdin is not None and sys.stdin.isatty():
        matching = 1 if event_id else await service.count_notifications(filters)
        answer = input(f"Delete {matching:,} notification{'s' if matching != 1 else ''} (IN_PROGRESS ones are "
                       "kept) with their bodies and attempts? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("emswebhook: nothing deleted", file=sys.stderr)
            return EXIT_OK
    result = await service.purge_notifications(event_id=event_id, filters=None if event_id else filters)
    print(result["purged"])
    if result["skippedInProgress"]:
        print(f"skipped {result['skippedInProgress']} IN_PROGRESS notification(s)", file=sys.stderr)
    return EXIT_OK


async def events_export(service, args) -> int:
    chunks = service.export_notifications(_filters(args), args.format)
    if args.output is None:
        async for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return EXIT_OK
    target = Path(args.output).expanduser()
    if target.is_dir():
        raise ValidationError(FieldError("output", f"'{target}' is a directory; give a file name"))
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            async for chunk in chunks:
                out.write(chunk)
        os.replace(partial, target)
    except OSError as exc:
        raise ValidationError(FieldError("output", f"cannot write '{target}': {exc.strerror or exc}")) from None
    finally:
        partial.unlink(missing_ok=True)
    print(f"exported to {target}", file=sys.stderr)
    return EXIT_OK


# -- db -----------------------------------------------------------------------------------------


async def db_backup(service, args) -> int:
    result = await service.backup_database(args.file)
    print(f"backed up {result['notifications']:,} notifications to {result['file']} ({_size(result['bytes'])})")
    return EXIT_OK


async def db_compact(service, args) -> int:
    result = await service.compact_database()
    print(f"compacted: {_size(result['bytesBefore'])} -> {_size(result['bytesAfter'])}, "
          f"{result['bytesFreed']} bytes freed")
    return EXIT_OK


async def db_info(service, args) -> int:
    info = await service.database_info()
    if args.json:
        emit_json(info)
        return EXIT_OK
    counts = info["notifications"]
    retention = info["retention"]
    last = info["lastPurge"]

    def days(n: int) -> str:
        return "forever" if not n else f"{n} days"

    lines = [
        ("database", info["url"]),
        ("size on disk", _size(info.get("sizeBytes"))),
        ("notifications", f"{info['total']:,} ({', '.join(f'{counts[k]:,} {k}' for k in counts)})"),
        ("oldest", info["oldestNotification"] or "-"),
        ("retention", f"SUCCESSFUL {days(retention['successfulDays'])}, FAILED {days(retention['failedDays'])}; "
                      "IN_PROGRESS always kept"),
        ("last purge", f"{last['finishedAt']} by {last['service']}: {last['purged']:,} removed ({last.get('kind', '')})"
         if last else "never"),
    ]
    if "freeBytes" in info:
        lines.append(("free in file", f"{_size(info['freeBytes'])} (auto_vacuum {info['autoVacuum']}; "
                                      "'emswebhook db compact' returns it)"))
    width = max(len(key) for key, _ in lines)
    for key, value in lines:
        print(f"{key.ljust(width)}  {value}")
    return EXIT_OK


def db_group(commands):
    """The ``db`` subcommands (created once; other modules add theirs, e.g. ``db upgrade``)."""
    existing = commands.choices.get("db")
    if existing is not None:
        return _subcommands(existing)
    return commands.add_parser("db", help="the database: backup, compact, facts").add_subparsers(
        dest="action", required=True, metavar="ACTION")


def register(commands, listing: argparse.ArgumentParser) -> None:
    from .cli import READ_ONLY, command

    events = _subcommands(commands.choices["events"])
    purge = command(events, "purge", help="delete notifications (not IN_PROGRESS ones) with bodies and "
                    "attempts; prints the number deleted",
                    example="emswebhook events purge --status SUCCESSFUL --until 2026-11-01T00:00:00Z --yes\n"
                            "emswebhook events purge --entity-id E-1",
                    handler=events_purge)
    add_filters(purge)
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    export = command(events, "export", help="write matching notifications as CSV or NDJSON (streamed)",
                     example="emswebhook events export --format csv --status FAILED --output failed.csv\n"
                             "emswebhook events export --format ndjson --where \"entitlement.customer.name == 'Sam Smith'\"",
                     handler=events_export, **READ_ONLY)
    add_filters(export)
    export.add_argument("--format", required=True, choices=["csv", "ndjson"],
                        help="csv: the search fields; ndjson: also the payload and attempts")
    export.add_argument("--output", metavar="FILE", help="write to FILE (default: standard output)")

    db = db_group(commands)
    backup = command(db, "backup", help="consistent copy of a SQLite store while services run",
                     example="emswebhook db backup ~/emswebhook-backup.db", handler=db_backup, **READ_ONLY)
    backup.add_argument("file", metavar="FILE", help="where the copy goes (written only when complete)")
    command(db, "compact", help="vacuum a SQLite store and report the bytes freed",
            example="emswebhook db compact", handler=db_compact)
    command(db, "info", parents=[listing], help="size, rows per status, oldest, retention, last purge",
            example="emswebhook db info\nemswebhook db info --json", handler=db_info, **READ_ONLY)
