"""The details pane's payload tabs: the payload as pretty JSON (with Copy payload and Save payload
as…), the payload's ``currentState`` / ``previousState`` strings pretty-printed on their own, and
for an event that carries both (the *Updated* events) a unified diff previous → current.

The diff compares the states re-indented with sorted keys, so a key the source merely moved is
no change; added and removed lines are tinted green and red blended into the palette's base
colour (``widgets/colors.tint``), so the tints follow a light or a dark theme, and are made
again when the palette changes. "Save payload as…" writes the payload exactly as stored (the
bytes the attempts posted), not the pretty-printed text.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSettings, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.colors import tint
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.jsontext import read_json

PRETTY_LIMIT = 1024 * 1024
"""Text longer than this is shown as it is stored: pretty-printing megabytes would stall the GUI."""

FOLDER_KEY = "payload/folder"


def pretty_json(text: Any, *, sort_keys: bool = False) -> str:
    """JSON text indented for reading; other text unchanged."""
    if not isinstance(text, str) or not text or len(text) > PRETTY_LIMIT:
        return "" if text is None else str(text)
    try:
        return json.dumps(read_json(text), indent=2, ensure_ascii=False, sort_keys=sort_keys)
    except ValueError:
        return text


def state_diff(previous: Any, current: Any) -> list[str]:
    """The unified diff previous → current of two state strings, as lines; empty when equal."""
    before = pretty_json(previous, sort_keys=True).splitlines()
    after = pretty_json(current, sort_keys=True).splitlines()
    return list(difflib.unified_diff(before, after, "previousState", "currentState", lineterm="", n=3))


def payload_states(payload: str) -> dict:
    """The payload's top-level object (for its states); empty when it is not one, or too big."""
    try:
        body = read_json(payload) if payload and len(payload) <= PRETTY_LIMIT else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class DiffHighlighter(QSyntaxHighlighter):
    """Tints ``+`` and ``-`` lines of a unified diff, and greys its ``@@`` hunk headers."""

    def __init__(self, view: QPlainTextEdit) -> None:
        super().__init__(view.document())
        self.added = QTextCharFormat()
        self.removed = QTextCharFormat()
        self.hunk = QTextCharFormat()
        self.use_palette(view.palette())

    def use_palette(self, palette: QPalette) -> None:
        self.added.setBackground(tint(QColor(40, 167, 69), 0.28, palette))
        self.removed.setBackground(tint(QColor(215, 58, 73), 0.28, palette))
        self.hunk.setForeground(palette.color(QPalette.ColorRole.PlaceholderText))
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        if text.startswith(("+++", "---")):
            return
        style = {"+": self.added, "-": self.removed, "@": self.hunk}.get(text[:1])
        if style is not None:
            self.setFormat(0, len(text), style)


class DiffView(QPlainTextEdit):
    def __init__(self, font) -> None:
        super().__init__()
        self.setObjectName("stateDiffView")
        self.setReadOnly(True)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = DiffHighlighter(self)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.use_palette(self.palette())


def text_view(name: str, font) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setObjectName(name)
    view.setReadOnly(True)
    view.setFont(font)
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view


class PayloadViews(QWidget):
    """Owns the payload, state and diff tabs of the details pane's tab widget."""

    sig_message = Signal(str)

    def __init__(self, tabs: QTabWidget, font) -> None:
        super().__init__()
        self._tabs = tabs
        self.payload = ""
        self.event_id = ""
        self.file_dialog: QFileDialog | None = None
        self.payload_view = text_view("payloadView", font)
        self.copy_payload_button = QPushButton(icon("copy"), "Copy payload")
        self.copy_payload_button.setToolTip("Copy the payload, as it was sent, to the clipboard")
        self.copy_payload_button.clicked.connect(self._on_copy_payload_button_clicked)
        self.save_payload_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton),
                                               "Save payload as…")
        self.save_payload_button.setToolTip("Write the payload, as it was sent, to a file")
        self.save_payload_button.clicked.connect(self._on_save_payload_button_clicked)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addStretch(1)
        bar.addWidget(self.copy_payload_button)
        bar.addWidget(self.save_payload_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.payload_view, 1)
        self.current_state_view = text_view("currentStateView", font)
        self.previous_state_view = text_view("previousStateView", font)
        self.diff_view = DiffView(font)
        tabs.addTab(self, "Payload")
        tabs.addTab(self.current_state_view, "Current state")
        tabs.addTab(self.previous_state_view, "Previous state")
        tabs.addTab(self.diff_view, "Changes")
        self.diff_view.setToolTip("What changed from the previous state to the current one")

    def show_payload(self, event_id: str, payload: str) -> None:
        self.event_id, self.payload = event_id, payload
        self.payload_view.setPlainText(pretty_json(payload))
        self.copy_payload_button.setEnabled(bool(payload))
        self.save_payload_button.setEnabled(bool(payload))
        body = payload_states(payload)
        current, previous = body.get("currentState"), body.get("previousState")
        for view, text in ((self.current_state_view, current), (self.previous_state_view, previous)):
            self._tabs.setTabVisible(self._tabs.indexOf(view), bool(text))
            view.setPlainText(pretty_json(text) if text else "")
        both = bool(current) and bool(previous)
        self._tabs.setTabVisible(self._tabs.indexOf(self.diff_view), both)
        lines = state_diff(previous, current) if both else []
        self.diff_view.setPlainText("\n".join(lines) if lines or not both
                                    else "The previous and the current state are the same.")

    # -- Copy payload, Save payload as… ---------------------------------------------------------------------

    def _on_copy_payload_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.payload)
        self.sig_message.emit(f"Copied the payload of {self.event_id} ({len(self.payload.encode()):,} bytes)")

    def _on_save_payload_button_clicked(self) -> None:
        folder = QSettings().value(FOLDER_KEY, str(Path.home()))
        self.file_dialog = dialog = QFileDialog(self, "Save payload as", str(folder), "JSON (*.json);;All files (*)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.selectFile(f"{self.event_id or 'payload'}.json")
        dialog.fileSelected.connect(alive(self, self.save_payload_to))
        dialog.open()

    def save_payload_to(self, path: str) -> None:
        """Write the payload as stored (UTF-8, no newline added)."""
        target = Path(path)
        try:
            target.write_bytes(self.payload.encode("utf-8"))
        except OSError as exc:
            self.sig_message.emit(f"Cannot save the payload: {exc.strerror or exc} ({target})")
            return
        QSettings().setValue(FOLDER_KEY, str(target.parent))
        self.sig_message.emit(f"Saved the payload of {self.event_id} to {target}")
