"""The sender against a real loopback receiver: headers, answers, failures, limits; and the schedule."""

from __future__ import annotations

import asyncio
import base64
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from emswebhook_gui import __version__
from emswebhook_gui.delivery.auth import BasicAuth
from emswebhook_gui.delivery.http import AttemptResult, DeliveryRequest, Sender
from emswebhook_gui.delivery.schedule import attempts_in_round, next_attempt_delay
from tests.support.receiver import NEEDS_LINUX_BACKLOG, Answer, Receiver, closed_port, silent_port
from tests.support.waiting import until

BODY = '{"eventName":"Entitlement Added","entityName":"Entitlement","note":"größe"}'.encode()


@pytest_asyncio.fixture
async def sender():
    async with Sender(allow_private=True, connect_timeout=1.0, request_timeout=2.0) as client:
        yield client


def request(url: str, **fields) -> DeliveryRequest:
    return DeliveryRequest(url=url, body=BODY, event_id="evt-1", **fields)


@pytest.mark.asyncio
async def test_post_carries_body_content_type_user_agent_and_basic_auth(receiver, sender):
    result = await sender.send(request(receiver.url("/in?x=1"), auth=BasicAuth("alice", "pä:ss")))
    assert result.ok and result.status_code == 200 and result.error is None
    assert result.response_excerpt == "ok"
    seen = receiver.requests[0]
    assert (seen.method, seen.path, seen.body) == ("POST", "/in?x=1", BODY)
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"] == f"emswebhook-gui/{__version__}"
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(
        "alice:pä:ss".encode()
    ).decode()
    assert "webhook-signature" not in seen.headers


@pytest.mark.asyncio
async def test_any_2xx_is_success(receiver, sender):
    receiver.queue(Answer(status=204, body=b""), Answer(status=202, body=b"queued"))
    first, second = await sender.send(request(receiver.url())), await sender.send(request(receiver.url()))
    assert (first.ok, first.status_code, first.response_excerpt) == (True, 204, "")
    assert (second.ok, second.status_code, second.response_excerpt) == (True, 202, "queued")


@pytest.mark.asyncio
async def test_started_at_comes_from_the_injected_clock(receiver):
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    async with Sender(allow_private=True, clock=lambda: moment) as sender:
        result = await sender.send(request(receiver.url()))
    assert result.started_at == moment
    assert 0 < result.duration_ms < 2000


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "error"),
    [(500, "HTTP 500 Internal Server Error"), (404, "HTTP 404 Not Found"), (429, "HTTP 429 Too Many Requests")],
)
async def test_error_statuses_are_failed_attempts_with_the_answer(receiver, sender, status, error):
    receiver.answer(status=status, body=b'{"message":"nope"}')
    result = await sender.send(request(receiver.url()))
    assert (result.ok, result.status_code, result.error) == (False, status, error)
    assert result.response_excerpt == '{"message":"nope"}'


@pytest.mark.asyncio
async def test_timeout(receiver):
    receiver.answer(sleep=3)
    async with Sender(allow_private=True, request_timeout=0.3) as sender:
        start = time.perf_counter()
        result = await sender.send(request(receiver.url()))
    assert time.perf_counter() - start < 1.5
    assert (result.ok, result.status_code, result.error) == (False, None, "timed out after 0.3 s")


@pytest.mark.asyncio
@NEEDS_LINUX_BACKLOG
async def test_connect_timeout():
    with silent_port() as port:
        async with Sender(allow_private=True, connect_timeout=0.2, request_timeout=2) as sender:
            result = await sender.send(request(f"http://127.0.0.1:{port}/hook"))
    assert result.error == f"connect timed out after 0.2 s (127.0.0.1:{port})"


@pytest.mark.asyncio
async def test_connection_refused(sender):
    port = closed_port()
    result = await sender.send(request(f"http://127.0.0.1:{port}/hook"))
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == f"connection refused (127.0.0.1:{port})"


@pytest.mark.asyncio
async def test_redirect_is_not_followed(receiver, sender):
    receiver.answer(redirect_to="http://127.0.0.1:1/elsewhere")
    result = await sender.send(request(receiver.url()))
    assert (result.ok, result.status_code) == (False, 302)
    assert result.error == "redirect (302) to http://127.0.0.1:1/elsewhere not followed"
    assert len(receiver.requests) == 1


@pytest.mark.asyncio
async def test_connection_dropped_without_an_answer(receiver, sender):
    receiver.answer(close=True)
    result = await sender.send(request(receiver.url()))
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == f"connection closed by 127.0.0.1:{receiver.port} before a complete answer"


