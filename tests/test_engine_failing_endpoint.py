"""A failing endpoint gets one connection (delivery/engine.py ``_limit``) until it delivers again,
so a down, broken or hostile subscriber cannot take the service's capacity from the others."""

from __future__ import annotations

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.engine import FAILING_AFTER
from tests.support.delivery import loopback_service, started_engine
from tests.support.receiver import Answer, Receiver
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio

ADDED = {"event": "Entitlement Added", "activity": "Add Entitlement"}


@pytest_asyncio.fixture
async def service(sqlite_url, memory_keyring):
    service = await loopback_service(sqlite_url, memory_keyring)
    yield service
    await service.close()


async def publish(service, count: int, prefix: str) -> list[str]:
    return [event_id for n in range(count) for event_id in await service.publish({**ADDED, "entityId": f"{prefix}{n}"})]


async def test_a_failing_endpoint_gets_one_connection_until_it_delivers_again(service):
    async with Receiver() as failing, Receiver() as healthy:
        failing.answer(Answer(status=500, body=b"down", sleep=0.05))
        healthy.answer(Answer(sleep=0.05))
        await service.create_webhook({"name": "Failing", "event": "Entitlement Added", "endpointUrl": failing.url(),
                                      "authProfile": "Basic"})
        engine = await started_engine(service)
        try:
            await publish(service, 60, "f")
            await until(lambda: len(failing.requests) >= 3 * FAILING_AFTER and failing.inflight <= 1)
            failing.max_inflight = failing.inflight  # from here on, only requests sent once it was failing
            await until(lambda: len(failing.requests) == 60, timeout=20)
            assert failing.max_inflight == 1

            # a healthy endpoint beside it keeps its eight connections
            await service.create_webhook({"name": "Healthy", "event": "Entitlement Added",
                                          "endpointUrl": healthy.url(), "authProfile": "Basic"})
            healthy_ids = await publish(service, 40, "h")
            await until(lambda: len(healthy.requests) == 40 and len(failing.requests) == 100, timeout=30)
            assert healthy.max_inflight == 8
            assert failing.max_inflight == 1  # its 40 of these went one at a time

            # answering again: its first delivery brings the other connections back
            failing.answer(Answer(sleep=0.05))
            failing.max_inflight = 0
            await service.set_webhook_enabled("Healthy", False)
            await publish(service, 40, "r")
            await until(lambda: len(failing.requests) == 140, timeout=20)
            assert failing.max_inflight == 8
        finally:
            await engine.stop()
        statuses = {}
        for event_id in healthy_ids:  # the "h" events went to both webhooks
            notification = await service.get_notification(event_id)
            statuses.setdefault(notification["webhookName"], set()).add(notification["status"])
        assert statuses == {"Healthy": {"SUCCESSFUL"}, "Failing": {"IN_PROGRESS"}}
