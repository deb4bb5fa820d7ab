"""Hostile and broken answers are bounded in time, memory and stored size, against real servers.

Each server here is a raw loopback server (``tests/support/raw.py``) writing what a hostile or
broken endpoint would: a header that never ends, headers without end, an 8 MiB reason phrase,
one byte at a time, a body that never ends, charsets naming Python codecs. A healthy endpoint
served beside the hostile ones keeps delivering.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.http import ERROR_CHARS, EXCERPT_BYTES, Sender
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.delivery import delivery
from tests.support.raw import OK, Conn, RawServer, answering
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio

TIMEOUT = 1.0


@pytest_asyncio.fixture
async def sender():
    async with Sender(allow_private=True, connect_timeout=1.0, request_timeout=TIMEOUT) as client:
        yield client


def flooding(head: bytes, piece: bytes, pause: float = 0.0):
    """Write ``head``, then ``piece`` over and over until the client hangs up."""

    async def handler(conn: Conn) -> None:
        await conn.request()
        try:
            conn.writer.write(head)
            while not conn.writer.is_closing():
                conn.writer.write(piece)
                await conn.writer.drain()
                if pause:
                    await asyncio.sleep(pause)
        except ConnectionError:
            pass
        conn.eof.set()

    return handler


async def bounded(sender: Sender, url: str, *, seconds: float = TIMEOUT + 1.0, peak_bytes: int = 4_000_000):
    """One attempt; it ends within ``seconds`` and allocates less than ``peak_bytes`` at its peak."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = await sender.send(delivery(url))
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, elapsed
    assert peak < peak_bytes, peak
    assert len(result.error or "") <= ERROR_CHARS and len(result.response_excerpt) <= EXCERPT_BYTES
    return result


async def test_a_header_that_never_ends_fails_the_attempt_at_8_kib(sender):
    async with RawServer(flooding(b"HTTP/1.1 200 OK\r\nX-Endless: ", b"a" * 4096)) as server:
        result = await bounded(sender, server.url())
        await server.eof_of(0)  # the connection was dropped
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == f"invalid HTTP answer from {server.where}: a status or header line longer than 8 KiB"


async def test_headers_without_end_fail_the_attempt_at_64_kib(sender):
    lines = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"v" * 7000) for n in range(4))
    async with RawServer(flooding(b"HTTP/1.1 200 OK\r\n", lines)) as server:
        result = await bounded(sender, server.url())
        await server.eof_of(0)
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == f"invalid HTTP answer from {server.where}: answer headers longer than 64 KiB"


async def test_an_8_mib_reason_phrase_is_neither_read_nor_stored(sender):
    answer = b"HTTP/1.1 500 " + b"R" * (8 * 1024 * 1024) + b"\r\nContent-Length: 0\r\n\r\n"
    async with RawServer(answering(answer)) as server:
        result = await bounded(sender, server.url(), peak_bytes=12_000_000)  # the server's own copy
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == f"invalid HTTP answer from {server.where}: a status or header line longer than 8 KiB"


async def test_a_long_reason_phrase_under_the_line_limit_is_stored_cut_to_1_kib(sender):
    async with RawServer(answering(b"HTTP/1.1 503 " + b"W" * 6000 + b"\r\nContent-Length: 4\r\n\r\nbusy")) as server:
        result = await bounded(sender, server.url())
    assert (result.ok, result.status_code, result.response_excerpt) == (False, 503, "busy")
    assert result.error.startswith("HTTP 503 WWW") and len(result.error) == ERROR_CHARS
    assert result.error.endswith("…")


def trickling(answer: bytes, pause: float):
    """Answer one byte at a time, ``pause`` seconds apart."""

    async def handler(conn: Conn) -> None:
        await conn.request()
        try:
            for byte in answer:
                conn.writer.write(bytes([byte]))
                await conn.writer.drain()
                await asyncio.sleep(pause)
        except ConnectionError:
            pass
        await conn.until_eof()

    return handler


async def test_an_answer_one_byte_at_a_time_ends_at_the_request_timeout(sender):
    async with RawServer(trickling(OK, pause=0.2)) as server:
        result = await bounded(sender, server.url(), seconds=TIMEOUT + 0.8)
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == f"timed out after {TIMEOUT:g} s"


