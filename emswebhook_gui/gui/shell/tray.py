"""The tray icon: how the app stays reachable, and shows delivery health, with the window closed.

The delivery engine keeps running while the main window is hidden, so the tray is the only
always-visible surface: its icon turns to a warning while notifications are failing and its
tooltip counts pending and failed ones. It only emits requests (open, pause, quit); the
application shell decides what they do. Create it only when
``QSystemTrayIcon.isSystemTrayAvailable()`` is true (headless Linux has no tray).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from emswebhook_gui.gui.widgets.icons import icon

APP_TITLE = "EMS Webhooks"


class TrayIcon(QSystemTrayIcon):
    sig_open_requested = Signal()
    """The user asked to see the main window (menu Open, or a click on the icon)."""

    sig_pause_toggled = Signal(bool)
    """The user paused (True) or resumed (False) deliveries from the tray menu."""

    sig_quit_requested = Signal()
    """The user chose Quit: stop delivering and leave, unlike closing the window."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(icon("tray-ok"), parent)
        self._pending = 0
        self._failed = 0
        self._paused = False

        # QSystemTrayIcon does not own its menu; parenting nothing to it would let the menu be
        # garbage collected, so the tray keeps the reference.
        self._menu = QMenu()
        self._open_action = QAction(icon("app"), "Open", self._menu)
        self._open_action.triggered.connect(self.sig_open_requested)
        self._pause_action = QAction("Pause deliveries", self._menu)
        self._pause_action.triggered.connect(self._on_pause_action_triggered)
        self._quit_action = QAction("Quit", self._menu)
        self._quit_action.triggered.connect(self.sig_quit_requested)
        self._menu.addAction(self._open_action)
        self._menu.addAction(self._pause_action)
        self._menu.addSeparator()
        self._menu.addAction(self._quit_action)
        self.setContextMenu(self._menu)

        self.activated.connect(self._on_activated)
        self._refresh()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def warning(self) -> bool:
        """True while the icon shows the warning state (some notifications failed)."""
        return self._failed > 0

    def set_health(self, pending: int, failed: int) -> None:
        """Show how many notifications await delivery and how many failed for good.

        Failed ones need an administrator (retry or mark successful), so they switch the icon to
        the warning state; pending ones are normal work and only appear in the tooltip.
        """
        self._pending = max(0, pending)
        self._failed = max(0, failed)
        self._refresh()

    def set_paused(self, paused: bool) -> None:
        """Reflect a pause made elsewhere (window, CLI) without emitting ``sig_pause_toggled``."""
        self._paused = paused
        self._refresh()

    @property
    def state(self) -> str:
        """What the icon shows: "paused" (nothing is being delivered, whatever the counts),
        else "warning" while notifications failed, else "ok"."""
        return "paused" if self._paused else ("warning" if self.warning else "ok")

    def _refresh(self) -> None:
        self.setIcon(icon(f"tray-{self.state}"))
        self._pause_action.setText("Resume deliveries" if self._paused else "Pause deliveries")
        lines = [APP_TITLE]
        if self._paused:
            lines.append("Deliveries paused")
        lines.append(f"{self._pending} pending, {self._failed} failed")
        self.setToolTip("\n".join(lines))

    def _on_pause_action_triggered(self) -> None:
        self._paused = not self._paused
        self._refresh()
        self.sig_pause_toggled.emit(self._paused)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.sig_open_requested.emit()
