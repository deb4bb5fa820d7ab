"""The REST API over real HTTP: a real aiohttp server on 127.0.0.1, a real client session, the
delivery engine on the same loop (test clock), and a real loopback receiver.

Every response a test receives is recorded; the fixture's teardown scans them all for the
profile secrets and the API token, which no response may ever carry.
"""

import asyncio
import base64
import io
import json
import os
import signal
import sys
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from emswebhook_gui.api import start_api
from emswebhook_gui.api import token as api_token
from emswebhook_gui.delivery.engine import DeliveryEngine
from emswebhook_gui.secrets import API_TOKEN_KEY, SERVICE_NAME, SecretStore
from emswebhook_gui.service import WebhookService
from tests.conftest import REPO
from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, run_to_failed, started_engine
from tests.support.receiver import Receiver

pytestmark = pytest.mark.asyncio

PASSWORD = "pw-never-shown-7f3a"
CLIENT_SECRET = "cs-never-shown-91bd"
_MISSING = object()


@dataclass
class Reply:
    status: int
    headers: dict
    text: str

    @property
    def json(self):
        return json.loads(self.text)


class Client:
    """A keep-alive client that sends the bearer token and records every answer's body."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session, self.base, self.token = session, base, token
        self.bodies: list[str] = []

    async def call(self, method: str, path: str, body=_MISSING, *, data=None, token=_MISSING,
                   headers=None) -> Reply:
        headers = dict(headers or {})
        token = self.token if token is _MISSING else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not _MISSING:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        url = path if path.startswith("http") else self.base + path
        async with self.session.request(method, url, data=data, headers=headers) as response:
            text = await response.text()
        self.bodies.append(text)
        return Reply(response.status, dict(response.headers), text)

    async def get(self, path, **kw):
        return await self.call("GET", path, **kw)

    async def post(self, path, body=_MISSING, **kw):
        return await self.call("POST", path, body, **kw)


@dataclass
class Env:
    service: WebhookService
    engine: DeliveryEngine
    clock: FakeClock
    receiver: Receiver
    server: object
    client: Client


@asynccontextmanager
async def api_env(db_url, keyring_backend):
    """Service (test clock, private endpoints allowed), engine, API server, receiver, client.

    The engine polls only every 30 s, so prompt deliveries prove that the API's publish and retry
    woke it through the service's broadcast."""
    clock = FakeClock()
    service = await loopback_service(db_url, keyring_backend, clock, basic=None)
    engine = await started_engine(service, poll_interval=30.0)
    server = await start_api(service, port=0)
    token = keyring_backend.get_password(SERVICE_NAME, API_TOKEN_KEY)
    try:
        async with Receiver() as receiver, aiohttp.ClientSession() as session:
            client = Client(session, server.url, token)
            yield Env(service, engine, clock, receiver, server, client)
            for body in client.bodies:
                for secret in (PASSWORD, CLIENT_SECRET, token):
                    assert secret not in body, f"a response carried a secret: {body[:300]}"
    finally:
        await server.stop()
        await engine.stop()
        await service.close()


@pytest_asyncio.fixture
async def env(db_url, memory_keyring):
    async with api_env(db_url, memory_keyring) as e:
        yield e


@pytest_asyncio.fixture
async def lite(sqlite_url, memory_keyring):
    """The same on SQLite only, for the checks whose store does not matter."""
    async with api_env(sqlite_url, memory_keyring) as e:
        yield e


def assert_problem(reply: Reply, status: int, *, field: str | None = None) -> dict:
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    body = reply.json
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
        assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body


async def add_profile(client: Client, name: str = "Basic") -> dict:
    reply = await client.post("/auth-profiles", {"name": name, "type": "basic", "username": "ems",
                                                 "password": PASSWORD})
    assert reply.status == 201, reply.text
    return reply.json


async def add_webhook(client: Client, receiver: Receiver, name: str = "Hook", **extra) -> dict:
    body = {"name": name, "event": "Entitlement Added", "endpointUrl": receiver.url(), "authProfile": "Basic",
            **extra}
    reply = await client.post("/webhooks", body)
    assert reply.status == 201, reply.text
    return reply.json


