"""The builder's undo history: add, delete, move (dragged or by keyboard), edit, and a tree from text.

:class:`BuilderHistory` offers the tree model's own edit operations under the same names
(``insert_node``, ``remove_node``, ``move_node``, ``set_field``), so the view calls it exactly as
it would call the model. Each call is carried out by the model first, which applies the tree's
rules (:mod:`emswebhook_gui.conditions.tree`) and refuses what they forbid; only a change that
happened is recorded. Undo and redo call the same model operations again: no command touches the
plain tree itself, so the rules stay in one place.

Commands hold the nodes themselves, never copies: undoing a delete puts the very node (with its
values and everything under it) back where it was, and every later command still refers to it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from emswebhook_gui.conditions import Condition, Group, landing_row, location
from emswebhook_gui.gui.conditions import shortcuts
from emswebhook_gui.gui.conditions.tree_model import VALUE_ROLE, ConditionTreeModel
from emswebhook_gui.gui.widgets.actions import alive

_VALUE_EDIT_ID = 1
"""Typing in one value field is one step to undo, not one per character (``mergeWith``)."""


class _Recorded(QUndoCommand):
    """A change already carried out when pushed: the stack's first ``redo`` does nothing."""

    def __init__(self, history: "BuilderHistory", text: str) -> None:
        super().__init__(text)
        self._history = history
        self._pending = True

    @property
    def model(self) -> ConditionTreeModel:
        return self._history.model

    def redo(self) -> None:
        if self._pending:
            self._pending = False
            return
        self._history.sig_touched.emit(self.apply())

    def undo(self) -> None:
        self._history.sig_touched.emit(self.revert())

    def apply(self):  # pragma: no cover - every command overrides both
        raise NotImplementedError

    def revert(self):  # pragma: no cover
        raise NotImplementedError


class _Insert(_Recorded):
    def __init__(self, history, node, group: Group, index: int) -> None:
        super().__init__(history, "Add Group" if isinstance(node, Group) else "Add Condition")
        self.node, self.group, self.index = node, group, index

    def apply(self):
        self.model.insert_node(self.group, self.index, self.node)
        return self.node

    def revert(self):
        self.model.remove_node(self.node)
        return self.group


class _Remove(_Recorded):
    def __init__(self, history, node, group: Group, index: int) -> None:
        super().__init__(history, "Delete Group" if isinstance(node, Group) else "Delete Condition")
        self.node, self.group, self.index = node, group, index

    def apply(self):
        self.model.remove_node(self.node)
        return self.group

    def revert(self):
        self.model.insert_node(self.group, self.index, self.node)
        return self.node


class _Move(_Recorded):
    def __init__(self, history, node, before: tuple[Group, int], after: tuple[Group, int]) -> None:
        super().__init__(history, "Move Row")
        self.node, self.before, self.after = node, before, after

    def _go(self, place: tuple[Group, int]):
        group, index = place
        self.model.move_node(self.node, group, landing_row(self.model.root(), self.node, group, index))
        return self.node

    def apply(self):
        return self._go(self.after)

    def revert(self):
        return self._go(self.before)


class _Edit(_Recorded):
    def __init__(self, history, node, role: int, old, new) -> None:
        super().__init__(history, "Edit Value" if role == VALUE_ROLE else "Edit Row")
        self.node, self.role, self.old, self.new = node, role, old, new

    def id(self) -> int:
        return _VALUE_EDIT_ID if self.role == VALUE_ROLE else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _Edit) or other.node is not self.node or other.role != self.role:
            return False
        self.new = other.new
        self.setObsolete(_same(self.new, self.old))  # typed back to what it was: no step at all
        return True

    def apply(self):
        self.model.set_field(self.node, self.role, self.new)
        return self.node

    def revert(self):
        self.model.set_field(self.node, self.role, self.old)
        return self.node


class _ReplaceRoot(_Recorded):
    def __init__(self, history, old: Group, new: Group) -> None:
        super().__init__(history, "Edit as Text")
        self.old, self.new = old, new

    def apply(self):
        self._history.set_root(self.new)
        return self.new

    def revert(self):
        self._history.set_root(self.old)
        return self.old


