"""The notification table's view: the house look of the Event Deliveries table, Ctrl+C copying
eventIds, and the scroll anchor that keeps what the user reads in place while rows arrive."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from emswebhook_gui.gui.deliveries.rows import COLUMN
from emswebhook_gui.gui.deliveries.status_chip import StatusChipDelegate

COLUMN_WIDTHS = {"status": 128, "createdAt": 150, "webhookName": 140, "eventName": 150, "lastStatusCode": 52,
                 "lastError": 260, "attempts": 68, "nextAttemptAt": 150, "activityName": 150,
                 "entityId": 120, "eventId": 130}


class DeliveriesTable(QTableView):
    """The notification table; keeps what the user reads in place while rows arrive above it."""

    sig_copy_requested = Signal()
    """Ctrl+C (the platform's Copy) on the table: copy the selected eventIds, not one cell's text."""

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._anchor: tuple[int, int] | None = None
        self.setObjectName("notificationsTable")
        self.setModel(model)
        self.setItemDelegateForColumn(COLUMN["status"], StatusChipDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(28)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for key, width in COLUMN_WIDTHS.items():
            self.setColumnWidth(COLUMN[key], width)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.matches(QKeySequence.StandardKey.Copy):
            event.accept()
            self.sig_copy_requested.emit()
            return
        super().keyPressEvent(event)

    def remember_anchor(self, row_key) -> None:
        """Note the top visible row (when scrolled down) before rows are inserted/removed."""
        self._anchor = None
        if self.verticalScrollBar().value() > 0:
            row = self.rowAt(0)
            if row >= 0:
                self._anchor = (row_key(row), self.rowViewportPosition(row))

    def restore_anchor(self, row_of) -> None:
        if self._anchor is None:
            return
        key, offset = self._anchor
        self._anchor = None
        row = row_of(key)
        if row < 0:
            return
        self.updateGeometries()
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + self.rowViewportPosition(row) - offset)
