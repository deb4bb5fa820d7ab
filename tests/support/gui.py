"""A real service and bridge on a real qasync loop, for GUI tests.

GUI tests are written as coroutines run by :meth:`GuiEnv.run` inside ``loop.run_until_complete``:
that keeps the qasync loop running (so service calls, the engine and Qt events all progress), and
qtbot's synchronous helpers (clicks, key presses) can be called from inside the coroutine. Wait
with ``await env.until(predicate)``, never sleep.

Two things make this dependable over a long suite:
- One qasync loop serves the whole test session. Creating and closing a ``QEventLoop`` per test
  left QThread executors and Qt timers behind and ended, a few dozen tests later, in a
  segmentation fault inside Qt's event processing. The app has exactly one loop too.
- Between ``run`` calls (and while pytest-qt processes events at teardown) Qt may still fire
  qasync's timers, which step asyncio tasks outside ``run_until_complete``; qasync itself also
  processes events once more after ``run_forever`` has unmarked the running loop. Asyncio would
  then find no running loop, so while an environment is open its loop stays marked as running,
  as in the app, where the loop always runs. ``close`` stops everything and unmarks it, so plain
  asyncio tests that follow are unaffected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import qasync

from emswebhook_gui.delivery.engine import DeliveryEngine
from emswebhook_gui.gui.shell.bridge import ServiceBridge
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support import leaks

_LOOP: qasync.QEventLoop | None = None
_original_run_forever = qasync.QEventLoop.run_forever


def _run_forever_keeping_the_mark(self):
    try:
        return _original_run_forever(self)
    finally:
        if _LOOP is self and GuiEnv.open_count:
            asyncio.events._set_running_loop(self)


def shared_loop(qapp) -> qasync.QEventLoop:
    global _LOOP
    if _LOOP is None or _LOOP.is_closed():
        _LOOP = qasync.QEventLoop(qapp)
        _LOOP.set_default_executor(ThreadPoolExecutor(thread_name_prefix="test-loop"))  # as the app does
        qasync.QEventLoop.run_forever = _run_forever_keeping_the_mark
    return _LOOP


def shown(widget, qtbot, width: int, height: int):
    """``widget`` owned by ``qtbot`` (closed after the test), at this size, on screen."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    return widget


class GuiEnv:
    open_count = 0

    def __init__(self, qapp, db_url: str, keyring_backend, clock=None, engine: bool = True) -> None:
        self.loop = shared_loop(qapp)
        asyncio.set_event_loop(self.loop)
        GuiEnv.open_count += 1
        self.service: WebhookService = self._complete(
            WebhookService.open(db_url, secrets=SecretStore(keyring_backend), clock=clock))
        self.engine: DeliveryEngine | None = None
        if engine:
            self.engine = self.service.delivery_engine(kind="gui", poll_interval=0.05)
            self._complete(self.engine.start())
        self.bridge = ServiceBridge(self.service, self.engine)
        asyncio.events._set_running_loop(self.loop)

    def _complete(self, coro: Awaitable[Any]) -> Any:
        asyncio.events._set_running_loop(None)
        try:
            return self.loop.run_until_complete(coro)
        finally:
            asyncio.events._set_running_loop(self.loop)

    def run(self, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
        return self._complete(asyncio.wait_for(coro, timeout))

    async def until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait for a synchronous predicate (widget state) while the loop and Qt keep running."""
        deadline = self.loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if self.loop.time() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.02)

    async def settle(self) -> None:
        """Return once every query already started has answered and its callback has run: the
        store's one worker answers in order, so a query sent now answers after them. For negative
        checks ("nothing more arrived"), instead of a sleep that guesses how long is enough."""
        await self.service.count_notifications()
        await asyncio.sleep(0)

    def close(self) -> None:
        async def stop() -> None:
            await self.bridge.close()
            if self.engine is not None:
                await self.engine.stop()
            await self.service.close()
            leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            leaks.report_tasks(leftovers)  # the test fails (tests/conftest.py no_leaks), naming them
            for task in leftovers:
                task.cancel()
            if leftovers:
                await asyncio.wait(leftovers, timeout=2.0)

        try:
            self._complete(stop())
            self.bridge.deleteLater()
        finally:
            GuiEnv.open_count -= 1
            asyncio.events._set_running_loop(None)
            asyncio.set_event_loop(None)
