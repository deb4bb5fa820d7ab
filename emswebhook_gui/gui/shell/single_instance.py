"""One app per database and user: a second ``emswebhook-gui`` on the same database hands over to
the first (which comes to the front) and exits, instead of running a second engine, a second
REST API on a taken port and a second tray icon.

A ``QLocalServer`` (a Unix socket in the temp directory; a named pipe on Windows) named after
:func:`~emswebhook_gui.desktop_integration.instance_key`, a hash of the user and the database as
the service resolves it, so ``--db ./x.db`` and ``--db /abs/x.db`` meet and two databases run side
by side. The hash also keeps paths and passwords out of the socket's name.

The protocol is one line each way: ``raise`` (bring the window forward) or ``ping`` (a second
start with ``--minimized``, e.g. at login while the app already runs: leave the window alone),
answered by ``raised`` / ``not-raised``, or by ``running <shown|minimized|hidden>``, the state
the window was left in. A socket left by a crashed instance refuses
connections; it is removed and the name taken over. A first instance that accepts but does not
answer is hung: the second one says so and exits 1 rather than running beside it.
"""

from __future__ import annotations

import enum
import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from emswebhook_gui.desktop_integration import APP_ID, instance_key

_log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 400
ANSWER_TIMEOUT_MS = 8000
"""How long a second instance waits for the first's answer. A running app answers at once (the
hand-over takes well under the 2 s the issue allows); one that is still starting (opening and
upgrading its database) may take seconds, and is waited for rather than called hung."""


class Outcome(enum.Enum):
    FIRST = "first"
    """No other instance: this one now listens for later ones."""
    HANDED_OVER = "handed over"
    """Another instance runs on this database and was told; this one should exit 0."""
    UNRESPONSIVE = "unresponsive"
    """Another instance holds the name but does not answer; this one should exit 1."""
    ALONE = "alone"
    """The name could not be taken (no socket could be made): run, but unguarded."""


def server_name(database_url: str | None) -> str | None:
    """The local server's name for this database; None when it cannot be shared (in memory) or
    its URL is unusable (the service will say why when it opens it)."""
    try:
        key = instance_key(database_url)
    except ValueError:
        return None
    return None if key is None else f"{APP_ID}-{key}"


class SingleInstance(QObject):
    """Claims the name at start (:meth:`claim`), then answers later instances.

    ``on_raise`` is called when a later instance asks for the window; it returns whether the
    window is now on screen (visible, not minimized), which is what the later instance reports.
    ``window_state`` says how the window is, for a ``ping``.
    """

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.answer: str = ""
        """What the running instance answered (after :meth:`claim` returned HANDED_OVER)."""
        self.on_raise: Callable[[], bool] = lambda: False
        self.window_state: Callable[[], str] = lambda: "hidden"
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_server_new_connection)
        self._clients: set[QLocalSocket] = set()

    def claim(self, request: str) -> Outcome:
        """Hand ``request`` (``raise`` or ``ping``) to a running instance, or become the one."""
        outcome = self._ask(request)
        if outcome is not None:
            return outcome
        if self._server.listen(self.name):
            _log.info("single instance: listening as %s", self._server.fullServerName())
            return Outcome.FIRST
        if self._server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            # Either one started a moment ago (ask it), or one crashed and left its socket behind,
            # which refuses connections: remove it and take the name.
            outcome = self._ask(request)
            if outcome is not None:
                return outcome
            _log.info("single instance: removing the socket a stopped instance left behind")
            QLocalServer.removeServer(self.name)
            if self._server.listen(self.name):
                _log.info("single instance: listening as %s", self._server.fullServerName())
                return Outcome.FIRST
        _log.warning("single instance: cannot listen as %s (%s); running without the guard",
                     self.name, self._server.errorString())
        return Outcome.ALONE

    def close(self) -> None:
        self._server.close()

    def _ask(self, request: str) -> Outcome | None:
        """None when nobody listens; HANDED_OVER or UNRESPONSIVE when somebody does."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return None
        if sys.platform == "win32":
            _allow_foreground_window()
        socket.write(f"{request}\n".encode())
        socket.flush()
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        while not socket.canReadLine() and socket.waitForReadyRead(ANSWER_TIMEOUT_MS):
            pass
        answer = bytes(socket.readLine().data()).decode(errors="replace").strip() if socket.canReadLine() else ""
        socket.abort()
        if not answer:
            return Outcome.UNRESPONSIVE
        self.answer = answer
        return Outcome.HANDED_OVER

    # -- the running instance's side ------------------------------------------------------------

    def _on_server_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            client = self._server.nextPendingConnection()
            self._clients.add(client)
            client.readyRead.connect(lambda client=client: self._on_client_ready_read(client))
            client.disconnected.connect(lambda client=client: self._forget(client))

    def _on_client_ready_read(self, client: QLocalSocket) -> None:
        if not client.canReadLine():
            return
        request = bytes(client.readLine().data()).decode(errors="replace").strip()
        if request == "raise":
            raised = self.on_raise()
            _log.info("another %s was started on this database: %s the window", APP_ID,
                      "raised" if raised else "could not raise")
            answer = "raised" if raised else "not-raised"
        else:
            _log.info("another %s was started on this database (minimized): left the window as it is", APP_ID)
            answer = f"running {self.window_state()}"
        client.write(f"{answer}\n".encode())
        client.flush()
        client.disconnectFromServer()

    def _forget(self, client: QLocalSocket) -> None:
        self._clients.discard(client)
        client.deleteLater()


def _allow_foreground_window() -> None:
    """Windows lets only the foreground process hand the foreground on: the second instance is
    it (the user just started it), so it allows the first to come forward."""
    try:
        import ctypes

        ctypes.windll.user32.AllowSetForegroundWindow(-1)  # ASFW_ANY
    except Exception:  # noqa: BLE001 - a window that stays behind is not worth failing for
        pass
