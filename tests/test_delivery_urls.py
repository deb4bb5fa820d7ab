"""One URL parser: what validation accepts is what goes on the wire, byte for byte. User info is
refused (and reported in stored URLs by a migration), IPv6 literals and IDN hosts accepted."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import create_engine, text

from emswebhook_gui.delivery.http import Sender
from emswebhook_gui.errors import ValidationError
from emswebhook_gui.store.migrations_runner import upgrade_to_head
from emswebhook_gui.rules.checks import Collector
from emswebhook_gui.rules.urls import URLProblem, check_http_url, parse_endpoint_url
from tests.support.delivery import delivery
from tests.support.dns import FakeResolver
from tests.support.raw import OK, RawServer, answering


def accepted(url: str) -> str | None:
    errors = Collector()
    value = check_http_url(url, errors, "endpointUrl")
    return value if not errors.errors else None


def problem(url: str) -> str:
    with pytest.raises(URLProblem) as caught:
        parse_endpoint_url(url)
    return str(caught.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", [
    "/hook?sp=%2Ftriggers&sig=a%2Bb%3D",
    "/a%2Fb/%7Euser/caf%C3%A9?q=x%20y&empty=&flag",
    "/path;matrix=1/(x)*+,!$?a=1&a=2",
])
async def test_the_path_and_query_go_out_exactly_as_typed(path):
    async with RawServer(answering(OK)) as server, Sender(allow_private=True) as sender:
        url = server.url(path)
        assert accepted(url) == url
        result = await sender.send(delivery(url))
    assert result.ok, result.error
    assert server.requests[0].line == f"POST {path} HTTP/1.1"


@pytest.mark.parametrize("url", ["https://user:pw@hooks.example.com/x", "https://user@hooks.example.com/x",
                                 "http://:secret@hooks.example.com/"])
def test_user_info_is_refused_pointing_to_authentication_profiles(url):
    message = problem(url)
    assert "user name or password" in message and "authentication profile" in message
    assert "pw" not in message and "secret" not in message


@pytest.mark.asyncio
async def test_a_stored_url_with_user_info_still_delivers_without_sending_it():
    async with RawServer(answering(OK)) as server, Sender(allow_private=True) as sender:
        result = await sender.send(delivery(f"http://old:pw@127.0.0.1:{server.port}/hook"))
    assert result.ok, result.error
    assert server.requests[0].header("Authorization") == []
    assert server.requests[0].header("Host") == [f"127.0.0.1:{server.port}"]


@pytest.mark.asyncio
async def test_an_idn_host_is_accepted_and_sent_as_punycode():
    async with RawServer(answering(OK)) as server:
        url = f"http://bücher.example:{server.port}/x"
        assert accepted(url) == url  # stored as typed
        resolver = FakeResolver({"xn--bcher-kva.example": ["127.0.0.1"]})
        async with Sender(allow_private=True, resolver_factory=lambda: resolver) as sender:
            result = await sender.send(delivery(url))
    assert result.ok, result.error
    assert resolver.asked == ["xn--bcher-kva.example"]
    assert server.requests[0].header("Host") == [f"xn--bcher-kva.example:{server.port}"]


def test_ipv6_literals_are_accepted_and_bad_ones_named():
    assert accepted("https://[2001:db8::1]:8443/x") == "https://[2001:db8::1]:8443/x"
    assert str(parse_endpoint_url("https://[2001:db8::1]:8443/x")) == "https://[2001:db8::1]:8443/x"
    assert "not a valid URL" in problem("https://[2001:db8::1/x")


@pytest.mark.parametrize("url, words", [
    ("https://hooks.example.com/ü", "'ü' at position 27"),
    ("https://hooks.example.com/[x]", "'[' at position 27"),
    ("https://hooks.example.com:0/", "port 0"),
    ("https://hooks.example.com:70000/", "not a valid URL"),
    ("ftp://hooks.example.com/", "http:// or https://"),
    ("https:///x", "must name a host"),
])
def test_what_is_refused_is_named(url, words):
    assert words in problem(url)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.asyncio
@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_a_receiver_on_ipv6_loopback_with_private_endpoints_allowed():
    async with RawServer(answering(OK), host="::1") as server:
        async with Sender(allow_private=True) as sender:
            result = await sender.send(delivery(server.url()))
        async with Sender(allow_private=False) as guarded:
            refused = await guarded.send(delivery(server.url()))
    assert result.ok, result.error
    assert server.requests[0].header("Host") == [f"[::1]:{server.port}"]
    assert refused.error.startswith("blocked: ::1 is not a public address (loopback)")
    assert len(server.requests) == 1


def test_the_migration_reports_stored_urls_with_user_info_and_changes_nothing(tmp_path, caplog):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_to_head(engine, "0004")
    stored = "https://ems:hunter2@hooks.example.com/in"
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO auth_profiles (id, name, name_key, type, username, created_at, updated_at) VALUES "
            "('p1', 'Basic', 'basic', 'basic', 'u', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO webhooks (id, name, name_key, event_name, endpoint_url, auth_profile_id, activities, "
            "include_data, enabled, signing_enabled, created_at, updated_at) VALUES ('w1', 'Legacy', 'legacy', "
            "'Entitlement Added', :url, 'p1', '[]', 1, 1, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
            {"url": stored})
    with caplog.at_level(logging.WARNING, logger="emswebhook_gui.store.migrations"):
        upgrade_to_head(engine)
    [record] = [r for r in caplog.records if r.name == "emswebhook_gui.store.migrations"]
    message = record.getMessage()
    assert "webhook 'Legacy'" in message and "https://***@hooks.example.com/in" in message
    assert "hunter2" not in message and "ems:" not in message
    with engine.connect() as connection:
        assert connection.execute(text("SELECT endpoint_url FROM webhooks")).scalar_one() == stored
    engine.dispose()


def test_validation_error_names_the_field_for_user_info():
    errors = Collector()
    check_http_url("https://a:b@h.example.com/", errors, "endpointUrl")
    with pytest.raises(ValidationError) as caught:
        errors.raise_if_any()
    assert "endpointUrl" in str(caught.value)
