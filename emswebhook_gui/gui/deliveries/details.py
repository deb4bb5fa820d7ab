"""The details pane of Event Deliveries: one notification, everything needed to act on it.

Left: a summary (status chip, webhook, endpoint, entity, eventId with copy, timing, next attempt,
who marked it successful) and the last error with a hint at its likely cause (the source's
"Diagnose the Root Cause" list). Right, in tabs: the attempt timeline (time, kind, HTTP status,
duration, error, and the selected attempt's answer excerpt), the payload as pretty JSON, and the
payload's ``currentState`` / ``previousState`` strings pretty-printed on their own.

The pane loads from ``get_notification`` through the bridge; a load for a notification the user
has already left is dropped when it returns.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.gui.deliveries.attempts import ERROR_COLOR, AttemptsView
from emswebhook_gui.gui.deliveries.rows import DASH, FAILED, STATUS_LABELS, STATUS_TIPS, local_time
from emswebhook_gui.gui.deliveries.status_chip import chip_style
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.jsontext import read_json

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

PRETTY_LIMIT = 1024 * 1024
"""Text longer than this is shown as it is stored: pretty-printing megabytes would stall the GUI."""



def pretty_json(text: Any) -> str:
    """JSON text indented for reading; other text unchanged."""
    if not isinstance(text, str) or not text or len(text) > PRETTY_LIMIT:
        return "" if text is None else str(text)
    try:
        return json.dumps(read_json(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def diagnosis(error: str | None, status_code: int | None) -> str | None:
    """A likely cause and fix for a failed attempt, after the source's troubleshooting list."""
    text = (error or "").lower()
    if not text and status_code is None:
        return None
    if "allowprivateendpoints" in text or ("private" in text and "address" in text):
        return ("The endpoint resolves to a private or loopback address. Use a public URL, or turn "
                "on allowPrivateEndpoints in Settings for a test receiver.")
    if "disabled" in text or "deleted" in text:
        return "Enable (or re-create) the webhook, then retry."
    if status_code in (401, 403) or "token" in text or "oauth" in text:
        return ("Authentication failed: check the webhook's authentication profile (expired "
                "password, wrong client secret, token URL or scope).")
    if "redirect" in text or (status_code is not None and 300 <= status_code < 400):
        return "Redirects are not followed: set the webhook's endpoint URL to the final address."
    if status_code is not None and 400 <= status_code < 500:
        return "The subscriber refused the request: its logs say why it rejects the payload."
    if status_code is not None and status_code >= 500:
        return "The subscriber failed while handling the request: check its logs, then retry."
    if "timed out" in text or "timeout" in text:
        return ("The subscriber did not answer in time: check that it is up and not overloaded; "
                "a firewall dropping requests looks the same.")
    if "tls" in text or "certificate" in text:
        return "The TLS handshake failed: check the endpoint's certificate and host name."
    if any(word in text for word in ("refused", "cannot connect", "dns", "unreachable", "connection")):
        return ("The endpoint could not be reached: check the URL, DNS and the firewall rules "
                "between this service and the subscriber.")
    return None






