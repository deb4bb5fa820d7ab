"""TLS against loopback servers with certificates the test made: a trusted certificate delivers;
a wrong host name, a self-signed and an expired certificate each fail in words an administrator
can act on; ``caBundle`` (and ``SSL_CERT_FILE``) make a private CA trusted; SNI is sent."""

from __future__ import annotations

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.http import DeliveryRequest, Sender
from emswebhook_gui.delivery.transport import TransportSettings
from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, started_engine
from tests.support.dns import FakeResolver
from tests.support.raw import OK, RawServer, answering
from tests.support.tls import TestCA, self_signed, server_context
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio

HOST = "hooks.test"


@pytest.fixture
def ca(tmp_path):
    return TestCA(tmp_path)


def sender(**options) -> Sender:
    return Sender(allow_private=True, connect_timeout=1.0, request_timeout=2.0,
                  resolver_factory=lambda: FakeResolver({HOST: ["127.0.0.1"]}), **options)


def delivery(server: RawServer) -> DeliveryRequest:
    return DeliveryRequest(url=f"https://{HOST}:{server.port}/hook", body=b"{}", event_id="e1")


@pytest_asyncio.fixture
async def trusted_server(ca):
    sni: list[str | None] = []
    async with RawServer(answering(OK), tls=server_context(ca.issue("leaf", [HOST, "127.0.0.1"]), sni)) as server:
        server.sni = sni
        yield server


async def test_a_certificate_from_the_ca_bundle_delivers_and_sni_is_sent(ca, trusted_server):
    async with sender(settings=TransportSettings(ca_bundle=str(ca.pem))) as client:
        result = await client.send(delivery(trusted_server))
    assert (result.ok, result.status_code, result.error) == (True, 200, None)
    assert trusted_server.sni == [HOST]


async def test_without_the_ca_bundle_the_private_ca_is_unknown(trusted_server):
    async with sender() as client:
        result = await client.send(delivery(trusted_server))
    assert (result.ok, result.status_code) == (False, None)
    assert result.error.startswith(f"TLS error: the certificate of {HOST}:{trusted_server.port} is issued by an "
                                   "unknown CA and not trusted; add the CA that issued it to a PEM file and name it "
                                   "in the application property caBundle")


async def test_ssl_cert_file_keeps_working(ca, trusted_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.pem))
    async with sender() as client:
        result = await client.send(delivery(trusted_server))
    assert result.ok, result.error


async def test_a_certificate_for_another_name_is_a_host_name_mismatch(ca):
    async with RawServer(answering(OK), tls=server_context(ca.issue("other", ["other.test"]))) as server:
        async with sender(settings=TransportSettings(ca_bundle=str(ca.pem))) as client:
            result = await client.send(delivery(server))
    assert not result.ok
    assert result.error == (f"TLS error: the certificate of {HOST}:{server.port} is not valid for the name {HOST} "
                            "(host name mismatch); use the name the certificate was issued for in the endpoint URL")


async def test_a_self_signed_certificate_is_named_so(ca, tmp_path):
    async with RawServer(answering(OK), tls=server_context(self_signed(tmp_path, [HOST]))) as server:
        async with sender(settings=TransportSettings(ca_bundle=str(ca.pem))) as client:
            result = await client.send(delivery(server))
    assert not result.ok
    assert result.error.startswith(f"TLS error: the certificate of {HOST}:{server.port} is self-signed and not "
                                   "trusted; add the CA that issued it to a PEM file")


async def test_an_expired_certificate_is_named_so(ca):
    async with RawServer(answering(OK), tls=server_context(ca.issue("old", [HOST], expired=True))) as server:
        async with sender(settings=TransportSettings(ca_bundle=str(ca.pem))) as client:
            result = await client.send(delivery(server))
    assert not result.ok
    assert result.error.startswith(f"TLS error: the certificate of {HOST}:{server.port} has expired; the "
                                   "endpoint's certificate must be renewed")


async def test_a_ca_bundle_that_disappeared_fails_deliveries_naming_the_property(ca, trusted_server):
    bundle = ca.pem.with_name("gone.pem")
    async with sender(settings=TransportSettings(ca_bundle=str(bundle))) as client:
        result = await client.send(delivery(trusted_server))
    assert not result.ok
    assert result.error.startswith(f"the CA bundle '{bundle}' (application property caBundle) cannot be used")
    assert trusted_server.requests == []


async def test_setting_ca_bundle_applies_to_a_running_engine(ca, trusted_server, sqlite_url, memory_keyring):
    clock = FakeClock()
    service = await loopback_service(sqlite_url, memory_keyring, clock, basic=("u", "p"))
    await service.create_webhook({"name": "TLS", "event": "Entitlement Added", "authProfile": "Basic",
                                  "endpointUrl": f"https://127.0.0.1:{trusted_server.port}/hook"})
    engine = await started_engine(service)
    try:
        [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                            "entityId": "e-1"})

        async def attempts(count):
            details = await service.get_notification(event_id)
            return details if details["attempts"] >= count else None

        first = (await until(lambda: attempts(1)))["attemptHistory"][0]
        assert "unknown CA" in first["error"]
        await service.set_property("caBundle", str(ca.pem))
        clock.advance(minutes=6)  # the next attempt of the round falls due
        engine.wake()
        details = await until(lambda: attempts(2))
        assert details["status"] == "SUCCESSFUL", details["attemptHistory"]
    finally:
        await engine.stop()
        await service.close()