async def status_of(client: Client, event_id: str) -> str:
    reply = await client.get(f"/webhook-events/{event_id}")
    assert reply.status == 200, reply.text
    return reply.json["status"]


async def wait_status(client: Client, event_id: str, expected: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await status_of(client, event_id) != expected:
        assert loop.time() < deadline, f"{event_id} never became {expected}"
        await asyncio.sleep(0.02)


ENTITLEMENT = {"entitlement": {"id": "e-1", "state": "ENABLE", "customer": {"name": "Sam Smith"}}}
OCCURRENCE = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e-1"}


# -- the whole flow ----------------------------------------------------------------------------------


async def test_publish_deliver_fail_search_retry_and_mark_successful_over_http(env):
    client, receiver = env.client, env.receiver
    await add_profile(client)
    created = await client.post("/webhooks", {"name": "Hook", "event": "Entitlement Added",
                                              "endpointUrl": receiver.url(), "authProfile": "Basic"})
    assert created.status == 201
    webhook = created.json
    assert created.headers["Location"].endswith(f"/api/v1/webhooks/{webhook['id']}")
    assert (await client.get(created.headers["Location"].removeprefix("/api/v1"))).json == webhook

    published = await client.post("/events", {**OCCURRENCE, "url": "https://ems.example.com/v5/entitlements",
                                              "requestId": "req-1", "currentState": ENTITLEMENT})
    assert published.status == 201
    [event_id] = published.json["eventIds"]
    await wait_status(client, event_id, "SUCCESSFUL")
    [request] = receiver.requests
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"ems:{PASSWORD}".encode()).decode()
    payload = json.loads(request.body)
    assert list(payload) == ["eventName", "entityName", "webhookId", "webhookName", "activityName", "requestId",
                             "eventId", "url", "entityId", "currentState", "opDatetime"]
    assert payload["eventId"] == event_id and payload["webhookId"] == webhook["id"]
    assert payload["requestId"] == "req-1" and json.loads(payload["currentState"]) == ENTITLEMENT
    assert payload["opDatetime"] == "2026-11-28 12:00:00.000"

    receiver.answer(status=500, body=b"receiver down")
    first = (await client.post("/events", OCCURRENCE)).json["eventIds"][0]
    second = (await client.post("/events", {**OCCURRENCE, "entityId": "e-2"})).json["eventIds"][0]
    await wait_status(client, first, "IN_PROGRESS")
    retry_too_early = await client.post("/webhook-events/retry", {"eventId": first})
    assert "IN_PROGRESS" in assert_problem(retry_too_early, 409)["detail"]
    await run_to_failed(env.service, env.engine, env.clock, [first, second])

    found = await client.get("/webhook-events?status=FAILED&webhook=Hook")
    assert found.status == 200
    assert {n["eventId"] for n in found.json["items"]} == {first, second}
    item = next(n for n in found.json["items"] if n["eventId"] == first)
    assert item["attempts"] == 4 and item["lastStatusCode"] == 500 and item["nextAttemptAt"] is None

    receiver.answer(status=200)
    retried = await client.post("/webhook-events/retry", {"eventId": first})
    assert retried.status == 200 and retried.json == {"count": 1}
    await wait_status(client, first, "SUCCESSFUL")
    details = (await client.get(f"/webhook-events/{first}")).json
    assert [a["kind"] for a in details["attemptHistory"]] == ["auto"] * 4 + ["manual"]
    assert details["attemptHistory"][-1]["statusCode"] == 200
    assert json.loads(details["payload"])["eventId"] == first

    marked = await client.post("/webhook-events/mark-successful", {"filters": {"webhook": "Hook"}})
    assert marked.json == {"count": 1}
    closed = (await client.get(f"/webhook-events/{second}")).json
    assert closed["status"] == "SUCCESSFUL" and closed["markedSuccessfulBy"] == "api"
    again = await client.post("/webhook-events/mark-successful", {"eventId": second, "by": "ops"})
    assert_problem(again, 409)


