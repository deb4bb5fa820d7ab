"""The Event Deliveries table: a lazy, live Qt model over ``WebhookService.search_notifications``.

What the model holds (the Anki browser's design): the eventIds of the rows loaded so far, in the
service's order (newest first), and a cache of those rows (the service's dicts, with display
texts formatted the first time a row is painted). ``data()`` only reads that cache, so it never
blocks and never raises; a row missing from the cache renders a placeholder. Pages of :data:`PAGE_SIZE` arrive through ``fetchMore``
(the view asks when its last row comes into sight) using the service's keyset cursor, so the
table opens at once over a million notifications.

Every query runs on the bridge, one at a time (the SQLite store has one worker anyway), through a
small queue with a priority: a new search (filters changed) beats a refresh, which beats the next
page. A search for filters that changed meanwhile is dropped when it returns (generation count).

Live updates: on ``refresh()`` (the page calls it on ``sig_notifications_changed``) the loaded
range is queried again and merged into the table with row inserts, removes and ``dataChanged``
rather than a reset, so the view keeps the selection, the current row and its scroll position.
Rows the user acted on here (retried, marked successful) are *pinned*: they stay in the table,
showing their new state, until the filters change, even though a FAILED filter no longer matches
them; otherwise a retried row would vanish before the user sees it go IN_PROGRESS, then SUCCESSFUL.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase

from emswebhook_gui.errors import ServiceError

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

PAGE_SIZE = 200
"""Rows per ``fetchMore``: a few screens, one cheap keyset query."""

REFRESH_LIMIT = 1000
"""At most this many rows (the service's page limit) are re-queried on a refresh; rows further
down keep their cached state until the filters change or the user scrolls to them."""

EVENT_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
STATUS_ROLE = int(Qt.ItemDataRole.UserRole) + 2
ITEM_ROLE = int(Qt.ItemDataRole.UserRole) + 3
"""The row's notification dict, as the service returned it."""

PLACEHOLDER = "…"
DASH = "—"

FAILED, IN_PROGRESS, SUCCESSFUL = "FAILED", "IN_PROGRESS", "SUCCESSFUL"

STATUS_LABELS = {FAILED: "Failed", IN_PROGRESS: "In progress", SUCCESSFUL: "Successful"}
STATUS_TIPS = {
    FAILED: "All automatic attempts failed: retry it once the cause is fixed, or mark it successful",
    IN_PROGRESS: "Automatic attempts are still pending; it cannot be retried by hand yet",
    SUCCESSFUL: "Delivered (a 2xx answer), or marked successful by hand",
}
STATUS_COLORS: dict[str, tuple[str, str]] = {
    FAILED: ("#b3261e", "#fde4e2"),
    IN_PROGRESS: ("#8a5000", "#ffefcc"),
    SUCCESSFUL: ("#1b6b33", "#dcf2e3"),
}
"""Text and fill colour of each status chip: red, amber, green (also used by the details pane)."""


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


def _format(item: dict) -> tuple[str, ...]:
    status = item.get("status")
    code = item.get("lastStatusCode")
    attempts = item.get("attempts")
    values = {
        "status": STATUS_LABELS.get(status, str(status or PLACEHOLDER)),
        "createdAt": local_time(item.get("createdAt")),
        "webhookName": str(item.get("webhookName") or ""),
        "eventName": str(item.get("eventName") or ""),
        "lastStatusCode": str(code) if code is not None else DASH,
        "lastError": first_line(item.get("lastError")),
        "attempts": str(attempts) if attempts is not None else "",
        "nextAttemptAt": local_time(item.get("nextAttemptAt")) if item.get("nextAttemptAt") else DASH,
        "activityName": str(item.get("activityName") or ""),
        "entityId": str(item.get("entityId") or ""),
        "eventId": str(item.get("eventId") or ""),
    }
    return tuple(values[column.key] for column in COLUMNS)


@dataclass
class _Failure:
    message: str


def merge_order(old: list[str], new: list[str], keep: set[str]) -> list[str] | None:
    """The rows after a refresh: ``new`` (the re-queried range, in order) plus the rows of ``old``
    in ``keep`` (pinned, or below the re-queried range), each kept in its old place.

    Rows in both lists are in the same relative order (the service sorts by an immutable
    sequence number), so a merge suffices; None when they are not (then the caller resets).
    A row that is only in ``new`` goes right after the row of ``new`` before it.
    """
    new_set = set(new)
    kept = [event_id for event_id in old if event_id in new_set or event_id in keep]
    kept_set = set(kept)
    result: list[str] = []
    position = 0
    for event_id in new:
        if event_id not in kept_set:
            result.append(event_id)
            continue
        while position < len(kept) and kept[position] != event_id:
            if kept[position] in new_set:
                return None  # a row of both lists out of order
            result.append(kept[position])
            position += 1
        if position == len(kept):
            return None
        result.append(event_id)
        position += 1
    result.extend(kept[position:])
    return result


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ANSWERED_ROLES = frozenset({_DISPLAY, _TOOLTIP, _ALIGNMENT, _FONT, EVENT_ID_ROLE, STATUS_ROLE, ITEM_ROLE})
_ALIGNMENTS = tuple(int(Qt.AlignmentFlag.AlignCenter) if column.numeric else None for column in COLUMNS)
_COLUMN_COUNT = len(COLUMNS)
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


class NotificationTableModel(QAbstractTableModel):
    sig_search_finished = Signal()
    """The first page for the current filters arrived (or failed): the empty state may change."""

    sig_error = Signal(str)
    """A query failed; the service's message, e.g. "until: is before 'since'"."""

    sig_refresh_about_to_apply = Signal()
    """A refresh is about to insert/remove rows: the page notes what the user is looking at."""

    sig_refresh_applied = Signal()
    """A refresh was merged in: the page restores the scroll position and updates its actions."""

    def __init__(self, bridge: "ServiceBridge", parent=None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._filters: dict = {}
        self._ids: list[str] = []
        self._rows: dict[str, Row] = {}
        self._cursor: str | None = None
        self._tail: str | None = None
        self._pinned: set[str] = set()
        self._generation = 0
        self._pending: set[str] = set()
        self._running: str | None = None
        self._searched = False
        self._error: str | None = None
        self._fonts = tuple(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if column.key == "eventId"
                            else None for column in COLUMNS)

    # -- what the page asks -------------------------------------------------------------------------

    @property
    def filters(self) -> dict:
        return dict(self._filters)

    @property
    def error(self) -> str | None:
        """The last search's failure, shown in the empty state; None after a good search."""
        return self._error

    @property
    def searched(self) -> bool:
        """Whether any search has returned: before that an empty table is not "no matches"."""
        return self._searched

    def event_id(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def item(self, row: int) -> dict | None:
        cached = self._rows.get(self._ids[row]) if 0 <= row < len(self._ids) else None
        return cached.item if cached else None

    def row_of(self, event_id: str) -> int:
        """The row showing ``event_id``, or -1."""
        try:
            return self._ids.index(event_id)
        except ValueError:
            return -1

    # -- what the page tells it ------------------------------------------------------------------------

    def set_filters(self, filters: dict) -> None:
        """Search again with these filters (the service's names); the rows shown stay until the
        answer arrives, so the table does not flash empty."""
        self._filters = {key: value for key, value in filters.items() if value not in (None, "")}
        self._generation += 1
        self._pinned.clear()
        self._pending = {"search"}
        self._run_next()

    def refresh(self) -> None:
        """Re-query the loaded rows (states changed); coalesced with a refresh already queued."""
        if not self._searched and "search" not in self._pending and self._running != "search":
            self._pending.add("search")
        elif "search" not in self._pending:
            self._pending.add("refresh")
        self._run_next()

    def pin(self, event_ids: list[str]) -> None:
        """Keep these rows in the table until the filters change, whatever their new state."""
        self._pinned.update(event_id for event_id in event_ids if event_id in self._rows)

    # -- Qt model interface -----------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        """Qt's own ``index`` asks ``rowCount`` and ``columnCount``: two calls into Python for
        every cell painted, where this is one."""
        if parent.isValid() or not (0 <= row < len(self._ids) and 0 <= column < _COLUMN_COUNT):
            return QModelIndex()
        return self.createIndex(row, column)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == _DISPLAY:
            return COLUMNS[section].title
        if role == _TOOLTIP:
            return COLUMNS[section].tip
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Reads the cache only; anything unexpected renders the placeholder instead of raising.

        Called for seven roles of every visible cell on each paint, each a call from Qt into
        Python: the roles it never answers are refused first, role numbers are compared as plain
        ints, and per-column answers come from tuples, with as few calls back into Qt as possible
        (an invalid index has row and column -1).
        """
        if role not in _ANSWERED_ROLES:
            return None
        try:
            column = index.column()
            if column < 0:
                return None
            if role == _ALIGNMENT:
                return _ALIGNMENTS[column]
            if role == _FONT:
                return self._fonts[column]
            row = index.row()
            if row >= len(self._ids):
                return None
            event_id = self._ids[row]
            if role == EVENT_ID_ROLE:
                return event_id
            cached = self._rows.get(event_id)
            if role == _DISPLAY:
                return cached.texts[column] if cached is not None else PLACEHOLDER
            return self._item_data(cached, column, role) if cached is not None else None
        except Exception:  # noqa: BLE001 - data() must never raise into Qt's paint code
            return PLACEHOLDER if role == _DISPLAY else None

    def _item_data(self, cached: Row, column: int, role: int) -> Any:
        if role == STATUS_ROLE:
            return cached.item.get("status")
        if role == ITEM_ROLE:
            return cached.item
        if role == _TOOLTIP:
            return self._tooltip(cached, column)
        return None

    @staticmethod
    def _tooltip(cached: Row, column: int) -> str | None:
        key = COLUMNS[column].key
        item = cached.item
        if key == "status":
            status = item.get("status")
            tip = STATUS_TIPS.get(status, "")
            if item.get("markedSuccessfulBy"):
                tip = f"Marked successful by {item['markedSuccessfulBy']} at {local_time(item.get('markedSuccessfulAt'))}"
            return tip or None
        if key == "lastError":
            return str(item["lastError"]) if item.get("lastError") else None
        if key in ("createdAt", "nextAttemptAt"):
            return f"{item[key]} (UTC)" if item.get(key) else None
        text = cached.texts[column]
        return text if len(text) > 24 else None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802
        if parent.isValid():
            return False
        return self._cursor is not None and "more" not in self._pending and self._running != "more"

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802
        """Queue the next page; it arrives asynchronously (``rowsInserted``)."""
        if parent.isValid() or self._cursor is None:
            return
        self._pending.add("more")
        self._run_next()

    # -- the query queue -------------------------------------------------------------------------------

    def _run_next(self) -> None:
        if self._running is not None:
            return
        for kind in ("search", "refresh", "more"):
            if kind in self._pending:
                self._pending.discard(kind)
                break
        else:
            return
        if kind == "more" and self._cursor is None:
            self._run_next()
            return
        self._running = kind
        generation = self._generation
        service = self._bridge.service
        filters = dict(self._filters)
        if kind == "search":
            work = functools.partial(service.search_notifications, filters, limit=PAGE_SIZE)
        elif kind == "more":
            work = functools.partial(service.search_notifications, filters, limit=PAGE_SIZE, cursor=self._cursor)
        else:
            work = functools.partial(self._refresh_query, filters)
        self._bridge.run(
            functools.partial(_guarded, work), lambda result: self._on_query_finished(kind, generation, result), eager=True)

    async def _refresh_query(self, filters: dict) -> tuple[dict, list[dict]]:
        """The loaded range again, plus the pinned rows the filters no longer match."""
        service = self._bridge.service
        limit = max(PAGE_SIZE, min(len(self._ids), REFRESH_LIMIT))
        page = await service.search_notifications(filters, limit=limit)
        found = {item["eventId"] for item in page["items"]}
        pinned = []
        for event_id in [event_id for event_id in self._pinned if event_id not in found][:100]:
            match = await service.search_notifications({"eventId": event_id}, limit=1)
            pinned.extend(match["items"])
        return page, pinned

    def _on_query_finished(self, kind: str, generation: int, result: Any) -> None:
        self._running = None
        try:
            if generation == self._generation:
                if isinstance(result, _Failure):
                    self._apply_failure(kind, result.message)
                elif kind == "search":
                    self._apply_search(result)
                elif kind == "more":
                    self._apply_more(result)
                else:
                    self._apply_refresh(*result)
        finally:
            self._run_next()

    # -- applying answers --------------------------------------------------------------------------------

    def _apply_failure(self, kind: str, message: str) -> None:
        if kind == "search":
            self.beginResetModel()
            self._ids, self._rows, self._cursor, self._tail = [], {}, None, None
            self._error = message
            self._searched = True
            self.endResetModel()
            self.sig_search_finished.emit()
        self.sig_error.emit(message)

    def _apply_search(self, page: dict) -> None:
        items = page["items"]
        self.beginResetModel()
        self._ids = [item["eventId"] for item in items]
        self._rows = {item["eventId"]: Row.of(item) for item in items}
        self._cursor = page["nextCursor"]
        self._tail = self._ids[-1] if self._ids else None
        self._error = None
        self._searched = True
        self.endResetModel()
        self.sig_search_finished.emit()

    def _apply_more(self, page: dict) -> None:
        items = [item for item in page["items"] if item["eventId"] not in self._rows]
        self._cursor = page["nextCursor"]
        if page["items"]:
            self._tail = page["items"][-1]["eventId"]
        if not items:
            return
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._ids.extend(item["eventId"] for item in items)
        for item in items:
            self._rows[item["eventId"]] = Row.of(item)
        self.endInsertRows()

    def _apply_refresh(self, page: dict, pinned_items: list[dict]) -> None:
        items = page["items"]
        new_ids = [item["eventId"] for item in items]
        cursor, tail = page["nextCursor"], (new_ids[-1] if new_ids else None)
        keep = set(self._pinned)
        if self._tail is not None and self._tail in new_ids:
            # The old end of the loaded range is still there: stop at it, keep its cursor.
            new_ids = new_ids[: new_ids.index(self._tail) + 1]
            cursor, tail = self._cursor, self._tail
        elif cursor is not None and len(self._ids) > REFRESH_LIMIT:
            # Only the top of a long table was re-queried: everything below its end stays.
            common = [event_id for event_id in new_ids if event_id in self._rows]
            boundary = self._ids.index(common[-1]) if common else -1
            keep.update(self._ids[boundary + 1:])
            cursor, tail = self._cursor, self._tail
        changed: set[str] = set()
        wanted = set(new_ids)
        for item in [*items, *pinned_items]:
            if item["eventId"] not in wanted and item not in pinned_items:
                continue
            previous = self._rows.get(item["eventId"])
            if previous is None or previous.item != item:
                changed.add(item["eventId"])
                self._rows[item["eventId"]] = Row.of(item)
        order = merge_order(self._ids, new_ids, keep)
        if order == self._ids and cursor == self._cursor and not changed:
            return
        self.sig_refresh_about_to_apply.emit()
        if order is None:
            self.beginResetModel()
            new_set = set(new_ids)
            self._ids = new_ids + [event_id for event_id in self._ids if event_id in keep and event_id not in new_set]
            self.endResetModel()
        else:
            self._apply_order(order)
        self._rows = {event_id: self._rows[event_id] for event_id in self._ids if event_id in self._rows}
        self._cursor, self._tail = cursor, tail
        rows = [row for row, event_id in enumerate(self._ids) if event_id in changed]
        if rows:
            self.dataChanged.emit(self.index(rows[0], 0), self.index(rows[-1], len(COLUMNS) - 1),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, STATUS_ROLE, ITEM_ROLE])
        self.sig_refresh_applied.emit()

    def _apply_order(self, order: list[str]) -> None:
        """Turn the current rows into ``order`` with row removes and inserts (never a reset)."""
        target = set(order)
        row = len(self._ids) - 1
        while row >= 0:  # remove runs from the bottom up, so earlier row numbers stay valid
            if self._ids[row] in target:
                row -= 1
                continue
            last = row
            while row >= 0 and self._ids[row] not in target:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row + 1, last)
            del self._ids[row + 1: last + 1]
            self.endRemoveRows()
        present = set(self._ids)
        position = 0
        while position < len(order):
            if order[position] in present:
                position += 1
                continue
            end = position
            while end < len(order) and order[end] not in present:
                end += 1
            self.beginInsertRows(QModelIndex(), position, end - 1)
            self._ids[position:position] = order[position:end]
            self.endInsertRows()
            position = end


async def _guarded(work: Callable[[], Awaitable[Any]]) -> Any:
    """Every failure becomes a value, so one callback ends every query and the queue always
    moves on."""
    try:
        return await work()
    except asyncio.CancelledError:
        raise
    except ServiceError as exc:
        return _Failure(str(exc))
    except Exception as exc:  # noqa: BLE001 - shown to the user as the search's failure
        return _Failure(f"Unexpected error: {type(exc).__name__}: {exc}")
