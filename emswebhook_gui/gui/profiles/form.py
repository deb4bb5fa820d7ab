"""The add/edit dialog of an authentication profile: Basic (username, password) or OAuth 2.0
client credentials (token URL, client ID, client secret, scope, audience), with "Test token" for
OAuth (the form's current values; ``token_test``).

Secrets are typed into password fields and handed to the service once; the form never receives
them back. Editing starts with empty secret fields, which mean "keep the stored secret".
A refused Save puts the focus on the first field in error; closing with changes asks first
(``GuardedDialog``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.gui.profiles.token_test import TEST_TOKEN, TESTING, TokenTestResult
from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.fields import FieldErrorLabel, FieldErrors, field_box
from emswebhook_gui.gui.widgets.guarded_dialog import GuardedDialog
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SECTION_SPACING, SPACING, Banner, grow_to_fit

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

TYPE_TITLES = {"basic": "Basic", "oauth": "OAuth 2.0 client credentials"}


class ProfileForm(GuardedDialog):
    sig_saved = Signal(dict)
    """The profile was created or updated; carries the service's profile dict (no secret)."""

    def __init__(self, bridge: "ServiceBridge", profile: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._profile = profile
        self._busy = False
        self.setObjectName("profileForm")
        self.setWindowTitle("Edit Authentication Profile" if profile else "Add Authentication Profile")
        self.discard_text = ("The changes to this authentication profile are not saved." if profile
                             else "This authentication profile is not saved.")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(520)

        self.form_error = Banner()
        self.errors = FieldErrors(self.form_error)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. CRM integration")
        self.basic_radio = QRadioButton(TYPE_TITLES["basic"])
        self.oauth_radio = QRadioButton(TYPE_TITLES["oauth"])
        self.type_group = QButtonGroup(self)
        self.type_group.addButton(self.basic_radio)
        self.type_group.addButton(self.oauth_radio)
        self.username_edit = QLineEdit()
        self.password_edit = self._secret_edit()
        self.token_url_edit = QLineEdit()
        self.token_url_edit.setPlaceholderText("https://login.example.com/oauth2/token")
        self.client_id_edit = QLineEdit()
        self.client_secret_edit = self._secret_edit()
        self.scope_edit = QLineEdit()
        self.scope_edit.setPlaceholderText("Optional")
        self.audience_edit = QLineEdit()
        self.audience_edit.setPlaceholderText("Optional")
        self.test_button = QPushButton(icon("check"), TEST_TOKEN)
        self.test_button.setAutoDefault(False)  # Enter means Save
        self.test_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.test_button.setToolTip("Ask the token endpoint for a token with these settings (nothing is saved)")
        self.test_result = TokenTestResult()

        self._build_layout()
        self._load(profile)
        for edit in (self.name_edit, self.username_edit, self.password_edit, self.token_url_edit,
                     self.client_id_edit, self.client_secret_edit):
            edit.textChanged.connect(self._update_buttons)
        self.type_group.buttonToggled.connect(self._on_type_group_button_toggled)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self._on_type_group_button_toggled()
        self.mark_clean()

    def _secret_edit(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText("Leave empty to keep the stored secret" if self._profile else "Required")
        return edit

    def _row(self, form: QFormLayout, title: str, attribute: str, widget: QWidget, hint: str | None = None) -> None:
        label = FieldErrorLabel()
        self.errors.register(attribute, widget, label, title)
        form.addRow(title, field_box(widget, label, hint))

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(SPACING)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def _build_layout(self) -> None:
        common = self._form()
        self._row(common, "Name", "name", self.name_edit)
        types = QWidget()
        types_layout = QHBoxLayout(types)
        types_layout.setContentsMargins(0, 0, 0, 0)
        types_layout.addWidget(self.basic_radio)
        types_layout.addWidget(self.oauth_radio)
        types_layout.addStretch(1)
        self._row(common, "Type", "type", types)

        self.basic_box = QWidget()
        basic = self._form()
        self.basic_box.setLayout(basic)
        self._row(basic, "Username", "username", self.username_edit)
        self._row(basic, "Password", "password", self.password_edit)

        self.oauth_box = QWidget()
        oauth = self._form()
        self.oauth_box.setLayout(oauth)
        self._row(oauth, "Token URL", "tokenUrl", self.token_url_edit)
        self._row(oauth, "Client ID", "clientId", self.client_id_edit)
        self._row(oauth, "Client Secret", "clientSecret", self.client_secret_edit)
        self._row(oauth, "Scope", "scope", self.scope_edit)
        self._row(oauth, "Audience", "audience", self.audience_edit)
        test_row = QWidget()
        test_layout = QHBoxLayout(test_row)
        test_layout.setContentsMargins(0, 0, 0, 0)
        test_layout.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_layout.addWidget(self.test_result, 1)
        oauth.addRow("", test_row)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.guard_buttons(self.save_button, self.buttons.button(QDialogButtonBox.StandardButton.Cancel))
        for form in (common, basic, oauth):  # one label column for all three forms
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SECTION_SPACING + 4, SECTION_SPACING + 4, SECTION_SPACING + 4, SECTION_SPACING)
        layout.setSpacing(SPACING)
        layout.addLayout(common)
        layout.addWidget(self.basic_box)
        layout.addWidget(self.oauth_box)
        layout.addWidget(self.form_error)
        layout.addStretch(1)
        layout.addSpacing(SPACING)
        layout.addWidget(self.buttons)
        self._align_labels(common, basic, oauth)

    def _align_labels(self, *forms: QFormLayout) -> None:
        labels = [form.labelForField(form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget())
                  for form in forms for row in range(form.rowCount())
                  if form.itemAt(row, QFormLayout.ItemRole.FieldRole) is not None]
        labels = [label for label in labels if label is not None]
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _load(self, profile: dict | None) -> None:
        profile = profile or {"type": "basic"}
        self.name_edit.setText(profile.get("name") or "")
        (self.oauth_radio if profile.get("type") == "oauth" else self.basic_radio).setChecked(True)
        self.username_edit.setText(profile.get("username") or "")
        self.token_url_edit.setText(profile.get("tokenUrl") or "")
        self.client_id_edit.setText(profile.get("clientId") or "")
        self.scope_edit.setText(profile.get("scope") or "")
        self.audience_edit.setText(profile.get("audience") or "")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        grow_to_fit(self)

    # -- state ---------------------------------------------------------------------------------

    def profile_type(self) -> str:
        return "oauth" if self.oauth_radio.isChecked() else "basic"

    def _keeps_secret(self) -> bool:
        """Editing without a type change: an empty secret field keeps the stored one."""
        return self._profile is not None and self._profile.get("type") == self.profile_type()

    def values(self) -> dict:
        """The form as the service's attributes; an empty secret is omitted (kept on edit)."""
        if self.profile_type() == "basic":
            data = {"name": self.name_edit.text(), "type": "basic", "username": self.username_edit.text()}
            secret_field, secret = "password", self.password_edit.text()
        else:
            data = {"name": self.name_edit.text(), "type": "oauth", "tokenUrl": self.token_url_edit.text().strip(),
                    "clientId": self.client_id_edit.text(), "scope": self.scope_edit.text() or None,
                    "audience": self.audience_edit.text() or None}
            secret_field, secret = "clientSecret", self.client_secret_edit.text()
        if secret:
            data[secret_field] = secret
        return data

    def _snapshot(self) -> dict:
        return self.values()

    def _update_buttons(self) -> None:
        basic = self.profile_type() == "basic"
        secret = (self.password_edit if basic else self.client_secret_edit).text()
        required = [self.name_edit.text().strip()]
        required += [self.username_edit.text().strip()] if basic else [
            self.token_url_edit.text().strip(), self.client_id_edit.text().strip()]
        coherent = all(required) and (bool(secret) or self._keeps_secret())
        self.save_button.setEnabled(coherent and not self._busy)
        self.test_button.setEnabled(bool(self.token_url_edit.text().strip() and self.client_id_edit.text().strip()))

    def _on_type_group_button_toggled(self, *_args) -> None:
        basic = self.profile_type() == "basic"
        self.basic_box.setVisible(basic)
        self.oauth_box.setVisible(not basic)
        secret_edit = self.password_edit if basic else self.client_secret_edit
        secret_edit.setPlaceholderText("Leave empty to keep the stored secret" if self._keeps_secret() else "Required")
        self._update_buttons()
        self.adjustSize()

    # -- actions -------------------------------------------------------------------------------

    def _on_test_button_clicked(self) -> None:
        data = {key: value for key, value in self.values().items() if key not in ("name", "type")}
        if self._profile is not None:
            data["name"] = self._profile["name"]  # lets the service use the stored secret
        self.test_button.setEnabled(False)
        self.test_button.setText(TESTING)
        self.errors.clear()
        self._bridge.run(functools.partial(self._bridge.service.test_oauth_profile, data),
                         alive(self, self._on_test_finished), alive(self, self._on_test_failed))

    def _on_test_finished(self, result: dict) -> None:
        self.test_button.setText(TEST_TOKEN)
        self._update_buttons()
        self.test_result.show_result(result)
        grow_to_fit(self)

    def _on_test_failed(self, exc: Exception) -> None:
        self.test_button.setText(TEST_TOKEN)
        self._update_buttons()
        self.test_result.hide()
        self.errors.show(exc)

    def _on_buttons_accepted(self) -> None:
        if not self.save_button.isEnabled():
            return
        service = self._bridge.service
        values = self.values()
        call = (functools.partial(service.update_profile, self._profile["id"], values) if self._profile
                else functools.partial(service.create_profile, values))
        self.remember_focus()
        self._set_busy(True)
        self._bridge.run(call, alive(self, self._on_save_finished), alive(self, self._on_save_failed))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.basic_box, self.oauth_box, self.name_edit, self.basic_radio, self.oauth_radio):
            widget.setEnabled(not busy)
        self._update_buttons()

    def _on_save_finished(self, profile: dict) -> None:
        self.password_edit.clear()
        self.client_secret_edit.clear()
        self.sig_saved.emit(profile)
        self.accept()

    def _on_save_failed(self, exc: Exception) -> None:
        self._set_busy(False)
        self.errors.show(exc)
        grow_to_fit(self)
        self.restore_focus(self.errors.first_error())
