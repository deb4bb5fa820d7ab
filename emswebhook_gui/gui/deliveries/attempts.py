"""The details pane's Attempts tab: one row per delivery attempt (time, kind, HTTP status,
duration, error, answer), the next scheduled one in italics, and the selected attempt's answer."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.gui.deliveries.rows import DASH, IN_PROGRESS, first_line, local_time

ERROR_COLOR = "#b3261e"

ATTEMPT_COLUMNS = ("#", "Time", "Kind", "HTTP", "Duration", "Error", "Answer")
KINDS = {"auto": "auto", "manual": "manual"}
"""Attempt kinds as shown: an automatic retry, or one of a round started by hand."""


def short_time(value: Any) -> str:
    """An attempt's local time without the year (attempts of one notification span about an
    hour); the tooltip carries the full UTC time."""
    text = local_time(value)
    return text[5:] if len(text) == 19 else text


def duration_text(milliseconds: Any) -> str:
    if not isinstance(milliseconds, (int, float)):
        return DASH
    return f"{milliseconds:.0f} ms" if milliseconds < 1000 else f"{milliseconds / 1000:.1f} s"


class AttemptsView(QWidget):
    """The attempts table over the selected attempt's answer."""

    def __init__(self, mono, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(ATTEMPT_COLUMNS))
        self.table.setObjectName("attemptsTable")
        self.table.setHorizontalHeaderLabels(list(ATTEMPT_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header_view = self.table.horizontalHeader()
        for column, width in enumerate((34, 118, 58, 44, 66, 160, 120)):
            self.table.setColumnWidth(column, width)
        header_view.setSectionResizeMode(ATTEMPT_COLUMNS.index("Error"), QHeaderView.ResizeMode.Stretch)
        header_view.setMinimumSectionSize(30)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.answer_view = QPlainTextEdit()
        self.answer_view.setObjectName("answerView")
        self.answer_view.setReadOnly(True)
        self.answer_view.setFont(mono)
        self.answer_view.setMaximumHeight(70)
        self.answer_view.setPlaceholderText("The selected attempt's answer (first 2 KiB) shows here.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.answer_view)

    def show_attempts(self, n: dict) -> int:
        """The notification's attempts, and the next one when it is scheduled; how many were made."""
        history = n.get("attemptHistory") or []
        table = self.table
        selected = table.currentRow()
        table.setRowCount(0)
        error_brush = QColor(ERROR_COLOR)
        for attempt in history:
            row = table.rowCount()
            table.insertRow(row)
            code = attempt.get("statusCode")
            ok = code is not None and 200 <= code < 300 and not attempt.get("error")
            cells = (
                str(attempt.get("number", row + 1)),
                short_time(attempt.get("startedAt")),
                KINDS.get(attempt.get("kind"), str(attempt.get("kind") or "")),
                str(code) if code is not None else DASH,
                duration_text(attempt.get("durationMs")),
                first_line(attempt.get("error")) or ("delivered" if ok else ""),
                first_line(attempt.get("responseExcerpt"), 80),
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column in (0, 3, 4):
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 5 and attempt.get("error"):
                    cell.setForeground(error_brush)
                    cell.setToolTip(str(attempt["error"]))
                if column == 6 and attempt.get("responseExcerpt"):
                    cell.setToolTip(str(attempt["responseExcerpt"])[:1000])
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
            self.answer_view.clear()
        return len(history)

    def _on_table_selection_changed(self) -> None:
        row = self.table.currentRow()
        cell = self.table.item(row, 0) if row >= 0 else None
        attempt = cell.data(Qt.ItemDataRole.UserRole) if cell is not None else None
        if not isinstance(attempt, dict):
            self.answer_view.clear()
            return
        code = attempt.get("statusCode")
        lines = [f"Attempt {attempt.get('number')}: " + (f"HTTP {code}" if code is not None else "no HTTP answer")]
        if attempt.get("error"):
            lines.append(f"Error: {attempt['error']}")
        excerpt = attempt.get("responseExcerpt")
        lines.append(f"Answer: {excerpt}" if excerpt else "Answer: (empty)")
        self.answer_view.setPlainText("\n".join(lines))
