"""Settings > Delivery services: the queue in words and every live delivery service (this app,
``emswebhook serve`` elsewhere) with its heartbeat, work in flight and clock offset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from emswebhook_gui.gui.webhooks.table_model import local_time
from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SPACING
from emswebhook_gui.instances import offset_text, offset_warning
from emswebhook_gui.wording import plural

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

SERVICE_COLUMNS = ("Service", "Kind", "Started", "Last heartbeat", "In flight", "Clock offset")


class DeliveryServicesBox(QGroupBox):
    """Refreshes itself on the bridge's health broadcasts, at most every half second."""

    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None) -> None:
        super().__init__("Delivery services", parent)
        self._bridge = bridge
        self.status_label = QLabel("…")
        self.status_label.setObjectName("queueStatus")
        self.table = QTableWidget(0, len(SERVICE_COLUMNS))
        self.table.setObjectName("servicesTable")
        self.table.setHorizontalHeaderLabels(SERVICE_COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setWordWrap(False)
        self.table.setFixedHeight(120)
        self.refresh_button = QPushButton(icon("retry"), "Refresh")
        self.refresh_button.setToolTip("Read the delivery services and the queue again")
        services_layout = QVBoxLayout(self)
        services_layout.setContentsMargins(12, 12, 12, 12)
        services_layout.setSpacing(SPACING)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.refresh_button)
        services_layout.addLayout(status_row)
        services_layout.addWidget(self.table)
        self.refresh_button.clicked.connect(self.refresh)
        self._throttle = qthrottled(self.refresh, 500, leading=False, parent=self)
        bridge.sig_health_changed.connect(self._throttle.throttle)
        self.refresh()

    def refresh(self) -> None:
        """Read the live delivery services and the queue again."""
        self._bridge.run(self._bridge.service.delivery_status, alive(self, self._on_status_loaded),
                         alive(self, lambda exc: self.status_label.setText(f"Cannot read the delivery services: {exc}")))

    def _on_status_loaded(self, status: dict) -> None:
        services = status["services"]
        self.status_label.setText(
            f"<b>{plural(status['queueDepth'])}</b> in progress ({status['due']:,} due now), "
            f"<b>{status['failed']:,}</b> failed, {status['successful']:,} delivered · "
            f"{plural(len(services), 'live delivery service')}")
        self.table.setRowCount(len(services))
        for row, service in enumerate(services):
            cells = (service["id"], service["kind"], local_time(service["startedAt"], True),
                     local_time(service["heartbeatAt"], True), str(service["inFlight"]),
                     offset_text(service["clockOffset"]))
            warning = offset_warning(service)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(("⚠ " + text) if warning and column == len(cells) - 1 else text)
                if warning:
                    item.setToolTip(warning)
                self.table.setItem(row, column, item)
