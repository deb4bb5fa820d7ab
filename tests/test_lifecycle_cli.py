"""The data-lifecycle commands through the real CLI (`emswebhook` subprocesses) on SQLite and
PostgreSQL: events purge / export, db backup | compact | info, the new search filters, and a
backup taken while `serve` delivers."""

import asyncio
import csv
import io
import json
import sqlite3
import subprocess

import pytest
import pytest_asyncio

from tests.support.processes import EXE, child_env, parent_service, start_serve
from tests.support.receiver import Receiver
from tests.support.serve import service, shared_env, store_url  # noqa: F401  (fixtures)
from tests.support.waiting import until

ADDED = {"event": "Entitlement Added", "activity": "Add Entitlement"}


def cli(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=60,
                          input=stdin if stdin is not None else "")


@pytest_asyncio.fixture
async def hook(service):
    """The webhook the events of these tests go to (nothing is delivered: no `serve` runs)."""
    await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                  "endpointUrl": "https://hooks.example.com/a", "authProfile": "Basic"})


def customer(name: str) -> dict:
    return {"entitlement": {"state": "ENABLE", "customer": {"name": name}}}


@pytest.mark.asyncio
@pytest.mark.usefixtures("hook")
async def test_search_export_and_purge_through_the_cli(service, shared_env, tmp_path):
    sam = [e for n in range(3) for e in await service.publish(
        {**ADDED, "entityId": f"E-{n}", "currentState": customer("Sam Smith")})]
    [jo] = await service.publish({**ADDED, "entityId": "E-9", "currentState": customer("Jo Doe")})

    found = cli(shared_env, "events", "search", "--where", "entitlement.customer.name == 'Sam Smith'", "--json")
    assert found.returncode == 0, found.stderr
    assert [item["eventId"] for item in json.loads(found.stdout)] == sam[::-1]
    by_entity = cli(shared_env, "events", "search", "--entity-id", "E-9", "--event", "Entitlement Added", "--json")
    assert [item["eventId"] for item in json.loads(by_entity.stdout)] == [jo]

    bad = cli(shared_env, "events", "search", "--where", "entitlement.customer.name = 'Sam'")
    assert bad.returncode == 2 and "where: column 27: " in bad.stderr, bad.stderr

    exported = cli(shared_env, "events", "export", "--format", "csv", "--where", "entitlement.state == 'ENABLE'")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout, newline="")))
    assert [row["eventId"] for row in rows] == [jo, *sam[::-1]]
    assert rows[0]["entityId"] == "E-9" and rows[0]["status"] == "IN_PROGRESS"
    out = tmp_path / "export.ndjson"
    exported = cli(shared_env, "events", "export", "--format", "ndjson", "--entity-id", "E-9", "--output", str(out))
    assert exported.returncode == 0 and exported.stdout == "", exported.stderr
    [item] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert item["payload"] == (await service.get_notification(jo))["payload"]
    assert json.loads(json.loads(item["payload"])["currentState"]) == customer("Jo Doe")

    # IN_PROGRESS ones are kept and counted on stderr; the number deleted is alone on stdout
    purged = cli(shared_env, "events", "purge", "--entity-id", "E-9", "--yes")
    assert purged.returncode == 0 and purged.stdout == "0\n"
    assert "skipped 1 IN_PROGRESS" in purged.stderr
    await service.db.run(lambda s: s.execute(
        __import__("sqlalchemy").text("UPDATE notifications SET status = 'FAILED'")))
    purged = cli(shared_env, "events", "purge", "--where", "entitlement.customer.name == 'Sam Smith'")
    assert purged.returncode == 0 and purged.stdout == "3\n", purged.stderr
    purged = cli(shared_env, "events", "purge", "--event-id", jo, "--yes")
    assert purged.stdout == "1\n" and await service.count_notifications() == 0


@pytest.mark.asyncio
@pytest.mark.usefixtures("hook")
async def test_db_backup_compact_and_info_through_the_cli(service, shared_env, tmp_path):
    made = [e for n in range(20) for e in await service.publish({**ADDED, "entityId": f"E-{n}"})]
    info = cli(shared_env, "db", "info", "--json")
    assert info.returncode == 0, info.stderr
    facts = json.loads(info.stdout)
    assert facts["total"] == 20 and facts["notifications"]["IN_PROGRESS"] == 20
    assert facts["retention"] == {"successfulDays": 30, "failedDays": 90} and facts["lastPurge"] is None
    assert facts["sizeBytes"] > 0
    backup = cli(shared_env, "db", "backup", str(tmp_path / "copy.db"))
    compact = cli(shared_env, "db", "compact")
    if facts["backend"] == "postgresql":
        assert backup.returncode == 2 and "pg_dump" in backup.stderr
        assert compact.returncode == 2 and "autovacuum" in compact.stderr
        return
    assert backup.returncode == 0, backup.stderr
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert {row[0] for row in copy.execute("SELECT event_id FROM notifications")} == set(made)
    assert compact.returncode == 0 and "bytes freed" in compact.stdout, compact.stderr


@pytest.mark.asyncio
async def test_a_backup_taken_while_serve_delivers_holds_every_committed_notification(tmp_path, monkeypatch):
    shared = child_env(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'live.db'}")
    service = await parent_service()
    serve = None
    try:
        async with Receiver() as receiver:
            await service.create_webhook({"name": "Live", "event": "Entitlement Added",
                                          "endpointUrl": receiver.url(), "authProfile": "Basic"})
            serve = await start_serve(shared)
            committed: list[str] = []
            stop = asyncio.Event()

            async def publisher():
                n = 0
                while not stop.is_set():
                    committed.extend(await service.publish({**ADDED, "entityId": f"E-{n}"}))
                    n += 1

            task = asyncio.create_task(publisher())

            async def delivering():
                return len(receiver.requests) >= 50

            await until(delivering, 60)
            before_backup = list(committed)
            backup = await asyncio.create_subprocess_exec(
                EXE, "db", "backup", str(tmp_path / "backup.db"), env=shared,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await backup.communicate()
            stop.set()
            await task
            assert backup.returncode == 0, err.decode()
            assert len(receiver.requests) > 0
        with sqlite3.connect(tmp_path / "backup.db") as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = {row[0] for row in copy.execute("SELECT event_id FROM notifications")}
            bodies = copy.execute("SELECT count(*) FROM notification_payloads").fetchone()[0]
        assert set(before_backup) <= stored and bodies == len(stored)
        assert stored <= set(committed)
    finally:
        if serve is not None:
            serve.terminate()
            await serve.wait()
        await service.close()
