"""Blocking work (opening databases, keyring calls) off the event loop, on threads we own.

``asyncio.to_thread`` uses the running loop's default executor; under qasync that is qasync's
QThread-based pool, one per loop, never shut down, and the test suite saw a segmentation fault
inside SQLite code running on one of those threads. Our own pool of plain Python threads behaves
the same under ``asyncio.run`` (CLI, ``serve``) and under qasync (GUI). Database statements do
not come here: they run on the ``Database`` worker, which serialises them.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="emswebhook-io")
atexit.register(_EXECUTOR.shutdown, wait=False, cancel_futures=True)


async def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, functools.partial(fn, *args))
