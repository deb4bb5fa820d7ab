"""Data lifecycle through the service, on a real SQLite file and the real PostgreSQL: retention
with the injected clock, purge on demand, the hourly schedule, exports that parse and round-trip
the payload, backups and compaction, and the search filters by entity, event, activity and state.

Ages and final states are set with plain SQL (a test clock cannot age rows written in the past);
everything asserted goes through the service."""

import asyncio
import csv
import io
import json
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text, update

from emswebhook_gui.delivery import outbox
from emswebhook_gui.errors import Conflict, NotFound, ValidationError
from emswebhook_gui.lifecycle.retention import RetentionSchedule
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from emswebhook_gui.store.models import DeliveryAttempt, Notification, NotificationPayload, Occurrence
from tests.support.clock import FakeClock
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio

ADDED = {"event": "Entitlement Added", "activity": "Add Entitlement"}


def state(name: str, state: str = "ENABLE") -> dict:
    return {"entitlement": {"id": "x", "state": state, "customer": {"name": name}}}


@pytest_asyncio.fixture
async def env(db_url, memory_keyring):
    clock = FakeClock()
    service = await WebhookService.open(db_url, secrets=SecretStore(memory_keyring), clock=clock)
    await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
    await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                  "endpointUrl": "https://hooks.example.com/a", "authProfile": "Basic"})
    yield service, clock
    await service.close()


async def publish(service, entity_id: str, current: dict | None = None, **extra) -> str:
    [event_id] = await service.publish({**ADDED, "entityId": entity_id,
                                        **({"currentState": current} if current else {}), **extra})
    return event_id


async def set_rows(service, event_ids, *, status: str | None = None, age_days: float | None = None,
                   attempts: int = 0) -> None:
    """Give notifications a final state and an age, and ``attempts`` recorded attempts."""
    now = service.clock()

    def work(session):
        values = {}
        if status is not None:
            values["status"] = status
        if age_days is not None:
            values["created_at"] = now - timedelta(days=age_days)
        session.execute(update(Notification).where(Notification.event_id.in_(event_ids)).values(**values))
        for seq in session.scalars(select(Notification.seq).where(Notification.event_id.in_(event_ids))):
            for number in range(1, attempts + 1):
                session.add(DeliveryAttempt(notification_seq=seq, number=number, kind="auto", started_at=now,
                                            duration_ms=1.0, status_code=500, error="HTTP 500"))

    await service.db.run(work)


async def table_counts(service) -> dict:
    def work(session):
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Notification, NotificationPayload, DeliveryAttempt, Occurrence)}

    return await service.db.run(work)