async def test_a_profile_in_use_cannot_be_deleted_and_secrets_are_write_only(env):
    client, receiver = env.client, env.receiver
    basic = await add_profile(client)
    assert "password" not in basic and basic["username"] == "ems"
    oauth = await client.post("/auth-profiles", {"name": "OAuth", "type": "oauth", "tokenUrl": "https://id.example.com/t",
                                                 "clientId": "c1", "clientSecret": CLIENT_SECRET, "scope": "hooks"})
    assert oauth.status == 201 and "clientSecret" not in oauth.json
    assert oauth.headers["Location"].endswith(oauth.json["id"])
    await add_webhook(client, receiver)

    in_use = await client.call("DELETE", "/auth-profiles/Basic")
    assert "Hook" in assert_problem(in_use, 409)["detail"]
    listed = (await client.get("/auth-profiles")).json
    assert [p["name"] for p in listed] == ["Basic", "OAuth"] and listed[0]["usedBy"] == ["Hook"]

    patched = await client.call("PATCH", "/auth-profiles/OAuth", {"scope": "other"})
    assert patched.status == 200 and patched.json["scope"] == "other"
    assert env.service.secrets.get(f"auth-profile:{oauth.json['id']}") == CLIENT_SECRET
    replaced = await client.call("PUT", f"/auth-profiles/{oauth.json['id']}",
                                 {"name": "OAuth", "type": "oauth", "tokenUrl": "https://id.example.com/t",
                                  "clientId": "c2"})
    assert_problem(replaced, 400, field="clientSecret")
    replaced = await client.call("PUT", f"/auth-profiles/{oauth.json['id']}",
                                 {"name": "OAuth", "type": "oauth", "tokenUrl": "https://id.example.com/t",
                                  "clientId": "c2", "clientSecret": CLIENT_SECRET + "-2"})
    assert replaced.status == 200 and replaced.json["clientId"] == "c2" and replaced.json["scope"] is None
    assert (await client.call("DELETE", "/auth-profiles/OAuth")).status == 204
    assert_problem(await client.get("/auth-profiles/OAuth"), 404)
    assert_problem(await client.post("/auth-profiles", {"name": "X", "type": "basic", "username": "u",
                                                        "password": "p", "pasword": "typo"}), 400, field="pasword")
    for body in client.bodies:
        assert PASSWORD not in body and CLIENT_SECRET not in body
        assert not {"password", "clientSecret"} & keys_in(json.loads(body) if body else None)


def keys_in(value) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(v) for v in value))
    return set()


# -- webhooks ------------------------------------------------------------------------------------------


async def test_webhook_replace_update_enable_signing_and_delete(lite):
    client, receiver = lite.client, lite.receiver
    await add_profile(client)
    hook = await add_webhook(client, receiver, activities=["Add Entitlement"], description="first")
    by_name = await client.call("PATCH", "/webhooks/hook", {"description": "second"})
    assert by_name.status == 200 and by_name.json["description"] == "second"
    assert by_name.json["activities"] == ["Add Entitlement"]
    replaced = await client.call("PUT", f"/webhooks/{hook['id']}", {
        "name": "Hook", "event": "Entitlement Added", "endpointUrl": receiver.url("/v2"), "authProfile": "Basic"})
    assert replaced.status == 200
    assert replaced.json["activities"] == [] and replaced.json["description"] is None
    assert (await client.post("/webhooks/Hook/disable")).json["enabled"] is False
    assert (await client.post("/events", OCCURRENCE)).json == {"eventIds": []}
    assert (await client.post("/webhooks/Hook/enable")).json["enabled"] is True

    secret = await client.post("/webhooks/Hook/signing-secret")
    assert secret.status == 200 and secret.json["secret"].startswith("whsec_")
    assert secret.json["webhookId"] == hook["id"] and secret.json["signing"] is True
    assert (await client.post("/webhooks/Hook/signing-secret")).json["secret"] == secret.json["secret"]
    rotated = await client.post("/webhooks/Hook/signing-secret?rotate=true")
    assert rotated.json["secret"] != secret.json["secret"]
    assert_problem(await client.post("/webhooks/Hook/signing-secret?rotate=maybe"), 400, field="rotate")
    shown = (await client.get("/webhooks/Hook")).json
    assert shown["signing"] is True and rotated.json["secret"] not in json.dumps(shown)
    assert (await client.call("DELETE", "/webhooks/Hook/signing-secret")).status == 204
    assert (await client.get("/webhooks/Hook")).json["signing"] is False

    deleted = await client.call("DELETE", "/webhooks/Hook")
    assert deleted.status == 204 and deleted.text == ""
    assert_problem(await client.get("/webhooks/Hook"), 404)
    assert_problem(await client.get(f"/webhooks/{uuid.uuid4()}"), 404)
    assert_problem(await client.post("/webhooks/nope/enable"), 404)
    assert (await client.get("/webhooks")).json == []


