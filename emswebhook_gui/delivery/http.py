"""One delivery attempt over HTTP: POST the body, judge the answer, never raise for a failure.

The wire is aiohttp's client (:mod:`emswebhook_gui.delivery.transport` builds the session); this
module is the delivery policy on top of it: the slots, authentication and its one retry on a
401, the wording of every failure, the answer excerpt, and the one resend on a kept-alive
connection that the receiver closed without a byte.

Transport decision, by measurement (``tests/benchmarks/bench_transport.py``: POSTs of a 1 KiB
body, 32 concurrent, aiohttp receiver in its own process on loopback; 2-core machine)::

                                       requests/s
    bare aiohttp ClientSession           ~11,600
    httpx + httpx_aiohttp transport       ~3,500   (~0.3x)
    httpx default transport                 ~490   (~0.04x)

A hand-written HTTP/1.1 client (``wire.py``, on httptools) once did about twice the bare aiohttp
rate, but it was the one part of the product a remote party controls and it did not hold
against hostile answers (an endless header grew the service by hundreds of MiB; an 8 MiB reason
phrase was stored per attempt). aiohttp has the limits, happy eyeballs, proxies and CONNECT
tunnels, a pluggable resolver (the URL guard) and years of fixes against such servers; the
delivery benchmark (``bench_delivery.py``) measures what it costs.

Concurrency is bounded per endpoint (scheme, host, port) first and globally second: a delivery
waits for its endpoint's slot before it takes a global one, so a slow endpoint with a deep queue
holds at most ``max_per_endpoint`` global slots and cannot starve the others. Waiting for a slot
is not part of the attempt: timeouts, ``started_at`` and ``duration_ms`` start once the slot is
held, so a queued delivery is never recorded as timed out.

Answers are bounded: the status line and each header at most 8 KiB, all headers 64 KiB, at most
2 KiB of the body is read (then the connection is released, or closed when more was coming).
The excerpt is decoded as UTF-8 with replacement, or as latin-1 when the answer declares it,
never with a codec the server names. The stored error is at most 1 KiB, the excerpt 2 KiB. A 2xx
is a delivery whatever its body does afterwards.
"""

from __future__ import annotations

import asyncio
import codecs
import http
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlencode

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.http_exceptions import BadStatusLine, LineTooLong
from aiohttp.resolver import DefaultResolver
from yarl import URL

from emswebhook_gui import __version__
from emswebhook_gui.delivery.auth import (
    BasicAuth,
    OAuthClientCredentials,
    TokenCache,
    TokenError,
    parse_token_response,
    redact,
    token_request,
)
from emswebhook_gui.delivery import exchange
from emswebhook_gui.delivery.signing import signature_headers
from emswebhook_gui.delivery.transport import (
    LINE_LIMIT,
    MAX_CONNECTIONS,
    MAX_HEADERS,
    MAX_PER_ENDPOINT,
    AnswerHeadersTooLarge,
    ClosedBeforeAnswer,
    Proxy,
    ProxyPlan,
    TransportSettings,
    make_session,
    proxy_plan,
    ssl_context,
)
from emswebhook_gui.delivery.urlguard import (
    BlockedAddressError,
    GuardedResolver,
    check_literal,
)
from emswebhook_gui.rules.urls import URLProblem, parse_endpoint_url

__all__ = ["ERROR_CHARS", "EXCERPT_BYTES", "USER_AGENT", "AttemptResult", "DeliveryRequest", "Sender"]

log = logging.getLogger(__name__)

USER_AGENT = f"emswebhook-gui/{__version__}"
EXCERPT_BYTES = 2048
ERROR_CHARS = 1024
"""An attempt's stored error, at most (a reason phrase or a message can be megabytes long)."""
_TOKEN_ANSWER_LIMIT = 64 * 1024
_GUARD_TTL = 10.0
"""Seconds a proxied target's host name stays checked by the URL guard (as aiohttp caches DNS)."""
_LATIN_1 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "iso_8859-1", "cp819", "ibm819"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


