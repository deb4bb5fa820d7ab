"""The one way the benchmarks measure request rates: ``c`` workers share ``n`` calls, after a
warm-up round (connections opened, caches filled) that is not timed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def concurrent_rate(request: Callable[[], Awaitable[object]], n: int, c: int, *, warmup: int) -> float:
    """Calls/s of ``n`` calls of ``request()``, ``c`` at a time, after ``warmup`` untimed calls."""

    async def run(count: int) -> None:
        remaining = count

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await request()

        await asyncio.gather(*(worker() for _ in range(c)))

    await run(warmup)
    start = time.perf_counter()
    await run(n)
    return n / (time.perf_counter() - start)
