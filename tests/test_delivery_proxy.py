"""Deliveries through a forward proxy the test starts (plain HTTP and CONNECT): configured by the
environment and by the httpProxy/noProxy properties, with credentials, bypassed by noProxy,
refused with a 407, still checked by the URL guard before the proxy sees anything."""

from __future__ import annotations

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.auth import OAuthClientCredentials
from emswebhook_gui.delivery.http import Sender
from emswebhook_gui.delivery.transport import TransportSettings, bypassed
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.delivery import delivery
from tests.support.dns import FakeResolver
from tests.support.proxy import ForwardProxy
from tests.support.raw import OK, RawServer, answering
from tests.support.receiver import TokenServer, closed_port
from tests.support.tls import TestCA, server_context



@pytest_asyncio.fixture
async def proxy():
    async with ForwardProxy() as server:
        yield server


def sender(**options) -> Sender:
    options.setdefault("allow_private", True)
    return Sender(connect_timeout=1.0, request_timeout=3.0, **options)


@pytest.mark.asyncio
async def test_http_proxy_from_the_environment_forwards_a_plain_delivery(receiver, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("http_proxy", raising=False)
    async with sender() as client:
        result = await client.send(delivery(receiver.url("/hook?sp=%2Ftriggers")))
    assert (result.ok, result.status_code) == (True, 200), result.error
    assert [(a.method, a.target) for a in proxy.asked] == [("POST", receiver.url("/hook?sp=%2Ftriggers"))]
    assert receiver.requests[0].path == "/hook?sp=%2Ftriggers"


@pytest.mark.asyncio
async def test_https_proxy_from_the_environment_tunnels_with_connect(proxy, tmp_path):
    ca = TestCA(tmp_path)
    async with RawServer(answering(OK), tls=server_context(ca.issue("leaf", ["localhost"]))) as server:
        async with sender(environ={"HTTPS_PROXY": proxy.url},
                          settings=TransportSettings(ca_bundle=str(ca.pem))) as client:
            result = await client.send(delivery(f"https://localhost:{server.port}/hook"))
    assert (result.ok, result.status_code) == (True, 200), result.error
    assert [(a.method, a.target) for a in proxy.asked] == [("CONNECT", f"localhost:{server.port}")]
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_the_property_overrides_the_environment(receiver, proxy):
    elsewhere = f"http://127.0.0.1:{closed_port()}"
    async with sender(environ={"HTTP_PROXY": elsewhere},
                      settings=TransportSettings(http_proxy=proxy.url)) as client:
        result = await client.send(delivery(receiver.url()))
    assert result.ok, result.error
    assert len(proxy.asked) == 1


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "127.0.0.0/8", "*"])
@pytest.mark.asyncio
async def test_no_proxy_bypasses_the_proxy(receiver, proxy, no_proxy):
    async with sender(settings=TransportSettings(http_proxy=proxy.url, no_proxy=no_proxy)) as client:
        result = await client.send(delivery(receiver.url()))
    assert result.ok, result.error
    assert proxy.asked == [] and len(receiver.requests) == 1


@pytest.mark.asyncio
async def test_no_proxy_from_the_environment_is_honoured(receiver, proxy):
    async with sender(environ={"HTTP_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"}) as client:
        assert (await client.send(delivery(receiver.url()))).ok
    assert proxy.asked == []


def test_no_proxy_entries_match_as_curl_reads_them():
    entries = ("example.com", ".corp.internal", "10.0.0.0/8", "[::1]", "api.test:8443")
    assert bypassed("example.com", 443, entries) and bypassed("hooks.example.com", 443, entries)
    assert not bypassed("badexample.com", 443, entries)
    assert bypassed("erp.corp.internal", 80, entries) and bypassed("10.1.2.3", 80, entries)
    assert bypassed("::1", 80, entries) and not bypassed("11.0.0.1", 80, entries)
    assert bypassed("api.test", 8443, entries) and not bypassed("api.test", 443, entries)


@pytest.mark.asyncio
async def test_a_407_on_a_plain_request_names_the_proxy_and_where_credentials_go(receiver):
    async with ForwardProxy(credentials=("alice", "pw")) as proxy:
        async with sender(settings=TransportSettings(http_proxy=proxy.url)) as client:
            result = await client.send(delivery(receiver.url()))
    assert (result.ok, result.status_code) == (False, 407)
    assert result.error == (f"proxy {proxy.where} answered 407 Proxy Authentication Required (proxy from property "
                            "httpProxy; set its credentials with `emswebhook config proxy-credentials`)")
    assert receiver.requests == []


@pytest.mark.asyncio
async def test_a_407_to_connect_is_recorded_naming_the_proxy(tmp_path):
    async with ForwardProxy(credentials=("alice", "pw")) as proxy:
        async with sender(environ={"HTTPS_PROXY": proxy.url}) as client:
            result = await client.send(delivery("https://localhost:9/hook"))
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == (f"proxy {proxy.where} refused the CONNECT to localhost:9: 407 Proxy Authentication "
                            "Required (proxy from environment HTTPS_PROXY; set its credentials with "
                            "`emswebhook config proxy-credentials`)")


