"""HTTP/1.1 on asyncio for deliveries: one POST, one answer, connections kept alive per endpoint.

Why this exists instead of a client library (measured, see ``http.py`` and
``tests/benchmarks/bench_transport.py``): a delivery is always the same exchange (one POST with a
small body, an answer of which at most 2 KiB is kept, no redirects, cookies, proxies or
decompression), and every client library measured spends most of a delivery's CPU on machinery
this exchange never uses. aiohttp's client costs 85-125 µs of CPU per request here, the
Rust- and curl-based clients as much or more, and the Sender on this module about 38 µs. Parsing the answer,
the part that must be exactly right, is left to ``httptools`` (llhttp, the parser of Node.js and
of uvicorn); this module only frames the request and manages connections.

What it does, and the decisions in it:
- Connections are kept per (scheme, host, port) and reused most-recent first; one that is idle
  for :data:`KEEPALIVE` seconds is closed, and one that the server closed is never reused.
- A request that finds its reused connection closed before any byte of an answer (the server
  closed it while idle, a race every keep-alive client has) is sent once more on a new
  connection. Delivery is at-least-once, so this can only duplicate, never lose.
- The answer body is read up to ``limit`` bytes; past that the connection is dropped rather than
  drained (a 10 MB answer costs nothing). A body delimited by the connection's end (HTTP/1.0
  servers) ends when the server closes.
- Host names are resolved by the resolver given (the URL guard's), and the connection goes to the
  addresses it returned, in order; IP literals are used as they are (the caller checks them).
- Timeouts: ``connect_timeout`` for the resolution and TCP/TLS connect, ``timeout`` for the
  whole exchange including the connect. A timed-out connection is closed, never reused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from typing import Any, NamedTuple

from httptools import HttpParserError, HttpResponseParser

from emswebhook_gui.delivery.urlguard import BlockedAddressError

__all__ = [
    "KEEPALIVE",
    "Answer",
    "ConnectError",
    "ConnectTimeout",
    "InvalidAnswer",
    "LookupFailed",
    "Pool",
    "ServerDisconnected",
    "Target",
]

KEEPALIVE = 15.0
"""Seconds an idle connection is kept for reuse (aiohttp's default too)."""


class Answer(NamedTuple):
    status: int
    reason: str
    location: str | None
    content_type: str | None
    body: bytes
    """At most the ``limit`` asked for; longer answers are cut there."""
    retry_after: str | None = None


class Target(NamedTuple):
    """Where a request goes, parsed once per URL by the caller."""

    key: tuple[str, str, int]
    """(scheme, host, port): connections are shared by requests with the same key."""
    host: str
    """The bare host name or IP literal (no brackets) to resolve and, for TLS, to verify."""
    port: int
    tls: bool
    path: str
    """The request target: path and query, already percent-encoded."""
    authority: str
    """The Host header's value."""


class ConnectTimeout(TimeoutError):
    """No connection within ``connect_timeout`` (lookup, TCP and TLS handshake)."""


class LookupFailed(OSError):
    """The host name did not resolve; ``os_error`` is the resolver's error."""

    def __init__(self, host: str, os_error: BaseException) -> None:
        super().__init__(f"DNS lookup failed for {host}: {os_error}")
        self.os_error = os_error


class ConnectError(OSError):
    """No address of the host accepted a connection; ``os_error`` is the last refusal."""

    def __init__(self, os_error: OSError) -> None:
        super().__init__(str(os_error))
        self.os_error = os_error


class ServerDisconnected(ConnectionError):
    """The connection ended before a complete answer."""


class InvalidAnswer(Exception):
    """What came back is not HTTP/1.x."""


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection and the one exchange in flight on it.

    The parser calls back into this object (``on_status``, ``on_header``, ...); ``exchange``
    hands out a future that the last callback of the answer resolves.
    """

    def __init__(self, registry: set[_Connection]) -> None:
        self._registry = registry
        self._parser = HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future | None = None
        self._limit = 0
        self._body: list[bytes] = []
        self._size = 0
        self._reason = ""
        self._location: str | None = None
        self._content_type: str | None = None
        self._retry_after: str | None = None
        self._framed = False
        self._headers_done = False
        self._received = False
        self._keep_alive = False
        self.closed = False
        self.idle_since = 0.0

    # -- driving an exchange ----------------------------------------------------------------------------

    def exchange(self, data: bytes, limit: int) -> asyncio.Future:
        """Send ``data`` (a whole request) and return the future of its :class:`Answer`."""
        self._limit = limit
        self._body = []
        self._size = 0
        self._reason = ""
        self._location = self._content_type = self._retry_after = None
        self._framed = self._headers_done = self._received = False
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        return waiter

    @property
    def reusable(self) -> bool:
        return self._keep_alive and not self.closed

    def abort(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def _finish(self, keep_alive: bool) -> None:
        waiter, self._waiter = self._waiter, None
        self._keep_alive = keep_alive
        if waiter is not None and not waiter.done():
            content_type = self._content_type
            waiter.set_result(Answer(self._parser.get_status_code(), self._reason, self._location, content_type,
                                     b"".join(self._body), self._retry_after))

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        self._keep_alive = False
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    # -- asyncio.Protocol ---------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._registry.add(self)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: the connection is not clean any more
            self.abort()
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except HttpParserError as exc:
            self._fail(InvalidAnswer(str(exc.args[0] if exc.args else exc)))
            self.abort()
            return
        if self._waiter is not None and self._size > self._limit:
            self._finish(keep_alive=False)  # enough of a long answer: hang up instead of draining
            self.abort()

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost decides what the answer was

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._registry.discard(self)
        if self._waiter is None:
            return
        if self._headers_done and not self._framed and self._parser.get_status_code() >= 200:
            self._finish(keep_alive=False)  # a body delimited by the end of the connection
        else:
            error = ServerDisconnected("connection closed before a complete answer")
            error.received = self._received  # type: ignore[attr-defined]
            self._fail(error)

    # -- httptools callbacks ------------------------------------------------------------------------------

    def on_status(self, reason: bytes) -> None:
        self._reason += reason.decode("latin-1")  # called per piece when the line spans reads

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-type":
            self._content_type = value.decode("latin-1")
        elif lowered == b"location":
            self._location = value.decode("latin-1")
        elif lowered == b"retry-after":
            self._retry_after = value.decode("latin-1")
        elif lowered in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, chunk: bytes) -> None:
        room = self._limit - self._size
        if room > 0:
            self._body.append(chunk if len(chunk) <= room else chunk[:room])
        self._size += len(chunk)

    def on_message_complete(self) -> None:
        if 100 <= self._parser.get_status_code() < 200:  # an interim answer (100 Continue): the real one follows
            self._headers_done = self._framed = False
            self._location = self._content_type = self._retry_after = None
            self._reason = ""
            return
        self._finish(keep_alive=self._parser.should_keep_alive())


class Pool:
    """Connections per endpoint, for one URL-guard setting (the caller keeps one pool per setting,
    so a connection opened while private endpoints were allowed is never used after that changes).

    ``resolver`` has aiohttp's resolver interface (``await resolve(host, port, family)`` returning
    dicts with ``host`` and ``port``), which the URL guard implements.
    """

    def __init__(self, *, resolver: Any, ssl_context: ssl.SSLContext | None, connect_timeout: float,
                 timeout: float) -> None:
        self._resolver = resolver
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout
        self._timeout = timeout
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False

    async def request(self, target: Target, data: bytes, limit: int) -> Answer:
        """Send ``data`` (a whole HTTP/1.1 request for ``target``) and read the answer.

        Raises ConnectTimeout, TimeoutError, LookupFailed (or the guard's BlockedAddressError),
        ConnectError, ssl.SSLError, ServerDisconnected or InvalidAnswer.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        connection = self._take(target.key, loop.time())
        reused = connection is not None
        while True:
            if connection is None:
                connection = await self._connect(target, loop, deadline)
            try:
                answer = await self._exchange(connection, data, limit, loop, deadline)
            except ServerDisconnected as exc:
                if reused and not getattr(exc, "received", True):
                    connection, reused = None, False  # closed while idle: once more on a new one
                    continue
                raise
            break
        if connection.reusable and not self._closed:
            self._put(target.key, connection, loop)
        else:
            connection.close()
        return answer

    async def _exchange(self, connection: _Connection, data: bytes, limit: int, loop: asyncio.AbstractEventLoop,
                        deadline: float) -> Answer:
        waiter = connection.exchange(data, limit)
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            return await waiter
        except BaseException:
            connection.abort()  # a half-done exchange leaves the connection unusable
            raise
        finally:
            timer.cancel()

    def _take(self, key: tuple[str, str, int], now: float) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < KEEPALIVE:
                return connection
            connection.close()
        return None

    def _put(self, key: tuple[str, str, int], connection: _Connection, loop: asyncio.AbstractEventLoop) -> None:
        connection.idle_since = loop.time()
        idle = self._idle.get(key)
        if idle is None:
            idle = self._idle[key] = []
        idle.append(connection)
        if self._sweeper is None:
            self._sweeper = loop.call_later(KEEPALIVE, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close connections idle for :data:`KEEPALIVE` seconds. One timer per pool, running only
        while some connection is idle: none per request or per connection."""
        self._sweeper = None
        now = loop.time()
        for key, idle in list(self._idle.items()):
            fresh = [c for c in idle if not c.closed and now - c.idle_since < KEEPALIVE]
            for connection in idle:
                if connection not in fresh:
                    connection.close()
            if fresh:
                self._idle[key] = fresh
            else:
                del self._idle[key]
        if self._idle and not self._closed:
            self._sweeper = loop.call_later(KEEPALIVE / 2, self._sweep, loop)

    async def _connect(self, target: Target, loop: asyncio.AbstractEventLoop, deadline: float) -> _Connection:
        limit = min(deadline, loop.time() + self._connect_timeout)
        try:
            async with asyncio.timeout_at(limit):
                addresses = await self._addresses(target)
                return await self._open_connection(target, addresses, loop)
        except TimeoutError:
            if limit < deadline:
                raise ConnectTimeout() from None
            raise

    async def _addresses(self, target: Target) -> list[tuple[str, int]]:
        try:
            ipaddress.ip_address(target.host)
        except ValueError:
            pass
        else:
            return [(target.host, target.port)]
        try:
            found = await self._resolver.resolve(target.host, target.port, socket.AF_UNSPEC)
        except (TimeoutError, asyncio.CancelledError):
            raise
        except BlockedAddressError:
            raise
        except OSError as exc:
            raise LookupFailed(target.host, exc) from exc
        return [(item["host"], item["port"]) for item in found]

    async def _open_connection(self, target: Target, addresses: list[tuple[str, int]],
                               loop: asyncio.AbstractEventLoop) -> _Connection:
        context = None
        if target.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        last: OSError | None = None
        for host, port in addresses:
            try:
                _transport, connection = await loop.create_connection(
                    lambda: _Connection(self._open), host, port, ssl=context, server_hostname=target.host if context else None)
            except ssl.SSLError:
                raise
            except OSError as exc:
                last = exc
                continue
            if self._closed:
                connection.close()
                raise ServerDisconnected("the sender is closing")
            return connection  # asyncio has set TCP_NODELAY
        raise ConnectError(last or OSError(f"no addresses found for {target.host}"))

    def close(self) -> None:
        """Close every connection, idle or in use (exchanges in flight fail)."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        for connection in list(self._open):
            connection.abort()


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
