"""One endpoint's trouble stays its own (``delivery/lanes.py``): a stalled endpoint's backlog
does not hold back a healthy endpoint's deliveries, and an endpoint that fails everything is sent
one request at a time until it delivers again. Real loopback receivers, the real engine."""

import asyncio

import pytest
import pytest_asyncio

from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, started_engine
from tests.support.receiver import Receiver
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def service(db_url, memory_keyring):
    service = await loopback_service(db_url, memory_keyring, FakeClock())
    yield service
    await service.close()


async def hook(service, name, event, receiver):
    return await service.create_webhook({"name": name, "event": event, "endpointUrl": receiver.url(),
                                         "authProfile": "Basic"})


async def publish(service, event, activity, count):
    for start in range(0, count, 50):
        await asyncio.gather(*(service.publish({"event": event, "activity": activity, "entityId": f"e{n}"})
                               for n in range(start, min(count, start + 50))))


@pytest.mark.parametrize("engine_first", [True, False], ids=["handed-off-by-publishes", "claimed-from-the-store"])
async def test_a_stalled_endpoints_backlog_does_not_hold_back_a_healthy_endpoint(service, engine_first):
    """600 notifications for an endpoint that never answers (within the test) are published
    first: more than the engine holds at once (512). The healthy endpoint's 30, published after
    them, are delivered while the stalled one has answered nothing."""
    async with Receiver() as stalled, Receiver() as healthy:
        stalled.answer(sleep=60)
        await hook(service, "Stalled", "Entitlement Added", stalled)
        await hook(service, "Healthy", "Entitlement Updated", healthy)
        engine = await started_engine(service) if engine_first else None
        try:
            await publish(service, "Entitlement Added", "Add Entitlement", 600)
            await publish(service, "Entitlement Updated", "Update Entitlement", 30)
            if engine is None:
                engine = await started_engine(service)
            await until(lambda: len(healthy.requests) == 30, timeout=15)
            await until(lambda: _counted(service, 30), timeout=5)  # recorded a moment after they arrive
            assert stalled.inflight == 8  # still waiting on its eight connections: it answered nothing
            # of the stalled endpoint's 600, a claim's batch at most past its budget, not the whole window
            assert engine.in_flight <= engine.batch_size + 64 < engine.max_in_flight
        finally:
            if engine is not None:
                await engine.stop(grace=0.2)


async def _counted(service, count) -> bool:
    return await service.count_notifications({"status": "SUCCESSFUL"}) == count


async def test_an_endpoint_failing_everything_gets_one_request_at_a_time_until_it_delivers(sqlite_url, memory_keyring):
    service = await loopback_service(sqlite_url, memory_keyring, FakeClock())
    async with Receiver() as receiver:
        receiver.answer(status=500, sleep=0.02)
        await hook(service, "Failing", "Entitlement Added", receiver)
        await publish(service, "Entitlement Added", "Add Entitlement", 60)
        engine = await started_engine(service)
        try:
            await until(lambda: len(receiver.requests) >= 20, timeout=15)
            # the first failures halved its workers, 8 -> 4 -> 2 -> 1: from now on, one at a time
            receiver.max_inflight = receiver.inflight
            await until(lambda: len(receiver.requests) == 60, timeout=15)
            assert receiver.max_inflight == 1
            # the receiver recovers: every delivery gives one worker back, up to eight again
            receiver.answer(status=200, sleep=0.05)
            receiver.max_inflight = 0
            await publish(service, "Entitlement Added", "Add Entitlement", 120)
            await until(lambda: _counted(service, 120), timeout=20)
            assert receiver.max_inflight == 8
        finally:
            await engine.stop(grace=0.2)
            await service.close()