async def test_a_2xx_whose_body_never_ends_is_a_delivery_after_2_kib(sender):
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    async with RawServer(flooding(head, b"1000\r\n" + b"z" * 4096 + b"\r\n")) as server:
        result = await bounded(sender, server.url())
        await server.eof_of(0)  # hung up instead of draining
    assert (result.ok, result.status_code, result.error) == (True, 200, None)
    assert result.response_excerpt == "z" * EXCERPT_BYTES


async def test_a_2xx_whose_body_stalls_is_a_delivery(sender):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstarted"
    async with RawServer(flooding(head, b"", pause=0.1)) as server:
        result = await bounded(sender, server.url(), seconds=TIMEOUT + 0.8)
    assert (result.ok, result.status_code, result.response_excerpt) == (True, 200, "started")


@pytest.mark.parametrize("charset", ["base64", "zlib_codec", "bz2", "hex", "rot13", "utf-16", "no-such-codec"])
async def test_an_answer_is_never_decoded_with_a_codec_the_server_names(sender, charset):
    body = "größe ☃ ".encode() * 3 + b"\xff"
    answer = (f"HTTP/1.1 500 Nope\r\nContent-Type: text/plain; charset={charset}\r\n"
              f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    async with RawServer(answering(answer)) as server:
        result = await sender.send(delivery(server.url()))
    assert (result.ok, result.status_code) == (False, 500)
    assert result.response_excerpt == "größe ☃ " * 3 + "\ufffd"


async def test_a_declared_latin_1_answer_is_decoded_as_latin_1(sender):
    body = "Größe: café".encode("latin-1")
    answer = (b"HTTP/1.1 400 Bad\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body)) + body
    async with RawServer(answering(answer)) as server:
        result = await sender.send(delivery(server.url()))
    assert result.response_excerpt == "Größe: café"


async def test_a_2xx_with_a_bizarre_charset_is_a_delivery(sender):
    body = b"\x00\xff\xfe binary"
    answer = b"HTTP/1.1 201 Created\r\nContent-Type: x/y; charset=bz2\r\nContent-Length: %d\r\n\r\n" % len(body)
    async with RawServer(answering(answer + body)) as server:
        result = await sender.send(delivery(server.url()))
        again = await sender.send(delivery(server.url()))
    assert (result.ok, result.status_code, again.ok) == (True, 201, True)
    assert len(server.requests) == 2  # each sent once


async def test_a_healthy_endpoint_keeps_delivering_while_8_connections_flood_headers():
    async with Sender(allow_private=True, connect_timeout=1.0, request_timeout=5.0) as sender:
        async with (RawServer(flooding(b"HTTP/1.1 200 OK\r\n", b"X-F: " + b"f" * 2000 + b"\r\n", pause=0.03))
                    as hostile, RawServer(answering(OK)) as healthy):
            floods = [asyncio.create_task(sender.send(delivery(hostile.url()))) for _ in range(8)]
            await until(lambda: len(hostile.requests) == 8, timeout=3)
            results = [await sender.send(delivery(healthy.url())) for _ in range(50)]
            assert [r.error for r in results if not r.ok] == []
            assert not any(flood.done() for flood in floods)  # delivered while the floods went on
            flood_results = await asyncio.gather(*floods)
    assert all(not r.ok and r.error.endswith("answer headers longer than 64 KiB") for r in flood_results)


async def test_the_stored_attempt_of_a_huge_reason_phrase_is_small(db_url, memory_keyring):
    answer = b"HTTP/1.1 500 " + b"R" * 7000 + b"\r\nContent-Length: 2000000\r\n\r\n" + b"E" * 2_000_000
    service = await WebhookService.open(db_url, secrets=SecretStore(memory_keyring))
    engine = service.delivery_engine(poll_interval=0.05)
    try:
        async with RawServer(answering(answer)) as server:
            await service.set_property("allowPrivateEndpoints", True)
            await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "p"})
            await service.create_webhook({"name": "Hostile", "event": "Entitlement Added",
                                          "endpointUrl": server.url(), "authProfile": "Basic"})
            await engine.start()
            [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                                "entityId": "e-1"})

            async def attempted():
                details = await service.get_notification(event_id)
                return details if details["attempts"] else None

            details = await until(attempted)
        attempt = details["attemptHistory"][0]
        assert attempt["statusCode"] == 500
        assert len(attempt["error"]) == ERROR_CHARS
        assert attempt["responseExcerpt"] == "E" * EXCERPT_BYTES
    finally:
        await engine.stop()
        await service.close()
