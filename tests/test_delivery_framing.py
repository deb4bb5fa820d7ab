"""The sender on aiohttp's client against hand-written servers: framing and keep-alive.

``tests/test_delivery_sender.py`` talks to an aiohttp receiver, which always frames its answers
correctly. The servers here (``tests/support/raw.py``) write raw bytes, so these tests control the
framing byte by byte: keep-alive and its races, ``Connection: close``, bodies ended by the
connection's end, chunked bodies, interim answers, garbage, and what the request looks like on the
wire.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.http import AttemptResult, Sender
from tests.support.delivery import delivery
from tests.support.raw import OK, WAIT, Conn, RawServer, answering


@pytest_asyncio.fixture
async def sender():
    async with Sender(allow_private=True, connect_timeout=1.0, request_timeout=2.0) as client:
        yield client


def assert_ok(result: AttemptResult, excerpt: str = "ok") -> None:
    assert (result.ok, result.status_code, result.error, result.response_excerpt) == (True, 200, None, excerpt)


def assert_dropped(result: AttemptResult, server: RawServer) -> None:
    """A failed attempt because the connection ended before a complete answer."""
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == f"connection closed by {server.where} before a complete answer"


# -- keep-alive ---------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sequential_deliveries_share_one_connection(sender):
    async with RawServer(answering(OK)) as server:
        results = [await sender.send(delivery(server.url())) for _ in range(50)]
        assert all(r.ok and r.status_code == 200 and r.response_excerpt == "ok" for r in results)
        assert len(server.conns) == 1
        assert len(server.on_conn(0)) == 50


@pytest.mark.asyncio
async def test_concurrent_deliveries_open_connections_that_are_then_reused(sender):
    async def handler(conn: Conn) -> None:
        while await conn.request() is not None:
            await all_arrived.wait()  # hold every answer until all four requests are in
            await conn.send(OK)

    all_arrived = asyncio.Event()
    async with RawServer(handler) as server:
        tasks = [asyncio.create_task(sender.send(delivery(server.url()))) for _ in range(4)]
        while len(server.requests) < 4:
            server.arrived.clear()
            await asyncio.wait_for(server.arrived.wait(), WAIT)
        all_arrived.set()
        for result in await asyncio.gather(*tasks):
            assert_ok(result)
        for _ in range(4):
            assert_ok(await sender.send(delivery(server.url())))
        assert len(server.conns) == 4
        assert len(server.requests) == 8


@pytest.mark.asyncio
async def test_idle_connection_closed_by_the_server_is_replaced(sender):
    async def handler(conn: Conn) -> None:
        if conn.index == 0:  # answer once, then close the idle connection a moment later
            await conn.answer_once(OK)
            await asyncio.sleep(0.05)
            await conn.hang_up()
            closed.set()
        else:
            await answering(OK)(conn)

    closed = asyncio.Event()
    async with RawServer(handler) as server:
        assert_ok(await sender.send(delivery(server.url())))
        await asyncio.wait_for(closed.wait(), WAIT)
        assert_ok(await sender.send(delivery(server.url())))
        assert len(server.conns) == 2
        assert len(server.on_conn(0)) == 1
        assert len(server.on_conn(1)) == 1


@pytest.mark.asyncio
async def test_reused_connection_found_closed_before_any_answer_byte_is_retried_once_on_a_new_one(sender):
    # The keep-alive race made deterministic: the server closes the idle connection just as the
    # next request arrives on it, without reading or answering it.
    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            await conn.answer_once(OK)
            await conn.reader.read(1)  # the next request has started to arrive ...
            conn.writer.transport.abort()  # ... and the server drops the connection
        else:
            await answering(OK)(conn)

    async with RawServer(handler) as server:
        assert_ok(await sender.send(delivery(server.url())))
        second = await sender.send(delivery(server.url(), body=b'{"n":2}'))
        assert_ok(second)
        assert len(server.conns) == 2
        assert [seen.body for seen in server.on_conn(1)] == [b'{"n":2}']
        assert_ok(await sender.send(delivery(server.url())))  # and the new connection is kept
        assert len(server.conns) == 2


@pytest.mark.asyncio
async def test_the_retry_on_a_new_connection_happens_only_once(sender):
    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            await conn.answer_once(OK)
        await conn.request()  # every later request: read, then hang up without an answer
        await conn.hang_up()

    async with RawServer(handler) as server:
        assert_ok(await sender.send(delivery(server.url())))
        result = await sender.send(delivery(server.url()))
        assert_dropped(result, server)
        assert len(server.conns) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "outcome"), [
    ("500 Oops", (False, 500, "HTTP 500 Oops", "part")),  # a failure, and not retried
    ("200 OK", (True, 200, None, "part")),  # a delivery
], ids=["5xx", "2xx"])
async def test_an_answer_on_a_reused_connection_that_breaks_off_is_not_sent_again(sender, status, outcome):
    async def handler(conn: Conn) -> None:
        await conn.answer_once(OK)
        await conn.answer_once(f"HTTP/1.1 {status}\r\nContent-Length: 10\r\n\r\npart".encode())
        await conn.hang_up()

    async with RawServer(handler) as server:
        assert_ok(await sender.send(delivery(server.url())))
        result = await sender.send(delivery(server.url()))
        assert (result.ok, result.status_code, result.error, result.response_excerpt) == outcome
        assert len(server.conns) == 1  # an answer had begun: sending again could deliver twice
        assert len(server.requests) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("answer", [
    # the server says "close" but leaves the socket open: the client must hang up itself
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    # HTTP/1.0 without keep-alive: the same, unsaid
    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
], ids=["connection-close", "http1.0"])
async def test_answer_that_ends_keep_alive_is_not_reused(sender, answer):
    async with RawServer(answering(answer)) as server:
        assert_ok(await sender.send(delivery(server.url())))
        await server.eof_of(0)
        assert_ok(await sender.send(delivery(server.url())))
        assert len(server.conns) == 2
        assert [len(server.on_conn(i)) for i in (0, 1)] == [1, 1]


@pytest.mark.asyncio
async def test_unsolicited_bytes_on_an_idle_connection_make_it_unusable(sender):
    # Some servers announce an idle timeout with a 408 before closing; such a connection is dirty.
    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            await conn.answer_once(OK)
            await asyncio.sleep(0.02)
            await conn.send(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
            await conn.until_eof()
        else:
            await answering(OK)(conn)

    async with RawServer(handler) as server:
        assert_ok(await sender.send(delivery(server.url())))
        await server.eof_of(0)  # the client dropped the connection on its own
        assert_ok(await sender.send(delivery(server.url())))
        assert len(server.conns) == 2
        assert len(server.on_conn(1)) == 1


# -- framing of answers ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["1.0", "1.1"])
async def test_body_delimited_by_the_end_of_the_connection(sender, version):
    async def handler(conn: Conn) -> None:
        await conn.answer_once(f"HTTP/{version} 501 Not Implemented\r\nContent-Type: text/plain\r\n\r\n".encode(),
                               b"no POST ", b"here", pause=0.01)
        await conn.hang_up()

    async with RawServer(handler) as server:
        result = await sender.send(delivery(server.url()))
        assert (result.ok, result.status_code) == (False, 501)
        assert result.error == "HTTP 501 Not Implemented"
        assert result.response_excerpt == "no POST here"
        assert len(server.conns) == 1


@pytest.mark.asyncio
async def test_chunked_answer_gives_the_excerpt_and_keeps_the_connection(sender):
    pieces = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n",
        b"5\r\nhello\r\n",
        b"7;ext=1\r\n, world\r\n",
        b"0\r\nX-Trailer: t\r\n\r\n",
    )
    async with RawServer(answering(*pieces, pause=0.005)) as server:
        assert_ok(await sender.send(delivery(server.url())), "hello, world")
        assert_ok(await sender.send(delivery(server.url())), "hello, world")
        assert len(server.conns) == 1
        assert len(server.requests) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("pause", [0.0, 0.01], ids=["one-write", "separate-writes"])
async def test_interim_100_continue_is_skipped(sender, pause):
    interim = b"HTTP/1.1 100 Continue\r\nContent-Type: text/x-interim\r\n\r\n"
    final = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"
    async with RawServer(answering(interim, final, pause=pause)) as server:
        assert_ok(await sender.send(delivery(server.url())), "done")
        assert_ok(await sender.send(delivery(server.url())), "done")
        assert len(server.conns) == 1


@pytest.mark.asyncio
async def test_no_content_answer_without_length_is_complete_and_reused(sender):
    async with RawServer(answering(b"HTTP/1.1 204 No Content\r\n\r\n")) as server:
        for _ in range(3):
            result = await sender.send(delivery(server.url()))
            assert (result.ok, result.status_code, result.response_excerpt) == (True, 204, "")
        assert len(server.conns) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("garbage", [b"NOT HTTP\r\n\r\n", b"HTTP/1.1 abc Nope\r\n\r\n"])
async def test_garbage_answer_is_a_failed_attempt(sender, garbage):
    async def handler(conn: Conn) -> None:
        await conn.answer_once(garbage)
        await conn.until_eof()  # the server keeps the socket open: the client must drop it

    async with RawServer(handler) as server:
        result = await sender.send(delivery(server.url()))
        assert (result.ok, result.status_code, result.response_excerpt) == (False, None, "")
        assert result.error.startswith(f"invalid HTTP answer from {server.where}")
        await server.eof_of(0)


@pytest.mark.asyncio
async def test_body_longer_than_its_content_length_does_not_poison_the_connection(sender):
    # A miscounted Content-Length: the extra bytes must never be taken as (part of) the next
    # answer. aiohttp's parser refuses the answer they arrive with (a broken server's answer is
    # not trusted), and the connection is not used again.
    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            await conn.answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXX")
            await conn.until_eof()
        else:
            await answering(OK)(conn)

    async with RawServer(handler) as server:
        first = await sender.send(delivery(server.url()))
        if not first.ok:
            assert first.error.startswith(f"invalid HTTP answer from {server.where}")
        for _ in range(3):
            assert_ok(await sender.send(delivery(server.url())))
        await server.eof_of(0)


@pytest.mark.asyncio
async def test_reason_phrase_split_across_reads_is_kept_whole(sender):
    async with RawServer(answering(b"HTTP/1.1 503 Custom Maint", b"enance Window\r\nContent-Length: 0\r\n\r\n",
                                 pause=0.02)) as server:
        result = await sender.send(delivery(server.url()))
        assert result.status_code == 503
        assert result.error == "HTTP 503 Custom Maintenance Window"


@pytest.mark.asyncio
async def test_headers_split_across_reads_are_read_whole(sender):
    answer = (b"HTTP/1.1 302 Found\r\nLoca", b"tion: http://exa", b"mple.test/else\r\nContent-Le", b"ngth: 0\r\n\r\n")
    async with RawServer(answering(*answer, pause=0.01)) as server:
        result = await sender.send(delivery(server.url()))
        assert (result.ok, result.status_code) == (False, 302)
        assert result.error == "redirect (302) to http://example.test/else not followed"


# -- the request on the wire -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_request_as_received_on_the_wire(sender):
    body = '{"note":"größe","text":"a\\r\\nb"}\r\n'.encode()
    async with RawServer(answering(OK)) as server:
        assert_ok(await sender.send(delivery(server.url("/path?q=1"), body=body)))
        (seen,) = server.requests
        assert seen.line == "POST /path?q=1 HTTP/1.1"
        assert seen.header("Host") == [f"127.0.0.1:{server.port}"]
        assert seen.header("Content-Length") == [str(len(body))]
        assert seen.header("Content-Type") == ["application/json"]
        assert seen.header("Transfer-Encoding") == []
        assert seen.body == body


# -- closing -----------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_aclose_closes_idle_connections():
    sender = Sender(allow_private=True, connect_timeout=1.0, request_timeout=2.0)
    async with RawServer(answering(OK)) as server:
        # two connections: one for each of two overlapping deliveries, both idle afterwards
        first = asyncio.create_task(sender.send(delivery(server.url())))
        second = asyncio.create_task(sender.send(delivery(server.url())))
        for result in await asyncio.gather(first, second):
            assert_ok(result)
        assert_ok(await sender.send(delivery(server.url())))
        await sender.aclose()
        for index in range(len(server.conns)):
            await server.eof_of(index)


@pytest.mark.asyncio
async def test_aclose_ends_a_delivery_in_flight_as_a_failed_attempt():
    async def handler(conn: Conn) -> None:
        await conn.request()  # never answered
        await conn.until_eof()

    sender = Sender(allow_private=True, connect_timeout=1.0, request_timeout=5.0)
    async with RawServer(handler) as server:
        task = asyncio.create_task(sender.send(delivery(server.url())))
        await asyncio.wait_for(server.arrived.wait(), WAIT)
        await sender.aclose()
        result = await asyncio.wait_for(task, WAIT)
        assert_dropped(result, server)
        await server.eof_of(0)


@pytest.mark.asyncio
async def test_a_connection_idle_for_the_keepalive_time_is_closed_by_the_client(sender, monkeypatch):
    from emswebhook_gui.delivery import transport

    monkeypatch.setattr(transport, "KEEPALIVE", 0.2)
    async with RawServer(answering(OK)) as server:
        assert_ok(await sender.send(delivery(server.url())))
        await server.eof_of(0)  # no further request: the client hung up by itself
        assert_ok(await sender.send(delivery(server.url())))  # and a new connection serves the next
        assert len(server.conns) == 2
