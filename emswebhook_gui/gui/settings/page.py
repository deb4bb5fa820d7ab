"""The Settings page: where the data is, the application properties, the live delivery services,
and whether the app starts at login on this computer.

Properties are written through ``set_property`` one at a time, as the user changes them; the
service parses and refuses (with the message shown under the field), and the page reloads from
``sig_properties_changed`` so a change made by the CLI shows here too.

"Start at login" is this user's and this computer's, not the database's: it writes the platform's
own entry (``desktop_integration.autostart``) at once, and reads it back whenever the page is
shown, since the user may turn it off in their desktop's settings too.

The theme (System / Light / Dark) is this user's too: the main window's
:class:`~emswebhook_gui.gui.shell.theme.ThemeController` keeps it in the user's QSettings, never in the
database's properties, and applies it at once.
"""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui import desktop_integration
from emswebhook_gui.rules import properties
from emswebhook_gui.gui.settings.data import DataSettings
from emswebhook_gui.gui.settings.rest_api import RestApiSettings
from emswebhook_gui.gui.settings.services import DeliveryServicesBox
from emswebhook_gui.gui.shell.theme import THEME_CHOICES, ThemeController
from emswebhook_gui.gui.widgets.actions import CopyButton, alive
from emswebhook_gui.gui.widgets.fields import FieldErrorLabel, field_message
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import (
    PAGE_MARGIN,
    SECTION_SPACING,
    SPACING,
    Banner,
    PageHeader,
    control_box,
    hint_label,
)

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

DATABASE_NOTE = (
    "Start the app (or <code>emswebhook</code>) with <code>--db URL</code>, or set "
    "<code>EMSWEBHOOK_DATABASE_URL</code>, to use another database, such as a PostgreSQL server "
    "shared by several administrators and delivery services."
)
PRIVATE_NOTE = (
    "Allows deliveries to loopback (127.0.0.1), private (10.x, 172.16-31.x, 192.168.x) and "
    "link-local addresses. Leave it off unless your receivers run on this machine or your internal "
    "network: with it on, anyone who can add a webhook can make this service send requests to "
    "internal systems."
)
ZONE_NOTE = (
    "The time zone of opDatetime in Entitlement Expired and Product Key Expired notifications; "
    "every other notification uses UTC."
)
LOGIN_NOTE = (
    "Each time you log in to this computer, EMS Webhooks starts on this database, in the tray "
    "(minimized where there is no tray), so deliveries go on without anyone opening the app."
)
THEME_NOTE = (
    "System follows your desktop's light or dark setting, also while the app runs. Kept for you "
    "on this computer, not in the database."
)
LOGIN_PASSWORD_NOTE = (
    " The database password is not written to the entry; PostgreSQL then reads it from "
    "~/.pgpass (or PGPASSWORD)."
)
ALERTS_NOTE = (
    "When notifications end FAILED, and when a failing webhook delivers again, an alert goes to the "
    "<code>alertWebhookUrl</code> and <code>alertEmailTo</code> properties (at most one per webhook per "
    "15 minutes). Set them with <code>emswebhook config set</code>; the SMTP password and the signing "
    "secret with <code>emswebhook alerts smtp-password</code> and <code>alerts signing-secret</code>."
)


PROXY_NOTE = ("Set with <code>emswebhook config set httpProxy http://host:port</code> and <code>noProxy</code>; "
              "credentials with <code>emswebhook config proxy-credentials</code>. Without the property, "
              "HTTPS_PROXY / HTTP_PROXY / NO_PROXY of the service's environment apply.")


def proxy_summary(shown: dict) -> str:
    """One line per scheme: which proxy deliveries use and where it came from."""
    lines = []
    for scheme in ("https", "http"):
        proxy = shown.get(scheme)
        if proxy is None:
            lines.append(f"{scheme} endpoints: direct (no proxy)")
        else:
            login = ", with credentials" if proxy["authenticated"] else ""
            lines.append(f"{scheme} endpoints: {proxy['url']} (from {proxy['source']}{login})")
    if shown.get("noProxy"):
        lines.append(f"not for: {', '.join(shown['noProxy'])} (from {shown['noProxySource']})")
    return "\n".join(lines)


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setContentsMargins(12, 12, 12, 12)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(SPACING)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


