"""The database itself: ``db upgrade|backup|compact|info``."""

from __future__ import annotations

from .options import READ_ONLY, command, group
from .output import EXIT_OK, emit_json, size


async def db_upgrade(_service, args) -> int:
    """Create or upgrade the schema explicitly (``serve`` and the app also do it by themselves)."""
    from ..store import Database
    from ..store.migrations_runner import current_revision, head_revision, upgrade_to_head
    from ..threads import run_blocking

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


async def db_backup(service, args) -> int:
    result = await service.backup_database(args.file)
    print(f"backed up {result['notifications']:,} notifications to {result['file']} ({size(result['bytes'])})")
    return EXIT_OK


async def db_compact(service, args) -> int:
    result = await service.compact_database()
    print(f"compacted: {size(result['bytesBefore'])} -> {size(result['bytesAfter'])}, "
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
        ("size on disk", size(info.get("sizeBytes"))),
        ("notifications", f"{info['total']:,} ({', '.join(f'{counts[k]:,} {k}' for k in counts)})"),
        ("oldest", info["oldestNotification"] or "-"),
        ("retention", f"SUCCESSFUL {days(retention['successfulDays'])}, FAILED {days(retention['failedDays'])}; "
                      "IN_PROGRESS always kept"),
        ("last purge", f"{last['finishedAt']} by {last['service']}: {last['purged']:,} removed ({last.get('kind', '')})"
         if last else "never"),
    ]
    if "freeBytes" in info:
        lines.append(("free in file", f"{size(info['freeBytes'])} (auto_vacuum {info['autoVacuum']}; "
                                      "'emswebhook db compact' returns it)"))
    width = max(len(key) for key, _ in lines)
    for key, value in lines:
        print(f"{key.ljust(width)}  {value}")
    return EXIT_OK


def register(commands, listing) -> None:
    db = group(commands, "db", help="the database itself", description="The database itself: its schema.",
               example="emswebhook db upgrade")
    command(db, "upgrade", help="create the schema, or upgrade it to this version's (serve and the app do it "
                                "by themselves; read-only commands never do)",
            example="emswebhook --db postgresql://ems@db.internal:5432/emswebhooks db upgrade",
            handler=db_upgrade, needs_service=False)
    backup = command(db, "backup", help="consistent copy of a SQLite store while services run",
                     example="emswebhook db backup ~/emswebhook-backup.db", handler=db_backup, **READ_ONLY)
    backup.add_argument("file", metavar="FILE", help="where the copy goes (written only when complete)")
    command(db, "compact", help="vacuum a SQLite store and report the bytes freed",
            example="emswebhook db compact", handler=db_compact)
    command(db, "info", parents=[listing], help="size, rows per status, oldest, retention, last purge",
            example="emswebhook db info\nemswebhook db info --json", handler=db_info, **READ_ONLY)
