"""A loop stopped by cancelling it must stop even when the cancel comes with its wake-up: the
engine and the alert dispatcher are stopped that way (set the event, cancel the task), and on
Python 3.11 ``asyncio.wait_for`` swallowed such a cancel, so shutdown waited for ever."""

from __future__ import annotations

import asyncio

import pytest

from emswebhook_gui.waiting import wait_for_wake


async def _looping(event: asyncio.Event, woken: list) -> None:
    while True:
        woken.append(await wait_for_wake(event, 5.0))
        event.clear()


@pytest.mark.asyncio
async def test_a_cancel_arriving_with_the_wake_up_ends_the_loop():
    event = asyncio.Event()
    woken: list = []
    task = asyncio.create_task(_looping(event, woken))
    for _ in range(3):  # let it reach its wait
        await asyncio.sleep(0)
    event.set()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2.0)
    assert task in done and task.cancelled()


@pytest.mark.asyncio
async def test_it_says_whether_it_was_woken_or_timed_out():
    event = asyncio.Event()
    assert await wait_for_wake(event, 0.01) is False
    assert await wait_for_wake(event, 0) is False
    event.set()
    assert await wait_for_wake(event, 5.0) is True
    assert event.is_set()  # the caller clears it
