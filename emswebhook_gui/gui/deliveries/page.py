"""Event Deliveries: find failed notifications, see why each attempt failed, retry or close them.

The page lays out and wires parts that never call each other directly: the filter bar
(:mod:`.filters`) describes a search, the lazy table model (:mod:`.table_model`) runs it and
keeps itself live on ``sig_notifications_changed``, the details pane (:mod:`.details`) shows the
current row, and the controller (:mod:`.actions`) retries and closes notifications through the
bridge. The page itself keeps the count line, the empty state and the status line in step.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QSplitter, QToolBar, QVBoxLayout, QWidget

from emswebhook_gui.gui.deliveries.actions import DeliveryActions
from emswebhook_gui.gui.deliveries.details import NotificationDetails
from emswebhook_gui.gui.deliveries.filters import DeliveryFilters
from emswebhook_gui.gui.deliveries.report import RetryReport
from emswebhook_gui.gui.deliveries.empty_state import EmptyState, count_text
from emswebhook_gui.gui.deliveries.table_model import NotificationTableModel
from emswebhook_gui.gui.deliveries.table_view import DeliveriesTable
from emswebhook_gui.gui.widgets.colors import error_color
from emswebhook_gui.rules.filters import NEEDS_ATTENTION

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

COUNT_INTERVAL_MS = 2000
"""Counting matches can scan many rows: after live updates, count again at most this often."""

COUNT_DELAY_MS = 400
"""After a new search, count only once the user has paused on these filters. On SQLite every
query shares one worker, and some counts scan (FAILED of one webhook: ~300 ms at a million
rows), so a count started at once would hold up the search of the next filter change."""

class DeliveriesPage(QWidget):
    """The Event Deliveries page (found by the main window by convention): see the module doc."""

    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._stale = False
        self._started = False
        self._restoring: str | None = None
        self._in_reset = False
        self._counted_at = 0.0
        self._count: int | None = None
        self._count_generation = 0

        self.model = NotificationTableModel(bridge, self)
        self.filters = DeliveryFilters(bridge)
        self.details = NotificationDetails(bridge)

        self.table = DeliveriesTable(self.model)

        self.empty_label = EmptyState(bridge, self.table)  # empty_state.py: the whole truth of an empty view

        self.title_label = QLabel("Event Deliveries")
        self.title_label.setObjectName("pageTitle")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title_label.setFont(font)

        self.actions = DeliveryActions(self)
        for name in ("retry", "retry_all", "mark", "mark_all", "copy", "export", "refresh", "find"):
            setattr(self, f"{name}_action", getattr(self.actions, f"{name}_action"))
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.addAction(self.retry_action)
        self.toolbar.addAction(self.retry_all_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.mark_action)
        self.toolbar.addAction(self.mark_all_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.copy_action)
        self.toolbar.addAction(self.export_action)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 380])
        self.splitter.setChildrenCollapsible(False)

        self.status_label = QLabel()
        self.status_label.setObjectName("statusLine")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel()
        self.count_label.setObjectName("countLine")

        self.status_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.status_label.setWordWrap(True)  # a long message wraps; it never widens the window
        self.status_label.hide()
        self.report = RetryReport(self.model, self)  # report.py: how a retry went
        self.report.sig_report.connect(self.show_status)

        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addStretch(1)
        top.addWidget(self.toolbar)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.status_label)  # right under the actions whose outcome it tells
        layout.addWidget(self.filters)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)

        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.timeout.connect(self._on_count_timer_timeout)

        self.filters.sig_filters_changed.connect(self._on_filters_filters_changed)
        self.model.sig_search_finished.connect(self._on_model_search_finished)
        self.model.sig_error.connect(self._on_model_error)
        self.model.sig_refresh_about_to_apply.connect(self._on_model_refresh_about_to_apply)
        self.model.sig_refresh_applied.connect(self._on_model_refresh_applied)
        self.model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        self.model.rowsInserted.connect(self._on_model_rows_changed)
        self.model.rowsRemoved.connect(self._on_model_rows_changed)
        self.model.dataChanged.connect(self._on_model_data_changed)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._on_table_selection_changed)
        selection.currentRowChanged.connect(self._on_table_current_row_changed)
        self.details.sig_message.connect(self.show_status)
        self.empty_label.sig_show_retrying.connect(self._on_empty_label_show_retrying)
        self.empty_label.sig_search_entity.connect(self.filters.search_as_entity)
        bridge.sig_notifications_changed.connect(self._on_bridge_notifications_changed)

        self.actions.update()

    # -- what the actions ask -----------------------------------------------------------------------

    def selected_items(self) -> list[dict]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [item for row in rows if (item := self.model.item(row)) is not None]

    # -- the search and its live updates ----------------------------------------------------------------

    def _on_filters_filters_changed(self, filters: dict) -> None:
        self._search(filters)

    def _search(self, filters: dict) -> None:
        if self._started:  # a message about the old search would be stale; so would a retry's report
            self.report.stop()
            self.show_status("")
        self._started = True
        self._count_generation += 1  # a count still running is for the old filters
        self._count = None
        self.count_label.setText("Searching…")
        self.model.set_filters(filters)
        self.actions.update()

    def _on_model_about_to_be_reset(self) -> None:
        self._in_reset = True
        self._restoring = self.details.event_id

    def _on_model_search_finished(self) -> None:
        self._in_reset = False
        restoring, self._restoring = self._restoring, None
        row = self.model.row_of(restoring) if restoring else -1
        if row >= 0:
            self._select_row(row)
        else:
            self.details.show_event(None)
        self._update_empty_state()
        self.actions.update()
        self._count = None
        self.count_label.setText("Counting…")
        self._count_timer.start(COUNT_DELAY_MS)  # after the rows are painted: a count may scan

    def _on_model_error(self, message: str) -> None:
        self.show_status(f"Search failed: {message}", error=True)
        self._update_empty_state()

    def _on_model_refresh_about_to_apply(self) -> None:
        self.table.remember_anchor(self.model.event_id)

    def _on_model_refresh_applied(self) -> None:
        self.table.restore_anchor(self.model.row_of)
        self._update_empty_state()
        self.actions.update()
        if not self._count_timer.isActive():
            delay = COUNT_INTERVAL_MS - (time.monotonic() - self._counted_at) * 1000
            self._count_timer.start(max(0, int(delay)))

    def _on_model_rows_changed(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        self._update_empty_state()
        self._show_count()

    def _on_model_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, _roles=()) -> None:
        current = self.table.currentIndex()
        if current.isValid() and top_left.row() <= current.row() <= bottom_right.row():
            self.details.refresh()
        self.actions.update()

    def _on_bridge_notifications_changed(self) -> None:
        if self.isVisible():
            self.model.refresh()
        else:
            self._stale = True  # refreshed when shown again: no queries for a hidden page

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """The first search runs when the page is first shown, not when it is built: the main
        window builds every page at start-up, and on SQLite every query shares one worker, so a
        page nobody looks at must not delay the one the user does (nor the start-up)."""
        super().showEvent(event)
        if not self._started:
            self._stale = False
            self._search(self.filters.filters())
            self.filters.load_webhooks()
        elif self._stale:
            self._stale = False
            self.model.refresh()
            self.recount()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """A hidden (or closed) page counts nothing; a count still due is made when it shows."""
        super().hideEvent(event)
        if self._count_timer.isActive():
            self._count_timer.stop()
            self._stale = True

    def _on_table_selection_changed(self, _selected, _deselected) -> None:
        self.actions.update()

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._in_reset and not current.isValid():
            return  # the table is being replaced; the same row is selected again afterwards
        self.details.show_event(self.model.event_id(current.row()) if current.isValid() else None)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    @property
    def confirm_box(self) -> QMessageBox | None:
        """The open confirmation, if any."""
        return self.actions.confirm_box

    def export_to(self, path: str):
        return self.actions.export_to(path)

    def select_event(self, event_id: str) -> bool:
        """Make this notification the current, selected row; False when it is not loaded."""
        row = self.model.row_of(event_id)
        if row >= 0:
            self._select_row(row)
            self.table.scrollTo(self.model.index(row, 0))
        return row >= 0

    # -- counts, empty state, status line ----------------------------------------------------------------

    def _on_count_timer_timeout(self) -> None:
        self.recount()

    def recount(self) -> None:
        self._count_timer.stop()
        self._counted_at = time.monotonic()
        self._count_generation += 1
        generation, filters = self._count_generation, self.model.filters
        self.bridge.run(functools.partial(self.bridge.service.count_notifications, filters),
                        lambda count: self._on_counted(generation, count), lambda _error: None)

    def _on_counted(self, generation: int, count: int) -> None:
        if generation == self._count_generation:
            self._count = count
            self._show_count()

    def _show_count(self) -> None:
        if self._count is None or not self.model.searched:
            return
        text = count_text(self._count, self.model.filters.get("status"))
        loaded = self.model.rowCount()
        if loaded < self._count:
            text += f" · {loaded:,} loaded"
        self.count_label.setText(text)

    def _update_empty_state(self) -> None:
        if self.model.searched and self.model.rowCount() == 0:
            self.empty_label.show_for(self.model.filters, self.filters.describe(), self.model.error)
        else:
            self.empty_label.clear()

    def _on_empty_label_show_retrying(self) -> None:
        self.filters.set_status(NEEDS_ATTENTION)

    def show_status(self, text: str, error: bool = False) -> None:
        """The page's status line: the outcome of the last action or query."""
        self.status_label.setStyleSheet(f"color: {error_color(self.palette()).name()};" if error else "")
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))
        self.status_label.setToolTip(text if len(text) > 80 else "")

