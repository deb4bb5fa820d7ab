"""What Event Deliveries says when a search finds nothing, and why it must tell the whole truth.

"No failed notifications — all deliveries succeeded" was printed while 70 notifications were
retrying on HTTP 500: FAILED is only the end of the road. So an empty FAILED view asks the service,
once, how many of the same search are still retrying and with which last error, and says
"0 failed · 70 retrying (last error HTTP 500)" with a link that shows them ("Needs attention").
The label sits over the table's viewport and follows its size.
"""

from __future__ import annotations

import functools
import html
import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

from emswebhook_gui.gui.deliveries.rows import FAILED, IN_PROGRESS, SUCCESSFUL
from emswebhook_gui.rules.filters import NEEDS_ATTENTION
from emswebhook_gui.wording import plural, shorten

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

SHOW_RETRYING = "show-retrying"
"""The empty FAILED view's link: show the same search as "Needs attention"."""

SEARCH_ENTITY = "search-entity"
"""The link under an Event ID that is not an eventId: search it as an entity ID."""

ERROR_WORDS = 60
"""How much of the last error the empty state quotes; the details pane has the rest."""


class EmptyState(QLabel):
    sig_show_retrying = Signal()
    """The user clicked "show them" under "0 failed · N retrying"."""

    sig_search_entity = Signal()
    """The user chose to search the Event ID field's text as an entity ID."""

    def __init__(self, bridge: "ServiceBridge", table: QAbstractScrollArea) -> None:
        super().__init__(table.viewport())
        self._bridge = bridge
        self._viewport = table.viewport()
        self._generation = 0
        self.setObjectName("emptyState")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.linkActivated.connect(self._on_link_activated)
        self.hide()
        self._viewport.installEventFilter(self)

    def show_for(self, filters: dict, scope: str, error: str | None) -> None:
        """Show what an empty search of ``filters`` means; ``scope`` is its non-status filters in words."""
        self._generation += 1
        status = filters.get("status")
        event_id = filters.get("eventId")
        if event_id and not error and not _is_uuid(event_id):
            # an entitlement or customer id typed where the eventId goes: say so, offer the right field
            quoted = _escape(_shorten(event_id))
            self._set(f"No notification has the eventId '{quoted}'",
                      "eventIds are UUIDs, such as 01a23bfa-7c51-7725-a728-207034136e93. "
                      f"<a href='{SEARCH_ENTITY}'>Search for '{quoted}' as an entity ID</a>")
            self.show()
            return
        self._set(*_texts(status, scope, error))
        if status == FAILED and not error:
            self._ask_retrying(filters)
        self.show()

    def clear(self) -> None:
        self._generation += 1  # an answer still on its way is for a search that found rows
        self.hide()

    def _ask_retrying(self, filters: dict) -> None:
        generation, search = self._generation, {**filters, "status": NEEDS_ATTENTION}
        service = self._bridge.service

        async def retrying() -> tuple[int, str | None]:
            count = await service.count_notifications(search)  # FAILED found none: all of these retry
            if not count:
                return 0, None
            newest = await service.search_notifications(search, limit=1)
            return count, next((item["lastError"] for item in newest["items"]), None)

        self._bridge.run(retrying, functools.partial(self._on_retrying, generation), lambda _error: None)

    def _on_retrying(self, generation: int, answer: tuple[int, str | None]) -> None:
        count, last_error = answer
        if generation != self._generation or not count:
            return
        quoted = f" (last error {_escape(_shorten(last_error))})" if last_error else ""
        self._set(f"0 failed · {plural(count, 'retrying', 'retrying')}{quoted}",
                  f"Their automatic attempts go on; they become failed once all are used up. "
                  f"<a href='{SHOW_RETRYING}'>Show them</a>")

    def _on_link_activated(self, link: str) -> None:
        if link == SHOW_RETRYING:
            self.sig_show_retrying.emit()
        elif link == SEARCH_ENTITY:
            self.sig_search_entity.emit()

    def _set(self, title: str, hint: str) -> None:
        text, base = (self.palette().color(role) for role in (QPalette.ColorRole.Text, QPalette.ColorRole.Base))
        muted = QColor((text.red() + base.red()) // 2, (text.green() + base.green()) // 2,
                       (text.blue() + base.blue()) // 2).name()  # rich text has no alpha: mix
        self.setText(f"<p style='font-size:13pt'>{title}</p><p style='color:{muted}'>{hint}</p>")
        self._place()

    def _place(self) -> None:
        self.setGeometry(self._viewport.rect().adjusted(24, 16, -24, -16))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self._viewport and event.type() == QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)


STATUS_WORDS = {FAILED: "failed", IN_PROGRESS: "in-progress", SUCCESSFUL: "successful", NEEDS_ATTENTION: "",
                None: ""}


def count_text(count: int, status: str | None) -> str:
    """The count line: "3 failed notifications", "1 notification needs attention"."""
    if status == NEEDS_ATTENTION:
        return f"{plural(count)} need{'s' if count == 1 else ''} attention"
    return plural(count, f"{STATUS_WORDS.get(status, '')} notification".strip())


def _texts(status: str | None, scope: str, error: str | None) -> tuple[str, str]:
    if error:
        return "Cannot search", _escape(error)
    if scope:
        if status == NEEDS_ATTENTION:
            return ("Nothing needs attention among these filters",
                    _escape(f"Filters: {scope}. Reset them to see more."))
        word = STATUS_WORDS.get(status, "")
        return (f"No {word + ' ' if word else ''}notifications match these filters",
                _escape(f"Filters: {scope}. Reset them to see more."))
    if status == NEEDS_ATTENTION:
        return ("Nothing needs attention — no delivery is failing",
                "Notifications appear here from their first failed attempt: while they retry, and once "
                "their automatic attempts are used up, to retry or close.")
    if status == FAILED:
        return ("No failed notifications",
                "Notifications whose automatic attempts all fail appear here, to retry or close.")
    if status == IN_PROGRESS:
        return ("Nothing in progress", "No delivery is waiting for a first attempt or an automatic retry.")
    if status == SUCCESSFUL:
        return "No successful notifications yet", "Delivered notifications appear here."
    return ("No notifications yet",
            "A notification appears here when an event occurs that an enabled webhook subscribes to.")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text.strip())
    except ValueError:
        return False
    return True


def _shorten(text: str) -> str:
    return shorten(text, ERROR_WORDS)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)