async def ids(service, **filters) -> list[str]:
    items, cursor = [], None
    while True:
        page = await service.search_notifications(filters, limit=1000, cursor=cursor)
        items += [item["eventId"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return items


# -- retention --------------------------------------------------------------------------------------


async def test_retention_removes_rows_past_each_limit_with_body_and_attempts(env):
    service, clock = env
    old_ok = [await publish(service, f"s{n}") for n in range(3)]
    young_ok = await publish(service, "s-young")
    old_failed = await publish(service, "f-old")
    young_failed = await publish(service, "f-young")
    old_running = await publish(service, "r-old")
    await set_rows(service, old_ok, status="SUCCESSFUL", age_days=31, attempts=2)
    await set_rows(service, [young_ok], status="SUCCESSFUL", age_days=29, attempts=1)
    await set_rows(service, [old_failed], status="FAILED", age_days=91, attempts=4)
    await set_rows(service, [young_failed], status="FAILED", age_days=60, attempts=4)
    await set_rows(service, [old_running], age_days=400, attempts=3)  # still IN_PROGRESS
    before = await table_counts(service)
    assert before == {"notifications": 7, "notification_payloads": 7, "delivery_attempts": 18, "occurrences": 7}

    result = await service.purge_expired()

    assert result["purged"] == 4 and result["byStatus"] == {"SUCCESSFUL": 3, "FAILED": 1}
    assert sorted(await ids(service)) == sorted([young_ok, young_failed, old_running])
    assert await table_counts(service) == {"notifications": 3, "notification_payloads": 3,
                                           "delivery_attempts": 1 + 4 + 3, "occurrences": 3}
    info = await service.database_info()
    assert info["lastPurge"]["purged"] == 4 and info["lastPurge"]["kind"] == "retention"
    assert info["retention"] == {"successfulDays": 30, "failedDays": 90}

    # the limits move with the clock; 0 keeps forever
    await service.set_property("retentionFailedDays", 0)
    clock.advance(days=2)
    result = await service.purge_expired()
    assert result["byStatus"] == {"SUCCESSFUL": 1}
    assert sorted(await ids(service)) == sorted([young_failed, old_running])


async def test_an_occurrence_that_notified_nobody_goes_after_the_successful_limit(env):
    service, clock = env
    assert await service.publish({"event": "Customer Added", "activity": "Add Customer", "entityId": "c-1",
                                  "currentState": {"customer": {"email": "sam@example.com"}}}) == []
    clock.advance(days=29)
    await service.purge_expired()
    assert (await table_counts(service))["occurrences"] == 1
    clock.advance(days=2)
    assert (await service.purge_expired())["occurrences"] == 1
    assert (await table_counts(service))["occurrences"] == 0


async def test_a_sibling_without_data_keeps_finding_its_state_after_the_body_carrying_it_is_purged(env):
    service, clock = env
    await service.create_webhook({"name": "No data", "event": "Entitlement Added", "includeData": False,
                                  "endpointUrl": "https://hooks.example.com/b", "authProfile": "Basic"})
    with_data, without = await service.publish({**ADDED, "entityId": "e-1", "currentState": state("Sam Smith")})
    where = {"where": "entitlement.customer.name == 'Sam Smith'"}
    assert sorted(await ids(service, **where)) == sorted([with_data, without])
    details = {e: await service.get_notification(e) for e in (with_data, without)}
    carrier = with_data if "currentState" in details[with_data]["payload"] else without
    other = without if carrier == with_data else with_data
    await set_rows(service, [carrier], status="SUCCESSFUL", age_days=40)
    await set_rows(service, [other], status="FAILED", age_days=40)
    await service.purge_expired()
    assert await ids(service, **where) == [other]


async def test_the_background_schedule_runs_soon_after_start_and_stops(env):
    service, _clock = env
    event_id = await publish(service, "e-1")
    await set_rows(service, [event_id], status="SUCCESSFUL", age_days=45)
    schedule = RetentionSchedule(service, "test-owner", first_delay=0.0, interval=3600)
    schedule.start()
    try:
        async def ran():
            return schedule.runs

        await until(ran)
    finally:
        await schedule.stop()
    assert schedule.last.purged == 1 and await ids(service) == []
    assert (await service.database_info())["lastPurge"]["service"] == "test-owner"


async def test_an_engine_owns_a_retention_schedule_due_within_a_minute(env):
    service, _clock = env
    engine = service.delivery_engine(poll_interval=0.05)
    await engine.start()
    try:
        assert engine.retention.running
        assert 0 < engine.retention.first_delay <= 60 and engine.retention.interval == 3600
    finally:
        await engine.stop()
    assert not engine.retention.running
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "emswebhook-retention"]


@pytest.mark.postgres
async def test_two_services_on_postgresql_purge_without_deadlock_or_double_work(pg_url, memory_keyring):
    clock = FakeClock()
    services = [await WebhookService.open(pg_url, secrets=SecretStore(memory_keyring), clock=clock)
                for _ in range(2)]
    try:
        first = services[0]
        await first.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
        await first.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                    "endpointUrl": "https://hooks.example.com/a", "authProfile": "Basic"})
        await bulk_notifications(first, 5000, status="SUCCESSFUL", age_days=40)
        results = await asyncio.gather(*(s.purge_expired(f"s{n}") for n, s in enumerate(services)))
        assert sum(r["purged"] for r in results) == 5000
        assert (await table_counts(first))["notifications"] == 0
        # the one that found the lock taken stopped, rather than deleting beside the other
        assert any(r["lockedOut"] for r in results) or min(r["purged"] for r in results) == 0
    finally:
        for s in services:
            await s.close()


# -- purge on demand ------------------------------------------------------------------------------


async def test_purge_by_filters_keeps_in_progress_and_reports_them(env):
    service, _clock = env
    done = [await publish(service, "e-1") for _ in range(3)]
    running = await publish(service, "e-1")
    elsewhere = await publish(service, "e-2")
    await set_rows(service, done + [elsewhere], status="FAILED", attempts=1)
    assert await service.purge_notifications(filters={"entityId": "e-1"}) == {"purged": 3, "skippedInProgress": 1}
    assert sorted(await ids(service)) == sorted([running, elsewhere])
    assert await service.purge_notifications(event_id=elsewhere) == {"purged": 1, "skippedInProgress": 0}
    assert await service.purge_notifications(event_id=running) == {"purged": 0, "skippedInProgress": 1}
    with pytest.raises(NotFound):
        await service.purge_notifications(event_id=elsewhere)
    counts = await table_counts(service)
    assert counts == {"notifications": 1, "notification_payloads": 1, "delivery_attempts": 0, "occurrences": 1}