class BuilderHistory(QObject):
    """The model's edit operations, recorded on :attr:`stack` (a ``QUndoStack``)."""

    sig_touched = Signal(object)
    """Undo or redo changed the tree around this node: show it (make it the current row)."""

    def __init__(self, model: ConditionTreeModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.stack = QUndoStack(self)
        self._own_reset = False
        model.set_drop_handler(self.move_node)  # drops are recorded too
        model.modelReset.connect(self._on_model_model_reset)

    def insert_node(self, group: Group, row: int, node: Group | Condition) -> QModelIndex:
        index = self.model.insert_node(group, row, node)
        self.stack.push(_Insert(self, node, group, index.row()))
        return index

    def remove_node(self, node: Group | Condition) -> None:
        group, index = location(self.model.root(), node)
        self.model.remove_node(node)
        self.stack.push(_Remove(self, node, group, index))

    def move_node(self, node: Group | Condition, group: Group, row: int) -> bool:
        root = self.model.root()
        try:
            before = location(root, node)
        except ValueError:
            before = None  # the model refuses it, in its own words
        if not self.model.move_node(node, group, row):
            return False
        after = location(root, node)
        if before is not None and (before[0] is not after[0] or before[1] != after[1]):
            self.stack.push(_Move(self, node, before, after))
        return True

    def set_field(self, node: Group | Condition, role: int, value) -> bool:
        index = self.model.index_for(node)
        old = self.model.data(index, role)
        if not self.model.set_field(node, role, value):
            return False
        if not _same(old, value):
            self.stack.push(_Edit(self, node, role, old, value))
        return True

    def replace_root(self, root: Group) -> None:
        """A new tree (from edited text): one step, which undo turns back into the old tree."""
        old = self.model.root()
        self.set_root(root)
        self.stack.push(_ReplaceRoot(self, old, root))

    def set_root(self, root: Group) -> None:
        """The model's ``set_root``, as a step of this history (not a new start)."""
        self._own_reset = True
        try:
            self.model.set_root(root)
        finally:
            self._own_reset = False

    def _on_model_model_reset(self) -> None:
        # A tree set from outside (loading) is a new start: the steps recorded so far are about
        # nodes that are gone.
        if not self._own_reset:
            self.stack.clear()


def _same(old, new) -> bool:
    """Equal as the text would show them: 1, 1.0 and true are different values."""
    return type(old) is type(new) and old == new


class HistoryBar(QWidget):
    """Undo and Redo buttons over the builder. Their actions belong to ``window`` (the dialog), so
    the keys work wherever the focus is in it; a text field that keeps its own undo (the Text tab,
    the pasted JSON) still takes them while it has the focus."""

    def __init__(self, stack: QUndoStack, window: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stack = stack
        self._enabled = True
        self.undo_action = _history_action("Undo", QKeySequence.StandardKey.Undo, shortcuts.UNDO, window)
        self.redo_action = _history_action("Redo", QKeySequence.StandardKey.Redo, shortcuts.REDO, window)
        self.undo_action.triggered.connect(stack.undo)
        self.redo_action.triggered.connect(stack.redo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.undo_button, self.redo_button = (
            _history_button(action, name)
            for action, name in ((self.undo_action, "undoButton"), (self.redo_action, "redoButton"))
        )
        layout.addWidget(self.undo_button)
        layout.addWidget(self.redo_button)
        layout.addStretch(1)
        stack.indexChanged.connect(alive(stack, self._refresh))  # it also signals as it is deleted
        self._refresh()

    def set_active(self, active: bool) -> None:
        """Off while the builder is not shown (the Text tab): its history is not what is edited."""
        self._enabled = active
        self._refresh()

    def _refresh(self, *_args) -> None:
        for action, can, text, keys in (
            (self.undo_action, self._stack.canUndo(), self._stack.undoText(), shortcuts.UNDO),
            (self.redo_action, self._stack.canRedo(), self._stack.redoText(), shortcuts.REDO),
        ):
            action.setEnabled(self._enabled and can)
            what = f"{action.text()} {text.lower()}" if can and text else action.text()
            action.setToolTip(f"{what} ({shortcuts.hint(keys)})")


def _history_action(text: str, standard, keys: tuple[str, ...], window: QWidget) -> QAction:
    action = QAction(text, window)
    bindings = {sequence.toString(): sequence for sequence in QKeySequence.keyBindings(standard)}
    bindings.update((QKeySequence(key).toString(), QKeySequence(key)) for key in keys)
    action.setShortcuts(list(bindings.values()))
    window.addAction(action)
    return action


def _history_button(action: QAction, name: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName(name)
    button.setDefaultAction(action)
    button.setAutoRaise(True)
    return button
