"""A small forward proxy on loopback: plain HTTP (absolute-URI requests) and CONNECT tunnels.

Enough of a corporate egress proxy for delivery tests: it can demand credentials (a 407 with
``Proxy-Authenticate``), it records what it was asked (method, target, Proxy-Authorization), and
it reaches upstream hosts through ``upstream`` (a name -> (address, port) table, its own DNS), so
a test can name public-looking hosts while every connection stays on loopback.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass


@dataclass(frozen=True)
class Asked:
    method: str
    target: str
    proxy_authorization: str | None


class ForwardProxy:
    def __init__(self, *, credentials: tuple[str, str] | None = None,
                 upstream: dict[str, tuple[str, int]] | None = None) -> None:
        self.credentials = credentials
        self.upstream = upstream or {}
        self.asked: list[Asked] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def where(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        await self._server.wait_closed()

    def _where_to(self, host: str, port: int) -> tuple[str, int]:
        return self.upstream.get(host, (host, port))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tasks.add(asyncio.current_task())
        self._writers.add(writer)
        try:
            while True:
                head = await _read_head(reader)
                if head is None:
                    return
                method, target, headers = head
                auth = headers.get("proxy-authorization")
                self.asked.append(Asked(method, target, auth))
                if self.credentials is not None and auth != _basic(*self.credentials):
                    await _discard_body(reader, headers)
                    writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n')
                    await writer.drain()
                    continue
                if method == "CONNECT":
                    await self._tunnel(target, reader, writer)
                    return
                await self._forward(method, target, headers, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _tunnel(self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, _, port = target.rpartition(":")
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._where_to(host.strip("[]"), int(port)))
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        self._writers.add(up_writer)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._writers.discard(up_writer)

    async def _forward(self, method: str, target: str, headers: dict[str, str], reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        """One absolute-URI request, sent upstream in origin form; the answer (framed by
        Content-Length, as the test receivers frame theirs) is passed back."""
        rest = target.split("://", 1)[1]
        authority, slash, path = rest.partition("/")
        host, _, port = authority.rpartition(":") if ":" in authority.rsplit("]", 1)[-1] else (authority, "", "80")
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        up_reader, up_writer = await asyncio.open_connection(*self._where_to(host.strip("[]"), int(port)))
        try:
            lines = [f"{method} {slash}{path} HTTP/1.1"] + [
                f"{name}: {value}" for name, value in headers.items() if not name.startswith("proxy-")]
            up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await up_writer.drain()
            answer = await _read_head(up_reader, raw=True)
            if answer is None:
                return
            raw_head, answer_headers = answer
            length = int(answer_headers.get("content-length", "0"))
            writer.write(raw_head + await up_reader.readexactly(length))
            await writer.drain()
        finally:
            up_writer.close()


async def _read_head(reader: asyncio.StreamReader, raw: bool = False):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head[:-4].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if raw:
        return head, headers
    method, target, _version = lines[0].split(" ", 2)
    return method, target, headers


async def _discard_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
    await reader.readexactly(int(headers.get("content-length", "0")))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        sink.close()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
