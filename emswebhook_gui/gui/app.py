"""The desktop app's entry point (``emswebhook-gui``, ``python -m emswebhook_gui``).

Lifecycle, and why it has two phases: Qt's own quit (tray Quit, File > Quit, the last window
closed without a tray, SIGINT/SIGTERM) ends ``QApplication.exec()`` and with it qasync's
``run_forever``; no coroutine can complete after that. So :func:`main` runs the loop until Qt
quits, then runs it once more, briefly, to await the shutdown hooks (closing the engine, the REST
API, the database) within :data:`SHUTDOWN_TIMEOUT_S`, and only then closes the loop. Services are
started from :func:`start_services`, the single place the later wiring goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import qasync
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from emswebhook_gui import logs
from emswebhook_gui.gui.icons import icon
from emswebhook_gui.gui.main_window import MainWindow
from emswebhook_gui.gui.tray import TrayIcon
from emswebhook_gui.gui.wording import plural

APPLICATION_NAME = "emswebhook-gui"
ORGANIZATION_NAME = "emswebhook"
SHUTDOWN_TIMEOUT_S = 10.0
"""How long quitting waits for the services to stop before giving up on them."""

ShutdownHook = Callable[[], Awaitable[None]]

_log = logging.getLogger(__name__)


class Application(QApplication):
    """QApplication plus what the shell decided at start-up, for code that only has the app."""

    def __init__(self, argv: Sequence[str], db_url: str | None) -> None:
        super().__init__(list(argv))
        self.db_url = db_url
        """``--db`` as given; None means "the service's default" (env var, then SQLite)."""
        self.shutdown_hooks: list[ShutdownHook] = []
        """Awaited, concurrently, when the app quits; filled by :func:`start_services`."""


async def start_services(window: MainWindow, db_url: str | None) -> list[ShutdownHook]:
    """Open the service, start the delivery engine, install the real pages, wire the tray.

    Returns the hooks that stop what was started. Runs as a task once the loop is running, so the
    window is already on screen and start-up never blocks the Qt thread.
    """
    from emswebhook_gui.delivery.engine import DeliveryEngine
    from emswebhook_gui.gui.bridge import ServiceBridge
    from emswebhook_gui.service import WebhookService

    service = await WebhookService.open(db_url)
    engine = DeliveryEngine(service, kind="gui")
    await engine.start()
    bridge = ServiceBridge(service, engine, parent=window)
    bridge.api_server = await _start_api(service, window)
    window.install_pages(bridge)
    if bridge.api_server is not None:
        window.statusBar().showMessage(
            f"Delivering from {service.db.display_location}; REST API on {bridge.api_server.url}", 10000)
    tray = window.tray
    if tray is not None:
        bridge.sig_health_changed.connect(tray.set_health)
        bridge.sig_notifications_failed.connect(
            lambda ids: tray.showMessage(
                "Webhook delivery failed",
                f"{plural(len(ids))} failed after all automatic retries. "
                "Open Event Deliveries to retry them.",
                QSystemTrayIcon.MessageIcon.Warning, 8000))

    async def stop() -> None:
        await bridge.close()
        if bridge.api_server is not None:
            await bridge.api_server.stop()
        await engine.stop()
        await service.close()

    return [stop]


async def _start_api(service, window: MainWindow):
    """The local REST API on 127.0.0.1 (port: the ``apiPort`` property). The app works without
    it: a taken port or a missing keyring is reported in the status bar, not fatal."""
    from emswebhook_gui import properties
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app until it quits; returns the process exit status."""
    options, qt_args = _parse_args(sys.argv[1:] if argv is None else argv)
    logs.setup("gui")  # the shared log file (Help > Open log folder) and stderr

    app = Application([sys.argv[0] if sys.argv else APPLICATION_NAME, *qt_args], options.db)
    app.setApplicationName(APPLICATION_NAME)
    app.setOrganizationName(ORGANIZATION_NAME)
    app.setDesktopFileName(APPLICATION_NAME)
    app.setWindowIcon(icon("app"))

    tray: TrayIcon | None = None
    if QSystemTrayIcon.isSystemTrayAvailable():
        # The window may close while deliveries go on; only the tray's Quit ends the app.
        app.setQuitOnLastWindowClosed(False)
        tray = TrayIcon(app)
    else:
        _log.info("no system tray available: closing the window quits")

    loop = qasync.QEventLoop(app)
    # Plain threads for the loop's own blocking helpers (DNS lookups of the delivery client):
    # qasync's default is a QThread pool, and Python code on QThreads crashed a test run.
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="emswebhook-loop"))
    asyncio.set_event_loop(loop)
    window = MainWindow(tray=tray)
    window.sig_quit_requested.connect(app.quit)
    if tray is not None:
        tray.sig_open_requested.connect(window.show_and_raise)
        tray.sig_quit_requested.connect(app.quit)
        tray.sig_pause_toggled.connect(window.set_deliveries_paused)
        tray.show()
    window.show()

    restore_signals = _quit_on_signals(loop, app)
    try:
        startup = loop.create_task(_start(app, window))
        loop.run_forever()
        _log.info("quitting")
        restore_signals()  # a second Ctrl+C while shutting down interrupts as usual
        window.save_settings()
        window.hide()
        if tray is not None:
            tray.hide()
        loop.run_until_complete(_stop(app, startup))
    finally:
        restore_signals()
        loop.close()
        asyncio.set_event_loop(None)
    return 0


