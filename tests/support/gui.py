"""A real service and bridge on a real qasync loop, for GUI tests.

GUI tests are written as coroutines run by :meth:`GuiEnv.run` inside ``loop.run_until_complete``:
that keeps the qasync loop running (so service calls, the engine and Qt events all progress), and
qtbot's synchronous helpers (clicks, key presses) can be called from inside the coroutine. Wait
with ``await env.until(predicate)``, never sleep.

Between ``run`` calls (and while pytest-qt processes events at teardown) Qt may still fire
qasync's timers, which step asyncio tasks outside ``run_until_complete``. Asyncio would then find
no running loop, so the fixture marks its loop as the running one for its whole life, and unmarks
it only while ``run_until_complete`` marks it itself. As in the app, where the loop always runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import qasync

from emswebhook_gui.delivery.engine import DeliveryEngine
from emswebhook_gui.gui.bridge import ServiceBridge
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService


class GuiEnv:
    def __init__(self, qapp, db_url: str, keyring_backend, clock=None, engine: bool = True) -> None:
        self.loop = qasync.QEventLoop(qapp)
        asyncio.set_event_loop(self.loop)
        self.service: WebhookService = self.loop.run_until_complete(
            WebhookService.open(db_url, secrets=SecretStore(keyring_backend), clock=clock))
        self.engine: DeliveryEngine | None = None
        if engine:
            self.engine = DeliveryEngine(self.service, kind="gui", poll_interval=0.05)
            self.loop.run_until_complete(self.engine.start())
        self.bridge = ServiceBridge(self.service, self.engine)
        asyncio.events._set_running_loop(self.loop)

    def run(self, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
        asyncio.events._set_running_loop(None)
        try:
            return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))
        finally:
            asyncio.events._set_running_loop(self.loop)

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

    def close(self) -> None:
        async def stop() -> None:
            await self.bridge.close()
            if self.engine is not None:
                await self.engine.stop()
            await self.service.close()

        asyncio.events._set_running_loop(None)
        self.loop.run_until_complete(stop())
        self.bridge.deleteLater()
        self.loop.close()
        asyncio.set_event_loop(None)
