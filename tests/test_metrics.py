"""``GET /metrics`` as Prometheus scrapes it, after real deliveries to loopback receivers, parsed
with prometheus-client's own parser: counters by outcome and webhook, the attempt histogram, the
database gauges (cached), in-flight, the oldest due notification; the bearer token unless
``metricsOpen``; one registry per service."""

from __future__ import annotations

import asyncio

import aiohttp
import prometheus_client
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from emswebhook_gui import metrics
from emswebhook_gui.api import start_api
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, started_engine
from tests.support.receiver import Receiver
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio
TOKEN = "metrics-test-token-51c2"


@pytest_asyncio.fixture
async def served(db_url, memory_keyring):
    clock = FakeClock()
    service = await loopback_service(db_url, memory_keyring, clock)
    engine = await started_engine(service)
    api = await start_api(service, port=0, token=TOKEN, access_log_enabled=False)
    try:
        yield service, engine, clock, api
    finally:
        await api.stop()
        await engine.stop()
        await service.close()


async def scrape(url: str, token: str | None = TOKEN) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers) as response:
            return response.status, response.headers.get("Content-Type", ""), await response.text()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def metrics_url(api) -> str:
    return api.url.removesuffix("/api/v1") + "/metrics"


async def publish(service, n: int) -> list[str]:
    ids = []
    for i in range(n):
        ids += await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": f"e{i}"})
    return ids


async def test_metrics_after_real_deliveries(served):
    service, engine, clock, api = served
    async with Receiver() as good, Receiver() as bad:
        bad.answer(status=503)
        for name, receiver in (("Good", good), ("Bad", bad)):
            await service.create_webhook({"name": name, "event": "Entitlement Added",
                                          "endpointUrl": receiver.url(), "authProfile": "Basic"})
        await publish(service, 5)

        async def settled():
            counts = await service.notification_counts()
            return counts["SUCCESSFUL"] == 5 and len(bad.requests) == 5 and engine.in_flight == 0

        await until(settled)
        metrics.for_service(service).cache_seconds = 0
        status, content_type, text = await scrape(metrics_url(api))
    assert status == 200 and content_type.startswith("text/plain")
    found = samples(text)
    assert found[("emswebhook_deliveries_total", (("outcome", "success"),))] == 5
    assert found[("emswebhook_deliveries_total", (("outcome", "failure"),))] == 5
    assert found[("emswebhook_webhook_deliveries_total", (("outcome", "success"), ("webhook", "Good")))] == 5
    assert found[("emswebhook_webhook_deliveries_total", (("outcome", "failure"), ("webhook", "Bad")))] == 5
    assert found[("emswebhook_attempt_duration_seconds_count", ())] == 10
    assert found[("emswebhook_attempt_duration_seconds_bucket", (("le", "+Inf"),))] == 10
    assert 0 < found[("emswebhook_attempt_duration_seconds_sum", ())] < 10
    assert found[("emswebhook_notifications", (("status", "SUCCESSFUL"),))] == 5
    assert found[("emswebhook_notifications", (("status", "IN_PROGRESS"),))] == 5
    assert found[("emswebhook_notifications", (("status", "FAILED"),))] == 0
    assert found[("emswebhook_in_flight", ())] == 0
    assert found[("emswebhook_oldest_due_seconds", ())] == 0  # the retries fall due in 5 minutes

    # the retries are due for 2 minutes and nobody sends them (paused): the backlog shows
    engine.pause()
    clock.advance(minutes=7)
    found = samples((await scrape(metrics_url(api)))[2])
    assert found[("emswebhook_oldest_due_seconds", ())] == pytest.approx(120, abs=1)

    # database figures are cached: a change within the cache time shows at the next refresh
    metrics.for_service(service).cache_seconds = 60
    await scrape(metrics_url(api))
    await publish(service, 1)
    found = samples((await scrape(metrics_url(api)))[2])
    assert found[("emswebhook_notifications", (("status", "IN_PROGRESS"),))] == 5
    metrics.for_service(service).cache_seconds = 0
    found = samples((await scrape(metrics_url(api)))[2])
    assert found[("emswebhook_notifications", (("status", "IN_PROGRESS"),))] == 7


