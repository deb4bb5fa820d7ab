"""What a notification row says: its columns, status words and colours, and the texts formatted
from the service's dict. The table, the details pane and the status chips share them, so a
status reads the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PLACEHOLDER = "…"


DASH = "—"


FAILED, IN_PROGRESS, SUCCESSFUL = "FAILED", "IN_PROGRESS", "SUCCESSFUL"


CLOSED_BY_HAND = "CLOSED_BY_HAND"
"""Not a stored status: a SUCCESSFUL notification someone marked successful, which was never
delivered, so its chip must not read like a delivery (:func:`chip_key`)."""


STATUS_LABELS = {FAILED: "Failed", IN_PROGRESS: "In progress", SUCCESSFUL: "Successful",
                 CLOSED_BY_HAND: "Closed by hand"}


STATUS_TIPS = {
    FAILED: "All automatic attempts failed: retry it once the cause is fixed, or mark it successful",
    IN_PROGRESS: "Automatic attempts are still pending; it cannot be retried by hand yet",
    SUCCESSFUL: "Delivered (a 2xx answer)",
    CLOSED_BY_HAND: "Marked successful by hand: it was not delivered",
}


def chip_key(item: dict) -> str | None:
    """The chip a notification shows: its status, or :data:`CLOSED_BY_HAND`."""
    status = item.get("status")
    return CLOSED_BY_HAND if status == SUCCESSFUL and item.get("markedSuccessfulBy") else status


def closed_by_hand_text(item: dict) -> str:
    return f"by {item.get('markedSuccessfulBy')} at {local_time(item.get('markedSuccessfulAt'))}"


STATUS_COLORS: dict[str, tuple[str, str]] = {
    FAILED: ("#b3261e", "#fde4e2"),
    IN_PROGRESS: ("#8a5000", "#ffefcc"),
    SUCCESSFUL: ("#1b6b33", "#dcf2e3"),
}
"""Text and fill colour of each status chip: red, amber, green (also used by the details pane);
the closed-by-hand chip takes its colours from the palette (``status_chip``)."""


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    tip: str
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("status", "Status", "Delivery state"),
    Column("createdAt", "Time", "When the notification was created (local time)"),
    Column("webhookName", "Webhook", "The webhook the notification was sent to"),
    Column("eventName", "Event", "The licensing event"),
    Column("lastStatusCode", "HTTP", "HTTP status of the last answer", numeric=True),
    Column("lastError", "Last error", "Why the last attempt failed"),
    Column("attempts", "Attempts", "Delivery attempts made so far", numeric=True),
    Column("nextAttemptAt", "Next attempt", "When the next automatic attempt is due (local time)"),
    Column("activityName", "Activity", "The activity that caused the event"),
    Column("entityId", "Entity ID", "The entity the event is about"),
    Column("eventId", "Event ID", "Identifies this notification; receivers dedupe by it"),
)
"""In the order shown: what a failure browser needs first (state, when, where, why) on the left."""


COLUMN = {column.key: number for number, column in enumerate(COLUMNS)}


def parse_time(value: Any) -> datetime | None:
    """The service's ISO 8601 UTC text ('...Z') as an aware datetime; None when absent or bad."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def local_time(value: Any) -> str:
    """A service timestamp in the user's local time zone, to the second; a dash when absent."""
    parsed = parse_time(value)
    if parsed is None:
        return DASH if not value else str(value)
    return parsed.astimezone().replace(tzinfo=None).isoformat(" ", timespec="seconds")


def first_line(text: Any, limit: int = 160) -> str:
    if not text:
        return ""
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Row:
    """One cached row: the service's dict, and its display texts, formatted on first paint.

    Formatting is deferred because only the few rows on screen are ever painted: a page of 200
    arrives, about 25 are formatted. Each is formatted once; a refresh that changes the row
    replaces the whole Row.
    """

    __slots__ = ("item", "_texts")

    def __init__(self, item: dict) -> None:
        self.item = item
        self._texts: tuple[str, ...] | None = None

    @classmethod
    def of(cls, item: dict) -> "Row":
        return cls(item)

    @property
    def texts(self) -> tuple[str, ...]:
        if self._texts is None:
            self._texts = _format(self.item)
        return self._texts

    def tooltip(self, column: int) -> str | None:
        """The cell's tooltip: the whole text where the cell may cut it, the reason behind a status."""
        key = COLUMNS[column].key
        item = self.item
        if key == "status":
            key = chip_key(item)
            if key == CLOSED_BY_HAND:
                return f"Closed by hand {closed_by_hand_text(item)}: it was not delivered"
            return STATUS_TIPS.get(key or "") or None
        if key == "lastError":
            text = self.texts[column]
            return str(item["lastError"]) if text and item.get("lastError") else None
        if key in ("createdAt", "nextAttemptAt"):
            return f"{item[key]} (UTC)" if item.get(key) else None
        text = self.texts[column]
        return text if len(text) > 24 else None


def _format(item: dict) -> tuple[str, ...]:
    status = item.get("status")
    code = item.get("lastStatusCode")
    attempts = item.get("attempts")
    values = {
        "status": STATUS_LABELS.get(chip_key(item) or "", str(status or PLACEHOLDER)),
        "createdAt": local_time(item.get("createdAt")),
        "webhookName": str(item.get("webhookName") or ""),
        "eventName": str(item.get("eventName") or ""),
        "lastStatusCode": str(code) if code is not None else DASH,
        "lastError": "" if status == SUCCESSFUL else first_line(item.get("lastError")),  # none is left
        "attempts": str(attempts) if attempts is not None else "",
        "nextAttemptAt": local_time(item.get("nextAttemptAt")) if item.get("nextAttemptAt") else DASH,
        "activityName": str(item.get("activityName") or ""),
        "entityId": str(item.get("entityId") or ""),
        "eventId": str(item.get("eventId") or ""),
    }
    return tuple(values[column.key] for column in COLUMNS)
