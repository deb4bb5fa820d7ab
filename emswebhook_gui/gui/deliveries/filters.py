"""The filter bar of Event Deliveries: status, webhook, eventId and a time range.

It only describes a search: :meth:`DeliveryFilters.filters` returns the service's filter dict
(``status``, ``webhook``, ``eventId``, ``since``, ``until``) and ``sig_filters_changed`` says when
the user changed it. Combos apply at once; typing in the eventId field and spinning the dates
are debounced, so a query runs once the user pauses, not on every keystroke.

"Needs attention" is preselected: FAILED notifications, and IN_PROGRESS ones that already had a
failed attempt. The page is first of all a failure browser (the source's "Identify Failed
Notifications"), and a notification retrying on HTTP 500 is a failure the administrator wants to
see before its automatic attempts run out, not only after. The webhook combo lists the current webhooks by name and filters by id, so a
rename does not break an active filter; it reloads itself on ``sig_webhooks_changed``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDateTimeEdit, QLabel, QLineEdit, QToolButton, QWidget

from emswebhook_gui.gui.deliveries.where_filter import WhereEdit
from emswebhook_gui.gui.widgets.flow_layout import FlowLayout, flow_group

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

DEBOUNCE_MS = 300

STATUS_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Needs attention", "NEEDS_ATTENTION"),
    ("Failed", "FAILED"),
    ("In progress", "IN_PROGRESS"),
    ("Successful", "SUCCESSFUL"),
    ("All statuses", None),
)

CUSTOM = "custom"
TIME_CHOICES: tuple[tuple[str, timedelta | str | None], ...] = (
    ("Any time", None),
    ("Last hour", timedelta(hours=1)),
    ("Last 24 hours", timedelta(hours=24)),
    ("Last 7 days", timedelta(days=7)),
    ("Custom range…", CUSTOM),
)

_NO_BOUND = QDateTime(2000, 1, 1, 0, 0, 0)
"""The date edits' minimum, shown as "any": that end of the range is open."""


