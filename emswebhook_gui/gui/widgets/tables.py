"""The house style of tables: selection, sorting and keyboard shortcuts shared by every list."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

SORT_ROLE = Qt.ItemDataRole.UserRole + 50
"""Models give a sortable key under this role (lower-case text, booleans as 0/1)."""


def configure_table(view: QTableView) -> None:
    """The house style of tables: whole rows, alternating, sortable, read-only, last column wide."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def table_shortcuts(table: QTableView, on_edit: Callable, on_delete: Callable) -> None:
    """Enter edits and Del deletes the selected row, while the table has focus."""
    for key, slot in ((Qt.Key.Key_Return, on_edit), (Qt.Key.Key_Enter, on_edit), (Qt.Key.Key_Delete, on_delete)):
        shortcut = QShortcut(QKeySequence(key), table)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(slot)
    table.doubleClicked.connect(lambda _index: on_edit())


def sort_proxy(parent: QWidget) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setSortRole(SORT_ROLE)
    return proxy
