"""The GUI's one connection to the core: the service, the engine, and Qt signals for changes.

Every page talks to :class:`ServiceBridge` only. It turns the service's change broadcasts into
Qt signals (views refresh themselves from those and never call each other), runs service
coroutine factories as tracked :class:`~.operations.Operation` objects with success/failure callbacks
(a slot never awaits, never blocks, and every task is kept so quitting can cancel it), and polls cheaply
for changes made by other processes (the CLI, ``emswebhook serve``, the REST API of another
instance) so the open window stays live.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from emswebhook_gui.gui.shell.operations import Operation
from emswebhook_gui.service import WebhookService
from emswebhook_gui.threads import run_blocking

_log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 2000
COUNTS_EVERY = 5
"""Every how many polls the (costlier) notification counts are read: see ``_poll``."""


class ServiceBridge(QObject):
    sig_webhooks_changed = Signal()
    """Webhooks were added, edited, enabled/disabled or deleted (here or in another process)."""

    sig_profiles_changed = Signal()
    """Authentication profiles changed."""

    sig_properties_changed = Signal()
    """Application properties changed."""

    sig_notifications_changed = Signal()
    """Notification states changed (published, delivered, retried, marked successful)."""

    sig_notifications_failed = Signal(list)
    """These eventIds just ended FAILED (all automatic attempts used up): worth telling the user."""

    sig_health_changed = Signal(int, int)
    """Queue depth (IN_PROGRESS) and FAILED count, for the tray and the status bar."""

    sig_error = Signal(str)
    """A background operation that has no failure path of its own failed: a sentence for the
    status bar."""

    sig_secret_store_unavailable = Signal(str)
    """No usable keyring: found at start, or by an operation that needed a secret. The window
    shows a persistent banner with what to do; the operation's own failure path says the rest."""

    def __init__(self, service: WebhookService, engine: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.engine = engine
        self.api_server: Any = None
        """The local REST API server when the app started one (``api.server.ApiServer``)."""
        self._tasks: set[asyncio.Task] = set()
        self._fingerprint: tuple | None = None
        self._polls = 0
        self._health: tuple[int, int] | None = None
        self._unsubscribe = service.subscribe(self._on_service_change)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_INTERVAL_MS)
        self._poll_timer.timeout.connect(self._on_poll_timer_timeout)
        self._poll_timer.start()
        self._coalesce_timer = QTimer(self)
        self._coalesce_timer.setSingleShot(True)
        self._coalesce_timer.setInterval(250)
        self._coalesce_timer.timeout.connect(self._on_coalesce_timeout)
        self.run(self._poll)

    # -- running service calls from slots --------------------------------------------------------

    def run(
        self,
        factory: Callable[[], Awaitable[Any]],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        *,
        eager: bool = False,
    ) -> asyncio.Task:
        """``Operation(self, factory).success(on_success).failure(on_failure).run(eager=eager)``:
        the short form every page uses (see :mod:`.operations` for the rules)."""
        return Operation(self, factory).success(on_success).failure(on_failure).run(eager=eager)

    def track(self, task: asyncio.Task) -> None:
        """Keep ``task`` until it ends, so :meth:`close` can cancel it."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def check_secret_store(self) -> None:
        """Emit ``sig_secret_store_unavailable`` now if no keyring can hold secrets, so the user
        learns it before typing a password. Off the Qt thread: asking a keyring backend whether it
        works may mean a D-Bus round trip."""

        async def check() -> None:
            if not await run_blocking(self.service.secrets.available):
                from emswebhook_gui.secrets import NO_BACKEND_HELP

                self.sig_secret_store_unavailable.emit(NO_BACKEND_HELP)

        self.run(check)

    async def close(self) -> None:
        """Stop polling and cancel what is still running (called on quit)."""
        self._poll_timer.stop()
        self._coalesce_timer.stop()  # its poll would start after the loop has gone
        self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)

    # -- change broadcasts -------------------------------------------------------------------------

    def _on_service_change(self, kind: str, ids: list[str]) -> None:
        if kind == "webhooks":
            self.sig_webhooks_changed.emit()
        elif kind == "profiles":
            self.sig_profiles_changed.emit()
        elif kind == "properties":
            self.sig_properties_changed.emit()
        elif kind == "failed":
            self.sig_notifications_failed.emit(list(ids))
        elif kind in ("published", "retried", "notifications"):
            self._coalesce_notifications_changed()

    def _coalesce_notifications_changed(self) -> None:
        """Thousands of deliveries a second must not mean thousands of table refreshes: one
        signal per 250 ms at most."""
        if not self._coalesce_timer.isActive():
            self._coalesce_timer.start()

    def _on_coalesce_timeout(self) -> None:
        self.sig_notifications_changed.emit()
        self.run(functools.partial(self._poll, counts=True))

    def _on_poll_timer_timeout(self) -> None:
        self.run(self._poll)

    async def _poll(self, counts: bool | None = None) -> None:
        """Detect changes made by other processes and keep the health figures fresh.

        The notification counts are read on every ``COUNTS_EVERY``-th poll (and after changes
        made in this process), the rest on every poll: a new notification from another process
        shows within one poll, another process's state changes within ``COUNTS_EVERY`` polls."""
        self._polls += 1
        if counts is None:
            counts = self._polls % COUNTS_EVERY == 1 or self._fingerprint is None
        fingerprint = await self.service.change_fingerprint(counts=counts)
        previous, self._fingerprint = self._fingerprint, fingerprint
        if fingerprint[3] is None and previous is not None:
            self._fingerprint = fingerprint = fingerprint[:3] + (previous[3],) + fingerprint[4:]
        if previous is not None:
            webhooks, profiles, properties, state, latest = fingerprint
            if webhooks != previous[0]:
                self.sig_webhooks_changed.emit()
            if profiles != previous[1]:
                self.sig_profiles_changed.emit()
            if properties != previous[2]:
                self.sig_properties_changed.emit()
            if state != previous[3] or latest != previous[4]:
                self.sig_notifications_changed.emit()
        if not counts or fingerprint[3] is None:
            return
        by_status = dict(fingerprint[3])
        health = (by_status.get("IN_PROGRESS", 0), by_status.get("FAILED", 0))
        if health != self._health:
            self._health = health
            self.sig_health_changed.emit(*health)

    @property
    def health(self) -> tuple[int, int]:
        return self._health or (0, 0)
