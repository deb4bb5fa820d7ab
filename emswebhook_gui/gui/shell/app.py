"""The desktop app's entry point (``emswebhook-gui``, ``python -m emswebhook_gui``).

Lifecycle, and why it has two phases: quitting (tray Quit, File > Quit, the window closed
without a tray, SIGINT/SIGTERM, the end of the session) ends ``QApplication.exec()`` and with it
qasync's ``run_forever``; no coroutine can complete after that. So :func:`main` runs the loop
until then, then runs it once more, briefly, to await the shutdown hooks (the engine finishing
its in-flight requests as ``serve`` does, the REST API, the database) within
:data:`SHUTDOWN_TIMEOUT_S`, and only then closes the loop. Services are started from
:func:`start_services`, the single place the later wiring goes.

Every quit but the user's own close of the window goes through :meth:`Application.quit_now`,
which ends the loop with ``exit()``: Qt 6's ``quit()`` first closes every window and gives up when
one refuses, so a signal or a logout would have met the close-to-tray window (and hidden it) or
the "Quit?" question (and waited for an answer nobody gives). A quit nobody typed asks nothing.
Before any of it, :mod:`~emswebhook_gui.gui.shell.single_instance` hands a second start on the same
database over to the running app.
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
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QSessionManager
from PySide6.QtWidgets import QApplication

from emswebhook_gui import logs
from emswebhook_gui.gui.shell.single_instance import Outcome, SingleInstance, server_name

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.main_window import MainWindow

# The window, the tray, qasync and the service are imported in main() once this process knows
# it is the app on its database: a second start hands over within a fraction of a second.

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
        self.quit_reason: str | None = None
        """Why the app is quitting, once it is (for the log); None while it runs."""
        self.window: "MainWindow | None" = None

    def quit_now(self, reason: str) -> None:
        """End the event loop without asking anything or closing windows first (see the module's
        docstring); the shutdown that follows still finishes in-flight deliveries."""
        if self.quit_reason is not None:
            return
        self.quit_reason = reason
        if self.window is not None:
            self.window.quitting = True
        _log.info("quitting: %s", reason)
        self.exit(0)

    def on_commit_data_request(self, manager: QSessionManager) -> None:
        """The session is ending (logout, shutdown): save what the window remembers and let any
        close that follows through without a question or the tray. The session manager quits
        the app afterwards (or sends SIGTERM); the app never restarts itself through session
        restore, since start at login already starts it when the user chose so."""
        manager.setRestartHint(QSessionManager.RestartHint.RestartNever)
        if self.window is not None:
            self.window.session_ending = True
            self.window.save_settings()
        _log.info("the session is ending")

    def on_save_state_request(self, manager: QSessionManager) -> None:
        manager.setRestartHint(QSessionManager.RestartHint.RestartNever)


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
    bridge.api_server = await _start_api(service, window)
    window.install_pages(bridge)
    bridge.check_secret_store()
    if bridge.api_server is not None:
        window.statusBar().showMessage(
            f"Delivering from {service.db.display_location}; REST API on {bridge.api_server.url}", 10000)
    if window.tray is not None:
        _connect_tray_to_bridge(window.tray, bridge)

    async def stop() -> None:
        await bridge.close()
        if bridge.api_server is not None:
            await bridge.api_server.stop()
        await engine.stop()
        await service.close()

    return [stop]


def _connect_tray_to_bridge(tray, bridge) -> None:
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


def _install_tray(app: Application, window: "MainWindow"):
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
        _connect_tray_to_bridge(tray, window.bridge)
    tray.show()
    return tray


TRAY_WAIT_S = 60.0
"""How long a ``--minimized`` start without a tray keeps looking for one (see below)."""


def _adopt_a_late_tray(app: Application, window: "MainWindow") -> None:
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
            _install_tray(app, window)
            _log.info("a system tray appeared: delivering from the tray")
            if window.isMinimized():
                window.hide()
        elif time.monotonic() > deadline:
            timer.stop()

    timer.timeout.connect(look)
    timer.start()


async def _start_api(service, window: "MainWindow"):
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
    if options.install_desktop_entry or options.remove_desktop_entry:
        return _desktop_entry_command(options)

    app = Application([sys.argv[0] if sys.argv else APPLICATION_NAME, *qt_args], options.db)
    app.setApplicationName(APPLICATION_NAME)
    app.setOrganizationName(ORGANIZATION_NAME)
    app.setDesktopFileName(APPLICATION_NAME)
    guard, status = _claim_single_instance(app, options)
    if status is not None:
        return status

    import qasync
    from PySide6.QtWidgets import QSystemTrayIcon

    from emswebhook_gui.gui.shell.main_window import MainWindow
    from emswebhook_gui.gui.widgets.icons import icon

    app.setWindowIcon(icon("app"))

    loop = qasync.QEventLoop(app)
    # Plain threads for the loop's own blocking helpers (DNS lookups of the delivery client):
    # qasync's default is a QThread pool, and Python code on QThreads crashed a test run.
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="emswebhook-loop"))
    asyncio.set_event_loop(loop)
    window = MainWindow()
    app.window = window
    tray = _install_tray(app, window) if QSystemTrayIcon.isSystemTrayAvailable() else None
    if tray is None:
        _log.info("no system tray available: closing the window quits")
    window.sig_quit_requested.connect(lambda: app.quit_now("the window was closed"))
    app.commitDataRequest.connect(app.on_commit_data_request, Qt.ConnectionType.DirectConnection)
    app.saveStateRequest.connect(app.on_save_state_request, Qt.ConnectionType.DirectConnection)
    app.aboutToQuit.connect(lambda: setattr(window, "quitting", True))
    guard.on_raise = lambda: _raise_window(window)
    guard.window_state = lambda: _window_state(window)
    if not options.minimized:
        window.show()
    elif tray is not None:
        _log.info("started in the tray (--minimized)")
    else:
        window.showMinimized()  # no tray to live in: the task bar is where it can be found
        _adopt_a_late_tray(app, window)

    restore_signals = _quit_on_signals(loop, app)
    try:
        startup = loop.create_task(_start(app, window))
        loop.run_forever()
        restore_signals()  # a second Ctrl+C while shutting down interrupts as usual
        guard.close()  # a new start from now on is a first instance, not a hand-over
        window.save_settings()
        window.hide()
        if window.tray is not None:
            window.tray.hide()
        loop.run_until_complete(_stop(app, startup))
        _log.info("stopped")
    finally:
        restore_signals()
        loop.close()
        asyncio.set_event_loop(None)
    return 0


def _claim_single_instance(app: Application, options: argparse.Namespace) -> tuple[SingleInstance, int | None]:
    """The guard, and the exit status when this process must not run: 0 when the app already
    running on this database took the start over, 1 when it does not answer."""
    name = server_name(options.db)
    guard = SingleInstance(name or "", app)
    if name is None:
        return guard, None
    outcome = guard.claim("ping" if options.minimized else "raise")
    if outcome is Outcome.HANDED_OVER:
        said = {"raised": "its window is in front", "not-raised": "it could not bring its window forward"}.get(
            guard.answer) or f"left as it is (--minimized): window {guard.answer.removeprefix('running ')}"
        print(f"{APPLICATION_NAME}: already running on this database; {said}", flush=True)
        return guard, 0
    if outcome is Outcome.UNRESPONSIVE:
        print(f"{APPLICATION_NAME}: another {APPLICATION_NAME} on this database does not answer; "
              "end it (or wait for it), then start again", file=sys.stderr, flush=True)
        return guard, 1
    return guard, None


def _raise_window(window: "MainWindow") -> bool:
    window.show_and_raise()
    return window.isVisible() and not window.isMinimized()


def _window_state(window: "MainWindow") -> str:
    if not window.isVisible():
        return "hidden"
    return "minimized" if window.isMinimized() else "shown"


def _desktop_entry_command(options: argparse.Namespace) -> int:
    """``--install-desktop-entry`` / ``--remove-desktop-entry``: the menu launcher for installs no
    package manager made (``make run``, ``pip install``); prints what it did, opens nothing."""
    from emswebhook_gui import desktop_integration as desktop
    from emswebhook_gui.store.database import DatabaseURLError

    if sys.platform in ("win32", "darwin"):
        print(f"{APPLICATION_NAME}: desktop entries are for Linux and other freedesktop.org desktops",
              file=sys.stderr)
        return 2
    try:
        if options.remove_desktop_entry:
            removed = desktop.remove_launcher()
            for path in removed:
                print(f"removed {path}")
            if not removed:
                print("no desktop entry was installed")
            return 0
        command = [*desktop.app_command(), *desktop.database_option(options.db)]
        for path in desktop.install_launcher(command):
            print(f"wrote {path}")
    except DatabaseURLError as exc:
        print(f"{APPLICATION_NAME}: --db: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{APPLICATION_NAME}: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if desktop.has_password(options.db):
        print("note: the database password was not written; PostgreSQL reads it from ~/.pgpass")
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
    parser.add_argument(
        "--minimized", action="store_true",
        help="start in the tray (or minimized where there is no tray), as start at login does",
    )
    entry = parser.add_mutually_exclusive_group()
    entry.add_argument(
        "--install-desktop-entry", action="store_true",
        help="add the app to the desktop's menu (a .desktop launcher and its icon under "
        "$XDG_DATA_HOME), print what was written and exit",
    )
    entry.add_argument(
        "--remove-desktop-entry", action="store_true",
        help="remove what --install-desktop-entry wrote and exit",
    )
    return parser.parse_known_args(list(argv))


async def _start(app: Application, window: "MainWindow") -> None:
    """Start the services; a database that cannot be opened asks for another (or Quit)."""
    from emswebhook_gui.gui.shell.database_error_dialog import choose_database, database_problem

    while True:
        try:
            app.shutdown_hooks.extend(await start_services(window, app.db_url))
            return
        except Exception as exc:
            problem = database_problem(exc, app.db_url)
            if problem is None:
                _log.exception("starting services failed")
                window.statusBar().showMessage("Could not start the delivery services; see the log")
                return
            _log.warning("database: %s", problem[0])
            chosen = await choose_database(window, *problem, app.db_url)
            if chosen is None:
                app.quit_now("Quit in the database dialog")
                return
            app.db_url = chosen


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


def _quit_on_signals(loop: asyncio.AbstractEventLoop, app: Application) -> Callable[[], None]:
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
    previous = {sig: signal.signal(sig, lambda number, _frame: app.quit_now(signal.Signals(number).name))
                for sig in (signal.SIGINT, signal.SIGTERM)}

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
