"""Sleeping until woken or until a timeout, in loops that are stopped by cancelling them.

``asyncio.wait_for(event.wait(), timeout)`` is the obvious spelling, and on Python 3.11 it loses
a cancellation that arrives together with the wake-up: when the inner wait has finished by the time
the cancellation is handled, ``wait_for`` returns its result instead of raising (CPython issue
gh-86296, fixed in 3.12 by rewriting ``wait_for`` on ``asyncio.timeout``). A stop that sets the
event and cancels the task, as engines and the alert dispatcher do, then leaves the task looping
for ever, and shutdown waits on it for ever. ``asyncio.timeout`` counts cancellations
(``Task.uncancel``), so a cancel from outside always propagates.
"""

from __future__ import annotations

import asyncio


async def wait_for_wake(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass; True when it was set. The event
    is left as it is: the caller clears it when it has looked at what woke it."""
    if event.is_set():
        return True
    if timeout <= 0:
        return False
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
