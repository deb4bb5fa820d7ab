"""The Overview page: a chart of the last 24 hours or 7 days, each webhook's health, and the top
error reasons; a click on any of them opens Event Deliveries searching for it.

It asks the service for ``stats`` when first shown, when the range changes, and, while visible,
at most once a second as deliveries are recorded (``sig_notifications_changed``, throttled). A
hidden page only remembers that it is stale. Answers of an older request (the user toggled the
range meanwhile) are dropped by a generation number.

What a click searches for (``sig_show_deliveries``): Event Deliveries filters notifications by
when they were *created*, while the chart counts *attempts* by when they were made, so a bar's
search is the notifications created in that bar's time (most attempts follow their creation within
the minute; retries of older notifications are not in it). A "Delivered" bar searches SUCCESSFUL
ones, "Ended FAILED" FAILED ones, "Failed attempt" every status (the notification may since have
been delivered). A webhook searches that webhook over the range, a reason the webhooks it happened
to (when one), over the range.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QHBoxLayout, QHeaderView, QLabel, QScrollArea, QTableView, QToolButton,
    QVBoxLayout, QWidget,
)
from superqt.utils import qthrottled

from emswebhook_gui.gui.overview.chart import HealthChart
from emswebhook_gui.gui.overview.model import ReasonsModel, WebhookHealthModel, rate_text
from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.layout import PAGE_MARGIN, SECTION_SPACING, PageHeader, hint_label
from emswebhook_gui.gui.widgets.tables import configure_table
from emswebhook_gui.wording import plural

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

RANGES: tuple[tuple[str, int], ...] = (("24 hours", 24), ("7 days", 168))
REFRESH_MS = 1000
STATUS_OF_SERIES = {"delivered": "SUCCESSFUL", "failedAttempts": None, "endedFailed": "FAILED"}


class OverviewPage(QWidget):
    sig_show_deliveries = Signal(dict)
    """Open Event Deliveries searching for this: ``status``, ``webhook`` (id), ``since``,
    ``until`` (aware datetimes), each None for "any"."""

    sig_refreshed = Signal()
    """New figures are on screen (tests and benchmarks wait for it)."""

    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.stats: dict | None = None
        self._hours = RANGES[0][1]
        self._generation = 0
        self._stale = True

        self.summary_label = QLabel()
        self.summary_label.setObjectName("overviewSummary")
        self.summary_label.setWordWrap(True)
        self.range_buttons = QButtonGroup(self)
        range_row = QHBoxLayout()
        range_row.setSpacing(0)
        for label, hours in RANGES:
            button = QToolButton()
            button.setText(label)
            button.setCheckable(True)
            button.setObjectName(f"range{hours}h")
            button.setToolTip(f"Show the last {label}")
            self.range_buttons.addButton(button, hours)
            range_row.addWidget(button)
        self.range_buttons.button(self._hours).setChecked(True)
        self.range_buttons.idClicked.connect(self.set_hours)

        self.chart = HealthChart()
        self.chart.sig_bar_clicked.connect(self._on_chart_bar_clicked)

        self.webhook_model = WebhookHealthModel(self)
        self.webhook_table = self._table("webhookHealthTable", self.webhook_model)
        self.webhook_table.clicked.connect(self._on_webhook_table_clicked)
        self.webhook_table.activated.connect(self._on_webhook_table_clicked)
        self.reason_model = ReasonsModel(self)
        self.reason_table = self._table("reasonsTable", self.reason_model)
        self.reason_table.clicked.connect(self._on_reason_table_clicked)
        self.reason_table.activated.connect(self._on_reason_table_clicked)
        self.no_reasons_label = hint_label("No failed attempts in this range.")

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        layout.setSpacing(SECTION_SPACING)
        layout.addWidget(PageHeader.for_page("overview"))
        top = QHBoxLayout()
        top.addWidget(self.summary_label, 1)
        top.addLayout(range_row)
        layout.addLayout(top)
        layout.addWidget(self.chart, 3)
        layout.addWidget(_section("Webhooks"))
        layout.addWidget(self.webhook_table, 2)
        layout.addWidget(_section("Top error reasons"))
        layout.addWidget(self.reason_table, 1)
        layout.addWidget(self.no_reasons_label)
        scroll = QScrollArea()  # small windows scroll rather than squeeze the chart to nothing
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        content.setMinimumHeight(640)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._throttled_refresh = qthrottled(self.refresh, REFRESH_MS, parent=self)
        bridge.sig_notifications_changed.connect(self._on_bridge_notifications_changed)
        bridge.sig_webhooks_changed.connect(self._on_bridge_notifications_changed)

    @staticmethod
    def _table(name: str, model) -> QTableView:
        table = QTableView()
        table.setObjectName(name)
        table.setModel(model)
        configure_table(table)
        table.setSortingEnabled(False)  # the service orders them: most failing first
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setCursor(Qt.CursorShape.PointingHandCursor)
        table.setMinimumHeight(120)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    @property
    def hours(self) -> int:
        return self._hours

    def set_hours(self, hours: int) -> None:
        self._hours = hours
        self.range_buttons.button(hours).setChecked(True)
        self.refresh()

    def refresh(self) -> None:
        """Ask for the figures now (the answer replaces what is shown)."""
        self._stale = False
        self._generation += 1
        generation, hours = self._generation, self._hours
        self.bridge.run(lambda: self.bridge.service.stats(hours),
                        alive(self, lambda stats: self._on_stats(generation, stats)),
                        alive(self, self._on_stats_failed), eager=True)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_bridge_notifications_changed(self) -> None:
        if self.isVisible():
            self._throttled_refresh()
        else:
            self._stale = True

    def _on_stats(self, generation: int, stats: dict) -> None:
        if generation != self._generation:
            return
        self.stats = stats
        self.chart.set_buckets(stats["buckets"], stats["bucketHours"])
        self.webhook_model.set_rows(stats["webhooks"])
        self.reason_model.set_rows(stats["topReasons"])
        self.no_reasons_label.setVisible(not stats["topReasons"])
        self.summary_label.setText(_summary(stats))
        self.sig_refreshed.emit()

    def _on_stats_failed(self, error: Exception) -> None:
        self.summary_label.setText(f"The figures could not be read: {error}")

    # -- what a click searches for ----------------------------------------------------------

    def _range_start(self) -> datetime | None:
        return datetime.fromisoformat(self.stats["from"]) if self.stats else None

    def _on_chart_bar_clicked(self, index: int, key: str) -> None:
        if not self.stats:
            return
        start = datetime.fromisoformat(self.stats["buckets"][index]["start"])
        last_minute = start + timedelta(hours=self.stats["bucketHours"]) - timedelta(minutes=1)  # "until" takes whole minutes
        self.sig_show_deliveries.emit({"status": STATUS_OF_SERIES[key], "webhook": None, "since": start,
                                       "until": last_minute})

    def _on_webhook_table_clicked(self, index: QModelIndex) -> None:
        row = self.webhook_model.row(index.row())
        self.sig_show_deliveries.emit({"status": None, "webhook": row["webhookId"],
                                       "since": self._range_start(), "until": None})

    def _on_reason_table_clicked(self, index: QModelIndex) -> None:
        row = self.reason_model.row(index.row())
        ids = [w["webhookId"] for w in self.webhook_model.rows if w["webhookName"] in row["webhooks"]]
        self.sig_show_deliveries.emit({"status": None, "webhook": ids[0] if len(ids) == 1 else None,
                                       "since": self._range_start(), "until": None})


def _section(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _summary(stats: dict) -> str:
    totals = stats["totals"]
    span = "24 hours" if stats["hours"] == 24 else ("7 days" if stats["hours"] == 168 else f"{stats['hours']} hours")
    if not totals["attempts"] and not totals["endedFailed"]:
        return f"No delivery attempts in the last {span}."
    parts = [f"{totals['delivered']:,} delivered", plural(totals["failedAttempts"], "failed attempt"),
             f"{totals['endedFailed']:,} ended FAILED"]
    return f"Last {span}: {' · '.join(parts)} · success rate {rate_text(totals['successRate'])}"
