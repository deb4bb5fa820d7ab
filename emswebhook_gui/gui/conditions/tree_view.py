"""The condition tree view: hosts one editor widget per row (see :mod:`.editors`), paints
group bands and indentation guides, and turns the editors' signals into edits, including drag
and drop and the keyboard moves. Edits go to the model, or to whatever offers its edit
operations under the same names (the dialog's undo history, :mod:`.undo`), see :meth:`set_edits`.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QMenu, QStyleOptionViewItem, QTreeView, QWidget

from emswebhook_gui.conditions import STEPS, Condition, Group, step_refusal, step_target, walk
from emswebhook_gui.gui.conditions import shortcuts
from emswebhook_gui.gui.conditions.editors import INDENTATION, MIN_ROW_WIDTH, ConditionRowEditor, GroupRowEditor
from emswebhook_gui.gui.conditions.row_delegate import RowBackgroundDelegate, draw_guides
from emswebhook_gui.gui.conditions.row_drag import RowDragging
from emswebhook_gui.gui.conditions.tree_model import (
    COMBINATOR_ROLE,
    OPERATOR_ROLE,
    PATH_ROLE,
    VALUE_ROLE,
    ConditionTreeModel,
)
from emswebhook_gui.gui.widgets.colors import with_alpha

class ConditionTreeView(RowDragging, QTreeView):
    """The builder: a tree of row editors over a :class:`ConditionTreeModel`, always expanded.

    Rows indent one step per group level and thin guides connect each group to its rows. Rows
    move by drag and drop (``InternalMove``; the model decides and refuses cycles, and
    :class:`~.row_drag.RowDragging` says why) or with the keyboard actions below, which also
    appear in the context menu.
    """

    sig_move_refused = Signal(str)
    """A keyboard move or a drop was refused and nothing changed; the argument says why."""

    sig_drop_hint = Signal(str)
    """While a drag hovers: why a drop there would be refused ('' once it would not be)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conditionTree")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setExpandsOnDoubleClick(False)
        self.setIndentation(INDENTATION)
        self.setUniformRowHeights(False)
        self.setAnimated(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(RowBackgroundDelegate(self))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_self_custom_context_menu_requested)
        self._model: ConditionTreeModel | None = None
        self._edits = None  # the model, or the undo history (set_edits)

        self.move_up_action = self._action("Move Up", shortcuts.MOVE_UP, "up")
        self.move_down_action = self._action("Move Down", shortcuts.MOVE_DOWN, "down")
        self.indent_action = self._action("Move into Group Above", shortcuts.INDENT, "indent")
        self.outdent_action = self._action("Move out of Group", shortcuts.OUTDENT, "outdent")

    def _action(self, text: str, keys: tuple[str, ...], step: str) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{text} ({shortcuts.hint(keys)})")
        action.triggered.connect(lambda: self.move_current(step))
        self.addAction(action)
        return action

    # ---- model and editors ------------------------------------------------------------------

    def setModel(self, model: ConditionTreeModel) -> None:  # type: ignore[override]
        super().setModel(model)
        self._model = model
        model.rowsInserted.connect(self._on_model_rows_inserted)
        model.rowsRemoved.connect(self._on_model_structure_changed)
        model.rowsMoved.connect(self._on_model_structure_changed)
        model.modelReset.connect(self._on_model_model_reset)
        model.dataChanged.connect(self._on_model_data_changed)
        self._edits = model
        self._on_model_model_reset()

    def set_edits(self, edits) -> None:
        """Send the rows' edits to ``edits`` (``insert_node``, ``remove_node``, ``move_node``,
        ``set_field``, as the model has them); a ``sig_touched(node)`` it has makes that node's
        row current (undo and redo show what they changed)."""
        self._edits = edits
        touched = getattr(edits, "sig_touched", None)
        if touched is not None:
            touched.connect(self._on_edits_touched)

    def _on_edits_touched(self, node) -> None:
        index = self._model.index_for(node)
        if index.isValid():
            self.setCurrentIndex(index)
            self.scrollTo(index)

    def editor_for(self, node: Group | Condition) -> GroupRowEditor | ConditionRowEditor | None:
        """The row widget showing ``node`` (None when the node is not in the tree)."""
        if self._model is None:
            return None
        index = self._model.index_for(node)
        return self.indexWidget(index) if index.isValid() else None

    def _create_editors(self, parent: QModelIndex, first: int, last: int) -> None:
        model = self._model
        for row in range(first, last + 1):
            index = model.index(row, 0, parent)
            node = model.node(index)
            if isinstance(node, Group):
                editor = GroupRowEditor(node, is_root=node is model.root())
                editor.sig_combinator_edited.connect(self._on_group_editor_combinator_edited)
                editor.sig_add_condition_requested.connect(self._on_group_editor_add_condition_requested)
                editor.sig_add_group_requested.connect(self._on_group_editor_add_group_requested)
            elif isinstance(node, Condition):
                editor = ConditionRowEditor(node, model.event_name())
                editor.sig_path_edited.connect(self._on_condition_editor_path_edited)
                editor.sig_operator_edited.connect(self._on_condition_editor_operator_edited)
                editor.sig_value_edited.connect(self._on_condition_editor_value_edited)
            else:
                continue
            editor.sig_delete_requested.connect(self._on_editor_delete_requested)
            editor.sig_focus_entered.connect(self._on_editor_focus_entered)
            self.setIndexWidget(index, editor)
            if isinstance(node, Group):
                self._create_editors(index, 0, model.rowCount(index) - 1)

    def _after_structure_change(self) -> None:
        self.expandAll()
        model = self._model
        depths: dict[int, int] = {}
        widgets: list[QWidget] = []
        for parent, node in walk(model.root()):
            depths[id(node)] = 0 if parent is None else depths[id(parent)] + 1
            editor = self.editor_for(node)
            if isinstance(editor, GroupRowEditor):
                editor.refresh(model.can_add_group(node))
            if editor is not None:
                widgets += editor.focus_chain()
        self.header().setMinimumSectionSize(max(depths.values()) * INDENTATION + MIN_ROW_WIDTH)
        for before, after in zip(widgets, widgets[1:]):
            QWidget.setTabOrder(before, after)
        self._update_actions()

    def _on_model_model_reset(self) -> None:
        if self._model is not None:
            self._create_editors(QModelIndex(), 0, 0)
            self._after_structure_change()

    def _on_model_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._create_editors(parent, first, last)
        self._after_structure_change()

    def _on_model_structure_changed(self, *_args) -> None:
        self._after_structure_change()

    def _on_model_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles) -> None:
        parent = top_left.parent()
        for row in range(top_left.row(), bottom_right.row() + 1):
            editor = self.indexWidget(self._model.index(row, 0, parent))
            if isinstance(editor, GroupRowEditor):
                editor.refresh(self._model.can_add_group(editor.node))
            elif isinstance(editor, ConditionRowEditor):
                editor.refresh()

    # ---- editor signals -----------------------------------------------------------------------

    def _on_group_editor_combinator_edited(self, group: Group, combinator: str) -> None:
        self._edits.set_field(group, COMBINATOR_ROLE, combinator)

    def _on_group_editor_add_condition_requested(self, group: Group) -> None:
        index = self._edits.insert_node(group, len(group.children), Condition(""))
        self.setCurrentIndex(index)
        editor = self.indexWidget(index)
        if isinstance(editor, ConditionRowEditor):
            editor.attribute_combo.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_group_editor_add_group_requested(self, group: Group) -> None:
        if self._model.can_add_group(group):
            self.setCurrentIndex(self._edits.insert_node(group, len(group.children), Group()))

    def _on_condition_editor_path_edited(self, condition: Condition, path: str) -> None:
        self._edits.set_field(condition, PATH_ROLE, path)

    def _on_condition_editor_operator_edited(self, condition: Condition, operator: str) -> None:
        self._edits.set_field(condition, OPERATOR_ROLE, operator)

    def _on_condition_editor_value_edited(self, condition: Condition, text: str) -> None:
        self._edits.set_field(condition, VALUE_ROLE, text)

    def _on_editor_delete_requested(self, node: Group | Condition) -> None:
        model = self._model
        parent = model.index_for(node).parent()
        row = model.index_for(node).row()
        self._edits.remove_node(node)
        count = model.rowCount(parent)
        self.setCurrentIndex(model.index(min(row, count - 1), 0, parent) if count else parent)

    def _on_editor_focus_entered(self, node: Group | Condition) -> None:
        index = self._model.index_for(node)
        if index.isValid() and index != self.currentIndex():
            self.setCurrentIndex(index)

    # ---- keyboard moves -----------------------------------------------------------------------

    def _current_node(self) -> Group | Condition | None:
        """The current row's node; None for the root (which does not move) or nothing."""
        model = self._model
        node = model.node(self.currentIndex()) if model is not None else None
        return None if node is None or node is model.root() else node

    def move_current(self, step: str) -> bool:
        """Move the current row one ``step`` (``conditions.STEPS``); a refusal is told, in the
        tree's words, through :attr:`sig_move_refused` (the model's own refusals through its)."""
        node = self._current_node()
        if node is None:
            return False
        try:
            group, row = step_target(self._model.root(), node, step)
        except ValueError as error:
            self.sig_move_refused.emit(str(error))
            return False
        moved = self._edits.move_node(node, group, row)
        self.scrollTo(self._model.index_for(node))
        self._update_actions()
        return moved

    def move_actions(self) -> list[QAction]:
        return [self.move_up_action, self.move_down_action, self.indent_action, self.outdent_action]

    def _update_actions(self) -> None:
        """Moves stay enabled for any row but the root, so a refused key press says why."""
        movable = self._current_node() is not None
        for action in self.move_actions():
            action.setEnabled(movable)

    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:
        super().currentChanged(current, previous)
        self._update_actions()

    def _on_self_custom_context_menu_requested(self, position: QPoint) -> None:
        index = self.indexAt(position)
        if index.isValid():
            self.setCurrentIndex(index)
        node = self._current_node()
        if node is None:
            return
        for action, step in zip(self.move_actions(), STEPS):  # the menu shows what is possible
            action.setEnabled(step_refusal(self._model.root(), node, step) is None)
        menu = QMenu(self)
        menu.addActions(self.move_actions())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.aboutToHide.connect(self._update_actions)
        menu.popup(self.viewport().mapToGlobal(position))

    # ---- painting ------------------------------------------------------------------------------

    def drawRow(self, painter: QPainter, option, index: QModelIndex) -> None:
        """The guides, then the delegate's background: QTreeView's own drawRow would fill the
        indentation of the current row with the style's solid selection colour."""
        item = self.visualRect(index)
        left = self.header().sectionViewportPosition(0)
        self.drawBranches(painter, QRect(left, item.top(), item.left() - left, item.height()), index)
        cell = QStyleOptionViewItem(option)
        cell.rect = item
        self.itemDelegate().paint(painter, cell, index)

    def drawBranches(self, painter: QPainter, rect, index: QModelIndex) -> None:
        color = with_alpha(self.palette().color(QPalette.ColorRole.WindowText), 0.22)
        draw_guides(painter, rect, index, INDENTATION, color)
