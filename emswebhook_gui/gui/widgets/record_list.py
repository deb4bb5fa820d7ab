"""What the Webhooks and Authentication Profiles pages share: a sortable table of the service's
records with a toolbar, an empty state in its place when there are none, and selection by id.

One base rather than two copies, so both pages keep the same layout, spacing and selection
behaviour as either of them changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStackedWidget, QTableView, QToolBar, QVBoxLayout, QWidget

from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SPACING, Banner, EmptyState, PageHeader, page_layout
from emswebhook_gui.gui.widgets.record_table import ID_ROLE, RecordTableModel
from emswebhook_gui.gui.widgets.tables import configure_table, sort_proxy


class RecordListPage(QWidget):
    """Subclasses call ``_set_up_table`` first, then ``_build_list_layout`` with their actions."""

    def _set_up_table(self, model: RecordTableModel, object_name: str, widths: Iterable[int]) -> None:
        self.model = model
        self.proxy = sort_proxy(self)
        self.proxy.setSourceModel(model)
        self.banner = Banner()
        self.table = QTableView()
        self.table.setObjectName(object_name)
        self.table.setModel(self.proxy)
        configure_table(self.table)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        for column, width in enumerate(widths):
            self.table.setColumnWidth(column, width)

    def _build_list_layout(self, page_key: str, action_groups: Iterable[Iterable[QAction]], content: QWidget,
                           empty_text: str, add_text: str, on_add, beside_toolbar: QWidget | None = None) -> None:
        """Header, banner, toolbar (groups split by separators) with ``beside_toolbar`` (the
        outcome of an action) to its right, and ``content`` or the empty state."""
        self.toolbar = toolbar = QToolBar()
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        for number, actions in enumerate(action_groups):
            if number:
                toolbar.addSeparator()
            for action in actions:
                toolbar.addAction(action)
        empty_button = QPushButton(icon("add"), add_text)
        empty_button.clicked.connect(on_add)
        self.empty_state = EmptyState(empty_text, empty_button, page_key)
        self.stack = QStackedWidget()
        self.stack.addWidget(content)
        self.stack.addWidget(self.empty_state)
        layout = page_layout(self)
        layout.addWidget(PageHeader.for_page(page_key))
        layout.addWidget(self.banner)
        body = QVBoxLayout()
        body.setSpacing(SPACING)
        if beside_toolbar is None:
            body.addWidget(toolbar)
        else:
            row = QHBoxLayout()
            row.setSpacing(SPACING)
            row.addWidget(toolbar)
            row.addWidget(beside_toolbar, 1)
            body.addLayout(row)
        body.addWidget(self.stack, 1)
        layout.addLayout(body, 1)

    # -- selection -----------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ID_ROLE) if rows else None

    def selected_record(self) -> dict | None:
        selected = self.selected_id()
        return self.model.record(self.model.row_of(selected)) if selected else None

    def select(self, record_id: str) -> bool:
        row = self.model.row_of(record_id)
        if row >= 0:
            self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
        return row >= 0
