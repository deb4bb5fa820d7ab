"""Refuse endpoints on loopback, private and other non-public addresses (SSRF guard).

The check runs on the addresses a connection will actually use, at send time: checking the URL when
the webhook is saved would let DNS rebinding (public answer at save time, ``127.0.0.1`` at send
time) walk straight past it. :class:`GuardedResolver` wraps aiohttp's resolver, so the connector
only ever sees addresses that passed the check. aiohttp never consults the resolver for IP-literal
hosts, so the sender calls :func:`check_literal` for those (a literal cannot rebind).

The classification is table-driven instead of relying on ``ipaddress.is_global`` / ``is_private``,
whose answers changed between Python patch releases (3.11.7 calls ``::ffff:127.0.0.1`` global but
reserved, and ``ff02::1`` global) and which do not look inside IPv4-mapped, 6to4 and NAT64 forms.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

__all__ = [
    "BlockedAddressError",
    "GuardedResolver",
    "blocked_reason",
    "check_literal",
]

IPAddress = IPv4Address | IPv6Address


def _rules(entries: tuple[tuple[str, str], ...]) -> tuple:
    """(network, reason) pairs from their written form. First match wins, so specific entries
    precede the ranges that contain them."""
    return tuple((ipaddress.ip_network(net), reason) for net, reason in entries)


_IPV4_RULES: tuple[tuple[IPv4Network, str], ...] = _rules(
    (
        ("0.0.0.0/32", "unspecified"),
        ("0.0.0.0/8", "'this network', RFC 791"),
        ("127.0.0.0/8", "loopback"),
        ("10.0.0.0/8", "private, RFC 1918"),
        ("172.16.0.0/12", "private, RFC 1918"),
        ("192.168.0.0/16", "private, RFC 1918"),
        ("100.64.0.0/10", "shared address space / carrier-grade NAT, RFC 6598"),
        ("169.254.0.0/16", "link-local"),
        ("192.0.0.0/24", "IETF protocol assignment, RFC 6890"),
        ("192.0.2.0/24", "documentation, RFC 5737"),
        ("198.51.100.0/24", "documentation, RFC 5737"),
        ("203.0.113.0/24", "documentation, RFC 5737"),
        ("198.18.0.0/15", "benchmarking, RFC 2544"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast, RFC 7526"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)

_IPV6_RULES: tuple[tuple[IPv6Network, str], ...] = _rules(
    (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "local-use NAT64, RFC 8215"),
        ("100::/64", "discard-only, RFC 6666"),
        ("2001:db8::/32", "documentation, RFC 3849"),
        ("3fff::/20", "documentation, RFC 9637"),
        ("2001::/23", "IETF protocol assignment (Teredo, ORCHID, ...), RFC 2928"),
        ("fc00::/7", "unique local (private), RFC 4193"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated), RFC 3879"),
        ("ff00::/8", "multicast"),
    )
)

_MAPPED = IPv6Network("::ffff:0:0/96")
_NAT64 = IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = IPv6Network("2002::/16")
_GLOBAL_UNICAST = IPv6Network("2000::/3")


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public endpoint address, or None when it is one.

    IPv4-mapped (``::ffff:a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``) and 6to4 (``2002:AABB:CCDD::``)
    addresses reach the IPv4 address they embed, so they are judged by it. Anything outside IPv6
    global unicast (``2000::/3``) is refused: nothing else is routable on the internet today.
    Raises ValueError for text that is not an IP address.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, IPv6Address) and ip.scope_id:
        ip = IPv6Address(ip.packed)
    if isinstance(ip, IPv4Address):
        return _first_rule(ip, _IPV4_RULES)
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        kind, v4 = embedded
        inner = _first_rule(v4, _IPV4_RULES)
        return f"{kind} form of {v4}, {inner}" if inner else None
    reason = _first_rule(ip, _IPV6_RULES)
    if reason is None and ip not in _GLOBAL_UNICAST:
        reason = "reserved, outside IPv6 global unicast 2000::/3"
    return reason


def _first_rule(ip: IPAddress, rules: tuple[tuple[IPv4Network | IPv6Network, str], ...]) -> str | None:
    for network, reason in rules:
        if ip in network:
            return reason
    return None


def _embedded_ipv4(ip: IPv6Address) -> tuple[str, IPv4Address] | None:
    if ip in _MAPPED:
        return "IPv4-mapped", IPv4Address(ip.packed[-4:])
    if ip in _NAT64:
        return "NAT64", IPv4Address(ip.packed[-4:])
    if ip in _SIX_TO_FOUR:
        return "6to4", IPv4Address(ip.packed[2:6])
    return None


class BlockedAddressError(OSError):
    """An endpoint address the guard refused; the message tells the administrator the way out.

    A subclass of OSError so that aiohttp treats it like any other failed lookup (it wraps it in
    ``ClientConnectorDNSError`` and moves on), and the sender finds it again in the cause chain.
    """

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host = host
        self.address = address
        self.reason = reason
        where = address if host == address else f"{host} resolves to {address}, which"
        super().__init__(
            f"blocked: {where} is not a public address ({reason}); private, loopback and other "
            "non-public endpoints are refused unless the application property "
            "allowPrivateEndpoints is on"
        )

    def __reduce__(self):  # OSError's default pickling would drop the custom arguments
        return (type(self), (self.host, self.address, self.reason))


def check_literal(host: str) -> None:
    """Raise BlockedAddressError when ``host`` is a non-public IP literal; names pass silently.

    aiohttp connects to IP-literal hosts without asking the resolver, so the sender checks them
    here before the request. ``host`` is the bare host (``::1``, not ``[::1]``).
    """
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    reason = blocked_reason(ip)
    if reason is not None:
        raise BlockedAddressError(host, host, reason)


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that drops non-public addresses from every answer.

    Public addresses in a mixed answer are kept (the connection simply never tries the others);
    when nothing public is left the lookup fails with BlockedAddressError naming the first refused
    address. ``allow_private`` is called on every lookup so a runtime toggle takes effect at once
    for new connections. ``exempt`` host names (the configured proxies: an egress proxy lives on
    the private network by nature) are resolved without the check.
    """

    def __init__(
        self,
        inner: AbstractResolver | None = None,
        *,
        allow_private: Callable[[], bool] = lambda: False,
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self._inner = inner if inner is not None else DefaultResolver()
        self._allow_private = allow_private
        self._exempt = frozenset(name.lower() for name in exempt)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host.lower() in self._exempt:
            return await self._inner.resolve(host, port, family)
        return await self.check(host, port, family)

    async def check(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[ResolveResult]:
        """Resolve ``host`` and keep its public addresses, exempt or not (the sender checks a
        target that a proxy will connect to this way)."""
        results = await self._inner.resolve(host, port, family)
        if self._allow_private():
            return results
        kept: list[ResolveResult] = []
        refused: tuple[str, str] | None = None
        for result in results:
            reason = blocked_reason(result["host"])
            if reason is None:
                kept.append(result)
            elif refused is None:
                refused = (result["host"], reason)
        if not kept:
            if refused is None:
                raise OSError(f"no addresses found for {host}")
            raise BlockedAddressError(host, *refused)
        return kept

    async def close(self) -> None:
        await self._inner.close()