# Not frozen: made for every delivery, and a frozen dataclass's __init__ costs five times as much
# (object.__setattr__ per field). Nothing mutates it.
@dataclass(slots=True)
class DeliveryRequest:
    url: str
    body: bytes = field(repr=False)
    event_id: str
    auth: BasicAuth | OAuthClientCredentials | None = None
    signing_secret: str | None = field(default=None, repr=False)


@dataclass(slots=True)  # not frozen: see above
class AttemptResult:
    """What one attempt did, ready to be recorded as an attempt row."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    response_excerpt: str
    started_at: datetime
    retry_after: str | None = None
    """The answer's ``Retry-After`` header, for the pause of a 429/503 (delivery/politeness.py)."""
    request_head: str | None = None
    """The request as sent, secrets masked; ``response_head`` the answer's, capped (``exchange``)."""
    response_head: str | None = None
    connect_ms: float | None = None
    """Connecting (DNS, TCP, TLS); None when a kept-alive connection was reused."""
    first_byte_ms: float | None = None
    """From the start of the attempt until the answer's head had arrived."""


class _Answer(NamedTuple):
    status: int
    reason: str
    location: str | None
    content_type: str | None
    body: bytes
    retry_after: str | None = None
    sent: tuple = ()
    """(method, URL, header pairs) of the request as aiohttp sent it."""
    raw_headers: tuple = ()
    head_at: float = 0.0
    """``time.perf_counter()`` when the answer's head had arrived."""
    connect_ms: float | None = None


class _Endpoint(NamedTuple):
    """A parsed endpoint URL, built once per URL: what goes on the wire and what messages name."""

    url: URL
    key: tuple[str, str, int]
    host: str
    """The bare host (no brackets), punycode for an IDN: what is resolved and checked."""
    port: int
    where: str
    """``host:port`` (IPv6 in brackets), as messages name it."""

    @classmethod
    def parse(cls, text: str) -> _Endpoint:
        url = parse_endpoint_url(text, drop_user_info=True)
        host = url.raw_host or ""
        port = url.port or (443 if url.scheme == "https" else 80)
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return cls(url, (url.scheme, host.lower(), port), host, port, where)


class _Transport:
    """One session and what it was built from; replaced (and closed once idle) when the
    settings change, so no connection outlives the setting it was opened under."""

    def __init__(self, sender: Sender, allow_private: bool, settings: TransportSettings) -> None:
        self.allow_private = allow_private
        self.settings = settings
        self.plan: ProxyPlan = proxy_plan(settings, sender._environ)
        self.users = 0
        self.retired = False
        self.error: str | None = None
        self.checked: dict[str, float] = {}
        """Proxied target hosts the URL guard passed, and until when (``_GUARD_TTL``)."""
        context = sender._ssl
        if context is None:
            try:
                context = ssl_context(settings.ca_bundle)
            except (OSError, ssl.SSLError, ValueError) as exc:
                self.error = (f"the CA bundle '{settings.ca_bundle}' (application property caBundle) cannot "
                              f"be used: {getattr(exc, 'strerror', None) or exc}")
                context = ssl.create_default_context()
        proxies = self.plan.hosts
        self.resolver = GuardedResolver(sender._resolver_factory(), allow_private=lambda: allow_private,
                                        exempt=proxies)
        self.session = make_session(resolver=self.resolver, context=context,
                                    connect_timeout=sender._connect_timeout,
                                    request_timeout=sender._request_timeout,
                                    max_connections=sender._max_connections,
                                    max_per_endpoint=sender._per_endpoint_limit, user_agent=USER_AGENT)

    async def close(self) -> None:
        await self.session.close()
        await self.resolver.close()


