"""One delivery attempt over HTTP: POST the body, judge the answer, never raise for a failure.

Transport decision, by measurement (``tests/benchmarks/bench_transport.py``: 5,000 POSTs of a 1 KiB
body, 32 concurrent, aiohttp receiver in its own process on loopback; 2-core machine, Python
3.11.7; first 2026-11-28 with aiohttp 3.14.5, httpx 0.28.1, httpx-aiohttp 0.2.0)::

                                     requests/s   client CPU per request (*)
    this Sender (wire.py, httptools)   22,325        ~38 µs
    bare aiohttp ClientSession         11,582       85-125 µs
    httpx + httpx_aiohttp transport     3,494
    httpx default transport               491

    (*) process CPU time (user + system, getrusage) over 20,000 POSTs at concurrency 8, same
        receiver: a separate measurement from the same session; bench_transport prints rates.

The issue asked for httpx's API with a transport chosen by measurement. httpx's client layer alone,
over a transport that answers without any I/O, tops out near 10,400 req/s here, so no transport
can bring an httpx-based sender near the bare aiohttp loop. The first sender was written on
aiohttp directly (0.83x-1.45x of bare aiohttp). A delivery spent about 60% of its CPU inside
aiohttp's client, so the delivery target (0.5x of the bare aiohttp loop, with the database work
on top) was only just met. Other clients measured the same way (2026-11-28, concurrency 8):
httpr 1.0x of aiohttp's CPU per request, curl_cffi 1.8x, aiosonic 2.1x, blacksheep's client 1.7x.
The sender now writes its requests itself and leaves reading the answers to ``httptools``
(:mod:`emswebhook_gui.delivery.wire`), at a third to a half of aiohttp's CPU per request. aiohttp
remains for its resolver, which the URL guard wraps, and for the REST API's server.

Two connection pools exist at most: one whose resolver refuses non-public addresses, and one for
when the administrator allows private endpoints. ``allow_private`` is read on every send and picks
the pool, so a keep-alive connection opened while private endpoints were allowed is never
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
from typing import NamedTuple
from urllib.parse import urlencode

from aiohttp.abc import AbstractResolver
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
from emswebhook_gui.delivery.signing import signature_headers
from emswebhook_gui.delivery.urlguard import (
    BlockedAddressError,
    GuardedResolver,
    check_literal,
)
from emswebhook_gui.delivery.wire import (
    Answer,
    ConnectError,
    ConnectTimeout,
    InvalidAnswer,
    LookupFailed,
    Pool,
    ServerDisconnected,
    Target,
)

__all__ = ["EXCERPT_BYTES", "USER_AGENT", "AttemptResult", "DeliveryRequest", "Sender"]

log = logging.getLogger(__name__)

USER_AGENT = f"emswebhook-gui/{__version__}"
EXCERPT_BYTES = 2048
_TOKEN_ANSWER_LIMIT = 64 * 1024


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
        self._resolver_factory = resolver_factory or DefaultResolver
        self._pools: dict[bool, tuple[Pool, AbstractResolver]] = {}
        self._global = asyncio.Semaphore(max_concurrency)
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
        self._closed = True
        pools = list(self._pools.values())
        self._pools.clear()
        if self._owns_tokens:
            await self.tokens.aclose()
        for pool, resolver in pools:
            pool.close()
            await resolver.close()

    def _pool(self, allow_private: bool) -> Pool:
        """One pool per URL-guard setting: a connection opened while private endpoints were
        allowed is never reused after they are forbidden again."""
        entry = self._pools.get(allow_private)
        if entry is None:
            resolver = GuardedResolver(self._resolver_factory(), allow_private=lambda: allow_private)
            pool = Pool(resolver=resolver, ssl_context=self._ssl, connect_timeout=self._connect_timeout,
                        timeout=self._request_timeout)
            entry = self._pools[allow_private] = (pool, resolver)
        return entry[0]

    def endpoint_of(self, url_text: str) -> tuple[str, str, int]:
        """(scheme, host, port): what the per-endpoint limit counts by. ValueError when the URL
        is not an absolute http(s) URL."""
        return self._endpoint(url_text).target.key

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
        except ValueError as exc:
            return AttemptResult(
                False, None, f"invalid endpoint URL: {exc}", 0.0, "", self._clock()
            )
        key = endpoint.target.key
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
        retry_after = None
        try:
            answer, retried = await self._post(request, endpoint, started_at)
        except Exception as exc:
            error = self._describe(exc, endpoint.target, request)
        else:
            status = answer.status
            excerpt = _excerpt(answer)
            retry_after = answer.retry_after
            if 200 <= status < 300:
                error = None
            elif 300 <= status < 400:
                error = f"redirect ({status}) to {answer.location or '(no Location header)'} not followed"
            else:
                error = f"HTTP {status} {answer.reason or _phrase(status)}".rstrip()
                if retried:
                    error += " (also with a newly fetched OAuth token)"
        return AttemptResult(
            ok=error is None,
            status_code=status,
            error=error,
            duration_ms=(time.perf_counter() - start) * 1000.0,
            response_excerpt=excerpt,
            started_at=started_at,
            retry_after=retry_after,
        )

    async def _post(self, request: DeliveryRequest, endpoint: _Endpoint, started_at: datetime) -> tuple[Answer, bool]:
        allow_private = self._allow_private()
        target = endpoint.target
        if not allow_private:
            check_literal(target.host)
        pool = self._pool(allow_private)
        body = request.body
        extra = ""
        if request.signing_secret:
            extra = _header_lines(signature_headers(request.signing_secret, request.event_id, body, started_at))
        auth = request.auth
        token: str | None = None
        fetch = None
        if isinstance(auth, BasicAuth):
            authorization = auth.header()
        elif isinstance(auth, OAuthClientCredentials):
            fetch = self._token_fetcher(pool, allow_private)
            token = await self.tokens.get(auth, fetch)
            authorization = f"Bearer {token}"
        elif auth is None:
            authorization = None
        else:
            raise TypeError(f"unsupported auth spec {type(auth).__name__}")
        tail = f"{extra}Content-Length: {len(body)}\r\n\r\n"
        retried = False
        while True:
            auth_line = _header_lines({"Authorization": authorization}) if authorization else ""
            head = endpoint.json_head + auth_line + tail
            answer = await pool.request(target, head.encode("latin-1") + body, EXCERPT_BYTES)
            if answer.status != 401 or fetch is None or retried:
                return answer, retried
            self.tokens.invalidate(auth.cache_key, token)
            retried = True
            token = await self.tokens.get(auth, fetch)
            authorization = f"Bearer {token}"

    async def fetch_token(self, spec: OAuthClientCredentials) -> tuple[str, float | None]:
        """Ask the token endpoint for a new token, bypassing the cache ("Test" in the profile
        form). Raises TokenError with a secret-free reason on any failure."""
        allow_private = self._allow_private()
        return await self._token_fetcher(self._pool(allow_private), allow_private)(spec)

    def _token_fetcher(self, pool: Pool, allow_private: bool):
        async def fetch(spec: OAuthClientCredentials) -> tuple[str, float | None]:
            where = f"token endpoint {spec.token_url}"
            try:
                endpoint = _Endpoint.parse(spec.token_url)
            except ValueError:
                raise TokenError(f"{where} is not an absolute http(s) URL") from None
            try:
                if not allow_private:
                    check_literal(endpoint.target.host)
                headers, form = token_request(spec)
                body = urlencode(form).encode("ascii")
                headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
                head = f"{endpoint.post_head}{_header_lines(headers)}Content-Length: {len(body)}\r\n\r\n"
                answer = await pool.request(endpoint.target, head.encode("latin-1") + body, _TOKEN_ANSWER_LIMIT + 1)
                if len(answer.body) > _TOKEN_ANSWER_LIMIT:
                    raise TokenError(f"{where} answered with more than 64 KiB")
                return parse_token_response(spec, answer.status, answer.reason or _phrase(answer.status),
                                            answer.body)
            except TokenError:
                raise
            except Exception as exc:
                reason = self._describe(exc, endpoint.target, None, secrets=(spec.client_secret,))
                raise TokenError(f"{where}: {reason}") from None

        return fetch

    def _describe(
        self,
        exc: BaseException,
        target: Target,
        request: DeliveryRequest | None,
        secrets: tuple[str, ...] = (),
    ) -> str:
        """A reason an administrator can act on, free of secrets."""
        if isinstance(exc, TokenError):
            return f"OAuth {exc}"
        blocked = _find_in_chain(exc, BlockedAddressError)
        if blocked is not None:
            return str(blocked)
        host = f"[{target.host}]:{target.port}" if ":" in target.host else f"{target.host}:{target.port}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return f"TLS error: certificate of {host} not accepted: {exc}"
        if isinstance(exc, ssl.SSLError):
            return f"TLS error with {host}: {exc.reason or exc}"
        if isinstance(exc, ConnectTimeout):
            return f"connect timed out after {self._connect_timeout:g} s ({host})"
        if isinstance(exc, TimeoutError):
            return f"timed out after {self._request_timeout:g} s"
        if isinstance(exc, LookupFailed):
            return f"DNS lookup failed for {target.host}: {_os_reason(exc.os_error)}"
        if isinstance(exc, ConnectError):
            if isinstance(exc.os_error, ConnectionRefusedError):
                return f"connection refused ({host})"
            return f"cannot connect to {host}: {_os_reason(exc.os_error)}"
        if isinstance(exc, ServerDisconnected):
            return f"connection closed by {host} before a complete answer"
        if isinstance(exc, InvalidAnswer):
            text = f"invalid HTTP answer from {host}: {exc}"
        elif isinstance(exc, OSError):
            text = f"connection error with {host}: {_os_reason(exc)}"
        else:
            log.error("unexpected error delivering to %s: %s", host, type(exc).__name__)
            text = f"unexpected error: {type(exc).__name__}: {exc}"
        # Defence in depth: these messages come from code we do not control.
        return redact(text, _request_secrets(request) + secrets)


class _Endpoint(NamedTuple):
    """A parsed endpoint URL and the start of every POST to it (request line, Host and the
    headers every delivery carries), built once. A user name or password written into the URL
    is not sent: a webhook authenticates with its authentication profile only."""

    target: Target
    post_head: str
    """Request line, Host, User-Agent and Accept-Encoding."""
    json_head: str
    """The same and ``Content-Type: application/json``: a delivery's."""

    @classmethod
    def parse(cls, text: str) -> _Endpoint:
        url = URL(text)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("not an absolute http(s) URL")
        host = url.raw_host or url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        bracketed = f"[{host}]" if ":" in host else host
        authority = bracketed if url.is_default_port() else f"{bracketed}:{port}"
        path = url.raw_path_qs or "/"
        if any(ch in path for ch in "\r\n ") or any(ch in authority for ch in "\r\n "):
            raise ValueError("the URL contains spaces or line breaks")
        target = Target((url.scheme, host, port), host, port, url.scheme == "https", path, authority)
        head = f"POST {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\nAccept-Encoding: identity\r\n"
        return cls(target, head, head + "Content-Type: application/json\r\n")


def _header_lines(headers: dict[str, str]) -> str:
    """``Name: value`` lines; a value with a line break would smuggle a header in: refused."""
    text = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if text.count("\n") != len(headers) or text.count("\r") != len(headers):
        raise ValueError("a header value contains a line break")
    return text


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


def _os_reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _excerpt(answer: Answer) -> str:
    data = answer.body
    if not data:
        return ""
    if data.isascii():  # nearly every answer ("ok", JSON, an error page): no codec needed
        return data.decode("ascii")
    charset = "utf-8"
    if answer.content_type:
        for part in answer.content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
    try:
        decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    # final=False drops a multi-byte character cut at the 2 KiB boundary instead of showing U+FFFD.
    return decoder.decode(data, final=False)