async def test_purge_with_where_deletes_only_matching_states(env):
    service, _clock = env
    sam = [await publish(service, f"e{n}", state("Sam Smith")) for n in range(5)]
    jo = [await publish(service, f"j{n}", state("Jo Doe")) for n in range(5)]
    await set_rows(service, sam + jo, status="SUCCESSFUL")
    result = await service.purge_notifications(filters={"where": "entitlement.customer.name == 'Sam Smith'"})
    assert result == {"purged": 5, "skippedInProgress": 0}
    assert sorted(await ids(service)) == sorted(jo)


# -- filters ----------------------------------------------------------------------------------------


async def test_event_and_activity_filters_are_checked_against_the_catalogue(env):
    service, _clock = env
    event_id = await publish(service, "e-1")
    assert await ids(service, event="Entitlement Added", activity="Add Entitlement") == [event_id]
    assert await ids(service, event="Entitlement Updated") == []
    with pytest.raises(ValidationError) as refused:
        await service.search_notifications({"event": "Entitlement Addd"})
    assert refused.value.for_field("event").endswith("did you mean 'Entitlement Added'?")
    with pytest.raises(ValidationError) as refused:
        await service.search_notifications({"event": "Entitlement Added", "activity": "Add Customer"})
    assert "not an activity of 'Entitlement Added'" in refused.value.for_field("activity")
    with pytest.raises(ValidationError) as refused:
        await service.search_notifications({"where": "entitlement.state = 'X'"})
    assert refused.value.for_field("where").startswith("column 19: ")


async def test_where_pages_with_the_cursor_across_many_scan_steps(env, monkeypatch):
    from emswebhook_gui import notifications

    monkeypatch.setattr(notifications, "SCAN_CHUNK", 7)
    service, _clock = env
    expected = []
    for n in range(60):
        event_id = await publish(service, f"e{n}", state("Sam Smith" if n % 3 == 0 else "Jo Doe"))
        if n % 3 == 0:
            expected.append(event_id)
    where = {"where": "entitlement.customer.name == 'Sam Smith'"}
    pages, cursor = [], None
    while True:
        page = await service.search_notifications(where, limit=6, cursor=cursor)
        pages.append([item["eventId"] for item in page["items"]])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [6, 6, 6, 2]
    assert [e for p in pages for e in p] == expected[::-1]
    assert await service.count_notifications(where) == 20


async def test_where_searches_and_counts_go_on_while_the_database_worker_is_busy(env):
    """A ``--where`` scan reads on readers of its own (``Database.read``): a search or a count
    answers while the worker is held (by a purge step, a burst of publishes), and holds none of
    them up in turn."""
    service, _clock = env
    sam = await publish(service, "e1", state("Sam Smith"))
    await publish(service, "e2", state("Jo Doe"))
    release = threading.Event()
    held = asyncio.ensure_future(service.db.run_raw(lambda: release.wait(10)))
    try:
        where = {"where": "entitlement.customer.name == 'Sam Smith'"}
        page = await asyncio.wait_for(service.search_notifications(where), timeout=5)
        assert [item["eventId"] for item in page["items"]] == [sam]
        assert await asyncio.wait_for(service.count_notifications(where), timeout=5) == 1
        assert not held.done()  # the worker was busy all along
    finally:
        release.set()
        await held


async def test_previous_state_paths_read_the_state_before(env):
    service, _clock = env
    await service.create_webhook({"name": "Updates", "event": "Entitlement Updated",
                                  "endpointUrl": "https://hooks.example.com/u", "authProfile": "Basic"})
    [event_id] = await service.publish({"event": "Entitlement Updated", "activity": "Update Entitlement",
                                        "entityId": "e-1", "currentState": state("Sam Smith", "DISABLE"),
                                        "previousState": state("Sam Smith", "ENABLE")})
    expr = "previousState.entitlement.state == 'ENABLE' && entitlement.state == 'DISABLE'"
    assert await ids(service, where=expr) == [event_id]
    assert await ids(service, where="previousState.entitlement.state == 'DISABLE'") == []


