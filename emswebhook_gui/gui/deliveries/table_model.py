"""The Event Deliveries table: a lazy, live Qt model over ``WebhookService.search_notifications``.

What the model holds (the Anki browser's design): the eventIds of the rows loaded so far, in the
service's order (newest first), and a cache of those rows (the service's dicts, with display
texts formatted the first time a row is painted). ``data()`` only reads that cache, so it never
blocks and never raises; a row missing from the cache renders a placeholder. Pages of
:data:`PAGE_SIZE` arrive through ``fetchMore`` (the view asks when its last row comes into sight) using the service's keyset cursor, so the
table opens at once over a million notifications.

Every query runs on the bridge through the queue of :mod:`.queries`. A search for filters that
changed meanwhile is dropped when it returns (generation count).

Live updates: on ``refresh()`` (the page calls it on ``sig_notifications_changed``) the loaded
range is queried again and merged into the table with row inserts, removes and ``dataChanged``
rather than a reset, so the view keeps the selection, the current row and its scroll position.
Rows the user acted on here (retried, marked successful) are *pinned*: they stay in the table,
showing their new state, until the filters change, even though a FAILED filter no longer matches
them; otherwise a retried row would vanish before the user sees it go IN_PROGRESS, then SUCCESSFUL.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase

from emswebhook_gui.gui.deliveries.merge import apply_order, merge_order
from emswebhook_gui.gui.deliveries.queries import MORE, REFRESH, SEARCH, Failure, QueryQueue, guarded
from emswebhook_gui.gui.deliveries.rows import COLUMNS, PLACEHOLDER, Row

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
        self._queue = QueryQueue()
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
        self._queue.pending = {SEARCH}
        self._run_next()

    def refresh(self) -> None:
        """Re-query the loaded rows (states changed); coalesced with a refresh already queued."""
        if not self._searched and not self._queue.wants(SEARCH):
            self._queue.pending.add(SEARCH)
        elif SEARCH not in self._queue.pending:
            self._queue.pending.add(REFRESH)
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
            return cached.tooltip(column)
        return None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802
        if parent.isValid():
            return False
        return self._cursor is not None and not self._queue.wants(MORE)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802
        """Queue the next page; it arrives asynchronously (``rowsInserted``)."""
        if parent.isValid() or self._cursor is None:
            return
        self._queue.pending.add(MORE)
        self._run_next()

    # -- the query queue -------------------------------------------------------------------------------

    def _run_next(self) -> None:
        kind = self._queue.take()
        if kind is None:
            return
        if kind == MORE and self._cursor is None:
            self._queue.running = None
            self._run_next()
            return
        generation = self._generation
        service = self._bridge.service
        filters = dict(self._filters)
        if kind == SEARCH:
            work = functools.partial(service.search_notifications, filters, limit=PAGE_SIZE)
        elif kind == MORE:
            work = functools.partial(service.search_notifications, filters, limit=PAGE_SIZE, cursor=self._cursor)
        else:
            work = functools.partial(self._refresh_query, filters)
        self._bridge.run(
            functools.partial(guarded, work), lambda result: self._on_query_finished(kind, generation, result), eager=True)

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
        self._queue.running = None
        try:
            if generation == self._generation:
                if isinstance(result, Failure):
                    self._apply_failure(kind, result.message)
                elif kind == SEARCH:
                    self._apply_search(result)
                elif kind == MORE:
                    self._apply_more(result)
                else:
                    self._apply_refresh(*result)
        finally:
            self._run_next()

    # -- applying answers --------------------------------------------------------------------------------

    def _apply_failure(self, kind: str, message: str) -> None:
        if kind == SEARCH:
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
            apply_order(self, self._ids, order)
        self._rows = {event_id: self._rows[event_id] for event_id in self._ids if event_id in self._rows}
        self._cursor, self._tail = cursor, tail
        rows = [row for row, event_id in enumerate(self._ids) if event_id in changed]
        if rows:
            self.dataChanged.emit(self.index(rows[0], 0), self.index(rows[-1], len(COLUMNS) - 1),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, STATUS_ROLE, ITEM_ROLE])
        self.sig_refresh_applied.emit()
