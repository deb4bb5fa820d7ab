"""A table model over the service's plain dicts, its columns declared once (:class:`Column`).

The model holds what the page last fetched and nothing else: no service calls, so ``data()``
never blocks, and a record of an unexpected shape renders a placeholder instead of raising."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from emswebhook_gui.gui.widgets.tables import SORT_ROLE

_log = logging.getLogger(__name__)
Index = QModelIndex | QPersistentModelIndex

ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""The record's ``id`` (any column)."""


RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
"""The whole record dict (any column)."""


NONE_TEXT = "—"


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[dict], str]
    tooltip: Callable[[dict], str | None] | None = None
    sort_key: Callable[[dict], Any] | None = None
    color: Callable[[dict], QColor | None] | None = None


def muted() -> QColor:
    return QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


class RecordTableModel(QAbstractTableModel):
    """Rows are dicts with an ``id``; subclasses declare :attr:`COLUMNS`. Read-only."""

    COLUMNS: tuple[Column, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[dict] = []

    # -- Qt API ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows) \
                or not 0 <= index.column() < len(self.COLUMNS):
            return None
        record = self._rows[index.row()]
        column = self.COLUMNS[index.column()]
        try:
            return self._data(record, column, role)
        except Exception:  # a surprising record must not take the view down
            _log.exception("cannot render column %r of %r", column.title, record.get("id"))
            return "⚠ unreadable" if role == Qt.ItemDataRole.DisplayRole else None

    def _data(self, record: dict, column: Column, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(record) if column.tooltip else (column.text(record) or None)
        if role == SORT_ROLE:
            key = column.sort_key(record) if column.sort_key else column.text(record)
            return key.casefold() if isinstance(key, str) else key
        if role == Qt.ItemDataRole.ForegroundRole:
            color = column.color(record) if column.color else None
            return color if color is not None else self._row_color(record)
        if role == ID_ROLE:
            return record.get("id")
        if role == RECORD_ROLE:
            return dict(record)
        return None

    def _row_color(self, record: dict) -> QColor | None:
        return None

    # -- for the page ------------------------------------------------------------------------

    def set_records(self, records: list[dict]) -> None:
        self.beginResetModel()
        self._rows = [dict(r) for r in records]
        self.endResetModel()

    def record(self, row: int) -> dict | None:
        return dict(self._rows[row]) if 0 <= row < len(self._rows) else None

    def records(self) -> list[dict]:
        return [dict(r) for r in self._rows]

    def row_of(self, record_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.get("id") == record_id), -1)
