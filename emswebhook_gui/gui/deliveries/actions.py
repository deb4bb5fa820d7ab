"""The Event Deliveries page's controller: retry, mark successful, their "all matching" forms,
confirmations, copy and export. The page lays out; this decides and calls the service.

Every service call goes through ``bridge.run``: no slot awaits, and confirmations are non-blocking
message boxes (``open()`` + ``finished``), never ``exec()`` under qasync.

Rules the actions follow (DESIGN section 4): only FAILED notifications can be retried or marked
successful, so those actions are disabled, with a tooltip saying why, for an IN_PROGRESS or
SUCCESSFUL selection; the "all matching" variants act on the FAILED notifications matching the
filters, after a confirmation that shows how many.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from emswebhook_gui.errors import ServiceError
from emswebhook_gui.gui.deliveries.report import FOLLOWED
from emswebhook_gui.gui.deliveries.rows import FAILED, IN_PROGRESS
from emswebhook_gui.rules.filters import NEEDS_ATTENTION
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.wording import plural

if TYPE_CHECKING:
    from emswebhook_gui.gui.deliveries.page import DeliveriesPage


class DeliveryActions(QObject):
    """The page's actions and what they do: see the module doc for the rules they follow."""

    def __init__(self, page: "DeliveriesPage") -> None:
        super().__init__(page)
        self._page = page
        self.confirm_box: QMessageBox | None = None
        """The open confirmation, if any (kept so it is not collected; tests answer it)."""
        self._create_actions(page)
        page.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        page.table.sig_copy_requested.connect(self._on_copy_action_triggered)

    def _create_actions(self, page: QWidget) -> None:
        """Shortcuts apply while focus is on this page (or, for Copy, on the table only)."""

        def action(text: str, qicon: QIcon | None, shortcut, slot, owner: QWidget) -> QAction:
            act = QAction(qicon, text, owner) if qicon is not None else QAction(text, owner)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            owner.addAction(act)
            return act

        self.retry_action = action("Retry", icon("retry"), "Ctrl+R", self._on_retry_action_triggered, page)
        self.retry_all_action = action("Retry all matching…", icon("retry"), "Ctrl+Shift+R",
                                       self._on_retry_all_action_triggered, page)
        self.mark_action = action("Mark successful", icon("check"), "Ctrl+M", self._on_mark_action_triggered, page)
        self.mark_all_action = action("Mark all matching…", icon("check"), "Ctrl+Shift+M",
                                      self._on_mark_all_action_triggered, page)
        self.copy_action = action("Copy event ID", icon("copy"), QKeySequence.StandardKey.Copy,
                                  self._on_copy_action_triggered, self._page.table)
        self.export_action = action("Export…", icon("copy"), "Ctrl+E", self._on_export_action_triggered, page)
        self.export_action.setToolTip("Write the notifications matching the filters to a CSV or NDJSON file")
        self.refresh_action = action("Refresh", None, "F5", self._on_refresh_action_triggered, page)
        self.find_action = action("Find event ID", None, "Ctrl+F", self._page.filters.focus_event_id, page)

    def update(self) -> None:
        """Enable what the selection and the filters allow; each tooltip says why not."""
        items = self._page.selected_items()
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
        status = self._page.model.filters.get("status")
        bulk_ok = status in (None, FAILED, NEEDS_ATTENTION)  # all matching acts on the FAILED ones
        self.retry_all_action.setEnabled(bulk_ok)
        self.mark_all_action.setEnabled(bulk_ok)
        if bulk_ok:
            self.retry_all_action.setToolTip("Retry every failed notification matching the filters (Ctrl+Shift+R)")
            self.mark_all_action.setToolTip(
                "Mark every failed notification matching the filters as successful (Ctrl+Shift+M)")
        else:
            reason = ("only FAILED notifications can be retried or marked successful; set Status to Needs attention, "
                      "Failed or All")
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
        rows = [item for item in self._page.selected_items() if item.get("status") == FAILED]
        if not rows:
            return
        ids = [item["eventId"] for item in rows]
        self._page.model.pin(ids)
        self._page.report.stop()
        self._page.show_status(f"Retrying {plural(len(ids))}…")
        self._page.bridge.run(functools.partial(self._each, ids, "retry"),
                              lambda result: self._on_each_done("retry", result, rows), self._on_action_failed)

    def _on_mark_action_triggered(self) -> None:
        ids = [item["eventId"] for item in self._page.selected_items() if item.get("status") == FAILED]
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
        self._page.model.pin(ids)
        self._page.show_status(f"Marking {plural(len(ids))} as successful…")
        self._page.bridge.run(functools.partial(self._each, ids, "mark"), lambda result: self._on_each_done("mark", result),
                        self._on_action_failed)

    async def _each(self, ids: list[str], what: str) -> tuple[int, list[str]]:
        """Act on each selected notification; one refusal (e.g. it went IN_PROGRESS meanwhile)
        does not stop the others."""
        service = self._page.bridge.service
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

    def _on_each_done(self, what: str, result: tuple[int, list[str]], rows: list[dict] | None = None) -> None:
        """Say what was done; a retry then reports how it went (report.py) on the rows it followed."""
        done, refused = result
        message = f"Retrying {plural(done)}" if what == "retry" else f"Marked {plural(done)} as successful"
        if refused:
            more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
            message = (f"{message}; refused: {refused[0]}{more}" if done else f"Refused: {refused[0]}{more}")
        self._page.show_status(message, error=bool(refused))
        if what == "retry" and done and rows and not refused:
            self._page.report.follow(rows, done)
        self._page.model.refresh()

    def _loaded_failed(self) -> list[dict]:
        """The FAILED rows on screen: an "all matching" action keeps them in the table (pinned), as
        the single-row actions do, so every action leaves the view the same way."""
        model = self._page.model
        return [item for row in range(model.rowCount())
                if (item := model.item(row)) is not None and item.get("status") == FAILED]

    def _on_retry_all_action_triggered(self) -> None:
        self._count_then_confirm("retry")

    def _on_mark_all_action_triggered(self) -> None:
        self._count_then_confirm("mark")

    def _count_then_confirm(self, what: str) -> None:
        filters = {**self._page.model.filters, "status": FAILED}
        self._page.show_status("Counting the failed notifications that match…")
        self._page.bridge.run(functools.partial(self._page.bridge.service.count_notifications, filters),
                        lambda count: self._on_bulk_counted(what, filters, count), self._on_action_failed)

    def _on_bulk_counted(self, what: str, filters: dict, count: int) -> None:
        scope = self._page.filters.describe()
        scope_text = f" ({scope})" if scope else ""
        if count == 0:
            verb = "retry" if what == "retry" else "mark successful"
            self._page.show_status(f"No failed notifications match the filters{scope_text}: nothing to {verb}")
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
        self._page.show_status("")

    def _on_bulk_confirmed(self, what: str, filters: dict) -> None:
        service = self._page.bridge.service
        shown = self._loaded_failed()[:FOLLOWED]
        self._page.model.pin([item["eventId"] for item in shown])
        self._page.report.stop()
        if what == "retry":
            self._page.show_status("Retrying the failed notifications that match…")
            work = functools.partial(service.retry_notifications, filters=filters)
            done = lambda count: self._on_each_done("retry", (count, []), shown)  # noqa: E731
        else:
            self._page.show_status("Marking the failed notifications that match as successful…")
            work = functools.partial(service.mark_successful, filters=filters)
            done = lambda count: self._on_each_done("mark", (count, []))  # noqa: E731
        self._page.bridge.run(work, done, self._on_action_failed)

    def _on_action_failed(self, error: Exception) -> None:
        self._page.show_status(str(error), error=True)
        self._page.model.refresh()  # what was done before the failure shows

    def _confirm(self, name: str, text: str, detail: str, accept_text: str, on_accept) -> None:
        """A non-blocking confirmation (``open()`` + ``finished``; no nested loop under qasync)."""
        if self.confirm_box is not None:
            self.confirm_box.close()
        box = QMessageBox(QMessageBox.Icon.Question, "Event Deliveries", text,
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self._page)
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
        ids = [item["eventId"] for item in self._page.selected_items()]
        if not ids:
            return
        QGuiApplication.clipboard().setText("\n".join(ids))
        self._page.show_status(f"Copied event ID {ids[0]}" if len(ids) == 1 else f"Copied {len(ids)} event IDs")

    def _on_export_action_triggered(self) -> None:
        from emswebhook_gui.gui.deliveries import export_dialog as export_dialog
        from emswebhook_gui.gui.widgets.actions import alive

        self.export_chooser = export_dialog.choose_file(self._page, alive(self._page, self.export_to))

    def export_to(self, path: str):
        """Export the current filter's notifications to ``path`` (export_dialog.py)."""
        from emswebhook_gui.gui.deliveries.export_dialog import ExportRun

        self.export_run = ExportRun(self._page.bridge, self._page, self._page.filters.filters(), path)
        return self.export_run

    def _on_refresh_action_triggered(self) -> None:
        self._page.model.refresh()
        self._page.recount()

    def _on_table_context_menu_requested(self, position: QPoint) -> None:
        menu = QMenu(self._page)
        for act in (self.retry_action, self.mark_action, self.copy_action, None,
                    self.retry_all_action, self.mark_all_action):
            menu.addSeparator() if act is None else menu.addAction(act)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self._page.table.viewport().mapToGlobal(position))
