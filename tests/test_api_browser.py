"""The REST API against web pages in the user's browser, over real HTTP on 127.0.0.1: bodies that
a page can send without a CORS preflight (forms, text/plain) get 415, and requests whose Host
header names another server (DNS rebinding) get 421, even on the open routes."""

import json

import aiohttp
import pytest
import pytest_asyncio

from emswebhook_gui.api import start_api
from emswebhook_gui.api.browser_guard import HostCheck
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService

TOKEN = "browser-test-token-5d2a"
OCCURRENCE = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "E-1"}


@pytest_asyncio.fixture
async def api(sqlite_url, memory_keyring):
    service = await WebhookService.open(sqlite_url, secrets=SecretStore(memory_keyring))
    server = await start_api(service, port=0, token=TOKEN, access_log_enabled=False)
    async with aiohttp.ClientSession() as session:
        yield server, session, service
    await server.stop()
    await service.close()


async def call(session, method, url, *, headers=None, data=None):
    async with session.request(method, url, headers=headers, data=data) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


@pytest.mark.asyncio
async def test_only_json_bodies_are_taken(api):
    server, session, service = api
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{server.url}/events"
    await service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
    await service.create_webhook({"name": "W", "event": "Entitlement Added", "endpointUrl": "https://h.example.com/x",
                                  "authProfile": "P"})
    for content_type, body in (("application/x-www-form-urlencoded", "event=Entitlement+Added"),
                               ("text/plain", json.dumps(OCCURRENCE)),
                               ("multipart/form-data; boundary=x", "--x--"),
                               ("application/json; charset=latin-1", json.dumps(OCCURRENCE))):
        status, kind, text = await call(session, "POST", url, headers={**auth, "Content-Type": content_type},
                                        data=body)
        assert status == 415, (content_type, text)
        assert kind.startswith("application/problem+json")
        assert "Content-Type: application/json" in json.loads(text)["detail"]
    # a body without any declared type is refused too (aiohttp declares bytes octet-stream)
    assert (await call(session, "POST", url, headers=auth, data=json.dumps(OCCURRENCE).encode()))[0] == 415
    # a body-less action needs no Content-Type; a form body on it is still refused
    assert (await call(session, "POST", f"{server.url}/webhooks/W/disable",
                       headers={**auth, "Content-Type": "text/plain"}, data="x"))[0] == 415
    assert (await service.get_webhook("W"))["enabled"] is True
    assert (await call(session, "POST", f"{server.url}/webhooks/W/disable", headers=auth))[0] == 200
    assert (await call(session, "POST", f"{server.url}/webhooks/W/enable", headers=auth))[0] == 200
    # nothing refused was published; JSON, with or without charset=utf-8, is taken
    assert (await service.search_notifications())["items"] == []
    for content_type in ("application/json", "Application/JSON; charset=UTF-8"):
        status, _, text = await call(session, "POST", url, headers={**auth, "Content-Type": content_type},
                                     data=json.dumps(OCCURRENCE))
        assert status == 201, text
    assert len((await service.search_notifications())["items"]) == 2


@pytest.mark.asyncio
async def test_a_rebinding_page_is_refused_even_on_the_open_routes(api):
    server, session, _ = api
    port = server.port
    base = f"http://127.0.0.1:{port}"
    for path in ("/api/v1/health", "/openapi.json", "/api/v1/status"):
        for host in (f"evil.example:{port}", f"evil.example.:{port}", "evil.example", f"127.0.0.1.nip.io:{port}",
                     f"127.0.0.1:{port + 1}", "localhost", f"[::1]:{port}x", f"localhost:{port}:1"):
            status, kind, text = await call(session, "GET", base + path, headers={"Host": host})
            assert status == 421, (path, host, text)
            assert kind.startswith("application/problem+json")
            assert "host name" in json.loads(text)["detail"]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}",
                 f"127.0.0.2:{port}", f"app.localhost:{port}"):
        status, _, text = await call(session, "GET", f"{base}/api/v1/health", headers={"Host": host})
        assert status == 200, (host, text)


def test_the_names_a_server_answers_to():
    """The rule for other listening addresses (``--api-host``), which a test cannot bind to."""
    given = HostCheck("192.0.2.10", 8477)
    assert given.accepts("192.0.2.10:8477") and given.accepts("127.0.0.1:8477")
    assert not given.accepts("192.0.2.11:8477") and not given.accepts("attacker.example:8477")
    named = HostCheck("ems-admin.internal", 8477)
    assert named.accepts("EMS-admin.internal:8477") and not named.accepts("ems-admin.internal:80")
    wildcard = HostCheck("0.0.0.0", 8477)
    assert wildcard.accepts("198.51.100.7:8477") and wildcard.accepts("[2001:db8::1]:8477")
    assert not wildcard.accepts("attacker.example:8477")
    assert HostCheck("127.0.0.1", 80).accepts("localhost")
    assert HostCheck("127.0.0.1", 8477).accepts(None)  # HTTP/1.0 tools; browsers always send Host