# -- refusals --------------------------------------------------------------------------------------------


async def test_requests_without_the_token_get_401(lite):
    client = lite.client
    for token, challenge_error in ((None, False), ("wrong-token", True), ("tøken-ünïcode", True)):
        reply = await client.get("/webhooks", token=token)
        assert_problem(reply, 401)
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert ('error="invalid_token"' in reply.headers["WWW-Authenticate"]) is challenge_error
    basic = await client.get("/webhooks", token=None, headers={"Authorization": "Basic dTpw"})
    assert_problem(basic, 401)
    assert_problem(await client.post("/events", OCCURRENCE, token=None), 401)
    health = await client.get("/health", token=None)
    assert health.status == 200 and health.json["status"] == "ok" and health.json["version"]
    document = await client.get(client.base.removesuffix("/api/v1") + "/openapi.json", token=None)
    assert document.status == 200 and document.json["openapi"].startswith("3.1")


async def test_a_rotated_token_takes_over(lite, memory_keyring):
    client, server = lite.client, lite.server
    server.token.miss_interval = 0.0
    new = api_token.rotate(SecretStore(memory_keyring))
    assert (await client.get("/status", token=new)).status == 200
    server.token.max_age = 0.0
    assert (await client.get("/status")).status == 401
    assert api_token.load_or_create(SecretStore(memory_keyring)) == new
    client.token = new


async def test_malformed_oversized_and_unknown_input_is_a_problem(lite):
    client = lite.client
    too_big = await client.post("/events", data=io.BytesIO(b'{"event": "' + b"x" * (1024 * 1024) + b'"}'),
                                headers={"Content-Type": "application/json"})
    assert_problem(too_big, 413)
    malformed = await client.post("/events", data=b'{"event": ', headers={"Content-Type": "application/json"})
    assert "not valid JSON" in assert_problem(malformed, 400)["detail"]
    as_json = {"Content-Type": "application/json"}
    assert_problem(await client.post("/events", data=b"", headers=as_json), 400)
    assert_problem(await client.post("/events", data=b"\xff\xfe", headers=as_json), 400)
    assert_problem(await client.post("/events", [OCCURRENCE]), 400)
    assert_problem(await client.post("/events", data=b'{"entityId": NaN}', headers=as_json), 400)
    unknown = await client.post("/events", {**OCCURRENCE, "entityID": "typo"})
    assert "entityID" in assert_problem(unknown, 400, field="entityID")["detail"]
    assert_problem(await client.post("/webhooks", {"name": "W", "colour": "red"}), 400, field="colour")
    invalid = await client.post("/webhooks", {"name": "W", "event": "Entitlement Addded",
                                              "endpointUrl": "ftp://x", "authProfile": "none"})
    body = assert_problem(invalid, 400, field="event")
    assert {"event", "endpointUrl", "authProfile"} <= {e["field"] for e in body["errors"]}
    assert "Entitlement Added" in body["detail"]
    assert_problem(await client.post("/events", {**OCCURRENCE, "entityId": "a\u0000b"}), 400)
    half_pair = await client.post("/events", data=b'{"event": "Entitlement Added", "activity": "Add Entitlement", '
                                                   b'"entityId": "a\\ud800b"}', headers={"Content-Type": "application/json"})
    assert "U+D800" in assert_problem(half_pair, 400, field="entityId")["detail"]
    deep = b'{"event": "Entitlement Added", "entityId": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert "nested too deeply" in assert_problem(await client.post("/events", data=deep, headers=as_json),
                                                 400)["detail"]
    assert_problem(await client.get("/webhooks/a%00b"), 400, field="id")
    # percent-escapes of invalid UTF-8 (decoded to half surrogate pairs, or to U+FFFD) are a
    # problem naming the parameter or simply match nothing; never a server error
    for path, field in (("/webhooks/bad%ED%A0%80", "id"), ("/webhook-events?webhook=%ED%A0%80", "webhook"),
                        ("/webhook-events/%FF", "eventId")):
        response = await client.get(path)
        if response.status == 400:
            assert_problem(response, 400, field=field)
        else:
            assert response.status in (200, 404), (path, response.status)
    assert_problem(await client.get("/nowhere"), 404)
    not_allowed = await client.call("DELETE", "/webhooks")
    assert_problem(not_allowed, 405)
    assert "GET" in not_allowed.headers["Allow"]
    assert (await client.get("/webhook-events")).json == {"items": [], "nextCursor": None}


