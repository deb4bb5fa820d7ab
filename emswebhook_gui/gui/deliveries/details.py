"""The details pane of Event Deliveries: one notification, everything needed to act on it.

Left: a summary (status chip, webhook, endpoint, entity, eventId with copy, timing, next attempt,
who closed it by hand and when) and the last error with a hint at its likely cause (the source's
"Diagnose the Root Cause" list). Right, in tabs: the attempts with the selected attempt's
inspector (:mod:`.attempts`, :mod:`.inspector`), and the payload, its states and their diff
(:mod:`.payload_views`).

The pane loads from ``get_notification`` through the bridge, with the webhook's current state
(``get_webhook``): the advice for a notification that was not sent because its webhook was
disabled depends on whether it is enabled now. A load for a notification the user has already
left is dropped when it returns.

A notification closed by hand gets its own chip and no "Last error": it is closed, and nothing
has failed since. What the pane advises is in :mod:`.advice`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.errors import NotFound
from emswebhook_gui.gui.deliveries.advice import DISABLED_ADVICE, diagnosis, next_attempt_text, webhook_state
from emswebhook_gui.gui.deliveries.attempts import AttemptsView
from emswebhook_gui.gui.deliveries.payload_views import PayloadViews
from emswebhook_gui.gui.deliveries.rows import (
    CLOSED_BY_HAND,
    DASH,
    FAILED,
    STATUS_LABELS,
    STATUS_TIPS,
    SUCCESSFUL,
    chip_key,
    closed_by_hand_text,
    local_time,
)
from emswebhook_gui.gui.deliveries.status_chip import chip_style
from emswebhook_gui.gui.widgets.colors import ERROR_ACCENT, box_style, error_color
from emswebhook_gui.gui.widgets.icons import icon

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

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
        self.webhook: dict | None = None
        """Its webhook as it is now (None when it was deleted)."""

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
                             ("next", "Next attempt"), ("marked", "Closed by hand")):
            value = QLabel()
            value.setObjectName(f"field_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[key] = value
            form.addRow(caption, value)
        self._form = form

        self.error_frame = QFrame()
        self.error_frame.setObjectName("errorFrame")
        self._chip: str | None = None
        self._apply_palette()
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

        self.attempts = AttemptsView(bridge, mono)
        self.attempts_table = self.attempts.table
        self.inspector = self.attempts.inspector
        self.inspector.sig_message.connect(self.sig_message)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.attempts, "Attempts")
        self.payloads = PayloadViews(self.tabs, mono)
        self.payloads.sig_message.connect(self.sig_message)
        self.payload_view = self.payloads.payload_view
        self.current_state_view = self.payloads.current_state_view
        self.previous_state_view = self.payloads.previous_state_view
        self.diff_view = self.payloads.diff_view

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
        generation, event_id, service = self._generation, self._event_id, self._bridge.service

        async def load() -> tuple[dict, dict | None]:
            details = await service.get_notification(event_id)
            try:
                webhook = await service.get_webhook(details["webhookId"]) if details.get("webhookId") else None
            except NotFound:
                webhook = None
            return details, webhook

        self._bridge.run(load, lambda loaded: self._on_details_loaded(generation, *loaded),
                         lambda error: self._on_details_failed(generation, error))

    def _on_details_loaded(self, generation: int, details: dict, webhook: dict | None = None) -> None:
        if generation != self._generation:
            return
        self.notification, self.webhook = details, webhook
        self._render(details)
        self.stack.setCurrentIndex(1)

    def _on_details_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        self.notification = None
        self.placeholder.setText(f"Cannot show this notification: {error}")
        self.stack.setCurrentIndex(0)

    def _apply_palette(self) -> None:
        """The "Why it failed" box and the chip in colours of the palette (again when the theme changes)."""
        palette = self.palette()
        self.error_frame.setStyleSheet(
            box_style("QFrame#errorFrame", ERROR_ACCENT, palette)
            + f"QLabel#errorTitle {{ color: {error_color(palette).name()}; font-weight: bold; }}")
        if self._chip is not None:
            self.status_chip.setStyleSheet(chip_style(self._chip, palette))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    # -- rendering --------------------------------------------------------------------------------------------

    def _render(self, n: dict) -> None:
        status, chip = n.get("status"), chip_key(n)
        self._chip = chip
        self.status_chip.setText(STATUS_LABELS.get(chip or "", str(status)))
        self.status_chip.setStyleSheet(chip_style(chip, self.palette()))
        self.status_chip.setToolTip(STATUS_TIPS.get(chip or "", ""))
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
            "next": next_attempt_text(n),
            "marked": closed_by_hand_text(n) if chip == CLOSED_BY_HAND else DASH,
        }
        for key, text in values.items():
            self.fields[key].setText(str(text))
        self._form.setRowVisible(self.fields["marked"], chip == CLOSED_BY_HAND)
        self._form.setRowVisible(self.fields["next"], status != SUCCESSFUL)

        error, state = n.get("lastError"), webhook_state(self.webhook)
        self.error_frame.setVisible(bool(error) and status != SUCCESSFUL)
        self.error_title.setText("Why it failed" if status == FAILED else "Last attempt failed")
        shown = str(error or "")
        self.error_label.setText(shown.removesuffix(DISABLED_ADVICE) if state == "enabled" else shown)
        hint = diagnosis(error, n.get("lastStatusCode"), state)
        self.hint_label.setText(hint or "")
        self.hint_label.setVisible(bool(hint))

        self.tabs.setTabText(0, f"Attempts ({self.attempts.show_attempts(n)})")
        self.payloads.show_payload(n.get("eventId") or "", n.get("payload") or "")

    def _on_copy_button_clicked(self) -> None:
        if self._event_id:
            QGuiApplication.clipboard().setText(self._event_id)
            self.sig_message.emit(f"Copied event ID {self._event_id}")