@pytest.mark.asyncio
async def test_keyring_credentials_are_sent_as_proxy_authorization(receiver, tmp_path):
    ca = TestCA(tmp_path)
    settings = TransportSettings(http_proxy="", ca_bundle=str(ca.pem), proxy_username="alice", proxy_password="pä ss")
    async with ForwardProxy(credentials=("alice", "pä ss")) as proxy:
        async with RawServer(answering(OK), tls=server_context(ca.issue("leaf", ["localhost"]))) as tls_server:
            async with sender(settings=TransportSettings(**{**_fields(settings), "http_proxy": proxy.url})) as client:
                plain = await client.send(delivery(receiver.url()))
                tunnelled = await client.send(delivery(f"https://localhost:{tls_server.port}/hook"))
    assert plain.ok, plain.error
    assert tunnelled.ok, tunnelled.error
    assert [a.method for a in proxy.asked] == ["POST", "CONNECT"]
    assert all(a.proxy_authorization and a.proxy_authorization.startswith("Basic ") for a in proxy.asked)


def _fields(settings: TransportSettings) -> dict:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


@pytest.mark.asyncio
async def test_a_proxy_that_refuses_connections_is_named():
    port = closed_port()
    async with sender(settings=TransportSettings(http_proxy=f"http://127.0.0.1:{port}")) as client:
        result = await client.send(delivery("http://hooks.example.com/hook"))
    assert result.error == f"proxy 127.0.0.1:{port} refused the connection (source: property httpProxy)"


@pytest.mark.asyncio
async def test_the_url_guard_checks_the_target_before_the_proxy_sees_it(receiver):
    table = {"hooks.example.com": ["93.184.216.34"], "internal.example.com": ["10.0.0.7"],
             "proxy.test": ["127.0.0.1"]}
    upstream = {"hooks.example.com": ("127.0.0.1", receiver.port)}
    async with ForwardProxy(upstream=upstream) as proxy:
        async with Sender(allow_private=False, resolver_factory=lambda: FakeResolver(table),
                          settings=TransportSettings(http_proxy=f"http://proxy.test:{proxy.port}")) as client:
            public = await client.send(delivery("http://hooks.example.com/hook"))
            private = await client.send(delivery("http://internal.example.com/hook"))
            literal = await client.send(delivery("http://169.254.169.254/latest/meta-data"))
    assert public.ok, public.error  # the proxy on loopback is exempt from the guard
    assert private.error.startswith("blocked: internal.example.com resolves to 10.0.0.7, which is not a public")
    assert literal.error.startswith("blocked: 169.254.169.254 is not a public address")
    assert [a.target for a in proxy.asked] == ["http://hooks.example.com/hook"]


@pytest.mark.asyncio
async def test_token_requests_go_through_the_proxy(proxy):
    async with TokenServer() as tokens:
        spec = OAuthClientCredentials(tokens.url, tokens.client_id, tokens.client_secret)
        async with sender(settings=TransportSettings(http_proxy=proxy.url)) as client:
            token, _expires = await client.fetch_token(spec)
    assert token == "tok-1"
    assert [(a.method, a.target) for a in proxy.asked] == [("POST", tokens.url)]


@pytest.mark.asyncio
async def test_the_service_says_which_proxy_is_in_effect_and_where_it_came_from(sqlite_url, memory_keyring,
                                                                                 monkeypatch):
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://egress.corp:3128")
    service = await WebhookService.open(sqlite_url, secrets=SecretStore(memory_keyring))
    try:
        shown = await service.proxy_in_effect()
        assert shown["https"] == {"url": "http://egress.corp:3128", "source": "environment HTTPS_PROXY",
                                  "authenticated": False}
        assert shown["http"] is None
        await service.set_property("httpProxy", "http://proxy.corp:8080")
        await service.set_property("noProxy", ".corp.internal,10.0.0.0/8")
        await service.set_proxy_credentials("alice", "s3cret")
        shown = await service.proxy_in_effect()
        assert shown["http"] == shown["https"] == {"url": "http://proxy.corp:8080", "source": "property httpProxy",
                                                   "authenticated": True}
        assert (shown["noProxy"], shown["noProxySource"]) == ([".corp.internal", "10.0.0.0/8"], "property noProxy")
        assert "s3cret" not in repr(shown)
    finally:
        await service.close()


def test_proxy_credentials_from_the_shell(sqlite_url, memory_keyring, monkeypatch, capsys):
    import json

    from tests.support.cli import runner

    monkeypatch.setenv("EMSWEBHOOK_DATABASE_URL", sqlite_url)
    run = runner(monkeypatch, capsys)

    code, out, _ = run("config", "proxy-credentials", "--username", "alice", "--password-stdin", stdin="s3cr3t\n")
    assert code == 0 and "alice" in out and "s3cr3t" not in out
    [stored] = memory_keyring.secrets.values()
    assert json.loads(stored) == {"username": "alice", "password": "s3cr3t"}
    code, _, err = run("config", "set", "httpProxy", "http://alice:s3cr3t@proxy.corp:3128")
    assert code == 2 and "config proxy-credentials" in err and "keyring" in err
    assert run("config", "get", "httpProxy")[1].strip() == ""
    assert run("config", "proxy-credentials", "--clear")[0] == 0
    assert memory_keyring.secrets == {}