async def test_retry_and_mark_successful_take_where(env):
    service, _clock = env
    sam = [await publish(service, f"e{n}", state("Sam Smith")) for n in range(3)]
    jo = await publish(service, "j", state("Jo Doe"))
    await set_rows(service, sam + [jo], status="FAILED")
    where = {"where": "entitlement.customer.name == 'Sam Smith'"}
    assert await service.mark_successful(filters=where, by="ops") == 3
    assert sorted(await ids(service, status="SUCCESSFUL")) == sorted(sam)
    assert await service.retry_notifications(filters={"where": "entitlement.customer.name == 'Jo Doe'"}) == 1
    assert await ids(service, status="IN_PROGRESS") == [jo]


# -- export, backup, compact, info ----------------------------------------------------------------


async def test_export_parses_as_csv_and_ndjson_and_round_trips_the_payload(env):
    service, _clock = env
    tricky = {"entitlement": {"customer": {"name": "Zoë \"Q\" O'Neil,\nline 2"}, "state": "ENABLE"}}
    made = [await publish(service, f"e{n}", tricky if n == 1 else state("Sam")) for n in range(3)]
    await set_rows(service, made[:1], status="FAILED", attempts=2)
    text_csv = "".join([chunk async for chunk in service.export_notifications({}, "csv")])
    rows = list(csv.DictReader(io.StringIO(text_csv, newline="")))
    assert [row["eventId"] for row in rows] == made[::-1]
    assert rows[-1]["status"] == "FAILED" and rows[-1]["attempts"] == "0"  # attempts counter untouched by setup
    ndjson = "".join([chunk async for chunk in service.export_notifications({"entityId": "e1"}, "ndjson")])
    [line] = ndjson.splitlines()
    item = json.loads(line)
    details = await service.get_notification(made[1])
    assert item["payload"] == details["payload"]
    assert json.loads(json.loads(item["payload"])["currentState"]) == tricky
    failed = json.loads("".join([c async for c in service.export_notifications({"status": "FAILED"}, "ndjson")]))
    assert [a["statusCode"] for a in failed["attemptHistory"]] == [500, 500]
    empty = "".join([c async for c in service.export_notifications({"entityId": "none"}, "csv")])
    assert empty.splitlines() == [",".join(list(csv.DictReader(io.StringIO(text_csv)).fieldnames))]
    with pytest.raises(ValidationError):
        service.export_notifications({}, "xml")


async def test_backup_compact_and_info(env, tmp_path):
    service, _clock = env
    made = [await publish(service, f"e{n}", state("Sam Smith" * 50)) for n in range(300)]
    if not service.db.is_sqlite:
        with pytest.raises(Conflict, match="pg_dump"):
            await service.backup_database(str(tmp_path / "b.db"))
        with pytest.raises(Conflict, match="autovacuum"):
            await service.compact_database()
        info = await service.database_info()
        assert info["backend"] == "postgresql" and info["sizeBytes"] > 0 and info["total"] == 300
        assert "password" not in info["url"]
        return
    result = await service.backup_database(str(tmp_path / "backup.db"))
    assert result["notifications"] == 300
    with sqlite3.connect(tmp_path / "backup.db") as copy:
        assert {r[0] for r in copy.execute("SELECT event_id FROM notifications")} == set(made)
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    await set_rows(service, made, status="SUCCESSFUL", age_days=40)
    before = await service.database_info()
    assert before["autoVacuum"] == "incremental" and before["total"] == 300
    await service.purge_expired()
    after_purge = await service.database_info()
    assert after_purge["total"] == 0 and after_purge["lastPurge"]["freedBytes"] > 0
    compacted = await service.compact_database()
    assert compacted["bytesAfter"] <= compacted["bytesBefore"]


# -- a purge of many rows while deliveries go on ---------------------------------------------------


