"""A raw TCP server on loopback for delivery tests that must control answers byte by byte.

An aiohttp receiver always frames its answers correctly; these handlers write exactly the bytes
a test gives them (broken framing, keep-alive races, hostile answers) and record each request as
it arrived.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
WAIT = 2.0  # upper bound for anything awaited here; every wait normally ends at once


@dataclass(frozen=True)
class Seen:
    """One request as it arrived: on which accepted connection, its head and its body."""

    conn: int
    line: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass(eq=False)
class Conn:
    """One accepted connection; ``eof`` is set once the client has closed (or reset) it."""

    index: int
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    server: RawServer
    eof: asyncio.Event = field(default_factory=asyncio.Event)

    async def request(self) -> Seen | None:
        """The next whole request, or None when the client closed the connection."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head[:-4].decode("latin-1").split("\r\n")
            headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
            length = sum(int(value) for key, value in headers if key.lower() == "content-length")
            body = await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.eof.set()
            return None
        seen = Seen(self.index, lines[0], headers, body)
        self.server.requests.append(seen)
        self.server.arrived.set()
        return seen

    async def answer_once(self, *pieces: bytes, pause: float = 0.0) -> None:
        """Read the next request and answer it with these bytes (as ``send``)."""
        await self.request()
        await self.send(*pieces, pause=pause)

    async def send(self, *pieces: bytes, pause: float = 0.0) -> None:
        """Write the pieces one by one; with ``pause``, the client reads each before the next."""
        for number, piece in enumerate(pieces):
            if number and pause:
                await asyncio.sleep(pause)
            self.writer.write(piece)
            await self.writer.drain()

    async def hang_up(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass

    async def until_eof(self) -> None:
        """Read (and drop) whatever comes until the client closes."""
        try:
            while await self.reader.read(65536):
                pass
        except ConnectionError:
            pass
        self.eof.set()


Handler = Callable[[Conn], Awaitable[None]]


class RawServer:
    """A TCP server on 127.0.0.1 (or ``host``, e.g. ``::1``) whose handler writes the answers as
    raw bytes."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self._handler = handler
        self.host = host
        self._ssl = tls
        self.conns: list[Conn] = []
        self.requests: list[Seen] = []
        self.arrived = asyncio.Event()
        self.accepted = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://{self.where}{path}"

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tasks.add(asyncio.current_task())
        conn = Conn(len(self.conns), reader, writer, self)
        self.conns.append(conn)
        self.accepted.set()
        try:
            await self._handler(conn)
        finally:
            writer.close()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._accept, self.host, 0, ssl=self._ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        for conn in self.conns:
            conn.writer.close()
        # Closing the sockets ends every handler (its reads see the end); cancelling a handler
        # instead makes asyncio 3.11 log an error from the stream's callback.
        tasks = [task for task in self._tasks if task is not None and not task.done()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=WAIT)
            for task in pending:
                task.cancel()
        await self._server.wait_closed()

    async def eof_of(self, index: int) -> None:
        await asyncio.wait_for(self.conns[index].eof.wait(), WAIT)

    def on_conn(self, index: int) -> list[Seen]:
        return [seen for seen in self.requests if seen.conn == index]


def answering(*pieces: bytes, pause: float = 0.0) -> Handler:
    """Answer every request on the connection with the same bytes; note the client's EOF."""

    async def handler(conn: Conn) -> None:
        while await conn.request() is not None:
            await conn.send(*pieces, pause=pause)

    return handler