async def test_the_successful_gauge_is_counted_once_a_minute_the_open_ones_every_refresh(served):
    """SUCCESSFUL is most of the rows: counting it is a scan, so it is not done on every scrape."""
    service, engine, _clock, api = served
    collected = metrics.for_service(service)
    successful = ("emswebhook_notifications", (("status", "SUCCESSFUL"),))
    in_progress = ("emswebhook_notifications", (("status", "IN_PROGRESS"),))
    async with Receiver() as receiver:
        await service.create_webhook({"name": "Good", "event": "Entitlement Added",
                                      "endpointUrl": receiver.url(), "authProfile": "Basic"})
        await publish(service, 2)
        await until(lambda: _successful(service, 2), timeout=10)
        collected.cache_seconds = 0.001
        first = samples((await scrape(metrics_url(api)))[2])
        engine.pause()
        await publish(service, 1)  # IN_PROGRESS while paused
        await asyncio.sleep(0.01)
        found = samples((await scrape(metrics_url(api)))[2])
        assert found[in_progress] == 1  # counted on every refresh
        engine.resume()
        await until(lambda: _successful(service, 3), timeout=10)
        await asyncio.sleep(0.01)
        found = samples((await scrape(metrics_url(api)))[2])
        assert found[successful] == first[successful] == 2 and found[in_progress] == 0  # SUCCESSFUL not yet
        for _ in range(metrics.SUCCESSFUL_EVERY):
            await asyncio.sleep(0.002)
            found = samples((await scrape(metrics_url(api)))[2])
        assert found[successful] == 3  # within SUCCESSFUL_EVERY refreshes


async def _successful(service, count: int) -> bool:
    return await service.count_notifications({"status": "SUCCESSFUL"}) == count


async def test_the_token_is_needed_unless_metrics_open(served):
    service, _engine, _clock, api = served
    status, content_type, text = await scrape(metrics_url(api), token=None)
    assert status == 401 and "api-token" in text
    assert (await scrape(metrics_url(api), token="wrong"))[0] == 401
    await service.set_property("metricsOpen", True)
    second = await start_api(service, port=0, token=TOKEN, access_log_enabled=False)
    try:
        status, _type, text = await scrape(metrics_url(second), token=None)
        assert status == 200 and "emswebhook_in_flight" in text
        # only /metrics opens: the rest of the API still wants the token
        assert (await scrape(second.url + "/status", token=None))[0] == 401
    finally:
        await second.stop()


async def test_each_service_has_its_own_registry(sqlite_url, tmp_path, memory_keyring):
    first = await WebhookService.open(sqlite_url, secrets=SecretStore(memory_keyring))
    second = await WebhookService.open(f"sqlite:///{tmp_path / 'other.db'}", secrets=SecretStore(memory_keyring))
    try:
        metrics.for_service(first).attempt("Hook", True, 0.01)
        assert metrics.for_service(first) is metrics.for_service(first)
        first_text = (await metrics.for_service(first).render()).decode()
        second_text = (await metrics.for_service(second).render()).decode()
        assert 'emswebhook_deliveries_total{outcome="success"} 1.0' in first_text
        assert 'emswebhook_deliveries_total{outcome="success"} 0.0' in second_text  # the series exist from the start
        assert b"emswebhook_" not in prometheus_client.generate_latest(prometheus_client.REGISTRY)
    finally:
        await first.close()
        await second.close()


async def test_per_webhook_series_are_bounded(sqlite_url, memory_keyring):
    service = await WebhookService.open(sqlite_url, secrets=SecretStore(memory_keyring))
    try:
        recorder = metrics.for_service(service)
        for n in range(metrics.WEBHOOK_SERIES_LIMIT + 10):
            recorder.attempt(f"hook-{n:03d}", False, 0.2)
        recorder.attempt("hook-000", True, 0.1)  # a webhook that has its series keeps it
        found = samples((await recorder.render()).decode())
        per_webhook = {labels: value for (name, labels), value in found.items()
                       if name == "emswebhook_webhook_deliveries_total"}
        names = {dict(labels)["webhook"] for labels in per_webhook}
        assert len(names) == metrics.WEBHOOK_SERIES_LIMIT + 1 and metrics.OTHER_WEBHOOKS in names
        assert per_webhook[(("outcome", "failure"), ("webhook", metrics.OTHER_WEBHOOKS))] == 10
        assert per_webhook[(("outcome", "success"), ("webhook", "hook-000"))] == 1
        assert found[("emswebhook_deliveries_total", (("outcome", "failure"),))] == 60
    finally:
        await service.close()