async def test_bulk_actions_need_an_explicit_target(lite):
    client = lite.client
    for body, field in (({}, "eventId"), ({"eventId": "x", "filters": {}}, "filters"),
                        ({"filters": {"stauts": "FAILED"}}, "filters.stauts"), ({"eventID": "x"}, "eventID"),
                        ({"filters": {"status": "IN_PROGRESS"}}, "status")):
        assert_problem(await client.post("/webhook-events/retry", body), 400, field=field)
    assert_problem(await client.post("/webhook-events/retry", {"eventId": "unknown"}), 404)
    assert (await client.post("/webhook-events/retry", {"filters": {}})).json == {"count": 0}
    assert_problem(await client.post("/webhook-events/mark-successful", {"filters": {}, "by": ""}), 400, field="by")


async def test_search_pages_with_a_cursor_and_refuses_unknown_parameters(lite):
    client, receiver = lite.client, lite.receiver
    receiver.answer(status=500)
    await add_profile(client)
    await add_webhook(client, receiver)
    ids = []
    for n in range(3):
        ids += (await client.post("/events", {**OCCURRENCE, "entityId": f"e-{n}"})).json["eventIds"]
    first = (await client.get("/webhook-events?limit=2")).json
    assert [n["eventId"] for n in first["items"]] == ids[::-1][:2] and first["nextCursor"]
    rest = (await client.get(f"/webhook-events?limit=2&cursor={first['nextCursor']}")).json
    assert [n["eventId"] for n in rest["items"]] == [ids[0]] and rest["nextCursor"] is None
    assert (await client.get(f"/webhook-events?eventId={ids[1]}")).json["items"][0]["eventId"] == ids[1]
    assert_problem(await client.get("/webhook-events?stauts=FAILED"), 400, field="stauts")
    assert_problem(await client.get("/webhook-events?limit=many"), 400, field="limit")
    assert_problem(await client.get("/webhook-events?limit=0"), 400, field="limit")
    assert_problem(await client.get("/webhook-events?since=yesterday"), 400, field="since")
    # a day from the calendar's ends: converting to UTC (or to another zone for display) overflows
    assert_problem(await client.get("/webhook-events?until=9999-12-31T23:00:00-05:00"), 400, field="until")
    edge = await client.post("/events", {**OCCURRENCE, "opDatetime": "0001-01-01T00:00:00+05:00"})
    assert "between 0001-01-02 and 9999-12-30" in assert_problem(edge, 400, field="opDatetime")["detail"]
    assert_problem(await client.get("/webhook-events?cursor=zzz"), 400, field="cursor")
    deep = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).decode()  # beyond the JSON reader's depth
    assert_problem(await client.get(f"/webhook-events?cursor={deep}"), 400, field="cursor")
    assert_problem(await client.get("/webhook-events/not-an-event"), 404)