class NotificationDetails(QWidget):
    sig_message = Signal(str)
    """Something worth a line in the page's status (e.g. "Copied event ID ...")."""

    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._event_id: str | None = None
        self._generation = 0
        self.notification: dict | None = None
        """The notification shown, as ``get_notification`` returned it (None while empty)."""

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.placeholder = QLabel("Select a notification to see its payload and every delivery attempt.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)

        # header: chip, title, eventId + copy
        self.status_chip = QLabel()
        self.status_chip.setObjectName("statusChip")
        self.title_label = QLabel()
        self.title_label.setObjectName("detailsTitle")
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title_label.setFont(font)
        self.event_id_label = QLabel()
        self.event_id_label.setFont(mono)
        self.event_id_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QToolButton()
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.setToolTip("Copy the event ID")
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.status_chip)
        header.addWidget(self.title_label, 1)
        header.addWidget(QLabel("Event ID"))
        header.addWidget(self.event_id_label)
        header.addWidget(self.copy_button)

        # summary
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, caption in (("webhook", "Webhook"), ("endpoint", "Endpoint"), ("entity", "Entity ID"),
                             ("created", "Created"), ("updated", "Last change"), ("attempts", "Attempts"),
                             ("next", "Next attempt"), ("marked", "Marked successful")):
            value = QLabel()
            value.setObjectName(f"field_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[key] = value
            form.addRow(caption, value)
        self._form = form

        self.error_frame = QFrame()
        self.error_frame.setObjectName("errorFrame")
        self.error_frame.setStyleSheet(
            f"QFrame#errorFrame {{ background: #fdf0ef; border: 1px solid #f2c6c2; border-radius: 6px; }}"
            f"QLabel#errorTitle {{ color: {ERROR_COLOR}; font-weight: bold; }}")
        self.error_title = QLabel("Last error")
        self.error_title.setObjectName("errorTitle")
        self.error_label = QLabel()
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label = QLabel()
        self.hint_label.setObjectName("errorHint")
        self.hint_label.setWordWrap(True)
        error_layout = QVBoxLayout(self.error_frame)
        error_layout.setContentsMargins(10, 8, 10, 8)
        error_layout.setSpacing(4)
        error_layout.addWidget(self.error_title)
        error_layout.addWidget(self.error_label)
        error_layout.addWidget(self.hint_label)

        summary = QWidget()
        summary_layout = QVBoxLayout(summary)
        summary_layout.setContentsMargins(0, 0, 6, 0)
        summary_layout.addWidget(self.error_frame)
        summary_layout.addLayout(form)
        summary_layout.addStretch(1)
        summary_scroll = QScrollArea()
        summary_scroll.setWidget(summary)
        summary_scroll.setWidgetResizable(True)
        summary_scroll.setFrameShape(QFrame.Shape.NoFrame)
        summary_scroll.setMinimumWidth(300)

        self.attempts = AttemptsView(mono)
        self.attempts_table = self.attempts.table
        self.answer_view = self.attempts.answer_view

        self.payload_view = self._text_view("payloadView", mono)
        self.current_state_view = self._text_view("currentStateView", mono)
        self.previous_state_view = self._text_view("previousStateView", mono)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.attempts, "Attempts")
        self.tabs.addTab(self.payload_view, "Payload")
        self.tabs.addTab(self.current_state_view, "Current state")
        self.tabs.addTab(self.previous_state_view, "Previous state")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(summary_scroll)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([400, 600])
        self.splitter.setChildrenCollapsible(False)

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 6, 0, 0)
        content_layout.setSpacing(8)
        content_layout.addLayout(header)
        content_layout.addWidget(self.splitter, 1)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    # -- what the page calls ------------------------------------------------------------------------------

    @property
    def event_id(self) -> str | None:
        return self._event_id

    def show_event(self, event_id: str | None) -> None:
        """Show this notification (None: the placeholder); loads in the background."""
        if event_id == self._event_id:
            return
        self._event_id = event_id
        self._generation += 1
        if event_id is None:
            self.notification = None
            self.stack.setCurrentIndex(0)
            return
        self._load()

    def refresh(self) -> None:
        """Load the shown notification again (its state or attempts changed)."""
        if self._event_id is not None:
            self._generation += 1
            self._load()

    # -- loading ---------------------------------------------------------------------------------------------

    def _load(self) -> None:
        generation, event_id = self._generation, self._event_id
        self._bridge.run(
            functools.partial(self._bridge.service.get_notification, event_id),
            lambda details: self._on_details_loaded(generation, details),
            lambda error: self._on_details_failed(generation, error),
        )

    def _on_details_loaded(self, generation: int, details: dict) -> None:
        if generation != self._generation:
            return
        self.notification = details
        self._render(details)
        self.stack.setCurrentIndex(1)

    def _on_details_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        self.notification = None
        self.placeholder.setText(f"Cannot show this notification: {error}")
        self.stack.setCurrentIndex(0)

    # -- rendering --------------------------------------------------------------------------------------------

    def _render(self, n: dict) -> None:
        status = n.get("status")
        self.status_chip.setText(STATUS_LABELS.get(status, str(status)))
        self.status_chip.setStyleSheet(chip_style(status))
        self.status_chip.setToolTip(STATUS_TIPS.get(status, ""))
        self.title_label.setText(f"{n.get('eventName', '')} · {n.get('activityName', '')}")
        self.event_id_label.setText(n.get("eventId", ""))
        round_kind = "manual retry round" if n.get("roundKind") == "manual" else "automatic round"
        values = {
            "webhook": n.get("webhookName") or DASH,
            "endpoint": n.get("endpointUrl") or DASH,
            "entity": n.get("entityId") or DASH,
            "created": local_time(n.get("createdAt")),
            "updated": local_time(n.get("updatedAt")),
            "attempts": f"{n.get('attempts', 0)} ({round_kind})",
            "next": local_time(n.get("nextAttemptAt")) if n.get("nextAttemptAt") else (
                "none (automatic attempts used up)" if status == FAILED else DASH),
            "marked": (f"by {n['markedSuccessfulBy']} at {local_time(n.get('markedSuccessfulAt'))}"
                       if n.get("markedSuccessfulBy") else DASH),
        }
        for key, text in values.items():
            self.fields[key].setText(str(text))
        self._form.setRowVisible(self.fields["marked"], bool(n.get("markedSuccessfulBy")))
        self._form.setRowVisible(self.fields["next"], status != "SUCCESSFUL")

        error = n.get("lastError")
        self.error_frame.setVisible(bool(error) and status != "SUCCESSFUL")
        self.error_title.setText("Why it failed" if status == FAILED else "Last attempt failed")
        self.error_label.setText(str(error or ""))
        hint = diagnosis(error, n.get("lastStatusCode"))
        self.hint_label.setText(hint or "")
        self.hint_label.setVisible(bool(hint))

        self.tabs.setTabText(0, f"Attempts ({self.attempts.show_attempts(n)})")
        payload = n.get("payload") or ""
        self.payload_view.setPlainText(pretty_json(payload))
        try:
            body = read_json(payload) if payload and len(payload) <= PRETTY_LIMIT else {}
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        for view, key in ((self.current_state_view, "currentState"), (self.previous_state_view, "previousState")):
            text = body.get(key)
            index = self.tabs.indexOf(view)
            self.tabs.setTabVisible(index, bool(text))
            view.setPlainText(pretty_json(text) if text else "")

    def _on_copy_button_clicked(self) -> None:
        if self._event_id:
            QGuiApplication.clipboard().setText(self._event_id)
            self.sig_message.emit(f"Copied event ID {self._event_id}")

    @staticmethod
    def _text_view(name: str, font) -> QPlainTextEdit:
        view = QPlainTextEdit()
        view.setObjectName(name)
        view.setReadOnly(True)
        view.setFont(font)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        return view
