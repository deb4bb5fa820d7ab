"""The SSRF guard: address classification, the guarded resolver, and real sends to loopback."""

from __future__ import annotations

import pytest

from emswebhook_gui.delivery.http import DeliveryRequest, Sender
from tests.support.dns import FakeResolver
from emswebhook_gui.delivery.urlguard import (
    BlockedAddressError,
    GuardedResolver,
    blocked_reason,
    check_literal,
)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared address space"),
        ("100.127.255.255", "shared address space"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "this network"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("192.0.2.10", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("192.0.0.8", "IETF protocol assignment"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "unique local"),
        ("fd12:3456:789a::1", "unique local"),
        ("fe80::1", "link-local"),
        ("fe80::1%2", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1, private"),
        ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, link-local"),
        ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1, loopback"),
        ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254, link-local"),
        ("64:ff9b:1::a00:1", "local-use NAT64"),
        ("2002:7f00:1::", "6to4 form of 127.0.0.1, loopback"),
        ("2002:c0a8:101::1", "6to4 form of 192.168.1.1, private"),
        ("::7f00:1", "reserved"),  # deprecated IPv4-compatible ::127.0.0.1
        ("2001:db8::1", "documentation"),
        ("2001::1", "IETF protocol assignment"),  # Teredo
        ("100::1", "discard-only"),
        ("4000::1", "reserved"),
    ],
)
def test_non_public_addresses_are_refused_with_a_reason(address, reason):
    found = blocked_reason(address)
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "172.32.0.1",  # just outside 172.16/12
        "100.128.0.1",  # just outside 100.64/10
        "192.0.3.1",
        "11.0.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001:82a::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_pass(address):
    assert blocked_reason(address) is None


def test_check_literal_names_the_address_the_reason_and_the_way_out():
    with pytest.raises(BlockedAddressError) as caught:
        check_literal("::ffff:127.0.0.1")
    message = str(caught.value)
    assert message.startswith("blocked: ::ffff:127.0.0.1 is not a public address")
    assert "IPv4-mapped form of 127.0.0.1, loopback" in message
    assert "private" in message and "allowPrivateEndpoints" in message
    check_literal("8.8.8.8")
    check_literal("hooks.example.com")  # names are the resolver's business


@pytest.mark.asyncio
async def test_guarded_resolver_keeps_only_public_addresses():
    inner = FakeResolver({"mixed.example": ["10.0.0.5", "93.184.215.14", "::1"]})
    resolver = GuardedResolver(inner)
    kept = await resolver.resolve("mixed.example", 443)
    assert [r["host"] for r in kept] == ["93.184.215.14"]
    await resolver.close()
    assert inner.closed


@pytest.mark.asyncio
async def test_guarded_resolver_refuses_an_all_private_answer_and_reads_the_toggle_each_time():
    allow = False
    resolver = GuardedResolver(
        FakeResolver({"rebind.example": ["169.254.169.254", "fd00::1"]}),
        allow_private=lambda: allow,
    )
    with pytest.raises(BlockedAddressError) as caught:
        await resolver.resolve("rebind.example", 80)
    assert str(caught.value).startswith(
        "blocked: rebind.example resolves to 169.254.169.254, which is not a public address "
        "(link-local)"
    )
    allow = True
    assert len(await resolver.resolve("rebind.example", 80)) == 2


def request_to(url: str) -> DeliveryRequest:
    return DeliveryRequest(url=url, body=b"{}", event_id="evt-1")


@pytest.mark.asyncio
async def test_send_to_loopback_is_refused_until_private_endpoints_are_allowed(receiver):
    allow = False
    async with Sender(allow_private=lambda: allow) as sender:
        refused = await sender.send(request_to(receiver.url()))
        assert not refused.ok and refused.status_code is None
        assert refused.error.startswith("blocked: 127.0.0.1 is not a public address (loopback)")
        assert "allowPrivateEndpoints" in refused.error
        assert receiver.requests == []

        allow = True
        delivered = await sender.send(request_to(receiver.url()))
        assert delivered.ok, delivered.error
        assert len(receiver.requests) == 1

        # Turned off again: the kept-alive connection to loopback must not be reused.
        allow = False
        again = await sender.send(request_to(receiver.url()))
        assert not again.ok and again.error.startswith("blocked:")
        assert len(receiver.requests) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "host", ["[::1]", "[::ffff:127.0.0.1]", "10.0.0.1", "169.254.169.254", "[fe80::1]", "0.0.0.0"]
)
async def test_send_to_private_literals_is_refused_without_connecting(host):
    async with Sender(connect_timeout=0.2, request_timeout=0.5) as sender:
        result = await sender.send(request_to(f"http://{host}:9/hook"))
    assert not result.ok
    assert result.error.startswith("blocked: "), result.error


@pytest.mark.asyncio
async def test_names_are_checked_on_the_resolved_address(receiver):
    # "hooks.example.com" resolves (through the fake DNS) to the loopback receiver.
    def resolver():
        return FakeResolver({"hooks.example.com": ["127.0.0.1"], "localhost": ["127.0.0.1"]})

    url = f"http://hooks.example.com:{receiver.port}/hook"
    async with Sender(resolver_factory=resolver) as sender:
        refused = await sender.send(request_to(url))
        assert refused.error.startswith(
            "blocked: hooks.example.com resolves to 127.0.0.1, which is not a public address"
        )
    async with Sender(resolver_factory=resolver, allow_private=True) as sender:
        delivered = await sender.send(request_to(url))
        assert delivered.ok, delivered.error
    assert receiver.requests[0].headers["Host"] == f"hooks.example.com:{receiver.port}"


@pytest.mark.asyncio
async def test_localhost_is_refused_by_the_real_resolver(receiver):
    async with Sender() as sender:
        result = await sender.send(request_to(receiver.url().replace("127.0.0.1", "localhost")))
    assert result.error.startswith("blocked: localhost resolves to ")
    assert receiver.requests == []
