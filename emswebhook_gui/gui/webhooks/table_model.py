"""Table models over the service's plain dicts: :class:`RecordTableModel` (columns declared once)
and :class:`WebhookTableModel` (webhooks plus each one's last delivery).

The models hold what the page last fetched and nothing else: no service calls, so ``data()``
never blocks, and a record of an unexpected shape renders a placeholder instead of raising.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from emswebhook_gui.gui.widgets.layout import ERROR_COLOR
from emswebhook_gui.gui.widgets.tables import SORT_ROLE
from emswebhook_gui.wording import plural

_log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""The record's ``id`` (any column)."""

RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
"""The whole record dict (any column)."""

NONE_TEXT = "—"

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[dict], str]
    tooltip: Callable[[dict], str | None] | None = None
    sort_key: Callable[[dict], Any] | None = None
    color: Callable[[dict], QColor | None] | None = None


def _muted() -> QColor:
    return QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


class RecordTableModel(QAbstractTableModel):
    """Rows are dicts with an ``id``; subclasses declare :attr:`COLUMNS`. Read-only."""

    COLUMNS: tuple[Column, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[dict] = []

    # -- Qt API ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows) \
                or not 0 <= index.column() < len(self.COLUMNS):
            return None
        record = self._rows[index.row()]
        column = self.COLUMNS[index.column()]
        try:
            return self._data(record, column, role)
        except Exception:  # a surprising record must not take the view down
            _log.exception("cannot render column %r of %r", column.title, record.get("id"))
            return "⚠ unreadable" if role == Qt.ItemDataRole.DisplayRole else None

    def _data(self, record: dict, column: Column, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(record) if column.tooltip else (column.text(record) or None)
        if role == SORT_ROLE:
            key = column.sort_key(record) if column.sort_key else column.text(record)
            return key.casefold() if isinstance(key, str) else key
        if role == Qt.ItemDataRole.ForegroundRole:
            color = column.color(record) if column.color else None
            return color if color is not None else self._row_color(record)
        if role == ID_ROLE:
            return record.get("id")
        if role == RECORD_ROLE:
            return dict(record)
        return None

    def _row_color(self, record: dict) -> QColor | None:
        return None

    # -- for the page ------------------------------------------------------------------------

    def set_records(self, records: list[dict]) -> None:
        self.beginResetModel()
        self._rows = [dict(r) for r in records]
        self.endResetModel()

    def record(self, row: int) -> dict | None:
        return dict(self._rows[row]) if 0 <= row < len(self._rows) else None

    def records(self) -> list[dict]:
        return [dict(r) for r in self._rows]

    def row_of(self, record_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.get("id") == record_id), -1)


# -- webhooks ---------------------------------------------------------------------------------

LAST_DELIVERY = "lastDelivery"
UNKNOWN = object()
"""The last delivery of a webhook not fetched yet."""

_STATUS_WORDS = {"SUCCESSFUL": "Delivered", "FAILED": "Failed", "IN_PROGRESS": "In progress"}


def local_time(stamp: str | None, seconds: bool = False) -> str:
    """'2026-11-28T10:00:00.000Z' as local 'YYYY-MM-DD HH:MM'; the raw text if unparsable."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
        return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def short_time(stamp: str | None) -> str:
    """The time of day for today's stamps, the date for older ones (narrow columns)."""
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).astimezone()
    except ValueError:
        return str(stamp or "")
    return moment.strftime("%H:%M:%S" if moment.date() == datetime.now().astimezone().date() else "%Y-%m-%d")


def last_delivery_text(record: dict, short: bool = True) -> str:
    last = record.get(LAST_DELIVERY, UNKNOWN)
    if last is UNKNOWN:
        return "…"
    if last is None:
        return "Never"
    word = _STATUS_WORDS.get(last.get("status"), str(last.get("status")))
    code = f" (HTTP {last['lastStatusCode']})" if last.get("status") == "FAILED" and last.get("lastStatusCode") else ""
    when = short_time(last.get("updatedAt")) if short else local_time(last.get("updatedAt"), seconds=True)
    return f"{word}{code} · {when}"


def _last_delivery_tooltip(record: dict) -> str | None:
    last = record.get(LAST_DELIVERY, UNKNOWN)
    if last is UNKNOWN or last is None:
        return "No notification has been sent to this webhook yet" if last is None else None
    lines = [f"eventId {last.get('eventId')}", f"{last.get('activityName')} on {last.get('entityId')}",
             f"{last.get('status')} after {plural(last.get('attempts') or 0, 'attempt')}"]
    if last.get("lastError"):
        lines.append(str(last["lastError"]))
    return "\n".join(lines)


def _last_delivery_color(record: dict) -> QColor | None:
    last = record.get(LAST_DELIVERY, UNKNOWN)
    if isinstance(last, dict) and last.get("status") == "FAILED":
        return QColor(ERROR_COLOR)
    return None


def _last_delivery_sort(record: dict) -> str:
    last = record.get(LAST_DELIVERY, UNKNOWN)
    return last.get("updatedAt") or "" if isinstance(last, dict) else ""


class WebhookTableModel(RecordTableModel):
    """The service's webhook dicts; disabled webhooks in muted text."""

    COLUMNS = (
        Column("Name", lambda w: w["name"], lambda w: w.get("description") or w["name"]),
        Column("Event", lambda w: w["event"], lambda w: f"{w.get('entityName')}: {w['event']}"),
        Column("Endpoint URL", lambda w: w["endpointUrl"]),
        Column("Profile", lambda w: w["authProfile"], lambda w: f"Authentication profile: {w['authProfile']}"),
        Column("Enabled", lambda w: "Yes" if w["enabled"] else "No", sort_key=lambda w: int(w["enabled"])),
        Column("Last Delivery", last_delivery_text, _last_delivery_tooltip, _last_delivery_sort,
               _last_delivery_color),
        Column("Trigger Condition", lambda w: w.get("triggerCondition") or NONE_TEXT,
               lambda w: w.get("triggerCondition") or "No trigger condition: every occurrence counts"),
    )
    LAST_DELIVERY_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.title == "Last Delivery")

    def set_records(self, records: list[dict]) -> None:
        """Keeps the last deliveries already known for webhooks still listed."""
        known = {r["id"]: r.get(LAST_DELIVERY, UNKNOWN) for r in self._rows}
        super().set_records([{LAST_DELIVERY: known.get(r["id"], UNKNOWN), **r} for r in records])

    def set_last_deliveries(self, last: dict[str, dict | None]) -> None:
        """``{webhook id: newest notification dict or None}``; unknown ids are ignored."""
        changed = [i for i, r in enumerate(self._rows) if r["id"] in last and r.get(LAST_DELIVERY) != last[r["id"]]]
        for i in changed:
            self._rows[i][LAST_DELIVERY] = last[self._rows[i]["id"]]
        if changed:
            column = self.LAST_DELIVERY_COLUMN
            self.dataChanged.emit(self.index(min(changed), column), self.index(max(changed), column),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                   Qt.ItemDataRole.ForegroundRole, SORT_ROLE])

    def _row_color(self, record: dict) -> QColor | None:
        return None if record.get("enabled", True) else _muted()
