"""The details pane's Attempts tab: one row per delivery attempt (time, kind, HTTP status,
duration, result, error), the next scheduled one in italics, and under them the selected
attempt's inspector (:mod:`.inspector`): what it sent and got back.

The result ("delivered", "failed") has its own column, so the Error column holds errors only (a
dash for a delivered attempt)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.gui.deliveries.inspector import AttemptInspector
from emswebhook_gui.gui.deliveries.rows import DASH, IN_PROGRESS, first_line, local_time
from emswebhook_gui.gui.widgets.colors import error_color
from emswebhook_gui.wording import milliseconds

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge


ATTEMPT_COLUMNS = ("#", "Time", "Kind", "HTTP", "Duration", "Result", "Error")
RESULT, ERROR = ATTEMPT_COLUMNS.index("Result"), ATTEMPT_COLUMNS.index("Error")
KINDS = {"auto": "auto", "manual": "manual"}
"""Attempt kinds as shown: an automatic retry, or one of a round started by hand."""


def short_time(value: Any) -> str:
    """An attempt's local time without the year (attempts of one notification span about an
    hour); the tooltip carries the full UTC time."""
    text = local_time(value)
    return text[5:] if len(text) == 19 else text


def duration_text(value: Any) -> str:
    return milliseconds(value, DASH, digits=1)


def delivered(attempt: dict) -> bool:
    code = attempt.get("statusCode")
    return code is not None and 200 <= code < 300 and not attempt.get("error")


class AttemptsView(QWidget):
    """The attempts table over the selected attempt's inspector."""

    def __init__(self, bridge: "ServiceBridge", mono, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notification: dict | None = None
        self.table = QTableWidget(0, len(ATTEMPT_COLUMNS))
        self.table.setObjectName("attemptsTable")
        self.table.setHorizontalHeaderLabels(list(ATTEMPT_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header_view = self.table.horizontalHeader()
        for column, width in enumerate((34, 118, 58, 44, 66, 72, 160)):
            self.table.setColumnWidth(column, width)
        header_view.setSectionResizeMode(ERROR, QHeaderView.ResizeMode.Stretch)
        header_view.setMinimumSectionSize(30)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.inspector = AttemptInspector(bridge, mono)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.inspector)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([180, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def show_attempts(self, n: dict) -> int:
        """The notification's attempts, and the next one when it is scheduled; how many were made."""
        self.notification = n
        history = n.get("attemptHistory") or []
        table = self.table
        selected = table.currentRow()
        table.setRowCount(0)
        error_brush = error_color(table.palette())
        for attempt in history:
            row = table.rowCount()
            table.insertRow(row)
            code = attempt.get("statusCode")
            cells = (
                str(attempt.get("number", row + 1)),
                short_time(attempt.get("startedAt")),
                KINDS.get(attempt.get("kind"), str(attempt.get("kind") or "")),
                str(code) if code is not None else DASH,
                duration_text(attempt.get("durationMs")),
                "delivered" if delivered(attempt) else "failed",
                first_line(attempt.get("error")) or DASH,
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column in (0, 3, 4):
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column in (RESULT, ERROR) and attempt.get("error"):
                    cell.setForeground(error_brush)
                    cell.setToolTip(str(attempt["error"]))
                if column == 1:
                    cell.setToolTip(f"{attempt.get('startedAt')} (UTC)")
                cell.setData(Qt.ItemDataRole.UserRole, attempt)
                table.setItem(row, column, cell)
        if n.get("status") == IN_PROGRESS and n.get("nextAttemptAt"):
            row = table.rowCount()
            table.insertRow(row)
            kind = KINDS["manual"] if n.get("roundKind") == "manual" else KINDS["auto"]
            for column, text in enumerate(("next", short_time(n["nextAttemptAt"]), kind, "", "", "scheduled", "")):
                cell = QTableWidgetItem(text)
                cell.setForeground(self.palette().placeholderText())
                font = cell.font()
                font.setItalic(True)
                cell.setFont(font)
                table.setItem(row, column, cell)
        if history:
            table.selectRow(selected if 0 <= selected < len(history) else len(history) - 1)
        else:
            self.inspector.show_attempt(None, n)
        return len(history)

    def _on_table_selection_changed(self) -> None:
        row = self.table.currentRow()
        cell = self.table.item(row, 0) if row >= 0 else None
        attempt = cell.data(Qt.ItemDataRole.UserRole) if cell is not None else None
        self.inspector.show_attempt(attempt if isinstance(attempt, dict) else None, self.notification)