class Sender:
    """Delivers notifications for the whole process; use as ``async with Sender(...) as sender``.

    ``allow_private`` is a bool or a callable read on every send (the application property
    ``allowPrivateEndpoints`` can change at runtime); so is ``settings`` (proxy, no-proxy, CA
    bundle, proxy credentials: :class:`TransportSettings`). ``clock`` gives ``started_at`` and
    the signature timestamp. ``resolver_factory`` builds the DNS resolver under the URL guard
    (tests use it to simulate names that resolve to private addresses). ``ssl_context``
    replaces the one built from the system's CAs and ``caBundle``. ``environ`` replaces
    ``os.environ`` for the proxy variables. ``tokens`` may be shared, e.g. so a profile edit can
    invalidate its token; by default the sender owns one.
    """

    def __init__(
        self,
        *,
        allow_private: bool | Callable[[], bool] = False,
        settings: TransportSettings | Callable[[], TransportSettings] | None = None,
        connect_timeout: float = 5.0,
        request_timeout: float = 15.0,
        max_concurrency: int = MAX_CONNECTIONS,
        max_per_endpoint: int = MAX_PER_ENDPOINT,
        clock: Callable[[], datetime] = _utcnow,
        tokens: TokenCache | None = None,
        ssl_context: ssl.SSLContext | None = None,
        resolver_factory: Callable[[], AbstractResolver] | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        if max_concurrency < 1 or max_per_endpoint < 1:
            raise ValueError("max_concurrency and max_per_endpoint must be at least 1")
        self._allow_private = allow_private if callable(allow_private) else (lambda: allow_private)
        fixed = settings if isinstance(settings, TransportSettings) else TransportSettings()
        self._settings = settings if callable(settings) else (lambda: fixed)
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        self._clock = clock
        self._owns_tokens = tokens is None
        self.tokens = tokens if tokens is not None else TokenCache()
        self._ssl = ssl_context
        self._resolver_factory = resolver_factory or DefaultResolver
        self._environ = environ
        self._transport: _Transport | None = None
        self._retired: set[_Transport] = set()
        self._closing: set[asyncio.Task] = set()
        self._global = asyncio.Semaphore(max_concurrency)
        self._max_connections = max_concurrency
        self._per_endpoint_limit = max_per_endpoint
        # endpoint -> [semaphore, deliveries holding or waiting]; dropped when unused.
        self._endpoints: dict[tuple[str, str, int], list] = {}
        self._targets: dict[str, _Endpoint] = {}  # see _endpoint
        self._closed = False

    @property
    def max_per_endpoint(self) -> int:
        return self._per_endpoint_limit

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection, idle or in use (exchanges in flight fail)."""
        self._closed = True
        transports = list(self._retired) + ([self._transport] if self._transport is not None else [])
        self._transport = None
        self._retired.clear()
        if self._owns_tokens:
            await self.tokens.aclose()
        for transport in transports:
            await transport.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def proxy_plan(self) -> ProxyPlan:
        """The proxies in effect now (for the Settings page and ``status``)."""
        return proxy_plan(self._settings(), self._environ)

    def _current(self) -> _Transport:
        allow_private = self._allow_private()
        settings = self._settings()
        transport = self._transport
        if transport is not None and transport.allow_private == allow_private and (
                transport.settings is settings or transport.settings == settings):
            return transport
        if transport is not None:
            self._retire(transport)
        transport = self._transport = _Transport(self, allow_private, settings)
        return transport

    def _retire(self, transport: _Transport) -> None:
        transport.retired = True
        if transport.users:
            self._retired.add(transport)
        else:
            self._close_later(transport)

    def _close_later(self, transport: _Transport) -> None:
        self._retired.discard(transport)
        task = asyncio.ensure_future(transport.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def endpoint_of(self, url_text: str) -> tuple[str, str, int]:
        """(scheme, host, port): what the per-endpoint limit counts by. ValueError when the URL
        is not an absolute http(s) URL."""
        return self._endpoint(url_text).key

    def _endpoint(self, url_text: str) -> _Endpoint:
        """Parsed once per endpoint: every delivery to an endpoint names the same URL."""
        endpoint = self._targets.get(url_text)
        if endpoint is None:
            endpoint = _Endpoint.parse(url_text)
            if len(self._targets) >= 1024:  # URLs of edited or deleted webhooks
                self._targets.clear()
            self._targets[url_text] = endpoint
        return endpoint

    async def send(self, request: DeliveryRequest) -> AttemptResult:
        """Make one attempt; every delivery failure comes back as a failed AttemptResult."""
        if self._closed:
            raise RuntimeError("Sender is closed")
        try:
            endpoint = self._endpoint(request.url)
        except URLProblem as exc:
            return AttemptResult(False, None, _cap(f"invalid endpoint URL: it {exc}"), 0.0, "", self._clock())
        key = endpoint.key
        slot = self._endpoints.get(key)
        if slot is None:
            slot = self._endpoints[key] = [asyncio.Semaphore(self._per_endpoint_limit), 0]
        slot[1] += 1
        try:
            async with slot[0], self._global:
                return await self._attempt(request, endpoint)
        finally:
            slot[1] -= 1
            if slot[1] == 0:
                del self._endpoints[key]

    async def _attempt(self, request: DeliveryRequest, endpoint: _Endpoint) -> AttemptResult:
        started_at = self._clock()
        start = time.perf_counter()
        status: int | None = None
        excerpt = ""
        transport = self._current()
        transport.users += 1
        proxy = transport.plan.for_target(endpoint.url.scheme, endpoint.host, endpoint.port)
        retry_after = None
        prepared: dict[str, str] = {}
        exchange_heads = (None, None, None, None)
        try:
            answer, retried = await self._post(request, endpoint, started_at, transport, proxy, prepared)
        except Exception as exc:
            error = self._describe(exc, endpoint.where, request, proxy=proxy)
            if prepared:  # nothing answered: the request as it was to be sent
                exchange_heads = (exchange.request_head("POST", str(endpoint.url), [
                    *transport.session.headers.items(), *prepared.items()]), None, None, None)
        else:
            exchange_heads = (exchange.request_head(*answer.sent),
                              exchange.response_head(answer.status, answer.reason, answer.raw_headers),
                              answer.connect_ms, (answer.head_at - start) * 1000.0)
            status = answer.status
            excerpt = _excerpt(answer)
            retry_after = answer.retry_after
            if 200 <= status < 300:
                error = None
            elif 300 <= status < 400:
                error = f"redirect ({status}) to {answer.location or '(no Location header)'} not followed"
            elif status == 407 and proxy is not None:
                error = f"proxy {proxy.where} answered 407 {answer.reason or _phrase(407)}"
                error += _proxy_credentials_hint(proxy)
            else:
                error = f"HTTP {status} {answer.reason or _phrase(status)}".rstrip()
                if retried:
                    error += " (also with a newly fetched OAuth token)"
            if error is not None:
                error = _cap(redact(error, _request_secrets(request)))
        finally:
            transport.users -= 1
            if transport.retired and not transport.users:
                self._close_later(transport)
        return AttemptResult(
            ok=error is None,
            status_code=status,
            error=error,
            duration_ms=(time.perf_counter() - start) * 1000.0,
            response_excerpt=excerpt,
            started_at=started_at,
            retry_after=retry_after,
            request_head=exchange_heads[0],
            response_head=exchange_heads[1],
            connect_ms=exchange_heads[2],
            first_byte_ms=exchange_heads[3],
        )

    async def _post(self, request: DeliveryRequest, endpoint: _Endpoint, started_at: datetime,
                    transport: _Transport, proxy: Proxy | None,
                    prepared: dict[str, str] | None = None) -> tuple[_Answer, bool]:
        """``prepared`` receives the headers of the request (for the attempt's record when
        nothing answers)."""
        await self._guard(endpoint, transport, proxy)
        body = request.body
        headers = prepared if prepared is not None else {}
        headers["Content-Type"] = "application/json"
        if request.signing_secret:
            headers.update(signature_headers(request.signing_secret, request.event_id, body, started_at))
        auth = request.auth
        token: str | None = None
        fetch = None
        if isinstance(auth, BasicAuth):
            headers["Authorization"] = auth.header()
        elif isinstance(auth, OAuthClientCredentials):
            fetch = self._token_fetcher(transport)
            token = await self.tokens.get(auth, fetch)
            headers["Authorization"] = f"Bearer {token}"
        elif auth is not None:
            raise TypeError(f"unsupported auth spec {type(auth).__name__}")
        retried = False
        while True:
            answer = await self._exchange(transport, endpoint.url, body, headers, proxy, EXCERPT_BYTES)
            if answer.status != 401 or fetch is None or retried:
                return answer, retried
            self.tokens.invalidate(auth.cache_key, token)
            retried = True
            token = await self.tokens.get(auth, fetch)
            headers["Authorization"] = f"Bearer {token}"

    async def _guard(self, endpoint: _Endpoint, transport: _Transport, proxy: Proxy | None) -> None:
        """The URL guard, before anything is sent. Without a proxy, aiohttp asks the guarded
        resolver for names itself (every connection, every address); IP literals never reach a
        resolver, so they are checked here. With a proxy, the proxy resolves the target, so the
        name is resolved and checked here first (the proxy may still get another answer: the
        residual DNS-rebinding risk the README states)."""
        if transport.error is not None:
            raise _SetupError(transport.error)
        if transport.allow_private:
            return
        check_literal(endpoint.host)
        if proxy is None:
            return
        now = time.monotonic()
        if transport.checked.get(endpoint.host, 0.0) > now:
            return
        try:
            await transport.resolver.check(endpoint.host, endpoint.port)
        except BlockedAddressError:
            raise
        except OSError as exc:
            raise _SetupError(
                f"DNS lookup failed for {endpoint.host}: {_os_reason(exc)} (with a proxy, the endpoint's name "
                "is still resolved here to check that it is a public address; allowPrivateEndpoints turns "
                "that check off)") from None
        transport.checked[endpoint.host] = now + _GUARD_TTL
        if len(transport.checked) > 1024:
            transport.checked = {h: t for h, t in transport.checked.items() if t > now}

    async def _exchange(self, transport: _Transport, url: URL, body: bytes, headers: dict[str, str],
                        proxy: Proxy | None, limit: int) -> _Answer:
        """One POST and at most ``limit`` bytes of its answer. Sent once more, on a new
        connection, when a kept-alive connection turns out closed before any byte of the
        answer (the receiver closed it while idle, a race every keep-alive client has):
        delivery is at-least-once, so this can only duplicate, never lose."""
        proxy_url = proxy_headers = None
        if proxy is not None:
            proxy_url = proxy.url
            if proxy.auth is not None:
                if url.scheme == "https":  # on the CONNECT, never inside the tunnel
                    proxy_headers = proxy.headers
                else:  # a plain request is the proxy's to read: the header goes with it
                    headers = {**headers, "Proxy-Authorization": proxy.auth}
        for attempt in (1, 2):
            try:
                async with transport.session.post(
                    url, data=body, headers=headers, allow_redirects=False,
                    proxy=proxy_url, proxy_headers=proxy_headers,
                ) as response:
                    head_at = time.perf_counter()
                    # the connection itself is released as soon as a short body has arrived
                    protocol = getattr(response, "_protocol", None)
                    connect_ms = getattr(protocol, "connect_ms", None)
                    if connect_ms is not None:
                        protocol.connect_ms = None  # the next request on it reuses the connection
                    data = await _read_some(response, limit)
                    info = response.request_info
                    return _Answer(response.status, response.reason or "", response.headers.get("Location"),
                                   response.headers.get("Content-Type"), data,
                                   response.headers.get("Retry-After"),
                                   ("POST", str(url), tuple(info.headers.items())), response.raw_headers,
                                   head_at, connect_ms)
            except ClosedBeforeAnswer:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def fetch_token(self, spec: OAuthClientCredentials) -> tuple[str, float | None]:
        """Ask the token endpoint for a new token, bypassing the cache ("Test" in the profile
        form). Raises TokenError with a secret-free reason on any failure."""
        transport = self._current()
        transport.users += 1
        try:
            return await self._token_fetcher(transport)(spec)
        finally:
            transport.users -= 1
            if transport.retired and not transport.users:
                self._close_later(transport)

    def _token_fetcher(self, transport: _Transport):
        """Token requests go through the deliveries' session: same proxy, CAs, URL guard and
        answer bounds."""

        async def fetch(spec: OAuthClientCredentials) -> tuple[str, float | None]:
            where = f"token endpoint {spec.token_url}"
            try:
                endpoint = _Endpoint.parse(spec.token_url)
            except URLProblem:
                raise TokenError(f"{where} is not an absolute http(s) URL") from None
            proxy = transport.plan.for_target(endpoint.url.scheme, endpoint.host, endpoint.port)
            try:
                await self._guard(endpoint, transport, proxy)
                headers, form = token_request(spec)
                headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
                answer = await self._exchange(transport, endpoint.url, urlencode(form).encode("ascii"), headers,
                                              proxy, _TOKEN_ANSWER_LIMIT + 1)
                if len(answer.body) > _TOKEN_ANSWER_LIMIT:
                    raise TokenError(f"{where} answered with more than 64 KiB")
                if answer.status == 407 and proxy is not None:
                    raise TokenError(f"{where}: proxy {proxy.where} answered 407 "
                                     f"{answer.reason or _phrase(407)}{_proxy_credentials_hint(proxy)}")
                return parse_token_response(spec, answer.status, _cap(answer.reason or _phrase(answer.status), 200),
                                            answer.body)
            except TokenError:
                raise
            except Exception as exc:
                reason = self._describe(exc, endpoint.where, None, secrets=(spec.client_secret,), proxy=proxy)
                raise TokenError(f"{where}: {reason}") from None

        return fetch

    def _describe(
        self,
        exc: BaseException,
        host: str,
        request: DeliveryRequest | None,
        secrets: tuple[str, ...] = (),
        proxy: Proxy | None = None,
    ) -> str:
        """A reason an administrator can act on, free of secrets, at most ``ERROR_CHARS``."""
        return _cap(redact(self._reason(exc, host, proxy), _request_secrets(request) + secrets))

    def _reason(self, exc: BaseException, host: str, proxy: Proxy | None) -> str:
        if isinstance(exc, TokenError):
            return f"OAuth {exc}"
        if isinstance(exc, _SetupError):
            return str(exc)
        blocked = _find_in_chain(exc, BlockedAddressError)
        if blocked is not None:
            return str(blocked)
        via = f" via proxy {proxy.where}" if proxy is not None else ""
        if isinstance(exc, aiohttp.ClientHttpProxyError):
            text = f"proxy {proxy.where if proxy else '?'} refused the CONNECT to {host}: {exc.status} {exc.message}"
            return text + (_proxy_credentials_hint(proxy) if exc.status == 407 and proxy else "")
        if isinstance(exc, aiohttp.ClientProxyConnectionError):
            os_error = exc.os_error
            where = proxy.where if proxy else "?"
            if isinstance(os_error, ConnectionRefusedError):
                return f"proxy {where} refused the connection (source: {proxy.source if proxy else '?'})"
            return f"cannot connect to proxy {where}: {_os_reason(os_error)}"
        certificate = _find_in_chain(exc, ssl.SSLCertVerificationError)
        if certificate is not None:
            return _certificate_reason(certificate, host)
        tls = _find_in_chain(exc, ssl.SSLError)
        if tls is not None:
            return f"TLS error with {host}: {tls.reason or tls}"
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return f"connect timed out after {self._connect_timeout:g} s ({host}{via})"
        if isinstance(exc, TimeoutError):
            return f"timed out after {self._request_timeout:g} s"
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"DNS lookup failed for {host.rpartition(':')[0].strip('[]')}: {_os_reason(exc.os_error)}"
        if isinstance(exc, aiohttp.ClientConnectorError):
            if isinstance(exc.os_error, ConnectionRefusedError):
                return f"connection refused ({host})"
            return f"cannot connect to {host}: {_os_reason(exc.os_error)}"
        if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
            return f"connection closed by {host}{via} before a complete answer"
        if isinstance(exc, AnswerHeadersTooLarge):
            return f"invalid HTTP answer from {host}: {exc}"
        if isinstance(exc, aiohttp.ClientResponseError):  # the answer's head could not be parsed
            return f"invalid HTTP answer from {host}: {_parse_problem(exc)}"
        if isinstance(exc, OSError):  # aiohttp.ClientOSError is one too
            return f"connection error with {host}: {_os_reason(exc)}"
        log.error("unexpected error delivering to %s: %s", host, type(exc).__name__)
        return f"unexpected error: {type(exc).__name__}: {exc}"


class _SetupError(Exception):
    """The attempt cannot be made as configured; the message says why and what to change."""


async def _read_some(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most ``limit`` bytes of the body; then the connection is released when the body had
    ended, closed otherwise (a 10 MB answer is never drained). A body that stalls or breaks
    after the status line keeps what arrived: the status has been given."""
    content = response.content
    chunks: list[bytes] = []
    size = 0
    try:
        while size < limit:
            chunk = await content.read(limit - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (TimeoutError, aiohttp.ClientError):
        response.close()
        return b"".join(chunks)
    if not content.at_eof():
        response.close()
    return b"".join(chunks)


def _certificate_reason(error: ssl.SSLCertVerificationError, host: str) -> str:
    """Words for the certificate failures an administrator meets, with what to do."""
    code = getattr(error, "verify_code", None)
    message = getattr(error, "verify_message", None) or str(error)
    if code == 10:
        return (f"TLS error: the certificate of {host} has expired; the endpoint's certificate must be renewed "
                f"({message})")
    if code == 9:
        return f"TLS error: the certificate of {host} is not valid yet; check the clocks ({message})"
    if code == 62 or "hostname mismatch" in message.lower() or "doesn't match" in message.lower():
        name = host.rpartition(":")[0].strip("[]")
        return (f"TLS error: the certificate of {host} is not valid for the name {name} (host name mismatch); "
                f"use the name the certificate was issued for in the endpoint URL")
    if code in (18, 19, 20, 21, 2):
        kind = "self-signed" if code in (18, 19) else "issued by an unknown CA"
        return (f"TLS error: the certificate of {host} is {kind} and not trusted; add the CA that issued it to a "
                f"PEM file and name it in the application property caBundle ({message})")
    return f"TLS error: the certificate of {host} was not accepted: {message}"


def _parse_problem(exc: aiohttp.ClientResponseError) -> str:
    """aiohttp re-raises the parser's error as a ClientResponseError carrying its message only."""
    cause = exc.__cause__
    text = str(exc.message if cause is None else cause)
    if isinstance(cause, LineTooLong) or "Got more than" in text:
        return f"a status or header line longer than {LINE_LIMIT // 1024} KiB"
    if "Too many headers" in text:
        return f"more than {MAX_HEADERS} header lines"
    if isinstance(cause, BadStatusLine) or "Bad status line" in text:
        return "not an HTTP status line"
    return _cap(" ".join(text.split()), 200) or type(exc).__name__


def _proxy_credentials_hint(proxy: Proxy) -> str:
    if proxy.auth is None:
        return f" (proxy from {proxy.source}; set its credentials with `emswebhook config proxy-credentials`)"
    return f" (proxy from {proxy.source}; check the credentials set with `emswebhook config proxy-credentials`)"


def _cap(text: str, limit: int = ERROR_CHARS) -> str:
    return exchange.cap(text, limit)


def _request_secrets(request: DeliveryRequest | None) -> tuple[str, ...]:
    found: list[str] = []
    if request is not None:
        auth = request.auth
        if isinstance(auth, BasicAuth):
            found += [auth.password, auth.header().removeprefix("Basic ")]
        elif isinstance(auth, OAuthClientCredentials):
            found.append(auth.client_secret)
        if request.signing_secret:
            found.append(request.signing_secret)
    return tuple(found)


def _find_in_chain(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        for inner in (getattr(current, "certificate_error", None), getattr(current, "os_error", None)):
            if isinstance(inner, kind):  # aiohttp's wrappers are often of the kind too: the original
                return inner
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return None


def _os_reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _excerpt(answer: _Answer) -> str:
    data = answer.body[:EXCERPT_BYTES]
    if not data:
        return ""
    if data.isascii():  # nearly every answer ("ok", JSON, an error page): nothing to decode
        return data.decode("ascii")
    charset = ""
    if answer.content_type:
        for part in answer.content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.strip().lower() == "charset":
                charset = value.strip().strip('"').lower()
    if charset in _LATIN_1:
        return data.decode("latin-1")
    # Never a codec the server names (Python's registry also holds bz2, zlib, base64). The
    # incremental decoder with final=False drops a character cut at the 2 KiB boundary instead
    # of showing U+FFFD for it.
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=False)
