"""What the desktop app starts once its window is up, and how it stops it: the service, the
delivery engine, the REST API, the real pages and the tray's wiring to the bridge.

:func:`start_services` is the single place the later wiring goes; every heavy import happens
inside it, so a second start that only hands over to the running app never pays for them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.app import Application
    from emswebhook_gui.gui.shell.main_window import MainWindow

_log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_S = 10.0
"""How long quitting waits for the services to stop before giving up on them."""

ShutdownHook = Callable[[], Awaitable[None]]


async def start_services(window: "MainWindow", db_url: str | None) -> list[ShutdownHook]:
    """Open the service, start the delivery engine, install the real pages, wire the tray.

    Returns the hooks that stop what was started. Runs as a task once the loop is running, so the
    window is already on screen and start-up never blocks the Qt thread.
    """
    from emswebhook_gui.delivery.engine import DeliveryEngine
    from emswebhook_gui.gui.shell.bridge import ServiceBridge
    from emswebhook_gui.service import WebhookService

    service = await WebhookService.open(db_url)
    engine = DeliveryEngine(service, kind="gui")
    await engine.start()
    bridge = ServiceBridge(service, engine, parent=window)
    bridge.api_server = await start_local_api(service, window)
    window.install_pages(bridge)
    bridge.check_secret_store()
    if bridge.api_server is not None:
        window.statusBar().showMessage(
            f"Delivering from {service.db.display_location}; REST API on {bridge.api_server.url}", 10000)
    if window.tray is not None:
        connect_tray_to_bridge(window.tray, bridge)

    async def stop() -> None:
        await bridge.close()
        if bridge.api_server is not None:
            await bridge.api_server.stop()
        await engine.stop()
        await service.close()

    return [stop]


def connect_tray_to_bridge(tray, bridge) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    from emswebhook_gui.wording import plural

    tray.set_health(*bridge.health)
    bridge.sig_health_changed.connect(tray.set_health)
    bridge.sig_notifications_failed.connect(
        lambda ids: tray.showMessage(
            "Webhook delivery failed",
            f"{plural(len(ids))} failed after all automatic retries. "
            "Open Event Deliveries to retry them.",
            QSystemTrayIcon.MessageIcon.Warning, 8000))


def install_tray(app: Application, window: "MainWindow"):
    """Give the app its tray icon: from now on closing the window hides it, and only Quit (or a
    signal, or the session's end) ends the app."""
    from emswebhook_gui.gui.shell.tray import TrayIcon

    app.setQuitOnLastWindowClosed(False)
    tray = TrayIcon(app)
    window.set_tray(tray)
    tray.sig_open_requested.connect(window.show_and_raise)
    tray.sig_quit_requested.connect(lambda: app.quit_now("Quit in the tray menu"))
    tray.sig_pause_toggled.connect(window.set_deliveries_paused)
    if window.bridge is not None:
        connect_tray_to_bridge(tray, window.bridge)
    tray.show()
    return tray


TRAY_WAIT_S = 60.0
"""How long a ``--minimized`` start without a tray keeps looking for one (see below)."""


def adopt_a_late_tray(app: Application, window: "MainWindow") -> None:
    """At login the session starts its autostart entries and its panel side by side, so the tray
    may appear a few seconds after the app. A ``--minimized`` start that found none keeps
    looking for a while; once one appears, the app moves into it and the minimized window goes."""
    import time

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QSystemTrayIcon

    deadline = time.monotonic() + TRAY_WAIT_S
    timer = QTimer(app)
    timer.setInterval(1000)

    def look() -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            timer.stop()
            install_tray(app, window)
            _log.info("a system tray appeared: delivering from the tray")
            if window.isMinimized():
                window.hide()
        elif time.monotonic() > deadline:
            timer.stop()

    timer.timeout.connect(look)
    timer.start()


async def start_local_api(service, window: "MainWindow"):
    """The local REST API on 127.0.0.1 (port: the ``apiPort`` property). The app works without
    it: a taken port or a missing keyring is reported in the status bar, not fatal."""
    from emswebhook_gui.rules import properties
    from emswebhook_gui.api.server import start_api
    from emswebhook_gui.secrets import SecretStoreUnavailable

    port = await service.get_property(properties.API_PORT)
    try:
        return await start_api(service, "127.0.0.1", port)
    except OSError as exc:
        message = f"REST API not started: port {port} is in use ({exc.strerror}); change it in Settings"
    except SecretStoreUnavailable as exc:
        message = f"REST API not started: {exc}"
    _log.warning(message)
    short = message.split(". ")[0] + "."  # the status bar shows one sentence; the log has it all
    window.statusBar().showMessage(short, 20000)
    window.statusBar().setToolTip(message)
    return None


async def shutdown(hooks: Sequence[ShutdownHook], timeout: float = SHUTDOWN_TIMEOUT_S) -> None:
    """Await every hook concurrently; a failing or slow hook is logged and never blocks quitting."""
    if not hooks:
        return
    tasks = [asyncio.ensure_future(hook()) for hook in hooks]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        _log.warning("%d shutdown hook(s) still running after %.0f s; cancelled", len(pending), timeout)
        await asyncio.wait(pending, timeout=1.0)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            _log.error("shutdown hook failed", exc_info=task.exception())