async def bulk_notifications(service, count: int, *, status: str, age_days: float, entity: str = "bulk") -> None:
    """``count`` notifications with bodies and one attempt each, written with set-based SQL
    (publishing them one by one would take minutes)."""
    created = service.clock() - timedelta(days=age_days)
    webhook = (await service.list_webhooks())[0]
    stamp = created.replace(tzinfo=None).isoformat(" ") if service.db.is_sqlite else created
    body = json.dumps({"eventName": "Entitlement Added", "currentState": json.dumps(state("Bulk Customer"))})
    series = ("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) SELECT n FROM s"
              if service.db.is_sqlite else "SELECT generate_series(1, :count) AS n")
    key = "printf('%08d', n)" if service.db.is_sqlite else "lpad(n::text, 8, '0')"
    params = {"count": count, "created": stamp, "webhook": webhook["id"], "status": status, "body": body,
              "entity": entity}

    def work(session):
        session.execute(text(
            f"INSERT INTO occurrences (id, event_name, entity_name, activity_name, entity_id, url, request_id, "
            f"op_datetime, created_at) SELECT 'occ-' || :entity || {key}, 'Entitlement Added', 'Entitlement', "
            f"'Add Entitlement', :entity, '', 'req', :created, :created FROM ({series}) AS s"), params)
        session.execute(text(
            f"INSERT INTO notifications (event_id, occurrence_id, webhook_id, webhook_name, event_name, "
            f"activity_name, entity_id, endpoint_url, status, round_kind, round_attempts, attempts, created_at, "
            f"updated_at) SELECT 'ev-' || :entity || {key}, 'occ-' || :entity || {key}, :webhook, 'Hook', "
            f"'Entitlement Added', 'Add Entitlement', :entity, 'https://x', :status, 'auto', 1, 1, :created, "
            f":created FROM ({series}) AS s"), params)
        session.execute(text(
            f"INSERT INTO notification_payloads (event_id, payload) SELECT 'ev-' || :entity || {key}, :body "
            f"FROM ({series}) AS s"), params)
        session.execute(text(
            "INSERT INTO delivery_attempts (notification_seq, number, kind, started_at, duration_ms, status_code) "
            "SELECT seq, 1, 'auto', created_at, 1.0, 200 FROM notifications WHERE entity_id = :entity"), params)

    await service.db.run(work)


def measure_record_waits(service, monkeypatch) -> list[float]:
    """How long each delivery record waits on the database worker before it runs (behind a
    purge batch, say): the time from the engine's call until its transaction starts. Every call
    is timed; the waits kept are those of the transactions that record outcomes."""
    original_run = service.db.run
    original_record = outbox.record
    waits: list[float] = []
    current = threading.local()

    async def run(fn):
        submitted = time.perf_counter()

        def timed(session):
            current.wait = time.perf_counter() - submitted
            return fn(session)

        return await original_run(timed)

    def record(session, *args, **kwargs):
        waits.append(current.wait)
        return original_record(session, *args, **kwargs)

    service.db.run = run
    monkeypatch.setattr(outbox, "record", record)
    return waits


async def test_a_purge_of_many_rows_runs_beside_deliveries_that_keep_being_recorded(db_url, memory_keyring, monkeypatch):
    """The purge works in short transactions, so deliveries go on being recorded while it runs and
    every event published meanwhile is delivered. How long records wait is a figure, not a test:
    tests/benchmarks/bench_lifecycle.py prints it (p99 with and without a purge, at full size)."""
    from tests.support.receiver import Receiver

    rows = 20_000 if db_url.startswith("sqlite") else 10_000
    service = await WebhookService.open(db_url, secrets=SecretStore(memory_keyring))
    try:
        async with Receiver() as receiver:
            await service.set_property("allowPrivateEndpoints", True)
            await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
            await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                          "endpointUrl": receiver.url(), "authProfile": "Basic"})
            await bulk_notifications(service, rows, status="SUCCESSFUL", age_days=40)
            waits = measure_record_waits(service, monkeypatch)
            engine = service.delivery_engine(poll_interval=0.05)
            await engine.start()
            published = []

            async def publisher():
                while True:
                    published.extend(await service.publish({**ADDED, "entityId": "live"}))
                    await asyncio.sleep(0.002)

            task = asyncio.create_task(publisher())
            try:
                deadline = asyncio.get_running_loop().time() + 30
                while len(waits) < 5 and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.02)  # until deliveries are being recorded
                waits.clear()
                result = await service.purge_expired()
                recorded_during_the_purge = len(waits)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

            async def undelivered() -> int:  # a publish cut short by the cancel may still have been written
                return (await service.count_notifications({"entityId": "live"})
                        - await service.count_notifications({"entityId": "live", "status": "SUCCESSFUL"}))

            async def left_to_purge() -> int:  # when the engine's own hourly run held the purge lock,
                # this run ended ("lockedOut") and that one goes on: wait for it before stopping the engine
                return await service.count_notifications({"entityId": "bulk"}) if result["lockedOut"] else 0

            deadline = asyncio.get_running_loop().time() + 30
            while ((await undelivered() or await left_to_purge())
                   and asyncio.get_running_loop().time() < deadline):
                await asyncio.sleep(0.05)
            await engine.stop()
        # the engine's own schedule may have run beside this purge: together they removed all
        assert await service.count_notifications({"entityId": "bulk"}) == 0 and result["purged"] > 0
        assert recorded_during_the_purge > 0, "no delivery was recorded while the purge ran"
        assert published and await undelivered() == 0
    finally:
        await service.close()


