"""Polling for a condition in async tests: one helper for every test that waits on a service,
a receiver or a child process."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any


async def until(predicate: Callable[[], Awaitable[Any] | Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Call ``predicate()`` (awaiting it if it is a coroutine function's) every ``interval``
    seconds until it is truthy; return that value.

    Fails the test with AssertionError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)
