"""The Webhooks page: the list of webhooks with their last delivery, add/edit/enable/delete,
"Send test event" (a dialog to choose the activity and edit the sample state: ``test_event``),
and the selected webhook's details with its trigger condition.

The page refreshes itself from the bridge's broadcasts (throttled): the list on webhook and
profile changes, the "Last Delivery" column on notification changes: each webhook's newest
notification, and how many of its notifications are failing (FAILED, or retrying after a failed
attempt: ``service.failing_counts``, one GROUP BY over the open statuses). Every action is a
service call run through ``bridge.run``; the outcome is shown in the banner at the top.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QSplitter, QWidget
from superqt.utils import qthrottled

from emswebhook_gui.gui.webhooks.table_model import WebhookTableModel, last_delivery_text
from emswebhook_gui.gui.widgets.actions import CopyButton, alive, confirm, make_action
from emswebhook_gui.gui.widgets.layout import SPACING
from emswebhook_gui.gui.widgets.record_list import RecordListPage
from emswebhook_gui.gui.widgets.tables import table_shortcuts

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

EMPTY_TEXT = (
    "No webhooks yet. A webhook sends a JSON notification to your endpoint each time a licensing "
    "event happens, such as an entitlement being added or an activation being updated."
)


class WebhooksPage(RecordListPage):
    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._generation = 0
        self._set_up_table(WebhookTableModel(self), "webhooksTable", (160, 140, 190, 100, 64, 150))

        self._create_actions()
        self._build_layout()

        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.model.dataChanged.connect(self._on_model_data_changed)
        self._list_throttle = qthrottled(self.refresh, 100, leading=False, parent=self)
        self._last_throttle = qthrottled(self.refresh_last_deliveries, 1000, leading=False, parent=self)
        bridge.sig_webhooks_changed.connect(self._list_throttle.throttle)  # its slot: dies with the page
        bridge.sig_profiles_changed.connect(self._list_throttle.throttle)
        bridge.sig_notifications_changed.connect(self._last_throttle.throttle)
        self._update_actions()
        self.refresh()

    # -- construction --------------------------------------------------------------------------

    def _create_actions(self) -> None:
        self.add_action = make_action(self, "add", "Add", "Add a webhook", self._on_add_action_triggered,
                                       QKeySequence.StandardKey.New)
        self.edit_action = make_action(self, "edit", "Edit", "Edit the selected webhook (Enter, double-click)",
                                        self._on_edit_action_triggered)
        self.toggle_action = make_action(self, "power", "Disable", "Stop or resume deliveries to the selected webhook",
                                          self._on_toggle_action_triggered, "Ctrl+E")
        self.delete_action = make_action(self, "delete", "Delete", "Delete the selected webhook (Del)",
                                          self._on_delete_action_triggered)
        self.test_action = make_action(self, "send", "Send test event",
                                        "Publish a realistic sample occurrence, as is or edited, to the selected "
                                        "webhook only",
                                        self._on_test_action_triggered, "Ctrl+T")
        table_shortcuts(self.table, self._on_edit_action_triggered, self._on_delete_action_triggered)

    def _build_layout(self) -> None:
        self.details = self._build_details()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        actions = [(self.add_action, self.edit_action, self.toggle_action, self.delete_action), (self.test_action,)]
        self._build_list_layout("webhooks", actions, splitter, EMPTY_TEXT, "Add Webhook",
                                self._on_add_action_triggered)

    def _build_details(self) -> QGroupBox:
        box = QGroupBox("Selected webhook")
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.condition_view = QPlainTextEdit()
        self.condition_view.setObjectName("conditionView")
        self.condition_view.setReadOnly(True)
        self.condition_view.setPlaceholderText("No trigger condition")
        self.condition_view.setFixedHeight(self.condition_view.fontMetrics().lineSpacing() * 3 + 14)
        self.copy_condition_button = CopyButton(self.condition_view.toPlainText)
        self.copy_condition_button.setToolTip("Copy the trigger condition expression")
        condition_row = QHBoxLayout()
        condition_row.setSpacing(SPACING)
        condition_row.addWidget(self.condition_view, 1)
        condition_row.addWidget(self.copy_condition_button, 0, Qt.AlignmentFlag.AlignTop)
        form = QFormLayout(box)
        form.setContentsMargins(12, 12, 12, 12)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(SPACING)
        form.addRow("Details", self.details_label)
        form.addRow("Trigger condition", condition_row)
        return box

    # -- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the list, then each webhook's last delivery; a newer refresh wins."""
        self._generation += 1
        generation = self._generation
        self._bridge.run(self._bridge.service.list_webhooks,
                         alive(self, lambda webhooks: self._on_webhooks_loaded(generation, webhooks)))

    def refresh_last_deliveries(self) -> None:
        ids = [record["id"] for record in self.model.records()]
        if ids:
            self._bridge.run(functools.partial(self._fetch_last_deliveries, ids),
                             alive(self, lambda found: self.model.set_last_deliveries(*found)))

    async def _fetch_last_deliveries(self, ids: list[str]) -> tuple[dict[str, dict | None], dict[str, int]]:
        result = {}
        for webhook_id in ids:
            found = await self._bridge.service.search_notifications({"webhook": webhook_id}, limit=1)
            result[webhook_id] = found["items"][0] if found["items"] else None
        return result, await self._bridge.service.failing_counts()

    def _on_webhooks_loaded(self, generation: int, webhooks: list[dict]) -> None:
        if generation != self._generation:
            return
        selected = self.selected_id()
        self.model.set_records(webhooks)
        self.stack.setCurrentWidget(self.empty_state if not webhooks else self.stack.widget(0))
        if not (selected and self.select(selected)) and webhooks:
            self.table.selectRow(0)  # the details area always shows something
        self._update_details()
        self._update_actions()
        self.refresh_last_deliveries()

    # -- selection -----------------------------------------------------------------------------

    selected_webhook = RecordListPage.selected_record

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_details()
        self._update_actions()

    def _on_model_data_changed(self, *_args) -> None:
        self._update_details()

    def _update_actions(self) -> None:
        webhook = self.selected_webhook()
        for action in (self.edit_action, self.toggle_action, self.delete_action, self.test_action):
            action.setEnabled(webhook is not None)
        self.toggle_action.setText("Enable" if webhook and not webhook["enabled"] else "Disable")

    def _update_details(self) -> None:
        webhook = self.selected_webhook()
        self.details.setEnabled(webhook is not None)
        if webhook is None:
            self.details_label.setText("Select a webhook to see its details.")
            self.condition_view.clear()
            self.copy_condition_button.setEnabled(False)
            return
        activities = ", ".join(webhook["activities"]) or "all activities"
        lines = [f"<b>{_html(webhook['name'])}</b> — {_html(webhook['event'])} ({_html(activities)})",
                 f"Include data: {'yes' if webhook['includeData'] else 'no'} · "
                 f"Enabled: {'yes' if webhook['enabled'] else 'no'} · "
                 f"Last delivery: {_html(last_delivery_text(webhook, short=False))}"]
        if webhook.get("description"):
            lines.append(_html(webhook["description"]))
        self.details_label.setText("<br>".join(lines))
        self.condition_view.setPlainText(webhook.get("triggerCondition") or "")
        self.copy_condition_button.setEnabled(bool(webhook.get("triggerCondition")))

    # -- actions -------------------------------------------------------------------------------

    def _open_form(self, webhook: dict | None) -> None:
        from emswebhook_gui.gui.webhooks.form import WebhookForm

        self.form = WebhookForm(self._bridge, webhook, self)
        self.form.sig_saved.connect(alive(self, self._on_form_saved))
        self.form.open()

    def _on_add_action_triggered(self) -> None:
        self._open_form(None)

    def _on_edit_action_triggered(self) -> None:
        webhook = self.selected_webhook()
        if webhook is not None:
            self._open_form(webhook)

    def _on_form_saved(self, webhook: dict) -> None:
        self.banner.show_message(f"Saved webhook '{webhook['name']}'.", "success")
        self._pending_select = webhook["id"]
        self._bridge.run(self._bridge.service.list_webhooks, alive(self, self._on_saved_list_loaded))

    def _on_saved_list_loaded(self, webhooks: list[dict]) -> None:
        self._generation += 1
        self._on_webhooks_loaded(self._generation, webhooks)
        self.select(self._pending_select)

    def _on_toggle_action_triggered(self) -> None:
        webhook = self.selected_webhook()
        if webhook is None:
            return
        enable = not webhook["enabled"]
        self._bridge.run(functools.partial(self._bridge.service.set_webhook_enabled, webhook["id"], enable),
                         alive(self, lambda w: self.banner.show_message(
                             f"{'Enabled' if w['enabled'] else 'Disabled'} webhook '{w['name']}'.", "success")),
                         alive(self, self._on_action_failed))

    def _on_delete_action_triggered(self) -> None:
        webhook = self.selected_webhook()
        if webhook is None:
            return
        self.confirm_box = confirm(
            self, "Delete webhook?",
            f"Delete the webhook '{webhook['name']}'? It stops receiving notifications at once; "
            "its delivery history stays searchable in Event Deliveries.",
            "Delete", lambda: self._delete(webhook))

    def _delete(self, webhook: dict) -> None:
        self._bridge.run(functools.partial(self._bridge.service.delete_webhook, webhook["id"]),
                         alive(self, lambda _: self.banner.show_message(
                             f"Deleted webhook '{webhook['name']}'.", "success")),
                         alive(self, self._on_action_failed))

    def _on_test_action_triggered(self) -> None:
        from emswebhook_gui.gui.webhooks.test_event import SendTestEventDialog

        webhook = self.selected_webhook()
        if webhook is None:
            return
        self.test_dialog = SendTestEventDialog(self._bridge, webhook, self)
        self.test_dialog.sig_sent.connect(alive(self, lambda ids: self._on_test_sent(webhook, ids)))
        self.test_dialog.open()

    def _on_test_sent(self, webhook: dict, event_ids: list[str]) -> None:
        self._update_actions()
        if event_ids:
            self.banner.show_message(
                f"Sent: eventId {', '.join(event_ids)} — watch it in Event Deliveries.", "success")
        elif not webhook["enabled"]:
            self.banner.show_message(
                f"Nothing was sent: '{webhook['name']}' is disabled. Enable it, then send the test again.", "error")
        elif webhook.get("triggerCondition"):
            self.banner.show_message(
                f"Nothing was sent: the trigger condition of '{webhook['name']}' does not admit the test "
                f"occurrence ({webhook['triggerCondition']}).", "error")
        else:
            self.banner.show_message(f"Nothing was sent: no notification matched '{webhook['name']}'.", "error")

    def _on_action_failed(self, exc: Exception) -> None:
        self._update_actions()
        self.banner.show_message(str(exc), "error")


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
