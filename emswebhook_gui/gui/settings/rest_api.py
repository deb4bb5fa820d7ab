"""The Settings page's "Local REST API" group: where the API listens, its port, its token.

The token is shown masked and never put in a widget's text unmasked (screenshots, screen
sharing): Copy puts it on the clipboard, Rotate replaces it after a confirmation. A port change
is stored at once and takes effect the next time the app (or ``emswebhook serve``) starts, which
the group says, rather than restarting a server under running scripts.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout

from emswebhook_gui.rules import properties
from emswebhook_gui.gui.widgets.actions import alive, confirm
from emswebhook_gui.gui.widgets.fields import FieldErrorLabel
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SPACING, control_box, hint_label

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

MASK = "•" * 24
PORT_NOTE = "Stored at once; the API moves to the new port the next time the app or 'emswebhook serve' starts."
TOKEN_NOTE = ("Scripts send it as 'Authorization: Bearer <token>'. It is kept in the OS keyring; "
              "'emswebhook api-token' prints it too.")


class RestApiSettings(QGroupBox):
    def __init__(self, bridge: "ServiceBridge", parent=None) -> None:
        super().__init__("Local REST API", parent)
        self.setObjectName("restApiGroup")
        self._bridge = bridge
        server = bridge.api_server
        self.status_label = QLabel(
            f"Serving on <b>{server.url}</b> (this machine only); OpenAPI document at "
            f"{server.url.removesuffix('/api/v1')}/openapi.json" if server is not None else
            "Not running in this app (the port may be in use, or no keyring holds the token; see the status bar).")
        self.status_label.setObjectName("restApiStatus")
        self.status_label.setWordWrap(True)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setObjectName("apiPort")
        self.apply_port_button = QPushButton(icon("check"), "Apply")
        self.port_error = FieldErrorLabel()
        self.token_edit = QLineEdit(MASK)
        self.token_edit.setReadOnly(True)
        self.token_edit.setObjectName("apiToken")
        self.token_edit.setToolTip("The token is never shown; use Copy")
        self.copy_token_button = QPushButton(icon("copy"), "Copy")
        self.copy_token_button.setToolTip("Copy the bearer token to the clipboard")
        self.rotate_token_button = QPushButton(icon("retry"), "Rotate…")
        self.rotate_token_button.setToolTip("Replace the token; scripts using the old one get 401")
        self.token_message = QLabel("")
        self.token_message.setObjectName("apiTokenMessage")

        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(10)
        form.addRow("Port", control_box((self.port_spin, self.apply_port_button), hint_label(PORT_NOTE),
                                        self.port_error, fill=False))
        form.addRow("Bearer token", control_box((self.token_edit, self.copy_token_button, self.rotate_token_button),
                                                hint_label(TOKEN_NOTE), self.token_message))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(SPACING)
        layout.addWidget(self.status_label)
        layout.addLayout(form)

        self.apply_port_button.clicked.connect(self._on_apply_port_button_clicked)
        self.copy_token_button.clicked.connect(self._on_copy_token_button_clicked)
        self.rotate_token_button.clicked.connect(self._on_rotate_token_button_clicked)
        bridge.sig_properties_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self._bridge.run(functools.partial(self._bridge.service.get_property, properties.API_PORT), alive(self, self.port_spin.setValue))

    def _on_apply_port_button_clicked(self) -> None:
        self.port_error.show_error(None)
        self._bridge.run(functools.partial(self._bridge.service.set_property, properties.API_PORT, self.port_spin.value()),
                         alive(self, lambda port: self.port_error.show_error(None)),
                         alive(self, lambda exc: self.port_error.show_error(str(exc))))

    def _on_copy_token_button_clicked(self) -> None:
        self._bridge.run(self._bridge.service.api_token, alive(self, self._on_token_for_clipboard),
                         alive(self, lambda exc: self.token_message.setText(str(exc))))

    def _on_token_for_clipboard(self, token: str) -> None:
        QGuiApplication.clipboard().setText(token)
        self.token_message.setText("Copied to the clipboard.")

    def _on_rotate_token_button_clicked(self) -> None:
        self.confirm_box = confirm(
            self, "Rotate the REST API token?",
            "A new token replaces the current one. Scripts and services using the old token get 401 "
            "until they are given the new one.", "Rotate", self._rotate)

    def _rotate(self) -> None:
        self._bridge.run(functools.partial(self._bridge.service.api_token, rotate=True),
                         alive(self, lambda _token: self.token_message.setText(
                             "Rotated. Copy the new token to the scripts that use the API.")),
                         alive(self, lambda exc: self.token_message.setText(str(exc))))
