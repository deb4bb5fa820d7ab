"""The "Send test event" dialog: choose the activity and the entity state of the sample
occurrence, then publish it to the one webhook.

The state starts as the catalogue's sample for the webhook's event (``samples``), pretty-printed;
"Reset to sample" brings it back after edits. The edited text goes to the service as it is and is
judged by the publish rules, like any occurrence: invalid JSON comes back as a ``currentState``
field error whose message names the line and column, and the cursor is put there. The activities
offered are those the webhook listens to (all of the event's when it filters none), so the
activity filter never drops the test. Closing with edits asks first (``GuardedDialog``).
"""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui import catalog, samples
from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.fields import FieldErrorLabel, FieldErrors, field_box
from emswebhook_gui.gui.widgets.guarded_dialog import GuardedDialog
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SECTION_SPACING, SPACING, Banner, grow_to_fit

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

_WHERE = re.compile(r"line (\d+) column (\d+)")


def sample_text(event_name: str) -> str:
    return json.dumps(samples.sample_state(catalog.get_event(event_name)), indent=2, ensure_ascii=False)


class SendTestEventDialog(GuardedDialog):
    sig_sent = Signal(list)
    """The occurrence was published; carries its eventIds (empty: the webhook admitted none)."""

    discard_text = "The edited test event is not sent."

    def __init__(self, bridge: "ServiceBridge", webhook: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._webhook = webhook
        self.setObjectName("testEventDialog")
        self.setWindowTitle(f"Send Test Event — {webhook['name']}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(600)
        event = catalog.get_event(webhook["event"])

        self.intro = QLabel(
            f"Publishes one occurrence of {webhook['event']} to '{webhook['name']}' only. The state "
            f"is the catalogue's sample for {event.entity}; edit it to try the trigger condition or "
            "the receiver.")
        self.intro.setWordWrap(True)
        self.form_error = Banner()
        self.errors = FieldErrors(self.form_error)
        self.activity_combo = QComboBox()
        self.activity_combo.addItems(list(webhook.get("activities") or event.activities))
        self.state_edit = QPlainTextEdit()
        self.state_edit.setObjectName("testState")
        self.state_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.state_edit.setTabChangesFocus(True)
        self.state_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.state_edit.setMinimumHeight(self.state_edit.fontMetrics().lineSpacing() * 14)
        self.state_edit.setPlainText(sample_text(webhook["event"]))
        self.reset_button = QPushButton("Reset to sample")
        self.reset_button.setToolTip(f"Put back the catalogue's sample {event.entity} state")
        self.reset_button.setAutoDefault(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = self.buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setIcon(icon("send"))
        self.guard_buttons(self.send_button, self.buttons.button(QDialogButtonBox.StandardButton.Cancel))
        self._build_layout()

        self.reset_button.clicked.connect(self._on_reset_button_clicked)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.mark_clean()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(SPACING)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        activity_error = FieldErrorLabel()
        self.errors.register("activity", self.activity_combo, activity_error, "Activity")
        form.addRow("Activity", field_box(self.activity_combo, activity_error))
        state = QWidget()
        state_layout = QVBoxLayout(state)
        state_layout.setContentsMargins(0, 0, 0, 0)
        state_layout.setSpacing(4)
        state_layout.addWidget(self.state_edit)
        reset_row = QHBoxLayout()
        reset_row.addWidget(self.reset_button)
        reset_row.addStretch(1)
        state_layout.addLayout(reset_row)
        state_error = FieldErrorLabel()
        self.errors.register("currentState", self.state_edit, state_error, "Current state")
        form.addRow("Current state", field_box(state, state_error, "JSON: the entity state after the event"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SECTION_SPACING + 4, SECTION_SPACING + 4, SECTION_SPACING + 4, SECTION_SPACING)
        layout.setSpacing(SPACING)
        layout.addWidget(self.intro)
        layout.addLayout(form, 1)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        grow_to_fit(self)

    def _snapshot(self) -> tuple[str, str]:
        return self.activity_combo.currentText(), self.state_edit.toPlainText()

    def _on_reset_button_clicked(self) -> None:
        self.state_edit.setPlainText(sample_text(self._webhook["event"]))
        self.errors.clear()

    def _on_buttons_accepted(self) -> None:
        if not self.send_button.isEnabled():
            return
        self.errors.clear()
        self.remember_focus()
        self.send_button.setEnabled(False)
        call = functools.partial(self._bridge.service.send_test_event, self._webhook["id"],
                                 self.state_edit.toPlainText(), activity=self.activity_combo.currentText() or None)
        self._bridge.run(call, alive(self, self._on_send_finished), alive(self, self._on_send_failed))

    def _on_send_finished(self, event_ids: list[str]) -> None:
        self.sig_sent.emit(event_ids)
        self.accept()

    def _on_send_failed(self, exc: Exception) -> None:
        self.send_button.setEnabled(True)
        self.errors.show(exc)
        grow_to_fit(self)
        self.restore_focus(self.errors.first_error())
        where = _WHERE.search(self.errors.message("currentState"))
        if where:
            self._put_cursor(int(where.group(1)), int(where.group(2)))

    def _put_cursor(self, line: int, column: int) -> None:
        block = self.state_edit.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor,
                            min(column - 1, block.length() - 1))
        self.state_edit.setTextCursor(cursor)