class DeliveryFilters(QWidget):
    sig_filters_changed = Signal(dict)
    """The user changed the search; carries :meth:`filters` (debounced while typing)."""

    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._webhooks: list[dict] = []
        self._wanted_webhook: str | None = None
        """A webhook to filter by that the combo has not listed yet (``show_search``)."""

        self.status_combo = QComboBox()
        self.status_combo.setObjectName("statusFilter")
        for label, value in STATUS_CHOICES:
            self.status_combo.addItem(label, value)
        self.status_combo.setToolTip("Show notifications in this delivery state")

        self.webhook_combo = QComboBox()
        self.webhook_combo.setObjectName("webhookFilter")
        self.webhook_combo.addItem("All webhooks", None)
        self.webhook_combo.setMinimumContentsLength(14)
        self.webhook_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.webhook_combo.setToolTip("Show notifications sent to this webhook only")

        self.event_id_edit = QLineEdit()
        self.event_id_edit.setObjectName("eventIdFilter")
        self.event_id_edit.setPlaceholderText("eventId (a UUID)")
        self.event_id_edit.setClearButtonEnabled(True)
        self.event_id_edit.setMinimumWidth(180)
        self.event_id_edit.setToolTip("Find one notification by its eventId: the UUID in the payload's eventId "
                                      "field and in the receiver's logs (Ctrl+F)")

        self.entity_id_edit = QLineEdit()
        self.entity_id_edit.setObjectName("entityIdFilter")
        self.entity_id_edit.setPlaceholderText("e.g. an entitlement ID")
        self.entity_id_edit.setClearButtonEnabled(True)
        self.entity_id_edit.setMinimumWidth(140)
        self.entity_id_edit.setToolTip("Every notification about this entity (the occurrence's entityId, exact): "
                                       "what did we send about it?")

        self.where_edit = WhereEdit()  # where_filter.py: --where, validated as typed

        self.time_combo = QComboBox()
        self.time_combo.setObjectName("timeFilter")
        for label, value in TIME_CHOICES:
            self.time_combo.addItem(label, value)
        self.time_combo.setToolTip("Show notifications created in this time range")

        self.since_edit = self._date_edit("sinceFilter", "Created at or after (local time); 'any' = no lower bound")
        self.until_edit = self._date_edit("untilFilter", "Created at or before (local time); 'any' = no upper bound")
        self.range_dash = QLabel("–")

        self.reset_button = QToolButton()
        self.reset_button.setText("Reset")
        self.reset_button.setToolTip("Back to failed notifications of every webhook, any time")

        # A flow, not a row: the bar wraps onto a second row rather than widen the window (the
        # custom range alone is some 300 px), so the page fits a 1,024 px screen and 1.5x scaling.
        layout = FlowLayout(self, spacing=10, row_spacing=6)
        for caption, widget in (("Status", self.status_combo), ("Webhook", self.webhook_combo),
                                ("Event ID", self.event_id_edit), ("Entity ID", self.entity_id_edit),
                                ("Where", self.where_edit),
                                ("Created", self.time_combo)):
            label = QLabel(caption)
            label.setBuddy(widget)
            group = flow_group(label, widget)
            if widget is self.time_combo:
                self.created_group = group
            layout.addWidget(group)
        self.range_group = flow_group(self.since_edit, self.range_dash, self.until_edit)
        self.range_group.setObjectName("customRange")
        layout.addWidget(self.range_group)
        layout.addWidget(self.reset_button)
        self._show_range(False)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._on_debounce_timeout)

        self.status_combo.currentIndexChanged.connect(self._on_combo_changed)
        self.webhook_combo.currentIndexChanged.connect(self._on_combo_changed)
        self.time_combo.currentIndexChanged.connect(self._on_time_combo_changed)
        self.event_id_edit.textChanged.connect(self._on_event_id_edit_text_changed)
        self.event_id_edit.returnPressed.connect(self._on_debounce_timeout)
        self.entity_id_edit.textChanged.connect(self._on_event_id_edit_text_changed)
        self.entity_id_edit.returnPressed.connect(self._on_debounce_timeout)
        self.where_edit.textChanged.connect(self._on_event_id_edit_text_changed)
        self.since_edit.dateTimeChanged.connect(self._on_range_edit_changed)
        self.until_edit.dateTimeChanged.connect(self._on_range_edit_changed)
        self.reset_button.clicked.connect(self.reset)
        bridge.sig_webhooks_changed.connect(self._on_bridge_webhooks_changed)

    # -- reading and setting ------------------------------------------------------------------------

    def filters(self) -> dict:
        """The search as the service takes it; absent filters are left out."""
        result: dict = {}
        if (status := self.status_combo.currentData()) is not None:
            result["status"] = status
        if (webhook := self.webhook_combo.currentData() or self._wanted_webhook) is not None:
            result["webhook"] = webhook
        if event_id := self.event_id_edit.text().strip():
            result["eventId"] = event_id
        if entity_id := self.entity_id_edit.text().strip():
            result["entityId"] = entity_id
        if where := self.where_edit.expression():
            result["where"] = where
        since, until = self._range()
        if since is not None:
            result["since"] = since
        if until is not None:
            result["until"] = until
        return result

    @property
    def status(self) -> str | None:
        return self.status_combo.currentData()

    def is_narrowed(self) -> bool:
        """Whether anything besides the status narrows the search (for the empty state's words)."""
        return bool(set(self.filters()) - {"status"})

    def describe(self) -> str:
        """The non-status filters in words, e.g. "webhook 'CRM sync', last 24 hours"."""
        parts = []
        if self.webhook_combo.currentData() is not None:
            parts.append(f"webhook '{self.webhook_combo.currentText()}'")
        if event_id := self.event_id_edit.text().strip():
            parts.append(f"eventId {event_id}")
        if entity_id := self.entity_id_edit.text().strip():
            parts.append(f"entity {entity_id}")
        if where := self.where_edit.expression():
            parts.append(f"where {where}")
        since, until = self._range()
        if self.time_combo.currentData() not in (None, CUSTOM):
            parts.append(self.time_combo.currentText().lower())
        else:
            if since is not None:
                parts.append(f"since {self.since_edit.text()}")
            if until is not None:
                parts.append(f"until {self.until_edit.text()}")
        return ", ".join(parts)

    def set_status(self, status: str | None) -> None:
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(status)))

    def set_webhook(self, webhook_id: str | None) -> None:
        self.webhook_combo.setCurrentIndex(max(0, self.webhook_combo.findData(webhook_id)))

    def set_event_id(self, event_id: str) -> None:
        """Set the eventId filter and apply it now (no debounce)."""
        self.event_id_edit.setText(event_id)
        self._on_debounce_timeout()

    def search_as_entity(self) -> None:
        """What the Event ID field holds, searched as an entity ID instead (the empty state's
        suggestion when it is not an eventId), at once."""
        text = self.event_id_edit.text().strip()
        for edit in (self.event_id_edit, self.entity_id_edit):
            edit.blockSignals(True)
        self.event_id_edit.clear()
        self.entity_id_edit.clear()
        self.entity_id_edit.setText(text)
        for edit in (self.event_id_edit, self.entity_id_edit):
            edit.blockSignals(False)
        self._on_debounce_timeout()

    def set_range(self, since: datetime | None, until: datetime | None) -> None:
        """A custom time range (aware datetimes; None = open), applied at once."""
        self._choose_range(since, until)
        self._on_debounce_timeout()

    def _choose_range(self, since: datetime | None, until: datetime | None) -> None:
        self.time_combo.blockSignals(True)
        self.time_combo.setCurrentIndex(self.time_combo.findData(CUSTOM))
        self.time_combo.blockSignals(False)
        self._show_range(True)
        self._set_edits(since, until)

    def show_search(self, status: str | None = None, webhook: str | None = None,
                    since: datetime | None = None, until: datetime | None = None) -> None:
        """Replace the whole search at once (one query), e.g. from a click on the Overview. A
        webhook the combo has not listed yet is kept until the list arrives."""
        self.reset(apply=False)
        for combo in (self.status_combo, self.webhook_combo):
            combo.blockSignals(True)
        self.set_status(status)
        self.set_webhook(webhook)
        for combo in (self.status_combo, self.webhook_combo):
            combo.blockSignals(False)
        if webhook is not None and self.webhook_combo.currentData() != webhook:
            self._wanted_webhook = webhook
        if since is not None or until is not None:
            self._choose_range(since, until)
        self._on_debounce_timeout()

    def reset(self, apply: bool = True) -> None:
        for widget in (self.status_combo, self.webhook_combo, self.time_combo, self.event_id_edit,
                       self.entity_id_edit, self.where_edit):
            widget.blockSignals(True)
        self.status_combo.setCurrentIndex(0)
        self.webhook_combo.setCurrentIndex(0)
        self.time_combo.setCurrentIndex(0)
        self.event_id_edit.clear()
        self.where_edit.clear()
        self.where_edit._on_text_changed("")
        self._set_edits(None, None)
        self._show_range(False)
        for widget in (self.status_combo, self.webhook_combo, self.time_combo, self.event_id_edit,
                       self.entity_id_edit, self.where_edit):
            widget.blockSignals(False)
        self._wanted_webhook = None
        if apply:
            self._on_debounce_timeout()

    def load_webhooks(self) -> None:
        """Fill the webhook combo (again). The page calls it once its first search is queued, so
        the table's query reaches the database first; later ``sig_webhooks_changed`` reloads."""
        self._bridge.run(self._bridge.service.list_webhooks, self._on_webhooks_listed)

    def focus_event_id(self) -> None:
        self.event_id_edit.setFocus()
        self.event_id_edit.selectAll()

    # -- handlers -------------------------------------------------------------------------------------

    def _on_combo_changed(self, _index: int) -> None:
        self._on_debounce_timeout()

    def _on_event_id_edit_text_changed(self, _text: str) -> None:
        self._debounce.start()

    def _on_range_edit_changed(self, _value: QDateTime) -> None:
        if self.time_combo.currentData() != CUSTOM:
            self.time_combo.blockSignals(True)
            self.time_combo.setCurrentIndex(self.time_combo.findData(CUSTOM))
            self.time_combo.blockSignals(False)
        self._debounce.start()

    def _on_time_combo_changed(self, _index: int) -> None:
        choice = self.time_combo.currentData()
        self._show_range(choice == CUSTOM)
        if choice == CUSTOM:
            since, _until = self._range()
            if since is None:  # start the custom range from a useful place: the last 24 hours
                self._set_edits(datetime.now(UTC) - timedelta(hours=24), None)
        elif isinstance(choice, timedelta):
            self._set_edits(datetime.now(UTC) - choice, None)
        else:
            self._set_edits(None, None)
        self._on_debounce_timeout()

    def _on_debounce_timeout(self) -> None:
        self._debounce.stop()
        self.sig_filters_changed.emit(self.filters())

    def _on_bridge_webhooks_changed(self) -> None:
        self.load_webhooks()

    def _on_webhooks_listed(self, webhooks: list[dict]) -> None:
        selected = self._wanted_webhook or self.webhook_combo.currentData()
        self._wanted_webhook = None
        self._webhooks = webhooks
        self.webhook_combo.blockSignals(True)
        self.webhook_combo.clear()
        self.webhook_combo.addItem("All webhooks", None)
        for webhook in webhooks:
            label = webhook["name"] if webhook.get("enabled", True) else f"{webhook['name']} (disabled)"
            self.webhook_combo.addItem(label, webhook["id"])
        index = self.webhook_combo.findData(selected)
        self.webhook_combo.setCurrentIndex(max(0, index))
        self.webhook_combo.blockSignals(False)
        if selected is not None and index < 0:  # the filtered webhook was deleted
            self._on_debounce_timeout()

    # -- helpers --------------------------------------------------------------------------------------

    def _date_edit(self, name: str, tip: str) -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setMinimumDateTime(_NO_BOUND)
        edit.setSpecialValueText("any")
        edit.setDateTime(_NO_BOUND)
        edit.setToolTip(tip)
        return edit

    def _show_range(self, visible: bool) -> None:
        self.range_group.setVisible(visible)

    def _set_edits(self, since: datetime | None, until: datetime | None) -> None:
        for edit, value in ((self.since_edit, since), (self.until_edit, until)):
            edit.blockSignals(True)
            edit.setDateTime(_NO_BOUND if value is None else QDateTime.fromMSecsSinceEpoch(
                int(value.timestamp() * 1000)))
            edit.blockSignals(False)

    def _range(self) -> tuple[datetime | None, datetime | None]:
        return _edit_value(self.since_edit), _edit_value(self.until_edit, end_of_minute=True)


def _edit_value(edit: QDateTimeEdit, *, end_of_minute: bool = False) -> datetime | None:
    """The edit's value to the minute it shows; ``end_of_minute`` makes an upper bound include
    the whole minute (until 12:05 admits 12:05:59)."""
    value = edit.dateTime()
    if value <= _NO_BOUND:
        return None
    moment = datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC).replace(second=0, microsecond=0)
    return moment + timedelta(seconds=59, microseconds=999000) if end_of_minute else moment