@pytest.mark.asyncio
async def test_tls_error_is_named(receiver, sender):
    result = await sender.send(request(receiver.url().replace("http://", "https://")))
    assert not result.ok and result.error.startswith(f"TLS error with 127.0.0.1:{receiver.port}")


@pytest.mark.asyncio
async def test_huge_answer_gives_a_2_kib_excerpt_without_reading_the_body(receiver, sender):
    receiver.answer(huge=10_000_000)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = await sender.send(request(receiver.url()))
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.response_excerpt == "x" * 2048
    assert elapsed < 1.0
    assert peak < 2_000_000  # bytes; the whole body would be 10 MB
    await asyncio.wait_for(receiver.huge_finished.wait(), 10)
    # The sender hung up instead of draining; what did go out sits in loopback socket buffers.
    assert receiver.huge_bytes_sent < 10_000_000


@pytest.mark.asyncio
async def test_excerpt_never_ends_in_half_a_character(receiver, sender):
    receiver.answer(status=500, body="é".encode() * 2000)
    result = await sender.send(request(receiver.url()))
    assert result.response_excerpt == "é" * 1024


@pytest.mark.asyncio
async def test_invalid_url_is_a_failed_attempt(sender):
    result = await sender.send(request("ftp://example.com/x"))
    assert not result.ok and result.error.startswith("invalid endpoint URL")


@pytest.mark.asyncio
async def test_slow_endpoint_does_not_delay_another_endpoint():
    async with Receiver() as slow, Receiver() as fast:
        slow.answer(sleep=1.0)
        async with Sender(allow_private=True, max_concurrency=4, max_per_endpoint=2) as sender:
            loop = asyncio.get_running_loop()
            slow_tasks = [asyncio.create_task(sender.send(request(slow.url()))) for _ in range(10)]
            await until(lambda: slow.inflight == 2)  # the slow endpoint's slots are taken, 8 wait
            start = loop.time()

            async def timed_fast() -> float:
                result = await sender.send(request(fast.url()))
                assert result.ok, result.error
                return loop.time() - start

            fast_times = await asyncio.gather(*(timed_fast() for _ in range(20)))
            assert max(fast_times) < 0.8
            assert not any(task.done() for task in slow_tasks)
            for task in slow_tasks:
                task.cancel()
            await asyncio.gather(*slow_tasks, return_exceptions=True)
        assert slow.max_inflight == 2  # the per-endpoint limit


@pytest.mark.asyncio
async def test_queued_deliveries_do_not_time_out_while_waiting_for_a_slot(receiver):
    receiver.answer(sleep=0.2)
    async with Sender(allow_private=True, request_timeout=0.5, max_per_endpoint=1) as sender:
        results: list[AttemptResult] = await asyncio.gather(
            *(sender.send(request(receiver.url())) for _ in range(4))
        )
    assert all(r.ok for r in results), [r.error for r in results]
    assert receiver.max_inflight == 1


def test_automatic_round_is_now_then_5_15_40_minutes():
    delays = [next_attempt_delay("auto", n) for n in range(5)]
    assert delays == [timedelta(0), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=40), None]
    assert attempts_in_round("auto") == 4
    assert sum((d for d in delays if d), timedelta()) == timedelta(hours=1)


def test_manual_round_is_now_then_5_15_minutes():
    delays = [next_attempt_delay("manual", n) for n in range(4)]
    assert delays == [timedelta(0), timedelta(minutes=5), timedelta(minutes=15), None]
    assert attempts_in_round("manual") == 3
    assert next_attempt_delay("manual", 10) is None


def test_schedule_rejects_nonsense():
    with pytest.raises(ValueError, match="round_kind"):
        next_attempt_delay("weekly", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=">= 0"):
        next_attempt_delay("auto", -1)


@pytest.mark.asyncio
@NEEDS_LINUX_BACKLOG
async def test_a_silent_address_does_not_starve_the_next_one(receiver):
    """Happy eyeballs: the first address of the name never answers the handshake; the second is
    tried beside it after a moment, within the one connect timeout."""
    from tests.support.dns import FakeResolver

    with silent_port() as silent:
        table = {"hooks.test": [("127.0.0.1", silent), ("127.0.0.1", receiver.port)]}
        async with Sender(allow_private=True, connect_timeout=1.5, request_timeout=3,
                          resolver_factory=lambda: FakeResolver(table)) as sender:
            result = await sender.send(request(f"http://hooks.test:{receiver.port}/hook"))
    assert result.ok, result.error
    assert len(receiver.requests) == 1
