"""Event Deliveries: find failed notifications, see why each attempt failed, retry or close them.

The page wires four parts that never call each other directly: the filter bar
(:mod:`delivery_filters`) describes a search, the lazy table model
(:mod:`notification_table_model`) runs it and keeps itself live on ``sig_notifications_changed``,
the details pane (:mod:`notification_details`) shows the current row, and the actions here call
the service through the bridge and report in the page's status line. Every service call goes
through ``bridge.run``: no slot awaits, and confirmations are non-blocking message boxes
(``open()`` + ``finished``), never ``exec()`` under qasync.

Rules the actions follow (DESIGN section 4): only FAILED notifications can be retried or marked
successful, so those actions are disabled, with a tooltip saying why, for an IN_PROGRESS or
SUCCESSFUL selection; the "all matching" variants act on the FAILED notifications matching the
filters, after a confirmation that shows how many.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QGuiApplication, QIcon, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.errors import ServiceError
from emswebhook_gui.gui.deliveries.details import NotificationDetails
from emswebhook_gui.gui.deliveries.filters import DeliveryFilters
from emswebhook_gui.gui.deliveries.rows import COLUMN, FAILED, IN_PROGRESS, SUCCESSFUL
from emswebhook_gui.gui.deliveries.status_chip import StatusChipDelegate
from emswebhook_gui.gui.deliveries.table_model import NotificationTableModel
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.wording import plural

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

COUNT_INTERVAL_MS = 2000
"""Counting matches can scan many rows: after live updates, count again at most this often."""

COUNT_DELAY_MS = 400
"""After a new search, count only once the user has paused on these filters. On SQLite every
query shares one worker, and some counts scan (FAILED of one webhook: ~300 ms at a million
rows), so a count started at once would hold up the search of the next filter change."""

COLUMN_WIDTHS = {"status": 104, "createdAt": 150, "webhookName": 140, "eventName": 150, "lastStatusCode": 52,
                 "lastError": 260, "attempts": 68, "nextAttemptAt": 150, "activityName": 150,
                 "entityId": 120, "eventId": 130}

STATUS_WORDS = {FAILED: "failed", IN_PROGRESS: "in-progress", SUCCESSFUL: "successful", None: ""}


class DeliveriesTable(QTableView):
    """The notification table; keeps what the user reads in place while rows arrive above it."""

    sig_copy_requested = Signal()
    """Ctrl+C (the platform's Copy) on the table: copy the selected eventIds, not one cell's text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._anchor: tuple[int, int] | None = None

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
        self.confirm_box: QMessageBox | None = None
        """The open confirmation, if any (kept so it is not collected; tests answer it)."""

        self.model = NotificationTableModel(bridge, self)
        self.filters = DeliveryFilters(bridge)
        self.details = NotificationDetails(bridge)

        self.table = DeliveriesTable()
        self.table.setObjectName("notificationsTable")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(COLUMN["status"], StatusChipDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for key, width in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(COLUMN[key], width)

        self.empty_label = QLabel(self.table.viewport())
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.hide()
        self.table.viewport().installEventFilter(self)

        self.title_label = QLabel("Event Deliveries")
        self.title_label.setObjectName("pageTitle")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title_label.setFont(font)

        self._create_actions()
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

        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addStretch(1)
        top.addWidget(self.toolbar)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
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
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.sig_copy_requested.connect(self._on_copy_action_triggered)
        self.details.sig_message.connect(self._set_status)
        bridge.sig_notifications_changed.connect(self._on_bridge_notifications_changed)

        self._update_actions()

    # -- actions -------------------------------------------------------------------------------------------

    def _create_actions(self) -> None:
        """Shortcuts apply while focus is on this page (or, for Copy, on the table only)."""

        def action(text: str, qicon: QIcon | None, shortcut, slot, owner: QWidget) -> QAction:
            act = QAction(qicon, text, owner) if qicon is not None else QAction(text, owner)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            owner.addAction(act)
            return act

        self.retry_action = action("Retry", icon("retry"), "Ctrl+R", self._on_retry_action_triggered, self)
        self.retry_all_action = action("Retry all matching…", icon("retry"), "Ctrl+Shift+R",
                                       self._on_retry_all_action_triggered, self)
        self.mark_action = action("Mark successful", icon("check"), "Ctrl+M", self._on_mark_action_triggered, self)
        self.mark_all_action = action("Mark all matching…", icon("check"), "Ctrl+Shift+M",
                                      self._on_mark_all_action_triggered, self)
        self.copy_action = action("Copy event ID", icon("copy"), QKeySequence.StandardKey.Copy,
                                  self._on_copy_action_triggered, self.table)
        self.export_action = action("Export…", icon("copy"), "Ctrl+E", self._on_export_action_triggered, self)
        self.export_action.setToolTip("Write the notifications matching the filters to a CSV or NDJSON file")
        self.refresh_action = action("Refresh", None, "F5", self._on_refresh_action_triggered, self)
        self.find_action = action("Find event ID", None, "Ctrl+F", self.filters.focus_event_id, self)

    def selected_items(self) -> list[dict]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [item for row in rows if (item := self.model.item(row)) is not None]

    def _update_actions(self) -> None:
        items = self.selected_items()
        failed = [item for item in items if item.get("status") == FAILED]
        others = len(items) - len(failed)
        why_not = self._why_not_failed(items)
        self.retry_action.setEnabled(bool(failed))
        self.mark_action.setEnabled(bool(failed))
        if not items:
            self.retry_action.setToolTip("Select a failed notification to retry it (Ctrl+R)")
            self.mark_action.setToolTip("Select a failed notification to mark it successful (Ctrl+M)")
        elif not failed:
            self.retry_action.setToolTip(f"Cannot retry: {why_not}")
            self.mark_action.setToolTip(f"Cannot mark successful: {why_not}")
        else:
            skipped = f"; {plural(others)} not FAILED are skipped" if others else ""
            self.retry_action.setToolTip(
                f"Start a new round of up to three attempts for {plural(len(failed), 'failed notification')}"
                f"{skipped} (Ctrl+R)")
            self.mark_action.setToolTip(
                f"Mark {plural(len(failed), 'failed notification')} as delivered, without sending"
                f"{skipped} (Ctrl+M)")
        status = self.model.filters.get("status")
        bulk_ok = status in (None, FAILED)
        self.retry_all_action.setEnabled(bulk_ok)
        self.mark_all_action.setEnabled(bulk_ok)
        if bulk_ok:
            self.retry_all_action.setToolTip("Retry every failed notification matching the filters (Ctrl+Shift+R)")
            self.mark_all_action.setToolTip(
                "Mark every failed notification matching the filters as successful (Ctrl+Shift+M)")
        else:
            reason = "only FAILED notifications can be retried or marked successful; set Status to Failed or All"
            self.retry_all_action.setToolTip(f"Not available: {reason}")
            self.mark_all_action.setToolTip(f"Not available: {reason}")
        self.copy_action.setEnabled(bool(items))
        self.copy_action.setToolTip("Copy the selected event IDs (Ctrl+C)" if items else "Select a notification first")

    @staticmethod
    def _why_not_failed(items: list[dict]) -> str:
        statuses = {item.get("status") for item in items}
        if IN_PROGRESS in statuses:
            return ("automatic attempts are still pending; an IN_PROGRESS notification can be retried "
                    "or marked successful only once it has FAILED")
        return "already SUCCESSFUL; only FAILED notifications can be retried or marked successful"

    def _on_retry_action_triggered(self) -> None:
        ids = [item["eventId"] for item in self.selected_items() if item.get("status") == FAILED]
        if not ids:
            return
        self.model.pin(ids)
        self._set_status(f"Retrying {plural(len(ids))}…")
        self.bridge.run(functools.partial(self._each, ids, "retry"), lambda result: self._on_each_done("retry", result),
                        self._on_action_failed)

    def _on_mark_action_triggered(self) -> None:
        ids = [item["eventId"] for item in self.selected_items() if item.get("status") == FAILED]
        if not ids:
            return
        one = len(ids) == 1
        self._confirm(
            "mark",
            f"Mark {plural(len(ids))} as successful?",
            ("It will not be delivered again, although its receiver never got it. Who marked it, and "
             "when, is recorded." if one else
             "They will not be delivered again, although their receivers never got them. Who marked "
             "them, and when, is recorded."),
            "Mark successful",
            lambda: self._on_mark_confirmed(ids),
        )

    def _on_mark_confirmed(self, ids: list[str]) -> None:
        self.model.pin(ids)
        self._set_status(f"Marking {plural(len(ids))} as successful…")
        self.bridge.run(functools.partial(self._each, ids, "mark"), lambda result: self._on_each_done("mark", result),
                        self._on_action_failed)

    async def _each(self, ids: list[str], what: str) -> tuple[int, list[str]]:
        """Act on each selected notification; one refusal (e.g. it went IN_PROGRESS meanwhile)
        does not stop the others."""
        service = self.bridge.service
        done, refused = 0, []
        for event_id in ids:
            try:
                if what == "retry":
                    done += await service.retry_notifications(event_id=event_id)
                else:
                    done += await service.mark_successful(event_id=event_id)
            except ServiceError as exc:
                refused.append(str(exc))
        return done, refused

    def _on_each_done(self, what: str, result: tuple[int, list[str]]) -> None:
        done, refused = result
        message = f"Retrying {plural(done)}" if what == "retry" else f"Marked {plural(done)} as successful"
        if refused:
            more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
            message = (f"{message}; refused: {refused[0]}{more}" if done else f"Refused: {refused[0]}{more}")
        self._set_status(message, error=bool(refused))
        self.model.refresh()

    def _on_retry_all_action_triggered(self) -> None:
        self._count_then_confirm("retry")

    def _on_mark_all_action_triggered(self) -> None:
        self._count_then_confirm("mark")

    def _count_then_confirm(self, what: str) -> None:
        filters = {**self.model.filters, "status": FAILED}
        self._set_status("Counting the failed notifications that match…")
        self.bridge.run(functools.partial(self.bridge.service.count_notifications, filters),
                        lambda count: self._on_bulk_counted(what, filters, count), self._on_action_failed)

    def _on_bulk_counted(self, what: str, filters: dict, count: int) -> None:
        scope = self.filters.describe()
        scope_text = f" ({scope})" if scope else ""
        if count == 0:
            verb = "retry" if what == "retry" else "mark successful"
            self._set_status(f"No failed notifications match the filters{scope_text}: nothing to {verb}")
            return
        if what == "retry":
            self._confirm("retryAll", f"Retry {plural(count, 'failed notification')}?",
                          f"Every failed notification matching the filters{scope_text} starts a new round of up "
                          "to three attempts (at once, then after 5 and 15 minutes).",
                          f"Retry {count:,}", lambda: self._on_bulk_confirmed("retry", filters))
        else:
            self._confirm("markAll", f"Mark {plural(count, 'failed notification')} as successful?",
                          f"Every failed notification matching the filters{scope_text} is closed without being "
                          "delivered. Who marked them, and when, is recorded.",
                          f"Mark {count:,} successful", lambda: self._on_bulk_confirmed("mark", filters))
        self._set_status("")

    def _on_bulk_confirmed(self, what: str, filters: dict) -> None:
        service = self.bridge.service
        if what == "retry":
            self._set_status("Retrying the failed notifications that match…")
            work = functools.partial(service.retry_notifications, filters=filters)
            done = lambda count: self._on_each_done("retry", (count, []))  # noqa: E731
        else:
            self._set_status("Marking the failed notifications that match as successful…")
            work = functools.partial(service.mark_successful, filters=filters)
            done = lambda count: self._on_each_done("mark", (count, []))  # noqa: E731
        self.bridge.run(work, done, self._on_action_failed)

    def _on_action_failed(self, error: Exception) -> None:
        self._set_status(str(error), error=True)
        self.model.refresh()  # what was done before the failure shows

    def _confirm(self, name: str, text: str, detail: str, accept_text: str, on_accept) -> None:
        """A non-blocking confirmation (``open()`` + ``finished``; no nested loop under qasync)."""
        if self.confirm_box is not None:
            self.confirm_box.close()
        box = QMessageBox(QMessageBox.Icon.Question, "Event Deliveries", text,
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName(f"confirm_{name}")
        box.setInformativeText(detail)
        box.button(QMessageBox.StandardButton.Ok).setText(accept_text)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        ok = box.button(QMessageBox.StandardButton.Ok)
        box.finished.connect(lambda _result: self._on_confirm_box_finished(box, box.clickedButton() is ok, on_accept))
        self.confirm_box = box
        box.open()

    def _on_confirm_box_finished(self, box: QMessageBox, accepted: bool, on_accept) -> None:
        if self.confirm_box is box:
            self.confirm_box = None
        box.deleteLater()
        if accepted:
            on_accept()

    def _on_copy_action_triggered(self) -> None:
        ids = [item["eventId"] for item in self.selected_items()]
        if not ids:
            return
        QGuiApplication.clipboard().setText("\n".join(ids))
        self._set_status(f"Copied event ID {ids[0]}" if len(ids) == 1 else f"Copied {len(ids)} event IDs")

    def _on_export_action_triggered(self) -> None:
        from emswebhook_gui.gui.deliveries import export_dialog as export_dialog
        from emswebhook_gui.gui.widgets.actions import alive

        self.export_chooser = export_dialog.choose_file(self, alive(self, self.export_to))

    def export_to(self, path: str):
        """Export the current filter's notifications to ``path`` (export_dialog.py)."""
        from emswebhook_gui.gui.deliveries.export_dialog import ExportRun

        self.export_run = ExportRun(self.bridge, self, self.filters.filters(), path)
        return self.export_run

    def _on_refresh_action_triggered(self) -> None:
        self.model.refresh()
        self._recount()

    def _on_table_context_menu_requested(self, position: QPoint) -> None:
        menu = QMenu(self)
        for act in (self.retry_action, self.mark_action, self.copy_action, None,
                    self.retry_all_action, self.mark_all_action):
            menu.addSeparator() if act is None else menu.addAction(act)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.table.viewport().mapToGlobal(position))

    # -- the search and its live updates ----------------------------------------------------------------

    def _on_filters_filters_changed(self, filters: dict) -> None:
        self._search(filters)

    def _search(self, filters: dict) -> None:
        self._started = True
        self._count_generation += 1  # a count still running is for the old filters
        self._count = None
        self.count_label.setText("Searching…")
        self.model.set_filters(filters)
        self._update_actions()

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
        self._update_actions()
        self._count = None
        self.count_label.setText("Counting…")
        self._count_timer.start(COUNT_DELAY_MS)  # after the rows are painted: a count may scan

    def _on_model_error(self, message: str) -> None:
        self._set_status(f"Search failed: {message}", error=True)
        self._update_empty_state()

    def _on_model_refresh_about_to_apply(self) -> None:
        self.table.remember_anchor(self.model.event_id)

    def _on_model_refresh_applied(self) -> None:
        self.table.restore_anchor(self.model.row_of)
        self._update_empty_state()
        self._update_actions()
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
        self._update_actions()

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
            self._recount()

    def _on_table_selection_changed(self, _selected, _deselected) -> None:
        self._update_actions()

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._in_reset and not current.isValid():
            return  # the table is being replaced; the same row is selected again afterwards
        self.details.show_event(self.model.event_id(current.row()) if current.isValid() else None)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def select_event(self, event_id: str) -> bool:
        """Make this notification the current, selected row; False when it is not loaded."""
        row = self.model.row_of(event_id)
        if row >= 0:
            self._select_row(row)
            self.table.scrollTo(self.model.index(row, 0))
        return row >= 0

    # -- counts, empty state, status line ----------------------------------------------------------------

    def _on_count_timer_timeout(self) -> None:
        self._recount()

    def _recount(self) -> None:
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
        word = STATUS_WORDS.get(self.model.filters.get("status"), "")
        text = plural(self._count, f"{word} notification".strip())
        loaded = self.model.rowCount()
        if loaded < self._count:
            text += f" · {loaded:,} loaded"
        self.count_label.setText(text)

    def _update_empty_state(self) -> None:
        empty = self.model.searched and self.model.rowCount() == 0
        if empty:
            title, hint = self._empty_texts()
            text, base = (self.palette().color(role) for role in (QPalette.ColorRole.Text, QPalette.ColorRole.Base))
            muted = QColor((text.red() + base.red()) // 2, (text.green() + base.green()) // 2,
                           (text.blue() + base.blue()) // 2).name()  # rich text has no alpha: mix
            self.empty_label.setText(f"<p style='font-size:13pt'>{title}</p><p style='color:{muted}'>{hint}</p>")
            self._place_empty_label()
        self.empty_label.setVisible(empty)

    def _empty_texts(self) -> tuple[str, str]:
        error = self.model.error
        if error:
            return "Cannot search", _escape(error)
        status = self.model.filters.get("status")
        scope = self.filters.describe()
        if scope:
            word = STATUS_WORDS.get(status, "")
            return (f"No {word + ' ' if word else ''}notifications match these filters",
                    _escape(f"Filters: {scope}. Reset them to see more."))
        if status == FAILED:
            return ("No failed notifications — all deliveries succeeded",
                    "Notifications whose automatic attempts all fail appear here, to retry or close.")
        if status == IN_PROGRESS:
            return ("Nothing in progress", "No delivery is waiting for a first attempt or an automatic retry.")
        if status == SUCCESSFUL:
            return "No successful notifications yet", "Delivered notifications appear here."
        return ("No notifications yet",
                "A notification appears here when an event occurs that an enabled webhook subscribes to.")

    def _place_empty_label(self) -> None:
        viewport = self.table.viewport().rect()
        self.empty_label.setGeometry(viewport.adjusted(24, 16, -24, -16))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._place_empty_label()
        return super().eventFilter(watched, event)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setStyleSheet("color: #b3261e;" if error else "")
        self.status_label.setText(text)
        self.status_label.setToolTip(text if len(text) > 80 else "")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
