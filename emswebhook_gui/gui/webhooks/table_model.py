"""The webhook list's model: :class:`WebhookTableModel`, webhooks plus each one's last delivery
and failing count (a :class:`~emswebhook_gui.gui.widgets.record_table.RecordTableModel`).

"Last Delivery" reads "In progress · 15 failed · 10:04:05": the newest notification's status, how
many of the webhook's notifications are failing (FAILED, and IN_PROGRESS after a failed attempt:
what Event Deliveries calls "Needs attention"), and when. The count is in red whenever it is not
zero, as a FAILED newest notification is: a webhook whose latest test succeeded can still have
fifteen notifications retrying."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from emswebhook_gui.gui.widgets.record_table import NONE_TEXT, Column, RecordTableModel, muted
from emswebhook_gui.gui.widgets.tables import SORT_ROLE
from emswebhook_gui.wording import plural
from emswebhook_gui.gui.widgets.colors import error_color

_log = logging.getLogger(__name__)

LAST_DELIVERY = "lastDelivery"
FAILING = "failingCount"
"""The webhook's notifications needing attention; absent until fetched."""


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
    failing = record.get(FAILING) or 0
    return f"{word}{code} · {failing} failed · {when}" if failing else f"{word}{code} · {when}"


def _last_delivery_tooltip(record: dict) -> str | None:
    last = record.get(LAST_DELIVERY, UNKNOWN)
    if last is UNKNOWN or last is None:
        return "No notification has been sent to this webhook yet" if last is None else None
    lines = [f"eventId {last.get('eventId')}", f"{last.get('activityName')} on {last.get('entityId')}",
             f"{last.get('status')} after {plural(last.get('attempts') or 0, 'attempt')}"]
    if last.get("lastError"):
        lines.append(str(last["lastError"]))
    failing = record.get(FAILING) or 0
    if failing:
        lines.append(f"{plural(failing, 'notification')} of this webhook failed or are retrying after a failed "
                     "attempt: Event Deliveries, Needs attention")
    return "\n".join(lines)


def _last_delivery_color(record: dict) -> QColor | None:
    last = record.get(LAST_DELIVERY, UNKNOWN)
    if isinstance(last, dict) and (last.get("status") == "FAILED" or record.get(FAILING)):
        return error_color()
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
        """Keeps the last deliveries and failing counts already known for webhooks still listed."""
        known = {r.get("id"): (r.get(LAST_DELIVERY, UNKNOWN), r.get(FAILING, 0)) for r in self._rows}
        super().set_records([{LAST_DELIVERY: known.get(r.get("id"), (UNKNOWN, 0))[0],
                              FAILING: known.get(r.get("id"), (UNKNOWN, 0))[1], **r} for r in records])

    def set_last_deliveries(self, last: dict[str, dict | None], failing: dict[str, int] | None = None) -> None:
        """``{webhook id: newest notification dict or None}``, and ``{webhook id: failing count}``
        (ids absent from it have none); ids not listed in ``last`` are left as they are."""
        failing = failing or {}
        changed = [i for i, r in enumerate(self._rows) if r.get("id") in last
                   and (r.get(LAST_DELIVERY), r.get(FAILING)) != (last[r["id"]], failing.get(r["id"], 0))]
        for i in changed:
            self._rows[i][LAST_DELIVERY] = last[self._rows[i]["id"]]
            self._rows[i][FAILING] = failing.get(self._rows[i]["id"], 0)
        if changed:
            column = self.LAST_DELIVERY_COLUMN
            self.dataChanged.emit(self.index(min(changed), column), self.index(max(changed), column),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                   Qt.ItemDataRole.ForegroundRole, SORT_ROLE])

    def _row_color(self, record: dict) -> QColor | None:
        return None if record.get("enabled", True) else muted()
