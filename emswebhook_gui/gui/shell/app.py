"""The desktop app's entry point (``emswebhook-gui``, ``python -m emswebhook_gui``).

Lifecycle, and why it has two phases: quitting (tray Quit, File > Quit, the window closed
without a tray, SIGINT/SIGTERM, the end of the session) ends ``QApplication.exec()`` and with it
qasync's ``run_forever``; no coroutine can complete after that. So :func:`main` runs the loop
until then, then runs it once more, briefly, to await the shutdown hooks (the engine finishing
its in-flight requests as ``serve`` does, the REST API, the database) within
:data:`SHUTDOWN_TIMEOUT_S`, and only then closes the loop. Services are started from
:func:`~.services.start_services`, the single place the later wiring goes.

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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QSessionManager
from PySide6.QtWidgets import QApplication

from emswebhook_gui import logs
from emswebhook_gui.gui.shell.command_line import APPLICATION_NAME, desktop_entry_command, parse_args
from emswebhook_gui.gui.shell.services import ShutdownHook, adopt_a_late_tray, install_tray, shutdown, start_services
from emswebhook_gui.gui.shell.single_instance import Outcome, SingleInstance, server_name

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.main_window import MainWindow




ORGANIZATION_NAME = "emswebhook"


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app until it quits; returns the process exit status."""
    options, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    logs.setup("gui")  # the shared log file (Help > Open log folder) and stderr
    if options.install_desktop_entry or options.remove_desktop_entry:
        return desktop_entry_command(options)

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
    tray = install_tray(app, window) if QSystemTrayIcon.isSystemTrayAvailable() else None
    if tray is None:
        _log.info("no system tray available: closing the window quits")
    window.sig_quit_requested.connect(app.quit_now)
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
        adopt_a_late_tray(app, window)

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
