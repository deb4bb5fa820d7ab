"""What the engine holds for one endpoint: its queue of claims, its workers, and how much of the
engine it may take.

One broken or hostile endpoint must not slow the others (issue 15: "other endpoints' deliveries
go on at their normal pace"). Measured on these machines, an attempt that an endpoint ends by
flooding header lines costs the engine's thread about 2 ms (a new connection, 64 KiB read, a
close), four times a healthy delivery; with 8 such attempts always in flight beside a healthy
endpoint's 8, the healthy one went at a quarter of its pace alone (``bench_delivery.py
--only-hostile``). Two bounds, by decision:

- **Concurrency follows health** (additive increase, multiplicative decrease, as TCP does): every
  failed attempt halves the endpoint's number of workers, down to one; every delivery adds one
  back, up to the Sender's per-endpoint limit. A receiver that fails everything gets one request
  at a time, which is all a broken receiver is helped by; one that fails now and then stays near
  its full concurrency. Down at one worker, a failing endpoint also waits as long as its last
  attempt took (at most a second) before the next: it is on the engine's wire at most half the
  time, which a receiver that fails fast (its cost is all ours) would otherwise fill.
- **A claim budget**: an endpoint's queue holds about ``lookahead`` seconds of its own recent
  pace (at least the engine's smallest window, ``MIN_WINDOW``). Past that its webhooks are left out of the next claims, so a
  slow endpoint's claims cannot fill the engine's window and starve the fast ones of work.
  Left-out notifications stay due in the store, unclaimed, for this service or another.
"""

from __future__ import annotations

import collections
import time

MAX_SPACING = 1.0
"""Seconds a failing endpoint's one worker waits at most between attempts."""


class Lane:
    """One endpoint's share of an engine (see the module's docstring)."""

    __slots__ = ("queue", "workers", "ceiling", "limit", "webhooks", "excluded", "idle_since",
                 "_done", "_mark", "pace")

    def __init__(self, ceiling: int) -> None:
        self.queue: collections.deque = collections.deque()
        """(claimed, target) pairs not yet sent."""
        self.workers = 0
        self.ceiling = ceiling
        """The Sender's per-endpoint limit: the most workers this lane ever runs."""
        self.limit = ceiling
        """Workers this lane may run now: halved by each failure, one more per delivery."""
        self.webhooks: set[str] = set()
        """Ids of the webhooks queued here since the queue was last empty (what a claim leaves out)."""
        self.excluded = False
        """Whether claims are leaving this lane's webhooks out (the engine looks again once it drains)."""
        self.idle_since: float | None = None
        self._done = 0
        self._mark = (time.monotonic(), 0)
        self.pace = 0.0
        """Attempts per second, measured over the last half second or more."""

    def settled(self, ok: bool, duration: float) -> float:
        """An attempt that took ``duration`` seconds ended: adjust the concurrency to the
        endpoint's health; returns how long the worker waits before the next attempt."""
        self._done += 1
        if ok:
            self.limit = min(self.ceiling, self.limit + 1)
            return 0.0
        spacing = min(MAX_SPACING, duration) if self.limit == 1 else 0.0
        self.limit = max(1, self.limit // 2)
        return spacing

    def workers_wanted(self) -> int:
        """How many more workers to start for what is queued."""
        return max(0, min(self.limit, len(self.queue)) - self.workers)

    def surplus(self) -> bool:
        """Whether a worker should stop (the limit was lowered below the workers running)."""
        return self.workers > self.limit

    def budget(self, lookahead: float, floor: int) -> int:
        now = time.monotonic()
        mark_time, mark_done = self._mark
        if now - mark_time >= 0.5:
            self.pace = (self._done - mark_done) / (now - mark_time)
            self._mark = (now, self._done)
        return max(floor, 2 * self.ceiling, int(self.pace * lookahead))

    def full(self, lookahead: float, floor: int) -> bool:
        return len(self.queue) >= self.budget(lookahead, floor)
