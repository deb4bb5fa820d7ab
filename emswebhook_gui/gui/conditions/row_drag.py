"""Dragging builder rows: the picture of what is dragged, and why a drop is refused.

The view is an ``InternalMove`` QTreeView; Qt refuses a drop onto the dragged row's own subtree
before it asks the model, and silently. Here every hover and drop is also put to the model
(:meth:`~.tree_drops.RowDragAndDrop.drop_refusal`, the tree's rules), so a refused place says
why, in a tooltip at the pointer and through the view's ``sig_drop_hint``, and a refused drop
through ``sig_move_refused``, as a refused keyboard move does.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QCursor, QDrag
from PySide6.QtWidgets import QAbstractItemView, QToolTip

MAX_DRAG_HEIGHT = 260
"""A dragged group is pictured with its rows, cut off below this height."""


class RowDragging:
    """The drag-and-drop half of :class:`~.tree_view.ConditionTreeView` (mixed in before QTreeView)."""

    _drop_hint = ""  # the refusal shown while hovering
    _hovered_refusal: str | None = None  # why a drop at the last place hovered would be refused

    def startDrag(self, supported_actions: Qt.DropAction) -> None:
        """Drag the current row, pictured by the rows themselves: a group with its contents."""
        index = self.currentIndex()
        if not index.isValid() or not self._model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled:
            return
        mime = self._model.mimeData([index])
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        rect = self.rows_rect(index).intersected(self.viewport().rect())
        if rect.height() > MAX_DRAG_HEIGHT:
            rect.setHeight(MAX_DRAG_HEIGHT)
        if not rect.isEmpty():
            drag.setPixmap(self.viewport().grab(rect))
            drag.setHotSpot(self.viewport().mapFromGlobal(QCursor.pos()) - rect.topLeft())
        self._hovered_refusal = None
        result = drag.exec(Qt.DropAction.MoveAction, Qt.DropAction.MoveAction)
        self._show_drop_hint(None)
        # Released over a refused place: Qt sends the view no drop, only a leave, so say it here.
        refused, self._hovered_refusal = self._hovered_refusal, None
        released_here = self.viewport().rect().contains(self.viewport().mapFromGlobal(QCursor.pos()))
        if refused and result == Qt.DropAction.IgnoreAction and released_here:
            self.sig_move_refused.emit(refused)

    def rows_rect(self, index: QModelIndex) -> QRect:
        """Where a row and every row under it are shown, in viewport coordinates."""
        rect, pending = QRect(), [index]
        while pending:
            current = pending.pop()
            rect = rect.united(self.visualRect(current))
            pending.extend(self._model.index(row, 0, current) for row in range(self._model.rowCount(current)))
        return rect

    def drop_place(self, point: QPoint) -> tuple[int, QModelIndex]:
        """``(row, parent)`` a drop at ``point`` (viewport coordinates) means, worked out as
        QAbstractItemView does: near a row's top or bottom edge, above or below it; on a group,
        into it; on the empty space, the end of the top group."""
        index = self.indexAt(point)
        rect = self.visualRect(index)
        if not index.isValid() or not rect.contains(point):
            return -1, QModelIndex()
        margin = max(2, min(round(rect.height() / 5.5), 12))
        if point.y() - rect.top() < margin:
            where = "above"
        elif rect.bottom() - point.y() < margin:
            where = "below"
        elif self._model.flags(index) & Qt.ItemFlag.ItemIsDropEnabled:
            return -1, index
        else:
            where = "above" if point.y() < rect.center().y() else "below"
        return index.row() + (where == "below"), index.parent()

    def _drop_refusal(self, event) -> str | None:
        return self._model.drop_refusal(event.mimeData(), *self.drop_place(event.position().toPoint()))

    def dragMoveEvent(self, event) -> None:
        super().dragMoveEvent(event)
        reason = None if event.isAccepted() else self._drop_refusal(event)
        self._hovered_refusal = reason
        self._show_drop_hint(reason, event.position().toPoint())

    def dragLeaveEvent(self, event) -> None:
        super().dragLeaveEvent(event)
        self._show_drop_hint(None)

    def dropEvent(self, event) -> None:
        """A refused drop says why (Qt's own check for a group dropped into itself is silent)."""
        reason = self._drop_refusal(event)
        self._hovered_refusal = None  # told here, if at all
        self._show_drop_hint(None)
        if reason is None:
            super().dropEvent(event)
            return
        event.ignore()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()
        self.sig_move_refused.emit(reason)

    def _show_drop_hint(self, reason: str | None, point: QPoint | None = None) -> None:
        text = reason or ""
        if text == self._drop_hint:
            return
        self._drop_hint = text
        self.sig_drop_hint.emit(text)
        if text and point is not None:
            QToolTip.showText(self.viewport().mapToGlobal(point), f"Cannot drop here: {text}", self.viewport())
        else:
            QToolTip.hideText()
