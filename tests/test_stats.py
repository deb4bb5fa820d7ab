"""Delivery health (issue 19): the hourly rollups after real deliveries to loopback receivers
(success, HTTP 500, connection refused) match the notifications and attempts, and the figures
reach users through the service, ``emswebhook stats`` and ``GET /api/v1/stats``."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from emswebhook_gui import cli
from emswebhook_gui.delivery.rollups import Tally, reason_of
from emswebhook_gui.errors import ValidationError
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from emswebhook_gui.store import Database
from emswebhook_gui.store.models import DeliveryAttempt, DeliveryRollup, Notification
from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, started_engine
from tests.support.receiver import Answer, Receiver, closed_port
from tests.support.waiting import until

OCCURRENCE = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e-1"}


async def _deliveries(service, engine, clock, good, bad) -> dict:
    """Three webhooks (answering 200, answering 500, refusing connections), three occurrences,
    every automatic retry run to its end; returns the webhooks by name."""
    await service.create_profile({"name": "Basic", "type": "basic", "username": "ems", "password": "pw-123"})
    bad.answer(Answer(status=500, body=b"boom"))
    hooks = {}
    for name, url in (("ok", good.url()), ("broken", bad.url()),
                      ("refused", f"http://127.0.0.1:{closed_port()}/hook")):
        hooks[name] = await service.create_webhook({"name": name, "event": "Entitlement Added", "endpointUrl": url,
                                                    "authProfile": "Basic"})
    for n in range(3):
        await service.publish({**OCCURRENCE, "entityId": f"e-{n}"})

    async def settled():
        counts = await service.notification_counts()
        return counts["SUCCESSFUL"] == 3 and counts["FAILED"] == 6

    for _ in range(100):
        if await settled():
            break
        clock.advance(minutes=41)
        engine.wake()
        await asyncio.sleep(0.05)
    await until(settled)
    return hooks


@pytest_asyncio.fixture
async def delivered(db_url, memory_keyring):
    clock = FakeClock()
    service = await loopback_service(db_url, memory_keyring, clock, basic=None)
    engine = await started_engine(service)
    async with Receiver() as good, Receiver() as bad:
        hooks = await _deliveries(service, engine, clock, good, bad)
        yield service, engine, clock, hooks, bad
    await engine.stop()
    await service.close()


def _truth(session) -> dict:
    """The same figures by a GROUP BY over notifications and attempts (what rollups replace)."""
    attempts = dict(session.execute(
        select(Notification.webhook_name, func.count()).join(
            DeliveryAttempt, DeliveryAttempt.notification_seq == Notification.seq)
        .group_by(Notification.webhook_name)).all())
    failed = dict(session.execute(
        select(Notification.webhook_name, func.count()).join(
            DeliveryAttempt, DeliveryAttempt.notification_seq == Notification.seq)
        .where(DeliveryAttempt.error.is_not(None)).group_by(Notification.webhook_name)).all())
    ended = dict(session.execute(select(Notification.webhook_name, func.count()).where(
        Notification.status == "FAILED").group_by(Notification.webhook_name)).all())
    return {name: (attempts[name] - failed.get(name, 0), failed.get(name, 0), ended.get(name, 0))
            for name in attempts}


@pytest.mark.asyncio
async def test_rollups_after_real_deliveries_match_the_notifications(delivered):
    service, _engine, _clock, _hooks, _bad = delivered
    stats = await service.stats(24)
    truth = await service.db.run(_truth)
    by_name = {row["webhookName"]: row for row in stats["webhooks"]}
    assert {name: (row["delivered"], row["failedAttempts"], row["endedFailed"])
            for name, row in by_name.items()} == truth
    assert truth == {"ok": (3, 0, 0), "broken": (0, 12, 3), "refused": (0, 12, 3)}
    assert by_name["ok"]["successRate"] == 1.0 and by_name["broken"]["successRate"] == 0.0
    assert by_name["ok"]["p50Ms"] is not None and by_name["ok"]["p95Ms"] >= by_name["ok"]["p50Ms"]
    assert by_name["broken"]["lastError"].startswith("HTTP 500")
    assert by_name["refused"]["lastError"].startswith("connection refused")
    assert by_name["ok"]["lastError"] is None
    assert {r["reason"]: (r["count"], r["webhooks"]) for r in stats["topReasons"]} == {
        "HTTP 500": (12, ["broken"]), "connection refused": (12, ["refused"])}
    totals = stats["totals"]
    assert (totals["attempts"], totals["delivered"], totals["failedAttempts"], totals["endedFailed"]) == (27, 3, 24, 6)
    for series in ("delivered", "failedAttempts", "endedFailed"):
        assert sum(b[series] for b in stats["buckets"]) == totals[series]
    assert len(stats["buckets"]) == 24 and stats["bucketHours"] == 1
    for row in stats["webhooks"]:
        spark = row["sparkline"]
        assert len(spark["delivered"]) == 24
        assert (sum(spark["delivered"]), sum(spark["failedAttempts"])) == (row["delivered"], row["failedAttempts"])


@pytest.mark.asyncio
async def test_seven_days_come_in_six_hour_buckets_and_old_hours_drop_out(delivered):
    service, _engine, clock, _hooks, _bad = delivered
    week = await service.stats(168)
    assert week["bucketHours"] == 6 and len(week["buckets"]) == 28
    assert week["totals"]["attempts"] == 27
    clock.advance(days=8)
    later = await service.stats(168)
    assert later["totals"]["attempts"] == 0 and later["topReasons"] == []
    assert {row["webhookName"] for row in later["webhooks"]} == {"ok", "broken", "refused"}


@pytest.mark.asyncio
async def test_a_manual_retry_counts_its_attempts_and_marking_successful_counts_nothing(delivered):
    service, engine, clock, _hooks, bad = delivered
    bad.answer(Answer(status=200))
    assert await service.retry_notifications(filters={"webhook": "broken"}) == 3
    await until(lambda: _status_count(service, "SUCCESSFUL", 6))
    before = {row["webhookName"]: row for row in (await service.stats(24))["webhooks"]}
    assert (before["broken"]["delivered"], before["broken"]["failedAttempts"], before["broken"]["endedFailed"]) \
        == (3, 12, 3)
    assert await service.mark_successful(filters={"webhook": "refused"}) == 3
    after = {row["webhookName"]: row for row in (await service.stats(24))["webhooks"]}
    assert after == before


async def _status_count(service, status, n):
    return (await service.notification_counts())[status] == n


@pytest.mark.parametrize("hours", [0, 169, -1, "x", "1.5", True, None])
@pytest.mark.asyncio
async def test_hours_out_of_range_name_the_field_and_the_rule(service, hours):
    with pytest.raises(ValidationError) as caught:
        await service.stats(hours)
    [error] = caught.value.errors
    assert error.field == "hours" and "1 to 168" in error.message


@pytest.mark.asyncio
async def test_concurrent_upserts_lose_no_increment(db_url):
    """Several services' recorders adding to the same webhook's hour at once (each its own
    connection and transaction): every increment arrives."""
    hour = datetime(2026, 11, 28, 12, tzinfo=UTC)
    db = Database(db_url)
    errors: list[BaseException] = []

    def recorder() -> None:
        try:
            for _ in range(25):
                with db.session() as session:
                    tally = Tally()
                    tally.attempt("w-1", True, 3.0)
                    tally.attempt("w-1", False, 30.0, "HTTP 500 Internal Server Error")
                    tally.ended_failed("w-2")
                    tally.write(session.connection(), hour)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=recorder) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with db.session() as session:
            rows = {r.webhook_id: r for r in session.scalars(select(DeliveryRollup))}
        assert (rows["w-1"].delivered, rows["w-1"].failed_attempts, rows["w-2"].ended_failed) == (150, 150, 150)
        assert rows["w-1"].le_02 == 150 and rows["w-1"].le_05 == 150  # 3 ms <= 5, 30 ms <= 50
        assert rows["w-1"].last_error == "HTTP 500 Internal Server Error"
    finally:
        db.close()


def test_reasons_are_grouped_from_what_attempts_record():
    assert reason_of("HTTP 503 Service Unavailable; paused until 12:05") == "HTTP 503"
    assert reason_of("connection refused (127.0.0.1:9)") == "connection refused"
    assert reason_of("TLS error: the certificate of a.example:443 has expired; the endpoint's certificate must "
                     "be renewed (certificate has expired)") == "certificate has expired"
    assert reason_of("timed out after 15 s") == "timed out"
    assert reason_of("DNS lookup failed for nowhere.invalid: Name or service not known") == "DNS lookup failed"
    assert reason_of("webhook 'x' is disabled; the notification was not sent") == "webhook disabled"
    assert reason_of(None) == "unknown"


# -- the CLI and the REST API -------------------------------------------------------------------


def test_the_cli_prints_a_table_and_json(sqlite_url, memory_keyring, monkeypatch, capsys):
    async def prepare():
        clock = FakeClock(datetime.now(UTC) - timedelta(hours=5))  # the retries run about 2 h ahead
        service = await WebhookService.open(sqlite_url, secrets=SecretStore(memory_keyring), clock=clock)
        await service.set_property("allowPrivateEndpoints", True)
        engine = service.delivery_engine(poll_interval=0.05)
        await engine.start()
        async with Receiver() as good, Receiver() as bad:
            await _deliveries(service, engine, clock, good, bad)
        await engine.stop()
        await service.close()

    asyncio.run(prepare())
    monkeypatch.setenv("EMSWEBHOOK_DATABASE_URL", sqlite_url)
    assert cli.main(["stats", "--json", "--hours", "168"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hours"] == 168 and data["totals"]["delivered"] == 3
    assert cli.main(["stats"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("last 24 h") and "27 attempts" in lines[0] and "6 ended FAILED" in lines[0]
    [broken] = [line for line in lines if line.startswith("broken ")]
    assert "0.0%" in broken and "HTTP 500" in broken
    assert any(line.startswith("HTTP 500") and " 12 " in line for line in lines)
    with pytest.raises(SystemExit) as caught:
        cli.main(["stats", "--hours", "0"])
    assert caught.value.code == 2
    assert "--hours: must be a whole number of hours from 1 to 168" in capsys.readouterr().err


@pytest.mark.asyncio
async def test_the_rest_api_serves_stats_and_refuses_bad_hours(sqlite_url, memory_keyring):
    from tests.test_api import api_env, assert_problem

    async with api_env(sqlite_url, memory_keyring) as env:
        async with Receiver() as bad:
            await _deliveries(env.service, env.engine, env.clock, env.receiver, bad)
            reply = await env.client.get("/stats?hours=168")
            assert reply.status == 200 and reply.json == await env.service.stats(168)
            assert reply.json["totals"]["failedAttempts"] == 24
            assert (await env.client.get("/stats")).json["hours"] == 24
            for query in ("hours=0", "hours=169", "hours=abc", "days=1"):
                body = assert_problem(await env.client.get(f"/stats?{query}"), 400)
                fields = [e["field"] for e in body["errors"]]
                assert fields == (["days"] if query == "days=1" else ["hours"]), (query, body)
