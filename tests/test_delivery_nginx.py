"""Deliveries to Debian's nginx, over TLS with a CA of the test's own (tests/support/nginx.py): the
engine's whole path (claim, aiohttp, TLS with ``caBundle``, record) against a receiver nobody here
wrote, including a server that really closes kept-alive connections between deliveries."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from tests.support.delivery import loopback_service, started_engine
from tests.support.nginx import Nginx, nginx_binary
from tests.support.tls import TestCA
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio

ADDED = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "ENT-1",
         "currentState": {"entitlement": {"id": "ENT-1", "state": "ENABLE"}}}


@pytest.fixture
def ca(tmp_path):
    return TestCA(tmp_path)


@pytest.fixture
def nginx(tmp_path, ca):
    nginx_binary()  # skips, with the reason, when it is not installed
    directory = tmp_path / "nginx"
    directory.mkdir()
    with Nginx(directory, ca.issue("nginx", ["localhost", "127.0.0.1"])) as server:
        yield server


@pytest_asyncio.fixture
async def service(sqlite_url, memory_keyring, ca):
    service = await loopback_service(sqlite_url, memory_keyring)
    await service.set_property("caBundle", str(ca.pem))
    yield service
    await service.close()


async def delivered(service, event_id: str) -> dict:
    async def done():
        notification = await service.get_notification(event_id)
        return notification if notification["attempts"] else None
    return await until(done, timeout=15)


async def test_deliveries_reach_nginx_over_tls_with_the_ca_bundle(service, nginx):
    await service.create_webhook({"name": "Nginx", "event": "Entitlement Added", "endpointUrl": nginx.url(),
                                  "authProfile": "Basic"})
    engine = await started_engine(service)
    try:
        ids = [event_id for n in range(3) for event_id in await service.publish({**ADDED, "entityId": f"ENT-{n}"})]
        for event_id in ids:
            notification = await delivered(service, event_id)
            assert (notification["status"], notification["attempts"]) == ("SUCCESSFUL", 1)
    finally:
        await engine.stop()
    lines = nginx.requests()
    assert len(lines) == 3
    assert all(line.startswith("POST /hook application/json auth=Basic ") for line in lines), lines


async def test_a_connection_nginx_closed_while_idle_costs_no_failed_attempt(service, nginx):
    """nginx closes a kept-alive connection after 1 s idle; the next delivery must not fail on it."""
    await service.create_webhook({"name": "Nginx", "event": "Entitlement Added", "endpointUrl": nginx.url(),
                                  "authProfile": "Basic"})
    engine = await started_engine(service)
    try:
        [first] = await service.publish(ADDED)
        assert (await delivered(service, first))["status"] == "SUCCESSFUL"
        await asyncio.sleep(1.5)  # real time for nginx's keepalive_timeout, not a synchronisation
        [second] = await service.publish({**ADDED, "entityId": "ENT-2"})
        notification = await delivered(service, second)
        assert (notification["status"], notification["attempts"]) == ("SUCCESSFUL", 1)
        assert [attempt["error"] for attempt in notification["attemptHistory"]] == [None]
    finally:
        await engine.stop()
    assert len(nginx.requests()) == 2


async def test_an_nginx_500_is_recorded_with_its_status(service, nginx):
    await service.create_webhook({"name": "Failing", "event": "Entitlement Added",
                                  "endpointUrl": nginx.url("/fail"), "authProfile": "Basic"})
    engine = await started_engine(service)
    try:
        [event_id] = await service.publish(ADDED)
        notification = await delivered(service, event_id)
    finally:
        await engine.stop()
    assert (notification["status"], notification["lastStatusCode"]) == ("IN_PROGRESS", 500)
    attempt = notification["attemptHistory"][0]
    assert attempt["statusCode"] == 500 and "HTTP 500" in attempt["error"]
    assert attempt["response"]["headers"]["Server"].startswith("nginx")


async def test_without_the_ca_bundle_nginx_s_certificate_is_refused_in_words(service, nginx):
    await service.set_property("caBundle", "")
    await service.create_webhook({"name": "Nginx", "event": "Entitlement Added", "endpointUrl": nginx.url(),
                                  "authProfile": "Basic"})
    engine = await started_engine(service)
    try:
        [event_id] = await service.publish(ADDED)
        notification = await delivered(service, event_id)
    finally:
        await engine.stop()
    assert notification["status"] == "IN_PROGRESS"
    assert "unknown CA" in notification["lastError"] and "caBundle" in notification["lastError"]
    assert nginx.requests() == []  # refused at the handshake: nothing reached the receiver