class SettingsPage(QWidget):
    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None,
                 theme: ThemeController | None = None) -> None:
        """``theme`` is the main window's; alone (tests) the page keeps the choice in the
        application's default QSettings."""
        super().__init__(parent)
        self._bridge = bridge
        self.theme = theme if theme is not None else ThemeController(QSettings(), self)
        self.theme_combo = QComboBox()
        self.theme_combo.setObjectName("themeChoice")
        for value, label in THEME_CHOICES:
            self.theme_combo.addItem(label, value)
        self.theme_combo.setToolTip("Light or dark, or as the desktop is set")
        self._show_theme_choice()
        self._stored_zone: str | None = None
        self.banner = Banner()

        self.location_edit = QLineEdit(bridge.service.db.display_location)
        self.location_edit.setReadOnly(True)
        self.location_edit.setObjectName("databaseLocation")
        self.copy_location_button = CopyButton(self.location_edit.text, "Copy")
        self.copy_location_button.setToolTip("Copy the database location")

        self.zone_combo = QComboBox()
        self.zone_combo.setEditable(True)
        self.zone_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone_combo.addItems(properties.time_zone_names())
        self.zone_combo.setMinimumContentsLength(24)
        self.zone_combo.setMaxVisibleItems(20)
        completer = QCompleter(self.zone_combo.model(), self.zone_combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone_combo.setCompleter(completer)
        self.zone_combo.setToolTip("An IANA time zone name such as UTC, Europe/Berlin or Asia/Kolkata")
        self.apply_zone_button = QPushButton(icon("check"), "Apply")
        self.apply_zone_button.setToolTip("Save the time zone")
        self.zone_error = FieldErrorLabel()
        self.private_check = QCheckBox("Allow private endpoints")
        self.private_error = FieldErrorLabel()
        self.autostart = desktop_integration.autostart()
        self.login_check = QCheckBox("Start in the tray when I log in")
        self.login_check.setObjectName("startAtLogin")
        self.login_check.setToolTip(f"Writes {self.autostart.location}")
        self.login_error = FieldErrorLabel()
        self.proxy_label = QLabel("…")
        self.proxy_label.setObjectName("proxyInEffect")
        self.proxy_label.setWordWrap(True)
        self.proxy_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.test_alert_button = QPushButton(icon("send"), "Send test alert")
        self.test_alert_button.setToolTip("Send a test alert to the alert webhook and e-mail addresses")

        self.services = DeliveryServicesBox(bridge)
        self.status_label = self.services.status_label
        self.services_table = self.services.table
        self._build_layout()
        self.zone_combo.lineEdit().textChanged.connect(self._on_zone_text_changed)
        self.zone_combo.lineEdit().returnPressed.connect(self._on_apply_zone_button_clicked)
        self.zone_combo.activated.connect(self._on_apply_zone_button_clicked)
        self.apply_zone_button.clicked.connect(self._on_apply_zone_button_clicked)
        self.private_check.clicked.connect(self._on_private_check_clicked)
        self.login_check.clicked.connect(self._on_login_check_clicked)
        self.refresh_login()
        self.theme_combo.activated.connect(self._on_theme_combo_activated)
        self.theme.sig_theme_changed.connect(self._show_theme_choice)
        self.test_alert_button.clicked.connect(self._on_test_alert_button_clicked)
        bridge.sig_properties_changed.connect(self.refresh_properties)
        self.refresh_properties()

    def _build_layout(self) -> None:
        database = QGroupBox("Database")
        form = _form()
        database.setLayout(form)
        note = hint_label(DATABASE_NOTE)
        note.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("Location", control_box((self.location_edit, self.copy_location_button), note))

        deliveries = QGroupBox("Deliveries")
        form = _form()
        deliveries.setLayout(form)
        form.addRow("Time Zone for Expiration Events", control_box(
            (self.zone_combo, self.apply_zone_button), hint_label(ZONE_NOTE), self.zone_error))
        private_box = QVBoxLayout()
        private_box.setSpacing(3)
        private_box.addWidget(self.private_check)
        private_box.addWidget(hint_label(PRIVATE_NOTE))
        private_box.addWidget(self.private_error)
        form.addRow("Private endpoints", private_box)
        proxy_note = hint_label(PROXY_NOTE)
        proxy_note.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("Proxy in effect", control_box((self.proxy_label,), proxy_note))

        computer = QGroupBox("This computer")
        form = _form()
        computer.setLayout(form)
        login_note = LOGIN_NOTE + (LOGIN_PASSWORD_NOTE if desktop_integration.has_password(self._bridge.service.db.url) else "")
        login_box = QVBoxLayout()
        login_box.setSpacing(3)
        login_box.addWidget(self.login_check)
        login_box.addWidget(hint_label(login_note))
        login_box.addWidget(self.login_error)
        form.addRow("Start at login", login_box)
        form.addRow("Theme", control_box((self.theme_combo,), hint_label(THEME_NOTE), fill=False))

        alerts = QGroupBox("Alerts")
        form = _form()
        alerts.setLayout(form)
        note = hint_label(ALERTS_NOTE)
        note.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("Test", control_box((self.test_alert_button,), note, fill=False))

        self.rest_api = api = RestApiSettings(self._bridge)
        self.data = DataSettings(self._bridge)  # data.py

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(SECTION_SPACING)
        for box in (database, deliveries, computer, self.services, alerts, api, self.data):
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        layout.setSpacing(SECTION_SPACING)
        layout.addWidget(PageHeader.for_page("settings"))
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)

    # -- properties ----------------------------------------------------------------------------

    def refresh_properties(self) -> None:
        self._bridge.run(self._bridge.service.list_properties, alive(self, self._on_properties_loaded))
        self._bridge.run(self._bridge.service.proxy_in_effect, alive(self, self._on_proxy_loaded))

    def _on_proxy_loaded(self, shown: dict) -> None:
        self.proxy_label.setText(proxy_summary(shown))

    def _on_properties_loaded(self, values: dict) -> None:
        zone = values.get(properties.EXPIRATION_TIME_ZONE)
        # Keep what the user is typing; take the stored value when the field shows the old one.
        if self._stored_zone is None or self.zone_combo.currentText() == self._stored_zone:
            self.zone_combo.setCurrentText(zone)
        self._stored_zone = zone
        self.private_check.setChecked(bool(values.get(properties.ALLOW_PRIVATE_ENDPOINTS)))
        self._on_zone_text_changed(self.zone_combo.currentText())

    def _on_zone_text_changed(self, text: str) -> None:
        self.apply_zone_button.setEnabled(text.strip() != (self._stored_zone or ""))

    def _on_apply_zone_button_clicked(self, *_args) -> None:
        self.zone_combo.completer().popup().hide()
        text = self.zone_combo.currentText()
        if text.strip() == self._stored_zone:
            self.zone_error.show_error(None)
            return
        self._bridge.run(functools.partial(self._bridge.service.set_property, properties.EXPIRATION_TIME_ZONE, text),
                         alive(self, self._on_zone_saved), alive(self, self._on_zone_failed))

    def _on_zone_saved(self, zone: str) -> None:
        self._stored_zone = zone
        self.zone_combo.setCurrentText(zone)
        self.zone_error.show_error(None)
        self.zone_combo.setStyleSheet("")
        self.banner.show_message(f"Expiration events now use the time zone {zone}.", "success")

    def _on_zone_failed(self, exc: Exception) -> None:
        message = getattr(exc, "for_field", lambda _f: None)(properties.EXPIRATION_TIME_ZONE) or str(exc)
        self.zone_error.show_error(field_message("Time zone", message))

    def _on_private_check_clicked(self, checked: bool) -> None:
        self._bridge.run(functools.partial(self._bridge.service.set_property, properties.ALLOW_PRIVATE_ENDPOINTS, checked),
                         alive(self, self._on_private_saved), alive(self, self._on_private_failed))

    def _on_private_saved(self, allowed: bool) -> None:
        self.private_error.show_error(None)
        self.banner.show_message(
            "Private endpoints are allowed." if allowed else "Private endpoints are refused again.", "success")

    def _on_private_failed(self, exc: Exception) -> None:
        self.private_error.show_error(str(exc))
        self.refresh_properties()

    # -- start at login ---------------------------------------------------------------------------

    def refresh_login(self) -> None:
        self.login_check.setChecked(self.autostart.is_enabled())

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.refresh_login()
        super().showEvent(event)

    def _on_login_check_clicked(self, checked: bool) -> None:
        try:
            if checked:
                self.autostart.enable(desktop_integration.login_command(self._bridge.service.db.url))
            else:
                self.autostart.disable()
        except OSError as exc:
            self.refresh_login()
            self.login_error.show_error(
                f"Start at login: cannot {'write' if checked else 'remove'} {exc.filename or self.autostart.location}"
                f" ({exc.strerror or exc})")
            return
        self.login_error.show_error(None)
        self.banner.show_message(
            f"EMS Webhooks starts in the tray when you log in ({self.autostart.location})." if checked
            else "EMS Webhooks no longer starts when you log in.", "success")

    # -- theme -----------------------------------------------------------------------------------

    def _show_theme_choice(self, *_args) -> None:
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(self.theme.choice)))

    def _on_theme_combo_activated(self, _index: int) -> None:
        self.theme.set_choice(self.theme_combo.currentData())

    # -- alerts ----------------------------------------------------------------------------------

    def _on_test_alert_button_clicked(self) -> None:
        from emswebhook_gui.alerts import send_test_alert

        self.test_alert_button.setEnabled(False)
        self.banner.show_message("Sending a test alert…", "info")
        self._bridge.run(functools.partial(send_test_alert, self._bridge.service), alive(self, self._on_test_alert_sent),
                         alive(self, self._on_test_alert_failed))

    def _on_test_alert_sent(self, results: list) -> None:
        self.test_alert_button.setEnabled(True)
        lines = "<br>".join(("Sent: " if r.ok else "Failed: ") + html.escape(r.message) for r in results)
        self.banner.show_message(f"Test alert. {lines}" if all(r.ok for r in results)
                                 else f"Test alert not delivered everywhere.<br>{lines}",
                                 "success" if all(r.ok for r in results) else "error")

    def _on_test_alert_failed(self, exc: Exception) -> None:
        self.test_alert_button.setEnabled(True)
        self.banner.show_message(html.escape(str(exc)), "error")
