"""What each attempt sent and got back (issue 19, attempt inspector): the request as sent with
secrets masked, the answer's status line and headers (capped against hostile endpoints), the
body excerpt and the timings, through the service and ``GET /webhook-events/{eventId}``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.engine import make_url

from emswebhook_gui.delivery import exchange
from emswebhook_gui.delivery.http import DeliveryRequest, Sender
from emswebhook_gui.store.models import DeliveryAttempt
from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, started_engine
from tests.support.raw import RawServer, answering
from tests.support.receiver import Answer, Receiver, closed_port
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio

PASSWORD = "pw-Secret-7731"
OCCURRENCE = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e-1"}


@pytest_asyncio.fixture
async def env(db_url, memory_keyring):
    service = await loopback_service(db_url, memory_keyring, FakeClock(), basic=("ems", PASSWORD))
    engine = await started_engine(service)
    async with Receiver() as receiver:
        yield service, receiver, db_url
    await engine.stop()
    await service.close()


async def _delivered(service, url: str, *, signing: bool = False) -> tuple[dict, str | None]:
    hook = await service.create_webhook({"name": "Hook", "event": "Entitlement Added", "endpointUrl": url,
                                         "authProfile": "Basic"})
    secret = await service.signing_secret(hook["id"]) if signing else None
    [event_id] = await service.publish(OCCURRENCE)

    async def attempted():
        details = await service.get_notification(event_id)
        return details if details["attemptHistory"] else None

    return await until(attempted), secret


def _stored_bytes(db_url: str) -> bytes:
    """Every byte SQLite keeps for the store: the file and its write-ahead log."""
    path = Path(make_url(db_url).database)
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def test_the_request_is_recorded_as_sent_with_secrets_masked(env):
    service, receiver, db_url = env
    receiver.answer(Answer(status=202, body=b'{"queued":true}', headers={"X-Request-Id": "r-42"}))
    details, secret = await _delivered(service, receiver.url("/hook?x=1"), signing=True)
    [attempt] = details["attemptHistory"]
    [sent] = receiver.requests
    request, response = attempt["request"], attempt["response"]
    assert request["method"] == "POST" and request["url"] == receiver.url("/hook?x=1")
    headers = request["headers"]
    assert headers["Authorization"] == headers["webhook-signature"] == "•••"
    assert headers["webhook-id"] == details["eventId"] == sent.headers["webhook-id"]
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"].startswith("emswebhook-gui/")
    assert headers["Content-Length"] == str(len(sent.body))
    assert response["status"] == 202 and response["reason"] == "Accepted"
    assert response["headers"]["X-Request-Id"] == "r-42" and response["bodyExcerpt"] == '{"queued":true}'
    assert response["headersOmitted"] == 0
    assert attempt["connectMs"] is not None and attempt["firstByteMs"] is not None
    assert 0 <= attempt["firstByteMs"] <= attempt["durationMs"]
    # nothing that authenticates or signs the request is stored, in any form
    secrets = [PASSWORD, base64.b64encode(f"ems:{PASSWORD}".encode()).decode(), secret,
               secret.removeprefix("whsec_"), sent.headers["webhook-signature"],
               sent.headers["webhook-signature"].removeprefix("v1,")]
    if make_url(db_url).get_backend_name() == "sqlite":
        stored = _stored_bytes(db_url)
        assert b"webhook-signature" in stored  # the records are there...
        for value in secrets:
            assert value.encode() not in stored  # ...their secrets are not
    else:
        texts = await service.db.run(lambda s: s.execute(
            select(DeliveryAttempt.request_head, DeliveryAttempt.response_head)).all())
        dump = json.dumps([list(t) for t in texts])
        assert "webhook-signature" in dump and not any(value in dump for value in secrets)


async def test_a_second_attempt_on_a_kept_alive_connection_has_no_connect_time(env):
    service, receiver, _db_url = env
    receiver.answer(Answer(status=500))
    details, _ = await _delivered(service, receiver.url())
    [event_id] = await service.publish({**OCCURRENCE, "entityId": "e-2"})

    async def attempted():
        return (await service.get_notification(event_id))["attemptHistory"]

    [second] = await until(attempted)
    assert details["attemptHistory"][0]["connectMs"] is not None
    assert second["connectMs"] is None and second["response"]["status"] == 500


async def test_a_refused_connection_records_the_request_and_no_answer(env):
    service, _receiver, _db_url = env
    details, _ = await _delivered(service, f"http://127.0.0.1:{closed_port()}/hook")
    [attempt] = details["attemptHistory"]
    assert attempt["error"].startswith("connection refused")
    assert attempt["response"] is None and attempt["firstByteMs"] is None
    assert attempt["request"]["headers"]["Authorization"] == "•••"
    assert attempt["request"]["url"].endswith("/hook")


async def test_the_rest_api_returns_the_attempt_records(sqlite_url, memory_keyring):
    from tests.test_api import api_env

    async with api_env(sqlite_url, memory_keyring) as env:
        await env.service.create_profile({"name": "Basic", "type": "basic", "username": "ems", "password": PASSWORD})
        details, _ = await _delivered(env.service, env.receiver.url())
        reply = await env.client.get(f"/webhook-events/{details['eventId']}")
        assert reply.status == 200
        [attempt] = reply.json["attemptHistory"]
        assert attempt["request"]["headers"]["Authorization"] == "•••"
        assert attempt["response"]["status"] == 200 and attempt["response"]["bodyExcerpt"] == "ok"
        assert attempt["durationMs"] >= 0 and PASSWORD not in reply.text


async def test_hostile_answer_headers_are_capped_before_they_are_stored():
    """Near the transport's own limits (127 headers of 500 bytes: under 128 lines and 64 KiB),
    a hostile answer's head still costs the database only a few KiB."""
    value = b"v" * 500
    head = b"HTTP/1.1 200 " + b"R" * 4000 + b"\r\n" + b"".join(
        b"X-Flood-%d: %s\r\n" % (n, value) for n in range(120)) + b"Content-Length: 2\r\n\r\nok"
    async with RawServer(answering(head)) as server, Sender(allow_private=True) as sender:
        result = await sender.send(DeliveryRequest(url=server.url(), body=b"{}", event_id="e1"))
    assert result.ok and result.response_head is not None
    assert len(result.response_head.encode()) < exchange.HEAD_CHARS + 2048
    stored = json.loads(result.response_head)
    assert len(stored["headers"]) <= exchange.MAX_HEADERS and stored["omitted"] > 0
    assert len(stored["reason"]) <= exchange.REASON_CHARS
    _request, response = exchange.as_api(result.request_head, result.response_head, 200, "ok")
    assert response["headersOmitted"] == stored["omitted"]
    assert sum(len(k) + len(v) for k, v in response["headers"].items()) <= exchange.HEAD_CHARS


async def test_headers_that_would_carry_a_secret_back_are_masked_in_the_answer_too():
    head = b"HTTP/1.1 200 OK\r\nAuthorization: Bearer echoed-token\r\nContent-Length: 2\r\n\r\nok"
    async with RawServer(answering(head)) as server, Sender(allow_private=True) as sender:
        result = await sender.send(DeliveryRequest(url=server.url(), body=b"{}", event_id="e1"))
    assert "echoed-token" not in result.response_head
