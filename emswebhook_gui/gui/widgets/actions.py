"""Actions a user triggers: toolbar actions, non-blocking confirmations, copy buttons, and
callbacks that outlive nothing they touch."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from emswebhook_gui.gui.widgets.icons import icon


def alive(widget: QWidget, callback: Callable) -> Callable:
    """``callback`` that does nothing once ``widget`` is deleted: a service call may finish after
    its page or dialog closed, and touching a deleted C++ object raises."""

    def call(*args):
        if shiboken6.isValid(widget):
            callback(*args)

    return call


class CopyButton(QPushButton):
    """Copies the text ``source()`` returns; says "Copied" for a moment."""

    def __init__(self, source: Callable[[], str], text: str = "Copy to Clipboard",
                 parent: QWidget | None = None) -> None:
        super().__init__(icon("copy"), text, parent)
        self._source = source
        self._text = text
        self.setToolTip("Copy the text to the clipboard")
        self._reset = QTimer(self)
        self._reset.setSingleShot(True)
        self._reset.setInterval(1500)
        self._reset.timeout.connect(self._on_reset_timeout)
        self.clicked.connect(self._on_self_clicked)

    def _on_self_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._source())
        self.setText("Copied")
        self._reset.start()

    def _on_reset_timeout(self) -> None:
        self.setText(self._text)


def make_action(parent: QWidget, icon_name: str, text: str, tip: str, slot: Callable,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None) -> QAction:
    """A toolbar action whose tooltip names its shortcut."""
    action = QAction(icon(icon_name), text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def confirm(parent: QWidget, title: str, text: str, action: str, on_confirm: Callable[[], None]) -> QMessageBox:
    """A non-blocking question (``open()`` + ``finished``: no nested loop under qasync)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.button(QMessageBox.StandardButton.Yes).setText(action)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            on_confirm()

    box.finished.connect(alive(parent, finished))
    box.open()
    return box
