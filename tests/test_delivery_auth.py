"""Basic and OAuth client-credentials authentication: token requests, the cache, real endpoints."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.auth import (
    BasicAuth,
    OAuthClientCredentials,
    TokenCache,
    TokenError,
    parse_token_response,
    token_request,
)
from emswebhook_gui.delivery.http import DeliveryRequest, Sender
from tests.support.receiver import Receiver, TokenServer, closed_port
from tests.support.waiting import until

SECRET = "s3cr3t!"


def oauth(token_url: str = "https://auth.example.com/token", **fields) -> OAuthClientCredentials:
    return OAuthClientCredentials(
        **({"token_url": token_url, "client_id": "client-1", "client_secret": SECRET} | fields)
    )


# --- specs and token requests ---------------------------------------------------------------


def test_repr_never_shows_secrets():
    assert "hunter2" not in repr(BasicAuth("alice", "hunter2"))
    assert "alice" in repr(BasicAuth("alice", "hunter2"))
    spec = oauth(client_secret="topsecret-value", scope="hooks")
    assert "topsecret-value" not in repr(spec) and "client-1" in repr(spec)
    assert "whsec_abc" not in repr(DeliveryRequest("http://x", b"{}", "e", signing_secret="whsec_abc"))


def test_basic_header_is_utf8_user_colon_password():
    header = BasicAuth("zoë", "p:w").header()
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == "zoë:p:w"


def test_token_request_uses_http_basic_client_auth_with_form_encoding():
    headers, form = token_request(oauth(client_id="id:1", client_secret="a b&c", scope="s1 s2"))
    assert form == {"grant_type": "client_credentials", "scope": "s1 s2"}
    assert base64.b64decode(headers["Authorization"][6:]).decode() == "id%3A1:a+b%26c"


def test_token_request_can_send_credentials_as_form_fields():
    headers, form = token_request(oauth(client_auth="body", audience="https://api.example.com"))
    assert "Authorization" not in headers
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "client-1",
        "client_secret": SECRET,
        "audience": "https://api.example.com",
    }


def test_parse_token_response_reads_token_and_lifetime():
    spec = oauth()
    assert parse_token_response(
        spec, 200, "OK", b'{"access_token":"abc.def","token_type":"bearer","expires_in":120}'
    ) == ("abc.def", 120.0)
    assert parse_token_response(spec, 200, "OK", b'{"access_token":"t","expires_in":"60"}') == ("t", 60.0)
    assert parse_token_response(spec, 200, "OK", b'{"access_token":"t"}') == ("t", None)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            401,
            b'{"error":"invalid_client","error_description":"unknown client"}',
            "token endpoint https://auth.example.com/token answered 401 Unauthorized: "
            "invalid_client (unknown client); check the client id and secret",
        ),
        (503, b"<html>down for maintenance</html>", "answered 503 Service Unavailable: <html>down"),
        (200, b"not json", "answered 200 without a JSON object"),
        (200, b'{"token":"x"}', "answered 200 without an access_token"),
        (200, b'{"access_token":"a\\r\\nX-Evil: 1"}', "characters not allowed in a header"),
        (200, b'{"access_token":"t","token_type":"mac"}', "issued a 'mac' token"),
        (200, b"[" * 100_000 + b"]" * 100_000, "answered 200 without a JSON object"),  # beyond the reader's depth
    ],
)
def test_parse_token_response_errors_say_what_the_endpoint_answered(status, body, message):
    reason = {401: "Unauthorized", 503: "Service Unavailable", 200: "OK"}[status]
    with pytest.raises(TokenError) as caught:
        parse_token_response(oauth(), status, reason, body)
    assert message in str(caught.value)
    assert str(caught.value).startswith("token endpoint https://auth.example.com/token")


def test_an_echoed_secret_is_scrubbed_from_the_error():
    spec = oauth(client_secret="p@ss w/rd")
    basic = token_request(spec)[0]["Authorization"][6:]
    echoed = json.dumps(
        {
            "error": "invalid_request",
            "error_description": f"got client_secret=p%40ss+w%2Frd raw=p@ss w/rd hdr={basic}",
        }
    ).encode()
    with pytest.raises(TokenError) as caught:
        parse_token_response(spec, 400, "Bad Request", echoed)
    message = str(caught.value)
    assert "p@ss" not in message and "p%40ss" not in message and basic not in message
    assert "invalid_request" in message


# --- the cache ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """The cache's ``fetch`` standing in for a token endpoint: issues "t1", "t2", ... with the given
    lifetimes in turn (the last one again after that), and counts how often it was asked."""

    def __init__(self, *lifetimes: float | None) -> None:
        self.lifetimes = lifetimes or (3600.0,)
        self.count = 0

    async def __call__(self, spec) -> tuple[str, float | None]:
        self.count += 1
        return f"t{self.count}", self.lifetimes[min(self.count, len(self.lifetimes)) - 1]


@pytest.mark.asyncio
async def test_cache_reuses_a_token_until_shortly_before_it_expires():
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    fetch = Issuer(300.0)
    spec = oauth()
    assert await cache.get(spec, fetch) == "t1"
    clock.now += 269
    assert await cache.get(spec, fetch) == "t1"
    clock.now += 1  # 270 s: within the 30 s margin
    assert await cache.get(spec, fetch) == "t2"


@pytest.mark.asyncio
async def test_short_lived_tokens_are_still_reused_and_missing_lifetime_gets_a_default():
    clock = FakeClock()
    cache = TokenCache(clock=clock, default_lifetime=100)
    fetch = Issuer(10.0, None)
    spec = oauth()
    await cache.get(spec, fetch)
    clock.now += 4.9  # margin is half of a 10 s lifetime
    assert await cache.get(spec, fetch) == "t1"
    clock.now += 0.2
    assert await cache.get(spec, fetch) == "t2"
    clock.now += 69
    assert await cache.get(spec, fetch) == "t2"
    assert fetch.count == 2


@pytest.mark.asyncio
async def test_concurrent_callers_share_one_request_and_one_failure():
    cache = TokenCache()
    gate = asyncio.Event()
    calls = 0

    async def fetch(spec):
        nonlocal calls
        calls += 1
        await gate.wait()
        if calls == 1:
            raise TokenError("token endpoint x answered 500")
        return "t-ok", 60.0

    spec = oauth()
    waiters = [asyncio.create_task(cache.get(spec, fetch)) for _ in range(20)]
    await until(lambda: calls == 1)  # the shared request is out, every caller waits on it
    gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert calls == 1 and all(isinstance(r, TokenError) for r in results)
    assert await cache.get(spec, fetch) == "t-ok"  # a failure is not cached
    assert calls == 2


@pytest.mark.asyncio
async def test_a_cancelled_caller_does_not_cancel_the_shared_request():
    cache = TokenCache()
    gate = asyncio.Event()

    started = asyncio.Event()

    async def fetch(spec):
        started.set()
        await gate.wait()
        return "t1", 60.0

    spec = oauth()
    first = asyncio.create_task(cache.get(spec, fetch))
    second = asyncio.create_task(cache.get(spec, fetch))
    await started.wait()
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    gate.set()
    assert await second == "t1"
    assert first.cancelled()


@pytest.mark.asyncio
async def test_invalidate_only_drops_the_token_it_names():
    cache = TokenCache()
    fetch = Issuer()
    spec = oauth(profile_key="profile-7")
    assert await cache.get(spec, fetch) == "t1"
    cache.invalidate("profile-7", "t0")  # stale 401: another delivery already refreshed
    assert await cache.get(spec, fetch) == "t1"
    cache.invalidate("profile-7", "t1")
    assert await cache.get(spec, fetch) == "t2"
    cache.invalidate("profile-7")
    assert await cache.get(spec, fetch) == "t3"


@pytest.mark.asyncio
async def test_edited_credentials_do_not_reuse_the_old_token():
    cache = TokenCache()
    fetch = Issuer()
    assert await cache.get(oauth(profile_key="p"), fetch) == "t1"
    assert await cache.get(oauth(profile_key="p", client_secret="rotated"), fetch) == "t2"


# --- against real token and webhook endpoints -------------------------------------------------


@pytest_asyncio.fixture
async def servers():
    async with Receiver() as receiver, TokenServer(client_secret=SECRET) as tokens:
        yield receiver, tokens


@pytest_asyncio.fixture
async def sender():
    async with Sender(allow_private=True, connect_timeout=1.0, request_timeout=2.0) as client:
        yield client


def delivery(url: str, auth) -> DeliveryRequest:
    return DeliveryRequest(url=url, body=b'{"eventName":"Feature Added"}', event_id="evt-9", auth=auth)


@pytest.mark.asyncio
async def test_bearer_token_is_sent_and_cached_across_50_deliveries(servers, sender):
    receiver, tokens = servers
    spec = oauth(tokens.url, scope="webhooks", audience="https://hooks.example.com")
    results = await asyncio.gather(*(sender.send(delivery(receiver.url(), spec)) for _ in range(50)))
    assert all(r.ok for r in results), {r.error for r in results}
    assert tokens.count == 1
    assert {r.headers["Authorization"] for r in receiver.requests} == {"Bearer tok-1"}
    form = tokens.forms[0]
    assert form == {
        "grant_type": "client_credentials",
        "scope": "webhooks",
        "audience": "https://hooks.example.com",
    }
    assert tokens.requests[0].headers["Authorization"].startswith("Basic ")
    assert tokens.requests[0].headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.asyncio
async def test_form_field_client_auth_against_the_real_endpoint(servers, sender):
    receiver, tokens = servers
    result = await sender.send(delivery(receiver.url(), oauth(tokens.url, client_auth="body")))
    assert result.ok, result.error
    assert "Authorization" not in tokens.requests[0].headers
    assert tokens.forms[0]["client_secret"] == SECRET


@pytest.mark.asyncio
async def test_a_401_from_the_endpoint_fetches_a_new_token_once_and_retries(servers, sender):
    receiver, tokens = servers
    spec = oauth(tokens.url)
    assert (await sender.send(delivery(receiver.url(), spec))).ok
    receiver.accept_bearer = {"tok-2"}  # the endpoint revoked tok-1
    result = await sender.send(delivery(receiver.url(), spec))
    assert result.ok and result.status_code == 200, result.error
    assert tokens.count == 2
    assert [r.headers["Authorization"] for r in receiver.requests] == [
        "Bearer tok-1",
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    assert (await sender.send(delivery(receiver.url(), spec))).ok
    assert tokens.count == 2


@pytest.mark.asyncio
async def test_a_401_with_the_new_token_too_fails_without_looping(servers, sender):
    receiver, tokens = servers
    receiver.accept_bearer = set()
    result = await sender.send(delivery(receiver.url(), oauth(tokens.url)))
    assert (result.ok, result.status_code) == (False, 401)
    assert result.error == "HTTP 401 Unauthorized (also with a newly fetched OAuth token)"
    assert tokens.count == 2 and len(receiver.requests) == 2


@pytest.mark.asyncio
async def test_token_endpoint_400_is_recorded_without_the_secret(servers, sender):
    receiver, tokens = servers
    tokens.fail_status = 400
    tokens.fail_body = json.dumps(
        {"error": "invalid_scope", "error_description": f"client_secret {SECRET} may not ask"}
    ).encode()
    result = await sender.send(delivery(receiver.url(), oauth(tokens.url)))
    assert (result.ok, result.status_code) == (False, None)
    assert result.error.startswith(
        f"OAuth token endpoint {tokens.url} answered 400 Bad Request: invalid_scope"
    )
    assert SECRET not in result.error
    assert receiver.requests == []


@pytest.mark.asyncio
async def test_wrong_client_secret_is_a_401_from_the_token_endpoint(servers, sender):
    receiver, tokens = servers
    result = await sender.send(delivery(receiver.url(), oauth(tokens.url, client_secret="wrong-one")))
    assert result.error.startswith(f"OAuth token endpoint {tokens.url} answered 401 Unauthorized")
    assert "wrong-one" not in result.error


@pytest.mark.asyncio
async def test_token_endpoint_down_is_recorded_without_the_secret(servers, sender):
    receiver, _ = servers
    port = closed_port()
    token_url = f"http://127.0.0.1:{port}/token"
    result = await sender.send(delivery(receiver.url(), oauth(token_url)))
    assert result.error == (
        f"OAuth token endpoint {token_url}: connection refused (127.0.0.1:{port})"
    )
    assert receiver.requests == []


@pytest.mark.asyncio
async def test_token_endpoint_timeout(servers):
    receiver, tokens = servers
    tokens.delay = 2
    async with Sender(allow_private=True, request_timeout=0.3) as sender:
        result = await sender.send(delivery(receiver.url(), oauth(tokens.url)))
    assert result.error == f"OAuth token endpoint {tokens.url}: timed out after 0.3 s"


@pytest.mark.asyncio
async def test_short_lived_tokens_are_refreshed(servers):
    receiver, tokens = servers
    tokens.expires_in = 20  # reused for 10 s (half its lifetime), on the cache's injected clock
    clock = FakeClock()
    spec = oauth(tokens.url)
    async with Sender(allow_private=True, connect_timeout=1.0, request_timeout=2.0,
                      tokens=TokenCache(clock=clock)) as sender:
        assert (await sender.send(delivery(receiver.url(), spec))).ok
        clock.now += 9.9
        assert (await sender.send(delivery(receiver.url(), spec))).ok
        assert tokens.count == 1
        clock.now += 0.2
        assert (await sender.send(delivery(receiver.url(), spec))).ok
    assert tokens.count == 2
    assert receiver.requests[-1].headers["Authorization"] == "Bearer tok-2"


@pytest.mark.asyncio
async def test_a_private_token_endpoint_is_refused_like_a_private_endpoint(servers):
    _, tokens = servers
    async with Sender() as sender:  # private endpoints not allowed
        result = await sender.send(delivery("http://93.184.215.14/hook", oauth(tokens.url)))
    assert result.error.startswith(f"OAuth token endpoint {tokens.url}: blocked: 127.0.0.1 ")
    assert "allowPrivateEndpoints" in result.error
    assert tokens.count == 0
