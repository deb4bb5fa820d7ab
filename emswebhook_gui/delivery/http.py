"""One delivery attempt over HTTP: POST the body, judge the answer, never raise for a failure.

Transport decision, by measurement (``tests/benchmarks/bench_transport.py``: 5,000 POSTs of a 1 KiB
body, 32 concurrent, aiohttp receiver in its own process on loopback; 2-core machine shared with
other jobs, Python 3.11.7, aiohttp 3.14.5, httpx 0.28.1, httpx-aiohttp 0.2.0; 2026-11-28)::

                                     quietest run     best of 3 under load
    bare aiohttp ClientSession       13,105 req/s          8,299 req/s
    this Sender (aiohttp)            10,930 (0.83x)        9,506 (1.15x)
    httpx + httpx_aiohttp transport   2,378 (0.18x)        3,054 (0.37x)
    httpx default transport             366 (0.03x)          456 (0.05x)

Across nine runs the Sender stayed between 0.83x and 1.45x of bare aiohttp (the spread is the
shared machine's load; the Sender also skips the cookie jar a default session maintains), httpx
over httpx_aiohttp between 0.18x and 0.60x. httpx's client layer alone, over a transport that answers without any I/O, tops out
near 10,400 req/s here, so no transport can bring an httpx-based sender near the bare aiohttp
loop, and the delivery target (end to end >= 0.5x bare aiohttp) leaves no room for that cost.
The sender is therefore written directly on aiohttp, whose ``TCPConnector`` also takes the URL
guard's resolver.

Two client sessions exist at most: one whose resolver refuses non-public addresses, and one for
when the administrator allows private endpoints. ``allow_private`` is read on every send and picks
the session, so a keep-alive connection opened while private endpoints were allowed is never
reused after they are forbidden again.

Concurrency is bounded per endpoint (scheme, host, port) first and globally second: a delivery
waits for its endpoint's slot before it takes a global one, so a slow endpoint with a deep queue
holds at most ``max_per_endpoint`` global slots and cannot starve the others. Waiting for a slot
is not part of the attempt: timeouts, ``started_at`` and ``duration_ms`` start once the slot is
held, so a queued delivery is never recorded as timed out.
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

import aiohttp
from aiohttp.abc import AbstractResolver
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
from emswebhook_gui.delivery.signing import signature_headers
from emswebhook_gui.delivery.urlguard import BlockedAddressError, GuardedResolver, check_literal

__all__ = ["EXCERPT_BYTES", "USER_AGENT", "AttemptResult", "DeliveryRequest", "Sender"]

log = logging.getLogger(__name__)

USER_AGENT = f"emswebhook-gui/{__version__}"
EXCERPT_BYTES = 2048
_TOKEN_ANSWER_LIMIT = 64 * 1024


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeliveryRequest:
    url: str
    body: bytes = field(repr=False)
    event_id: str
    auth: BasicAuth | OAuthClientCredentials | None = None
    signing_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt did, ready to be recorded as an attempt row."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    response_excerpt: str
    started_at: datetime


class Sender:
    """Delivers notifications for the whole process; use as ``async with Sender(...) as sender``.

    ``allow_private`` is a bool or a callable read on every send (the application property
    ``allowPrivateEndpoints`` can change at runtime). ``clock`` gives ``started_at`` and the
    signature timestamp. ``resolver_factory`` builds the DNS resolver under the URL guard (tests
    use it to simulate names that resolve to private addresses). ``tokens`` may be shared, e.g.
    so a profile edit can invalidate its token; by default the sender owns one.
    """

    def __init__(
        self,
        *,
        allow_private: bool | Callable[[], bool] = False,
        connect_timeout: float = 5.0,
        request_timeout: float = 15.0,
        max_concurrency: int = 64,
        max_per_endpoint: int = 8,
        clock: Callable[[], datetime] = _utcnow,
        tokens: TokenCache | None = None,
        ssl_context: ssl.SSLContext | None = None,
        resolver_factory: Callable[[], AbstractResolver] | None = None,
    ) -> None:
        if max_concurrency < 1 or max_per_endpoint < 1:
            raise ValueError("max_concurrency and max_per_endpoint must be at least 1")
        self._allow_private = allow_private if callable(allow_private) else (lambda: allow_private)
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        self._clock = clock
        self._owns_tokens = tokens is None
        self.tokens = tokens if tokens is not None else TokenCache()
        self._ssl = ssl_context
        self._resolver_factory = resolver_factory or aiohttp.DefaultResolver
        self._sessions: dict[bool, aiohttp.ClientSession] = {}
        self._global = asyncio.Semaphore(max_concurrency)
        self._per_endpoint_limit = max_per_endpoint
        # endpoint -> [semaphore, deliveries holding or waiting]; dropped when unused.
        self._endpoints: dict[tuple[str, str, int | None], list] = {}
        self._urls: dict[str, URL] = {}  # see _parsed
        self._closed = False

    @property
    def max_per_endpoint(self) -> int:
        return self._per_endpoint_limit

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        sessions = list(self._sessions.values())
        self._sessions.clear()
        if self._owns_tokens:
            await self.tokens.aclose()
        for session in sessions:
            await session.close()

    def _session(self, allow_private: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(allow_private)
        if session is None:
            resolver = GuardedResolver(
                self._resolver_factory(), allow_private=lambda: allow_private
            )
            connector = aiohttp.TCPConnector(
                limit=0,  # the sender's own semaphores bound concurrency, outside the timeouts
                limit_per_host=0,
                resolver=resolver,
                ssl=self._ssl if self._ssl is not None else True,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=self._request_timeout, sock_connect=self._connect_timeout
                ),
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # an environment proxy would bypass the URL guard
                auto_decompress=False,  # the excerpt must stay 2 KiB: no decompression bombs
            )
            self._sessions[allow_private] = session
        return session

    def endpoint_of(self, url_text: str) -> tuple[str, str, int | None]:
        """(scheme, host, port): what the per-endpoint limit counts by. ValueError when the URL
        is not an absolute http(s) URL."""
        url = self._parsed(url_text)
        return url.scheme, url.host, url.port

    def _parsed(self, url_text: str) -> URL:
        """Parsed once per endpoint: every delivery to an endpoint names the same URL."""
        url = self._urls.get(url_text)
        if url is None:
            url = _endpoint_url(url_text)
            if len(self._urls) >= 1024:  # URLs of edited or deleted webhooks
                self._urls.clear()
            self._urls[url_text] = url
        return url

    async def send(self, request: DeliveryRequest) -> AttemptResult:
        """Make one attempt; every delivery failure comes back as a failed AttemptResult."""
        if self._closed:
            raise RuntimeError("Sender is closed")
        try:
            url = self._parsed(request.url)
        except ValueError as exc:
            return AttemptResult(
                False, None, f"invalid endpoint URL: {exc}", 0.0, "", self._clock()
            )
        key = (url.scheme, url.host, url.port)
        slot = self._endpoints.get(key)
        if slot is None:
            slot = self._endpoints[key] = [asyncio.Semaphore(self._per_endpoint_limit), 0]
        slot[1] += 1
        try:
            async with slot[0], self._global:
                return await self._attempt(request, url)
        finally:
            slot[1] -= 1
            if slot[1] == 0:
                del self._endpoints[key]

    async def _attempt(self, request: DeliveryRequest, url: URL) -> AttemptResult:
        started_at = self._clock()
        start = time.perf_counter()
        status: int | None = None
        excerpt = ""
        try:
            status, reason, location, excerpt, retried = await self._post(request, url, started_at)
        except Exception as exc:
            error = self._describe(exc, url, request)
        else:
            if 200 <= status < 300:
                error = None
            elif 300 <= status < 400:
                error = f"redirect ({status}) to {location or '(no Location header)'} not followed"
            else:
                error = f"HTTP {status} {reason}".rstrip()
                if retried:
                    error += " (also with a newly fetched OAuth token)"
        return AttemptResult(
            ok=error is None,
            status_code=status,
            error=error,
            duration_ms=(time.perf_counter() - start) * 1000.0,
            response_excerpt=excerpt,
            started_at=started_at,
        )

    async def _post(
        self, request: DeliveryRequest, url: URL, started_at: datetime
    ) -> tuple[int, str, str | None, str, bool]:
        allow_private = self._allow_private()
        if not allow_private:
            check_literal(url.host)
        session = self._session(allow_private)
        headers = {"Content-Type": "application/json"}
        if request.signing_secret:
            headers.update(
                signature_headers(request.signing_secret, request.event_id, request.body, started_at)
            )
        auth = request.auth
        token: str | None = None
        fetch = None
        if isinstance(auth, BasicAuth):
            headers["Authorization"] = auth.header()
        elif isinstance(auth, OAuthClientCredentials):
            fetch = self._token_fetcher(session, allow_private)
            token = await self.tokens.get(auth, fetch)
            headers["Authorization"] = f"Bearer {token}"
        elif auth is not None:
            raise TypeError(f"unsupported auth spec {type(auth).__name__}")
        retried = False
        while True:
            async with session.post(
                url, data=request.body, headers=headers, allow_redirects=False
            ) as resp:
                if resp.status == 401 and fetch is not None and not retried:
                    self.tokens.invalidate(auth.cache_key, token)
                    retried = True
                else:
                    excerpt = await _read_excerpt(resp, EXCERPT_BYTES)
                    return (
                        resp.status,
                        resp.reason or _phrase(resp.status),
                        resp.headers.get("Location"),
                        excerpt,
                        retried,
                    )
            token = await self.tokens.get(auth, fetch)
            headers["Authorization"] = f"Bearer {token}"

    async def fetch_token(self, spec: OAuthClientCredentials) -> tuple[str, float | None]:
        """Ask the token endpoint for a new token, bypassing the cache ("Test" in the profile
        form). Raises TokenError with a secret-free reason on any failure."""
        allow_private = self._allow_private()
        return await self._token_fetcher(self._session(allow_private), allow_private)(spec)

    def _token_fetcher(self, session: aiohttp.ClientSession, allow_private: bool):
        async def fetch(spec: OAuthClientCredentials) -> tuple[str, float | None]:
            where = f"token endpoint {spec.token_url}"
            try:
                token_url = URL(spec.token_url)
            except ValueError:
                token_url = None
            if token_url is None or token_url.scheme not in ("http", "https") or not token_url.host:
                raise TokenError(f"{where} is not an absolute http(s) URL")
            try:
                if not allow_private:
                    check_literal(token_url.host)
                headers, form = token_request(spec)
                async with session.post(
                    token_url, data=form, headers=headers, allow_redirects=False
                ) as resp:
                    body = await _read_bytes(resp, _TOKEN_ANSWER_LIMIT + 1)
                    if len(body) > _TOKEN_ANSWER_LIMIT:
                        raise TokenError(f"{where} answered with more than 64 KiB")
                    return parse_token_response(spec, resp.status, resp.reason, body)
            except TokenError:
                raise
            except Exception as exc:
                reason = self._describe(exc, token_url, None, secrets=(spec.client_secret,))
                raise TokenError(f"{where}: {reason}") from None

        return fetch

    def _describe(
        self,
        exc: BaseException,
        url: URL,
        request: DeliveryRequest | None,
        secrets: tuple[str, ...] = (),
    ) -> str:
        """A reason an administrator can act on, free of secrets."""
        if isinstance(exc, TokenError):
            return f"OAuth {exc}"
        blocked = _find_in_chain(exc, BlockedAddressError)
        if blocked is not None:
            return str(blocked)
        host = f"[{url.host}]:{url.port}" if ":" in (url.host or "") else f"{url.host}:{url.port}"
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return f"TLS error: certificate of {host} not accepted: {exc.certificate_error}"
        if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
            cause = getattr(exc, "os_error", exc)
            return f"TLS error with {host}: {getattr(cause, 'reason', None) or cause}"
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return f"connect timed out after {self._connect_timeout:g} s ({host})"
        if isinstance(exc, TimeoutError):
            return f"timed out after {self._request_timeout:g} s"
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"DNS lookup failed for {url.host}: {_os_reason(exc.os_error)}"
        if isinstance(exc, aiohttp.ClientConnectorError):
            if isinstance(exc.os_error, ConnectionRefusedError):
                return f"connection refused ({host})"
            return f"cannot connect to {host}: {_os_reason(exc.os_error)}"
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return f"connection closed by {host} before a complete answer"
        if isinstance(exc, aiohttp.ClientPayloadError):
            return f"broken answer body from {host}: {exc}"
        if isinstance(exc, aiohttp.ClientResponseError):
            return f"invalid HTTP answer from {host}: {exc.message}"
        if isinstance(exc, aiohttp.ClientOSError | ConnectionError):
            return f"connection error with {host}: {_os_reason(exc)}"
        if isinstance(exc, aiohttp.ClientError):
            text = f"HTTP client error: {type(exc).__name__}: {exc}"
        else:
            log.error("unexpected error delivering to %s: %s", host, type(exc).__name__)
            text = f"unexpected error: {type(exc).__name__}: {exc}"
        # Defence in depth: these messages come from code we do not control.
        return redact(text, _request_secrets(request) + secrets)


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
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, kind):
            return os_error
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return None


def _endpoint_url(text: str) -> URL:
    url = URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("not an absolute http(s) URL")
    return url


def _os_reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


async def _read_bytes(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most ``limit`` bytes of the body; the rest is never read (the connection is dropped)."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = await resp.content.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
        if resp.content.at_eof():  # the usual short answer: no second read to learn it ended
            break
    return b"".join(chunks)


async def _read_excerpt(resp: aiohttp.ClientResponse, limit: int) -> str:
    data = await _read_bytes(resp, limit)
    if not data:
        return ""
    if data.isascii():  # nearly every answer ("ok", JSON, an error page): no codec needed
        return data.decode("ascii")
    try:
        decoder = codecs.getincrementaldecoder(resp.charset or "utf-8")(errors="replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    # final=False drops a multi-byte character cut at the 2 KiB boundary instead of showing U+FFFD.
    return decoder.decode(data, final=False)