def _parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything unrecognised (``-platform offscreen``, ``-style``) goes to Qt."""
    from emswebhook_gui import __version__

    parser = argparse.ArgumentParser(prog=APPLICATION_NAME, description="EMS webhook administration")
    parser.add_argument("--version", action="version", version=f"{APPLICATION_NAME} {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL, e.g. sqlite:///path/file.db or postgresql://user@host:5432/db "
        "(default: EMSWEBHOOK_DATABASE_URL, else SQLite in the user data directory)",
    )
    return parser.parse_known_args(list(argv))


async def _start(app: Application, window: MainWindow) -> None:
    try:
        app.shutdown_hooks.extend(await start_services(window, app.db_url))
    except Exception:
        _log.exception("starting services failed")
        window.statusBar().showMessage("Could not start the delivery services; see the log")


async def _stop(app: Application, startup: asyncio.Task[None]) -> None:
    """Stop start-up if still running, await the hooks, then cancel whatever tasks remain."""
    if not startup.done():
        startup.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await startup
    await shutdown(app.shutdown_hooks)
    leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.wait(leftovers, timeout=1.0)


def _quit_on_signals(loop: asyncio.AbstractEventLoop, app: QApplication) -> Callable[[], None]:
    """Make SIGINT (Ctrl+C in a terminal) and SIGTERM (logout, ``kill``) quit gracefully.

    Python runs signal handlers only when it next executes bytecode, and an idle Qt loop runs
    none; the wake-up socket gives the loop a reader to run, so the handler fires at once.
    Returns the function that undoes all of it.
    """
    if sys.platform == "win32":
        return lambda: None
    receive, send = socket.socketpair()
    receive.setblocking(False)
    send.setblocking(False)
    previous_wakeup = signal.set_wakeup_fd(send.fileno())
    previous = {sig: signal.signal(sig, lambda *_: app.quit()) for sig in (signal.SIGINT, signal.SIGTERM)}

    def drain() -> None:
        with contextlib.suppress(OSError):
            receive.recv(512)

    loop.add_reader(receive.fileno(), drain)

    def restore() -> None:
        if receive.fileno() == -1:
            return
        loop.remove_reader(receive.fileno())
        signal.set_wakeup_fd(previous_wakeup)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        receive.close()
        send.close()

    return restore
