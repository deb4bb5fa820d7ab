"""The condition dialog's Builder tab: Undo and Redo over the tree of rows, every edit recorded.

The page wires the three parts of the builder together: the Qt model over the plain tree, the
undo history that carries out (through the model) and records every edit, and the view whose
rows send their edits to that history.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from emswebhook_gui import catalog
from emswebhook_gui.gui.conditions.tree_model import ConditionTreeModel
from emswebhook_gui.gui.conditions.tree_view import ConditionTreeView
from emswebhook_gui.gui.conditions.undo import BuilderHistory, HistoryBar


class BuilderPage(QWidget):
    """``model``, ``history`` (its ``stack`` is the QUndoStack), ``view`` and ``history_bar``.
    The Undo/Redo actions are added to ``window`` so their keys work anywhere in it."""

    def __init__(self, event_name: str, window: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ConditionTreeModel(event_name=event_name, parent=self)
        self.history = BuilderHistory(self.model, self)
        self.view = ConditionTreeView()
        self.view.setModel(self.model)
        self.view.set_edits(self.history)
        self.history_bar = HistoryBar(self.history.stack, window)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.history_bar)
        layout.addWidget(self.view)
        if not catalog.condition_attributes(event_name):
            note = QLabel(f"{event_name} has no attributes to choose from; write the condition in the Text tab.")
            note.setWordWrap(True)
            layout.addWidget(note)