async def test_a_purge_batch_commits_early_when_other_work_waits_and_the_purge_still_removes_all(env):
    """A batch deletes in slices and stops after one when somebody waits for the database worker
    (a publish, a delivery record): they wait behind a slice, not a whole batch. The rows left
    go in the next batches; the vacuum steps after it stop early the same way."""
    from emswebhook_gui.lifecycle import retention

    service, _clock = env
    await bulk_notifications(service, 300, status="SUCCESSFUL", age_days=40)
    cutoff = service.clock() - timedelta(days=30)

    first = await service.db.run(lambda s: retention.retention_batch(s, "SUCCESSFUL", cutoff, 200, lambda: True))
    assert first == (retention.SLICE_ROWS, True)
    undisturbed = await service.db.run(lambda s: retention.retention_batch(s, "SUCCESSFUL", cutoff, 200))
    assert undisturbed == (200, True)
    assert await service.count_notifications({"entityId": "bulk"}) == 300 - retention.SLICE_ROWS - 200

    result = await service.purge_expired()
    assert result["purged"] == 300 - retention.SLICE_ROWS - 200
    assert await table_counts(service) == {"notifications": 0, "notification_payloads": 0,
                                           "delivery_attempts": 0, "occurrences": 0}
    if service.db.is_sqlite:  # the file's free pages: returned a slice at a time when others wait
        await bulk_notifications(service, 300, status="SUCCESSFUL", age_days=40, entity="again")
        await service.db.run(lambda s: retention.retention_batch(s, "SUCCESSFUL", cutoff, 300))
        page = await service.db.run(lambda s: s.execute(text("PRAGMA page_size")).scalar())
        freed = await service.db.run_raw(lambda: retention.vacuum_step(service.db.engine, 256, lambda: True))
        assert freed == retention.VACUUM_SLICE * page
        rest = await service.db.run_raw(lambda: retention.vacuum_step(service.db.engine, 100_000))
        assert rest > 0


async def test_compact_empties_the_log_even_while_another_connection_checkpoints_it(tmp_path):
    """A checkpoint refuses at once while another runs (a service's checkpoint thread copies the
    log the VACUUM just filled): compaction tries again rather than leave the file and its log
    at their old size."""
    from emswebhook_gui.lifecycle.backup import compact_sqlite
    from emswebhook_gui.store import Database

    path = tmp_path / "c.db"
    database = Database(f"sqlite:///{path}")
    database.close()
    with sqlite3.connect(path, isolation_level=None) as writer:
        writer.execute("CREATE TABLE filler (body TEXT)")
        writer.execute("INSERT INTO filler SELECT hex(randomblob(2000)) FROM "
                       "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000) SELECT n FROM s)")
        writer.execute("DELETE FROM filler")
    stop = threading.Event()

    def checkpoints():  # what store/checkpoint.py does, without its pauses
        with sqlite3.connect(path, isolation_level=None, check_same_thread=False) as other:
            while not stop.is_set():
                other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    thread = threading.Thread(target=checkpoints)
    thread.start()
    try:
        result = await asyncio.to_thread(compact_sqlite, path)
    finally:
        stop.set()
        thread.join()
    assert Path(f"{path}-wal").stat().st_size == 0
    assert result["bytesAfter"] < result["bytesBefore"] / 4


async def test_the_vacuum_moves_a_page_at_a_time_after_a_slow_statement_and_speeds_up_again():
    """Moving a page still in use searches the whole free list (14 ms for 8 pages with 700,000
    free): after such a statement the vacuum goes a page at a time, so others wait for a page,
    not eight."""
    from emswebhook_gui.lifecycle.retention import SLICE_SECONDS, VACUUM_SLICE, VacuumPace

    pace = VacuumPace()
    assert pace.pages == VACUUM_SLICE
    pace.took(SLICE_SECONDS * 14)
    assert pace.pages == 1
    pace.took(SLICE_SECONDS / 2)  # neither slow nor fast: stays
    assert pace.pages == 1
    sizes = []
    for _ in range(5):
        pace.took(SLICE_SECONDS / 10)
        sizes.append(pace.pages)
    assert sizes == [2, 4, 8, 8, 8]
