"""The add/edit dialog of a webhook: every attribute of the source's "Webhook Attributes" table.

The form checks only that the required fields are filled (to enable Save); every rule is the
service's, and its field errors are shown under the fields they name, with nothing changed, and
the focus on the first of them. Closing with changes asks first (``GuardedDialog``).
Open it with ``open()``: it never runs a nested event loop, which qasync cannot survive.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui import catalog
from emswebhook_gui.gui.webhooks.event_pickers import ActivityPicker, EventCombo
from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.fields import FieldErrorLabel, FieldErrors, field_box
from emswebhook_gui.gui.widgets.guarded_dialog import GuardedDialog
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SECTION_SPACING, SPACING, Banner, grow_to_fit

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

CONDITION_EVENTS = ", ".join(e.name for e in catalog.events() if e.allows_conditions)
NO_CONDITION = "None: every occurrence of the event (and of the checked activities) triggers the webhook."


def _row_widget(*widgets: QWidget, stretch_first: bool = True) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(SPACING)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if (i == 0 and stretch_first) else 0)
    return row


class WebhookForm(GuardedDialog):
    sig_saved = Signal(dict)
    """The webhook was created or updated; carries the service's webhook dict."""

    def __init__(self, bridge: "ServiceBridge", webhook: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._webhook = webhook
        self._busy = False
        self._wanted_profile: str | None = webhook["authProfile"] if webhook else None
        self.setObjectName("webhookForm")
        self.setWindowTitle(f"Edit Webhook — {webhook['name']}" if webhook else "Add Webhook")
        self.discard_text = "The changes to this webhook are not saved." if webhook else "This webhook is not saved."
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(640)

        self.form_error = Banner()
        self.errors = FieldErrors(self.form_error)
        self.event_combo = EventCombo()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Unique name, e.g. CRM — new entitlements")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://hooks.example.com/ems")
        self.profile_combo = QComboBox()
        self.profile_combo.setPlaceholderText("Choose a profile")
        self.profile_combo.setMinimumContentsLength(20)
        self.add_profile_button = QPushButton(icon("add"), "Add authentication profile…")
        self.add_profile_button.setToolTip("Create a profile; it is selected here once saved")
        self.activity_picker = ActivityPicker()
        self.activity_list = self.activity_picker.list
        self.activities_hint = self.activity_picker.hint_label
        self.condition_edit = QPlainTextEdit()
        self.condition_edit.setReadOnly(True)
        self.condition_edit.setPlaceholderText(NO_CONDITION)
        self.condition_edit.setTabChangesFocus(True)
        self.condition_edit.setFixedHeight(self.condition_edit.fontMetrics().lineSpacing() * 2 + 14)
        self.condition_button = QPushButton(icon("edit"), "Manage Trigger Conditions…")
        self.clear_condition_button = QPushButton(icon("delete"), "Clear")
        self.clear_condition_button.setToolTip("Remove the trigger condition")
        for button in (self.add_profile_button, self.condition_button, self.clear_condition_button):
            button.setAutoDefault(False)  # Enter means Save
        self.description_edit = QPlainTextEdit()
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setPlaceholderText("Optional: what this webhook is for")
        self.description_edit.setFixedHeight(self.description_edit.fontMetrics().lineSpacing() * 2 + 14)
        self.include_data_check = QCheckBox("Include Data")
        self.include_data_check.setToolTip("Send the entity's current and previous state with each notification")
        self.enabled_check = QCheckBox("Enable Webhook")
        self.enabled_check.setToolTip("A disabled webhook receives nothing until enabled again")

        self._build_layout()
        self._load(webhook)
        self.event_combo.sig_event_changed.connect(self._on_event_combo_event_changed)
        for edit in (self.name_edit, self.url_edit):
            edit.textChanged.connect(self._update_buttons)
        self.profile_combo.currentIndexChanged.connect(self._update_buttons)
        self.condition_edit.textChanged.connect(self._update_buttons)
        self.activity_picker.sig_selection_changed.connect(self._on_activity_picker_selection_changed)
        self.add_profile_button.clicked.connect(self._on_add_profile_button_clicked)
        self.condition_button.clicked.connect(self._on_condition_button_clicked)
        self.clear_condition_button.clicked.connect(self.condition_edit.clear)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        bridge.sig_profiles_changed.connect(self._reload_profiles)
        self._reload_profiles()
        self._update_buttons()
        self.mark_clean()

    # -- layout --------------------------------------------------------------------------------

    def _row(self, form: QFormLayout, title: str, attribute: str, field: QWidget, shown: QWidget | None = None,
             hint: str | None = None) -> None:
        """``field`` gets the error style; ``shown`` (default: the field) goes into the form."""
        label = FieldErrorLabel()
        self.errors.register(attribute, field, label, title)
        form.addRow(title, field_box(shown or field, label, hint))

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(SPACING + 2)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._row(form, "Event", "event", self.event_combo)
        self._row(form, "Name", "name", self.name_edit)
        self._row(form, "Endpoint URL", "endpointUrl", self.url_edit)
        self._row(form, "Authentication Profile", "authProfile", self.profile_combo,
                  _row_widget(self.profile_combo, self.add_profile_button))
        self._row(form, "Filter Activities", "activities", self.activity_list, self.activity_picker)
        condition = QWidget()
        condition_layout = QVBoxLayout(condition)
        condition_layout.setContentsMargins(0, 0, 0, 0)
        condition_layout.setSpacing(4)
        condition_layout.addWidget(self.condition_edit)
        buttons = _row_widget(self.condition_button, self.clear_condition_button, stretch_first=False)
        buttons.layout().addStretch(1)
        condition_layout.addWidget(buttons)
        self._row(form, "Trigger Conditions", "triggerCondition", self.condition_edit, condition,
                  hint=f"Available for {CONDITION_EVENTS}. With activities checked too, both must match.")
        self._row(form, "Description", "description", self.description_edit)
        checks = _row_widget(self.include_data_check, self.enabled_check, stretch_first=False)
        checks.layout().setSpacing(SECTION_SPACING + 8)
        checks.layout().addStretch(1)
        checks_error = FieldErrorLabel()
        self.errors.register("includeData", self.include_data_check, checks_error, "Include Data")
        self.errors.register("enabled", self.enabled_check, checks_error, "Enable Webhook")
        form.addRow("", field_box(checks, checks_error))

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.guard_buttons(self.save_button, self.buttons.button(QDialogButtonBox.StandardButton.Cancel))
        self.save_button.setToolTip("Event, Name, Endpoint URL and Authentication Profile are required")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SECTION_SPACING + 4, SECTION_SPACING + 4, SECTION_SPACING + 4, SECTION_SPACING)
        layout.setSpacing(SPACING)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addSpacing(SPACING)
        layout.addWidget(self.buttons)

    def _load(self, webhook: dict | None) -> None:
        webhook = webhook or {"includeData": True, "enabled": True}
        if webhook.get("event"):
            self.event_combo.set_event_name(webhook["event"])
        self._on_event_combo_event_changed(self.event_combo.event_name(), webhook.get("activities") or [])
        self.name_edit.setText(webhook.get("name") or "")
        self.url_edit.setText(webhook.get("endpointUrl") or "")
        self.condition_edit.setPlainText(webhook.get("triggerCondition") or "")
        self.description_edit.setPlainText(webhook.get("description") or "")
        self.include_data_check.setChecked(bool(webhook.get("includeData", True)))
        self.enabled_check.setChecked(bool(webhook.get("enabled", True)))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        grow_to_fit(self)

    # -- state ---------------------------------------------------------------------------------

    def values(self) -> dict:
        """The form as the service's attributes (a full set: saving an edit writes them all)."""
        return {
            "event": self.event_combo.event_name() or self.event_combo.currentText().strip(),
            "name": self.name_edit.text(),
            "endpointUrl": self.url_edit.text().strip(),
            "authProfile": self.profile_combo.currentText() or None,
            "activities": self.activity_list.checked(),
            "triggerCondition": self.condition_edit.toPlainText().strip() or None,
            "description": self.description_edit.toPlainText() or None,
            "includeData": self.include_data_check.isChecked(),
            "enabled": self.enabled_check.isChecked(),
        }

    def _snapshot(self) -> dict:
        """The values, with the profile still to be selected once the profiles are loaded."""
        return {**self.values(), "authProfile": self._wanted_profile or self.profile_combo.currentText()}

    def _update_buttons(self, *_args) -> None:
        coherent = all((self.event_combo.event_name(), self.name_edit.text().strip(),
                        self.url_edit.text().strip(), self.profile_combo.currentIndex() >= 0))
        self.save_button.setEnabled(coherent and not self._busy)
        event = catalog.get_event(self.event_combo.event_name())
        self.condition_button.setEnabled(bool(event and event.allows_conditions))
        self.condition_button.setToolTip(
            "Build the condition that an occurrence must meet" if self.condition_button.isEnabled()
            else f"Trigger conditions are available only for {CONDITION_EVENTS}")
        self.clear_condition_button.setEnabled(bool(self.condition_edit.toPlainText().strip()))

    def _on_event_combo_event_changed(self, name: str, checked: list[str] | None = None) -> None:
        event = catalog.get_event(name)
        self.activity_picker.set_activities(event.activities if event else (), checked or ())
        self.activity_picker.setEnabled(event is not None)
        self._update_buttons()
        if self.isVisible():
            grow_to_fit(self)

    def _on_activity_picker_selection_changed(self) -> None:
        if self.isVisible():
            grow_to_fit(self)  # the hint may wrap onto another line

    def _reload_profiles(self) -> None:
        self._bridge.run(self._bridge.service.list_profiles, alive(self, self._on_profiles_loaded),
                         alive(self, self.errors.show))

    def _on_profiles_loaded(self, profiles: list[dict]) -> None:
        current = self._wanted_profile or self.profile_combo.currentText()
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        for profile in profiles:
            kind = "OAuth 2.0" if profile["type"] == "oauth" else "Basic"
            self.profile_combo.addItem(profile["name"], profile["id"])
            self.profile_combo.setItemData(self.profile_combo.count() - 1, f"{kind} profile",
                                           Qt.ItemDataRole.ToolTipRole)
        self.profile_combo.setCurrentIndex(self.profile_combo.findText(current) if current else -1)
        self.profile_combo.blockSignals(False)
        if self.profile_combo.currentIndex() >= 0:
            self._wanted_profile = None
        self._update_buttons()

    # -- actions -------------------------------------------------------------------------------

    def _on_add_profile_button_clicked(self) -> None:
        from emswebhook_gui.gui.profiles.form import ProfileForm

        self.profile_form = ProfileForm(self._bridge, None, self)
        self.profile_form.sig_saved.connect(alive(self, self._on_profile_form_saved))
        self.profile_form.open()

    def _on_profile_form_saved(self, profile: dict) -> None:
        self._wanted_profile = profile["name"]
        self._reload_profiles()

    def _on_condition_button_clicked(self) -> None:
        from emswebhook_gui.gui.conditions.dialog import ConditionDialog  # the builder is heavy

        expression = self.condition_edit.toPlainText().strip() or None
        self.condition_dialog = ConditionDialog(self.event_combo.event_name(), expression, self)
        self.condition_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.condition_dialog.sig_saved.connect(alive(self, self._on_condition_dialog_saved))
        self.condition_dialog.open()

    def _on_condition_dialog_saved(self, expression: str) -> None:
        self.condition_edit.setPlainText(expression)

    def _on_buttons_accepted(self) -> None:
        if not self.save_button.isEnabled():
            return
        service = self._bridge.service
        values = self.values()
        call = (functools.partial(service.update_webhook, self._webhook["id"], values) if self._webhook
                else functools.partial(service.create_webhook, values))
        self.remember_focus()
        self._set_busy(True)
        self._bridge.run(call, alive(self, self._on_save_finished), alive(self, self._on_save_failed))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()
        self._update_buttons()

    def _on_save_finished(self, webhook: dict) -> None:
        self.sig_saved.emit(webhook)
        self.accept()

    def _on_save_failed(self, exc: Exception) -> None:
        self._set_busy(False)
        self.errors.show(exc)
        grow_to_fit(self)
        self.restore_focus(self.errors.first_error())