# -- catalogue, configuration, status ---------------------------------------------------------------------


async def test_catalog_config_and_status(lite):
    client = lite.client
    events = (await client.get("/catalog/events")).json
    assert len(events) == 62
    added = next(e for e in events if e["event"] == "Entitlement Added")
    assert "Add Entitlement" in added["activities"] and added["triggerConditions"] is True
    attributes = (await client.get("/catalog/events/Entitlement%20Added/condition-attributes")).json
    assert {"label": "Entitlement State", "path": "entitlement.state"} in attributes
    assert (await client.get("/catalog/events/Namespace%20Added/condition-attributes")).json == []
    missing = await client.get("/catalog/events/Entitlement%20added/condition-attributes")
    assert "Entitlement Added" in assert_problem(missing, 404)["detail"]

    config = (await client.get("/config")).json
    assert {k: config[k] for k in ("allowPrivateEndpoints", "timeZoneForExpirationEvents", "apiPort")} == {
        "allowPrivateEndpoints": True, "timeZoneForExpirationEvents": "UTC", "apiPort": 8477}
    assert config["retentionSuccessfulDays"] == 30 and config["retentionFailedDays"] == 90
    assert config["httpProxy"] == "" and config["metricsOpen"] is False
    changed = await client.call("PATCH", "/config", {"timeZoneForExpirationEvents": "Asia/Kolkata", "apiPort": "9000"})
    assert changed.status == 200 and changed.json["apiPort"] == 9000
    refused = await client.call("PUT", "/config", {"apiPort": 9100, "timeZoneForExpirationEvents": "Mars/Base",
                                                   "colour": "red"})
    body = assert_problem(refused, 400, field="timeZoneForExpirationEvents")
    assert {e["field"] for e in body["errors"]} == {"timeZoneForExpirationEvents", "colour"}
    assert (await client.get("/config")).json["apiPort"] == 9000  # nothing of the refused body was written

    status = (await client.get("/status")).json
    assert [s["id"] for s in status["services"]] == [lite.engine.owner]
    assert status["queueDepth"] == 0


# -- `emswebhook serve` with the API, as a process ---------------------------------------------------------


async def run_cli(env, *argv):
    exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
    proc = await asyncio.create_subprocess_exec(exe, *argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_serve_runs_the_api_with_the_keyring_token_and_stops_on_sigterm(db_url, tmp_path):
    env = {**os.environ, "EMSWEBHOOK_DATABASE_URL": db_url, "PYTHONPATH": str(REPO),
           "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
           "EMSWEBHOOK_TEST_KEYRING_FILE": str(tmp_path / "keyring.json")}
    code, out, err = await run_cli(env, "api-token")
    assert code == 0, err
    token = out.strip()
    assert len(token) >= 40 and (await run_cli(env, "api-token"))[1].strip() == token

    exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
    proc = await asyncio.create_subprocess_exec(exe, "serve", "--api-port", "0", env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        url = None
        while url is None:
            line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
            assert line, "serve exited before announcing the API"
            if "REST API on " in line:
                url = line.split("REST API on ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v1")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/status", headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 200
                assert [s["kind"] for s in (await r.json())["services"]] == ["serve"]
            async with session.get(f"{url}/status", headers={"Authorization": "Bearer nope"}) as r:
                assert r.status == 401
        proc.send_signal(signal.SIGTERM)
        _out, rest = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, rest.decode()
    assert "emswebhook: stopped" in rest.decode() and token not in rest.decode()
    code, out, _ = await run_cli(env, "status", "--json")
    assert json.loads(out)["services"] == []
    code, rotated, _ = await run_cli(env, "api-token", "--rotate")
    assert code == 0 and rotated.strip() != token
