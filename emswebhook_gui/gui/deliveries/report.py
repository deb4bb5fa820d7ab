"""How a retry went, told next to the action once the deliveries say so.

"Retrying 13 notifications" used to be the last word: the user had to watch the rows to learn
whether the endpoint now answers. A retry starts a new round whose first attempt is made at once,
so the report follows the retried rows (the page keeps them in the table, pinned, whatever their
new state) and, as the live refreshes bring their new states, says "Retried 13 notifications:
12 delivered, 1 failed again (HTTP 500 …)". It ends when every followed row has had its first
attempt of the round, or after :data:`PATIENCE_S` ("2 not attempted yet": a paused service, a
disabled webhook).

Only rows on screen can be followed (at most :data:`FOLLOWED` of them: the page re-reads pinned
rows one by one); a retry of "all matching" that reaches more says so ("of the 100 shown"). A
report belongs to its search: the page stops it when the filters change, and its text goes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from emswebhook_gui.gui.deliveries.rows import FAILED, SUCCESSFUL
from emswebhook_gui.wording import plural, shorten

if TYPE_CHECKING:
    from emswebhook_gui.gui.deliveries.table_model import NotificationTableModel

FOLLOWED = 100
PATIENCE_S = 60.0
ERROR_CHARS = 60


class RetryReport(QObject):
    sig_report = Signal(str, bool)
    """The text to show next to the action, and whether it reports a failure."""

    def __init__(self, model: "NotificationTableModel", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._before: dict[str, tuple[int, tuple]] = {}
        self._retried = 0
        self._started = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)
        model.sig_refresh_applied.connect(self._on_model_refresh_applied)

    @property
    def active(self) -> bool:
        return bool(self._before)

    def follow(self, rows: list[dict], retried: int) -> None:
        """Report on these rows (as they were before the retry); ``retried`` notifications were retried in all."""
        self._before = {row["eventId"]: (row.get("attempts") or 0, _trace(row)) for row in rows[:FOLLOWED]}
        self._retried = retried
        self._started = time.monotonic()
        if not self._before:
            return
        self._timer.start(int(PATIENCE_S * 1000))
        self._tell(final=False)

    def stop(self) -> None:
        self._before = {}
        self._timer.stop()

    def _on_model_refresh_applied(self) -> None:
        if self._before:
            self._tell(final=False)

    def _on_timer_timeout(self) -> None:
        if self._before:
            self._tell(final=True)

    def _tell(self, final: bool) -> None:
        delivered, failed, pending, last_error = 0, 0, 0, None
        for event_id, (attempts, trace) in self._before.items():
            row = self._model.row_of(event_id)
            item = self._model.item(row) if row >= 0 else None
            if item is None:
                pending += 1
            elif item["status"] == SUCCESSFUL:
                delivered += 1
            elif ((item.get("attempts") or 0) > attempts  # the round's first attempt was made, and failed
                  or item["status"] == FAILED and _trace(item) != trace):  # ended without a send (disabled)
                failed += 1
                last_error = item.get("lastError") or last_error
            else:
                pending += 1
        followed = len(self._before)
        done = not pending
        head = f"Retried {plural(self._retried)}"
        if followed < self._retried:
            head += f"; of the {followed:,} shown"
        parts = []
        if delivered:
            parts.append(f"{delivered:,} delivered")
        if failed:
            reason = f" ({shorten(last_error, ERROR_CHARS)})" if last_error else ""
            parts.append(f"{failed:,} failed again{reason}")
        if pending:
            parts.append(f"{pending:,} not attempted yet" if final else f"{pending:,} waiting")
        text = f"{head}: {', '.join(parts)}" if parts else head
        if not (done or final):
            text += "…"
        self.sig_report.emit(text, bool(failed) or final and bool(pending))
        if done or final:
            self.stop()


def _trace(item: dict) -> tuple:
    """What a round changes on a FAILED row even when it sends nothing (a disabled webhook)."""
    return item.get("updatedAt"), item.get("lastError"), item.get("lastStatusCode"), item.get("roundKind")


