"""Drag and drop for :class:`~.tree_model.ConditionTreeModel`: a dragged row travels as its path
of rows from the top, tagged with the model it came from, and a drop is a move of the plain tree,
decided by the tree's rules like any other move (:func:`emswebhook_gui.conditions.tree.plan_move`).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt

from emswebhook_gui.conditions import Group
from emswebhook_gui.jsontext import read_json

MIME_TYPE = "application/x-emswebhook-condition-node"

_Index = QModelIndex | QPersistentModelIndex


class RowDragAndDrop:
    """The drag-and-drop half of the model (mixed in before ``QAbstractItemModel``)."""

    def set_drop_handler(self, handler) -> None:
        """Who carries out a drop: ``handler(node, group, row) -> bool``, called as
        :meth:`move_node` is (the default); the builder's undo history records drops this way."""
        self._drop_handler = handler

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData | None:
        """The first draggable index, as its path of rows from the top (one node per drag)."""
        for index in indexes:
            node = self.node(index)
            if node is None or node is self._root:
                continue
            rows = []
            while index.isValid():
                rows.append(index.row())
                index = index.parent()
            payload = {"model": self._token, "rows": rows[::-1]}
            mime = QMimeData()
            mime.setData(MIME_TYPE, QByteArray(json.dumps(payload).encode()))
            return mime
        return None

    def canDropMimeData(self, data, action, row: int, column: int, parent: _Index) -> bool:
        target = self._drop_target(data, action, row, parent)
        return target is not None and self.move_refusal(*target) is None

    def dropMimeData(self, data, action, row: int, column: int, parent: _Index) -> bool:
        target = self._drop_target(data, action, row, parent)
        return target is not None and self._drop_handler(*target)

    def drop_refusal(self, data, row: int, parent: _Index) -> str | None:
        """Why dropping ``data`` at ``(row, parent)`` (a view's drop place) would be refused, in
        the tree's words; None when it would not be, or when the data is not a row of this model."""
        target = self._drop_target(data, Qt.DropAction.MoveAction, row, parent)
        return None if target is None else self.move_refusal(*target)

    def _drop_target(self, data, action, row: int, parent: _Index):
        """``(node, group, row)`` a drop means, or None when it is not one of our moves."""
        if action != Qt.DropAction.MoveAction or data is None or not data.hasFormat(MIME_TYPE):
            return None
        try:
            payload = read_json(bytes(data.data(MIME_TYPE).data()).decode())
            rows = [int(r) for r in payload["rows"]]
        except (ValueError, KeyError, TypeError):
            return None
        if payload.get("model") != self._token:
            return None
        index = QModelIndex()
        for r in rows:
            index = self.index(r, 0, index)
        node = self.node(index)
        if node is None:
            return None
        if parent.isValid():
            group = self.node(parent)
            if not isinstance(group, Group):
                return None
        else:  # the empty space below the tree: the end of the root group (row 0: its top)
            group, row = self._root, (0 if row == 0 else -1)
        return node, group, row
