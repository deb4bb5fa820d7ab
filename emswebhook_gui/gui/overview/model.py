"""The Overview's tables: per-webhook health and the top error reasons.

The 24-hour sparkline is text (block characters, ▁ to █), not a painted chart: it sorts and
copies with the row, reads in any theme, costs nothing per paint, and a screen reader can be
given its numbers (the tooltip lists them).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from emswebhook_gui.stats import sparkline
from emswebhook_gui.wording import milliseconds, plural

WEBHOOK_COLUMNS = ("Webhook", "Success rate", "Attempts", "p50", "p95", "Last error", "Last 24 hours")
REASON_COLUMNS = ("Reason", "Count", "Webhooks", "Example")


def rate_text(rate: float | None) -> str:
    if rate is None:
        return "–"
    return f"{rate * 100:.0f} %" if rate in (0, 1) else f"{rate * 100:.1f} %"


def duration_text(ms: float | None) -> str:
    return milliseconds(ms, "–")


class _Rows(QAbstractTableModel):
    columns: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.columns):
            return self.columns[section]
        return None

    def row(self, number: int) -> dict:
        return self.rows[number]


class WebhookHealthModel(_Rows):
    columns = WEBHOOK_COLUMNS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                if row.get("enabled") is None:
                    return f"{row['webhookName']} (deleted)"
                return row["webhookName"] if row["enabled"] else f"{row['webhookName']} (disabled)"
            if column == 1:
                return rate_text(row["successRate"])
            if column == 2:
                return f"{row['attempts']:,}"
            if column == 3:
                return duration_text(row["p50Ms"])
            if column == 4:
                return duration_text(row["p95Ms"])
            if column == 5:
                return row["lastError"] or ""
            if column == 6:
                spark = row["sparkline"]
                return sparkline([d + f for d, f in zip(spark["delivered"], spark["failedAttempts"])])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 5 and row["lastError"]:
                return f"{row['lastError']}\nat {row['lastErrorAt']}"
            if column == 6:
                spark = row["sparkline"]
                return (f"Last 24 hours, hour by hour: {sum(spark['delivered']):,} delivered, "
                        f"{plural(sum(spark['failedAttempts']), 'failed attempt')}")
            if column == 1 and row["attempts"]:
                return f"{row['delivered']:,} of {plural(row['attempts'], 'attempt')} delivered"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2, 3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ReasonsModel(_Rows):
    columns = REASON_COLUMNS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row["reason"], f"{row['count']:,}", ", ".join(row["webhooks"]), row.get("example") or "")[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
