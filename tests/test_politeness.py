"""A subscriber that answers 429 or 503 with Retry-After is given that pause by every service
sharing the database (``delivery/politeness.py``): here two engines, each with its own service
on one database, and one test clock, so a 30 s pause takes no time."""

from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.politeness import MAX_PAUSE, retry_after_delay
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, started_engine
from tests.support.receiver import Answer, Receiver
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def two(db_url, memory_keyring):
    """A publishing service without an engine, two services with an engine each, one clock."""
    clock = FakeClock()
    publisher = await loopback_service(db_url, memory_keyring, clock)
    services, engines = [], []
    for _ in range(2):
        service = await WebhookService.open(db_url, secrets=SecretStore(memory_keyring), clock=clock)
        services.append(service)
        engines.append(await started_engine(service))
    async with Receiver() as receiver:
        await publisher.create_webhook({"name": "Hook", "event": "Entitlement Added", "endpointUrl": receiver.url(),
                                        "authProfile": "Basic"})
        yield publisher, engines, clock, receiver
    for engine, service in zip(engines, services):
        await engine.stop()
        await service.close()
    await publisher.close()


async def publish(service, n=1):
    ids = []
    for i in range(n):
        ids += await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                      "entityId": f"e{i}"})
    return ids


async def looked(engines, rounds=3):
    """Until every engine has claimed (and re-read the pauses) a few more times."""
    marks = [engine.claim_rounds for engine in engines]
    for engine in engines:
        engine.wake()

    async def done():
        return all(engine.claim_rounds >= mark + rounds for engine, mark in zip(engines, marks))

    await until(done)


async def recorded(publisher, event_id):
    async def attempted():
        return (await publisher.get_notification(event_id))["attempts"] == 1

    await until(attempted)
    return await publisher.get_notification(event_id)


async def test_429_with_retry_after_pauses_the_endpoint_for_every_service(two):
    publisher, engines, clock, receiver = two
    receiver.queue(Answer(status=429, headers={"Retry-After": "30"}))
    [first] = await publish(publisher)
    details = await recorded(publisher, first)
    assert details["status"] == "IN_PROGRESS" and details["attemptHistory"][0]["statusCode"] == 429
    assert "Retry-After" in details["lastError"] and "every service" in details["lastError"]
    # the schedule's 5 minutes stand: a 30 s pause does not shorten them
    assert details["nextAttemptAt"] == "2026-11-28T12:05:00.000Z"
    others = await publish(publisher, 3)
    await looked(engines)
    assert len(receiver.requests) == 1, "a service sent to an endpoint that asked for a pause"
    assert [(await publisher.get_notification(e))["attempts"] for e in others] == [0, 0, 0]
    clock.advance(seconds=31)
    await looked(engines, 1)

    async def delivered():
        return await publisher.count_notifications({"status": "SUCCESSFUL"}) == 3

    await until(delivered)
    assert (await publisher.get_notification(first))["status"] == "IN_PROGRESS"  # still due at 12:05


async def test_a_pause_longer_than_the_schedule_delays_the_next_attempt(two):
    publisher, engines, clock, receiver = two
    receiver.queue(Answer(status=503, headers={"Retry-After": "600"}))
    [first] = await publish(publisher)
    details = await recorded(publisher, first)
    assert details["nextAttemptAt"] == "2026-11-28T12:10:00.000Z"


async def test_503_without_retry_after_pauses_nothing(two):
    publisher, engines, clock, receiver = two
    receiver.queue(Answer(status=503))
    [first] = await publish(publisher)
    details = await recorded(publisher, first)
    assert details["nextAttemptAt"] == "2026-11-28T12:05:00.000Z" and "Retry-After" not in details["lastError"]
    [second] = await publish(publisher)

    async def delivered():
        return (await publisher.get_notification(second))["status"] == "SUCCESSFUL"

    await until(delivered)


async def test_retry_after_is_read_as_seconds_or_an_http_date_and_capped():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert retry_after_delay("30", now) == timedelta(seconds=30)
    assert retry_after_delay(" 120 ", now) == timedelta(seconds=120)
    assert retry_after_delay("Sat, 28 Nov 2026 12:01:30 GMT", now) == timedelta(seconds=90)
    assert retry_after_delay("Sat, 28 Nov 2026 11:00:00 GMT", now) is None  # already over
    assert retry_after_delay("99999999999", now) == MAX_PAUSE
    for bad in (None, "", "soon", "-5", "1.5e3"):
        assert retry_after_delay(bad, now) is None, bad
