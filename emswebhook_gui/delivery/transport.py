"""The aiohttp client session under the sender: limits, TLS trust, proxies, bounded answers.

Deliveries and OAuth token requests go through one ``aiohttp.ClientSession`` per sender (so per
engine). aiohttp brings what a hand-written client had to get right by itself: header and line
limits, happy eyeballs, CONNECT tunnels, a pluggable resolver for the URL guard, per-host
connection limits and years of fixes against broken and hostile servers. This module builds that
session from :class:`TransportSettings` (application properties and the environment) and adds the
two bounds aiohttp does not have: all headers of an answer together at most
:data:`HEADERS_LIMIT`, and the mark on a connection that a kept-alive connection was closed by
the server before any byte of the answer (the one case the sender sends again).

Settings are read when a session is made; the sender makes a new session when they change (a
changed ``caBundle``, proxy, or ``allowPrivateEndpoints``) and closes the old one once its last
request has finished, so a connection opened under one setting is never used under another.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import ssl
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.client_exceptions import ClientOSError, ServerDisconnectedError
from aiohttp.client_proto import ResponseHandler
from aiohttp.helpers import _EXC_SENTINEL  # the "no cause" mark of set_exception (private, stable since 3.9)
from yarl import URL

from ..rules import properties
from ..secrets import PROXY_CREDENTIALS_KEY, SecretStore, SecretStoreUnavailable
from ..threads import run_blocking

log = logging.getLogger(__name__)

__all__ = [
    "HEADERS_LIMIT",
    "LINE_LIMIT",
    "AnswerHeadersTooLarge",
    "ClosedBeforeAnswer",
    "Proxy",
    "ProxyPlan",
    "TransportSettings",
    "make_session",
    "proxy_plan",
    "read_settings",
    "ssl_context",
]

LINE_LIMIT = 8 * 1024
"""The status line and each header line of an answer, at most (aiohttp counts 8190)."""
HEADERS_LIMIT = 64 * 1024
"""Every header of an answer together, at most."""
MAX_HEADERS = 128
"""Header lines of an answer, at most (aiohttp's default)."""
KEEPALIVE = 15.0
"""Seconds an idle connection is kept for reuse."""
MAX_CONNECTIONS = 64
MAX_PER_ENDPOINT = 8
HAPPY_EYEBALLS_DELAY = 0.25
"""RFC 8305's recommended delay before the next address is tried beside a silent one."""


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """What a session is built from beside ``allowPrivateEndpoints``: the application properties
    of the transport and the proxy credentials from the keyring. The environment (``HTTPS_PROXY``, ``HTTP_PROXY``,
    ``NO_PROXY``, ``SSL_CERT_FILE``) is read when the session is made."""

    http_proxy: str = ""
    no_proxy: str = ""
    ca_bundle: str = ""
    proxy_username: str | None = None
    proxy_password: str | None = field(default=None, repr=False)


async def read_settings(get_property: Callable[[str], Awaitable[Any]], secrets: SecretStore) -> TransportSettings:
    """The transport's application properties and the proxy credentials from the keyring, as
    the engine reads them at start and after every change (no restart needed)."""
    values = [await get_property(key) for key in (properties.HTTP_PROXY, properties.NO_PROXY,
                                                          properties.CA_BUNDLE)]
    username = password = None
    try:
        stored = await run_blocking(secrets.get, PROXY_CREDENTIALS_KEY)
    except SecretStoreUnavailable:
        stored = None
    if stored:
        try:
            data = json.loads(stored)
            username, password = str(data["username"]), str(data.get("password") or "")
        except (ValueError, KeyError, TypeError):
            log.warning("the proxy credentials in the keyring are unreadable; set them again with "
                        "`emswebhook config proxy-credentials`")
    return TransportSettings(*(str(v or "") for v in values), proxy_username=username, proxy_password=password)


def encode_credentials(username: str, password: str) -> str:
    return json.dumps({"username": username, "password": password})


@dataclass(frozen=True, slots=True)
class Proxy:
    url: URL
    source: str
    """Where it came from: ``property httpProxy`` or ``environment HTTPS_PROXY``."""
    auth: str | None = field(default=None, repr=False)
    """The ``Proxy-Authorization`` value (Basic), or None."""

    @property
    def headers(self) -> dict[str, str] | None:
        """Sent to the proxy with plain requests and with CONNECT."""
        return {"Proxy-Authorization": self.auth} if self.auth is not None else None

    @property
    def where(self) -> str:
        """``host:port`` as error messages name it."""
        host = self.url.raw_host or ""
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{self.url.port}"


@dataclass(frozen=True, slots=True)
class ProxyPlan:
    """Which proxy each URL goes through: one per scheme, and the hosts that bypass it."""

    http: Proxy | None
    https: Proxy | None
    bypass: tuple[str, ...]
    bypass_source: str

    def for_target(self, scheme: str, host: str, port: int) -> Proxy | None:
        proxy = self.https if scheme == "https" else self.http
        if proxy is None or bypassed(host, port, self.bypass):
            return None
        return proxy

    @property
    def hosts(self) -> frozenset[str]:
        """The proxies' own host names: the URL guard does not refuse them (an egress proxy
        lives on the private network by nature)."""
        return frozenset(p.url.raw_host.lower() for p in (self.http, self.https) if p is not None and p.url.raw_host)

    def describe(self) -> dict[str, Any]:
        """What the Settings page and ``status`` show: the proxy in effect and where it came from."""

        def one(proxy: Proxy | None) -> dict[str, Any] | None:
            if proxy is None:
                return None
            return {"url": str(proxy.url), "source": proxy.source, "authenticated": proxy.auth is not None}

        return {"http": one(self.http), "https": one(self.https), "noProxy": list(self.bypass),
                "noProxySource": self.bypass_source}


_ENV_NAMES = {"http": ("http_proxy", "HTTP_PROXY"), "https": ("https_proxy", "HTTPS_PROXY"),
              "no": ("no_proxy", "NO_PROXY")}


def _env_source(kind: str, environ: dict[str, str]) -> str:
    for name in _ENV_NAMES[kind]:
        if environ.get(name):
            return f"environment {name}"
    return "environment"


def proxy_plan(settings: TransportSettings, environ: dict[str, str] | None = None) -> ProxyPlan:
    """The property ``httpProxy`` when set (for http and https targets), else the environment's
    ``HTTP_PROXY`` / ``HTTPS_PROXY``; the property ``noProxy`` when set, else ``NO_PROXY``.
    Credentials from the keyring (``emswebhook config proxy-credentials``) win over any in an
    environment proxy URL."""
    environ = dict(os.environ if environ is None else environ)
    found = urllib.request.getproxies_environment() if environ is os.environ else _getproxies(environ)
    keyring_auth = None
    if settings.proxy_username is not None:
        keyring_auth = aiohttp.encode_basic_auth(settings.proxy_username, settings.proxy_password or "")

    def make(text: str, source: str) -> Proxy | None:
        if not text:
            return None
        url = URL(text if "://" in text else f"http://{text}")
        auth = keyring_auth
        if auth is None and url.user is not None:
            auth = aiohttp.encode_basic_auth(url.user, url.password or "")
        return Proxy(url.with_user(None).with_path("").with_query(None).with_fragment(None), source, auth)

    if settings.http_proxy:
        shared = make(settings.http_proxy, "property httpProxy")
        http_proxy = https_proxy = shared
    else:
        http_proxy = make(found.get("http", ""), _env_source("http", environ))
        https_proxy = make(found.get("https", ""), _env_source("https", environ))
    if settings.no_proxy:
        bypass_text, bypass_source = settings.no_proxy, "property noProxy"
    else:
        bypass_text, bypass_source = found.get("no", ""), _env_source("no", environ)
    bypass = tuple(entry.strip().lower() for entry in bypass_text.split(",") if entry.strip())
    return ProxyPlan(http_proxy, https_proxy, bypass, bypass_source if bypass else "")


def _getproxies(environ: dict[str, str]) -> dict[str, str]:
    """``urllib.request.getproxies_environment`` over a given mapping (lowercase names win, as
    there)."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        lowered = name.lower()
        if value and lowered.endswith("_proxy"):
            kind = lowered[:-6]
            if name == lowered or kind not in found:
                found[kind] = value
    return found


def bypassed(host: str, port: int, entries: tuple[str, ...]) -> bool:
    """Whether ``host`` is reached without the proxy: ``*``, an exact host, a domain
    (``example.com`` and ``.example.com`` both cover its subdomains, as curl reads them), an
    address or a CIDR, each optionally with ``:port``."""
    host = host.lower().rstrip(".").strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in entries:
        if entry == "*":
            return True
        name, entry_port = entry, None
        if entry.startswith("["):
            name, _, rest = entry[1:].partition("]")
            entry_port = rest.removeprefix(":") or None
        elif entry.count(":") == 1:
            name, _, entry_port = entry.partition(":")
        if entry_port is not None and entry_port != str(port):
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        domain = name.removeprefix("*").lstrip(".").rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def ssl_context(ca_bundle: str) -> ssl.SSLContext:
    """The system's CAs (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` honoured, as by Python) and those
    of ``caBundle``. Raises OSError or ssl.SSLError when the bundle cannot be read."""
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


class AnswerHeadersTooLarge(aiohttp.ClientError):
    """The answer's headers together passed :data:`HEADERS_LIMIT`."""


class ClosedBeforeAnswer(ServerDisconnectedError):
    """A kept-alive connection that had served an earlier answer was closed by the server
    before any byte of this one: the request may be sent once more on a new connection."""


class _BoundedHandler(ResponseHandler):
    """aiohttp's protocol with two additions: a limit on all header bytes of an answer, and
    the :class:`ClosedBeforeAnswer` mark.

    Bytes that arrive while no request is waiting for its answer make the connection unusable.
    Bytes that arrive while no answer is in progress are counted as head bytes until aiohttp
    hands the parsed message on (``feed_data``); an answer whose head grows past the limit ends
    the connection. aiohttp's own limits bound each line (``max_line_size``/``max_field_size``)
    and the number of headers; this bounds their total.
    """

    connect_ms: float | None = None
    """How long this connection took to open, until its first request reads it (``_Connector``)."""

    def __init__(self, loop) -> None:
        super().__init__(loop)
        self._head_bytes = 0
        self._answers = 0
        self._silent_close = False
        self._awaiting = False

    def _between_answers(self) -> bool:
        payload = self._payload
        return payload is None or payload.is_eof()

    def set_response_params(self, *args: Any, **kwargs: Any) -> None:
        self._awaiting = True  # aiohttp calls this for every request, before sending it
        super().set_response_params(*args, **kwargs)

    def data_received(self, data: bytes) -> None:
        counting = self._between_answers()
        if data and counting and not self._awaiting and self.transport is not None:
            # bytes nobody asked for (a 408 some servers send before closing an idle
            # connection): the connection is not clean any more, and they must never be taken
            # for the answer to the next request
            self.transport.abort()
            return
        if not counting:
            super().data_received(data)
            return
        # Parse no more than the limit allows: a flood arrives in reads of up to 256 KiB, and
        # parsing them whole would cost the CPU other endpoints' deliveries need.
        room = HEADERS_LIMIT + LINE_LIMIT - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        answers = self._answers
        self._head_bytes += room
        super().data_received(data[:room])
        if self._answers != answers:  # the head ended within the limit: the rest is its body
            super().data_received(data[room:])
        elif self.transport is not None and not self.transport.is_closing():
            self._head_bytes = 0
            self.set_exception(AnswerHeadersTooLarge(f"answer headers longer than {HEADERS_LIMIT // 1024} KiB"))
            self.transport.abort()

    def feed_data(self, data, size: int = 0) -> None:
        self._head_bytes = 0
        code = getattr(data[0], "code", 0) if isinstance(data, tuple) else 0
        if not 100 <= code < 200:  # an interim answer (100 Continue): the real one follows
            self._awaiting = False
        self._answers += 1
        super().feed_data(data, size)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._silent_close = self._answers > 0 and self._head_bytes == 0 and self._between_answers()
        super().connection_lost(exc)

    def set_exception(self, exc: BaseException, exc_cause: BaseException = _EXC_SENTINEL) -> None:
        if self._silent_close and type(exc) in (ServerDisconnectedError, ClientOSError):
            exc = ClosedBeforeAnswer()
        super().set_exception(exc, exc_cause)


class _Connector(aiohttp.TCPConnector):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._factory = lambda: _BoundedHandler(self._loop)

    async def _create_connection(self, req, traces, timeout):
        """Times the connect (DNS, TCP, TLS, a proxy's CONNECT) on the new connection, for the
        attempt's record: cheaper than a ``TraceConfig``, which costs every request its signals."""
        started = time.perf_counter()
        protocol = await super()._create_connection(req, traces, timeout)
        protocol.connect_ms = (time.perf_counter() - started) * 1000.0
        return protocol


def make_session(
    *,
    resolver: AbstractResolver,
    context: ssl.SSLContext,
    connect_timeout: float,
    request_timeout: float,
    max_connections: int = MAX_CONNECTIONS,
    max_per_endpoint: int = MAX_PER_ENDPOINT,
    user_agent: str,
) -> aiohttp.ClientSession:
    """The session of one sender. Redirects are never followed (the sender passes
    ``allow_redirects=False``), bodies are not decompressed (``Accept-Encoding: identity`` is
    asked for, and a compressed answer is not worth inflating for a 2 KiB excerpt), no cookies
    are kept, and the environment is not consulted by aiohttp (the sender picks the proxy)."""
    connector = _Connector(
        limit=max_connections,
        limit_per_host=max_per_endpoint,
        keepalive_timeout=KEEPALIVE,
        resolver=resolver,
        ssl=context,
        ttl_dns_cache=10,
        happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=request_timeout, connect=connect_timeout),
        auto_decompress=False,
        max_line_size=LINE_LIMIT,
        max_field_size=LINE_LIMIT,
        max_headers=MAX_HEADERS,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
        skip_auto_headers=("Accept",),
    )
