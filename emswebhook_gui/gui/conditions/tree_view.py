"""The condition tree view: hosts one editor widget per row (see :mod:`.editors`), paints
group bands and indentation guides, and turns the editors' signals into model operations,
including drag and drop and the keyboard moves.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QAction, QCursor, QDrag, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QMenu, QStyleOptionViewItem, QTreeView, QWidget

from emswebhook_gui.conditions import Condition, Group, walk
from emswebhook_gui.gui.conditions.editors import INDENTATION, MIN_ROW_WIDTH, ConditionRowEditor, GroupRowEditor
from emswebhook_gui.gui.conditions.row_delegate import RowBackgroundDelegate
from emswebhook_gui.gui.conditions.tree_model import (
    COMBINATOR_ROLE,
    OPERATOR_ROLE,
    PATH_ROLE,
    VALUE_ROLE,
    ConditionTreeModel,
)
from emswebhook_gui.gui.widgets.colors import with_alpha


class ConditionTreeView(QTreeView):
    """The builder: a tree of row editors over a :class:`ConditionTreeModel`, always expanded.

    Rows indent one step per group level and thin guides connect each group to its rows. Rows
    move by drag and drop (``InternalMove``; the model decides and refuses cycles) or with the
    keyboard actions below, which also appear in the context menu.
    """

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
        self._attributes_event = ""

        self.move_up_action = self._action("Move Up", "Alt+Shift+Up", self._on_move_up_action_triggered)
        self.move_down_action = self._action(
            "Move Down", "Alt+Shift+Down", self._on_move_down_action_triggered
        )
        self.indent_action = self._action(
            "Move into Group Above", "Alt+Shift+Right", self._on_indent_action_triggered
        )
        self.outdent_action = self._action(
            "Move out of Group", "Alt+Shift+Left", self._on_outdent_action_triggered
        )

    def _action(self, text: str, shortcut: str, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
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
        self._on_model_model_reset()

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
        self._model.set_field(group, COMBINATOR_ROLE, combinator)

    def _on_group_editor_add_condition_requested(self, group: Group) -> None:
        index = self._model.add_condition(group)
        self.setCurrentIndex(index)
        editor = self.indexWidget(index)
        if isinstance(editor, ConditionRowEditor):
            editor.attribute_combo.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_group_editor_add_group_requested(self, group: Group) -> None:
        if self._model.can_add_group(group):
            self.setCurrentIndex(self._model.add_group(group))

    def _on_condition_editor_path_edited(self, condition: Condition, path: str) -> None:
        self._model.set_field(condition, PATH_ROLE, path)

    def _on_condition_editor_operator_edited(self, condition: Condition, operator: str) -> None:
        self._model.set_field(condition, OPERATOR_ROLE, operator)

    def _on_condition_editor_value_edited(self, condition: Condition, text: str) -> None:
        self._model.set_field(condition, VALUE_ROLE, text)

    def _on_editor_delete_requested(self, node: Group | Condition) -> None:
        model = self._model
        parent = model.index_for(node).parent()
        row = model.index_for(node).row()
        model.remove_node(node)
        count = model.rowCount(parent)
        self.setCurrentIndex(model.index(min(row, count - 1), 0, parent) if count else parent)

    def _on_editor_focus_entered(self, node: Group | Condition) -> None:
        index = self._model.index_for(node)
        if index.isValid() and index != self.currentIndex():
            self.setCurrentIndex(index)

    # ---- keyboard moves -----------------------------------------------------------------------

    def _current(self) -> tuple[Group | Condition, Group, int] | None:
        """``(node, its group, its row)`` for the current row, None for the root or nothing."""
        model = self._model
        node = model.node(self.currentIndex()) if model is not None else None
        if node is None or node is model.root():
            return None
        index = model.index_for(node)
        return node, model.node(index.parent()), index.row()

    def _grandparent(self, group: Group) -> tuple[Group, int] | None:
        index = self._model.index_for(group)
        parent = self._model.node(index.parent())
        return (parent, index.row()) if isinstance(parent, Group) else None

    def _move_target(self, kind: str) -> tuple[Group, int] | None:
        current = self._current()
        if current is None:
            return None
        node, group, row = current
        if kind == "up":
            if row > 0:
                return group, row - 1
            outer = self._grandparent(group)
            return outer  # above its group, in the group outside
        if kind == "down":
            if row < len(group.children) - 1:
                return group, row + 2
            outer = self._grandparent(group)
            return (outer[0], outer[1] + 1) if outer else None
        if kind == "indent":
            previous = group.children[row - 1] if row > 0 else None
            return (previous, -1) if isinstance(previous, Group) else None
        outer = self._grandparent(group)
        return (outer[0], outer[1] + 1) if outer else None

    def _move_current(self, kind: str) -> None:
        target = self._move_target(kind)
        current = self._current()
        if target is None or current is None:
            return
        self._model.move_node(current[0], *target)
        self.scrollTo(self._model.index_for(current[0]))
        self._update_actions()

    def _on_move_up_action_triggered(self) -> None:
        self._move_current("up")

    def _on_move_down_action_triggered(self) -> None:
        self._move_current("down")

    def _on_indent_action_triggered(self) -> None:
        self._move_current("indent")

    def _on_outdent_action_triggered(self) -> None:
        self._move_current("outdent")

    def move_actions(self) -> list[QAction]:
        return [self.move_up_action, self.move_down_action, self.indent_action, self.outdent_action]

    def _update_actions(self) -> None:
        current = self._current()
        for action, kind in zip(self.move_actions(), ("up", "down", "indent", "outdent")):
            target = self._move_target(kind) if current else None
            allowed = target is not None and self._model.move_refusal(current[0], *target) is None
            action.setEnabled(allowed)

    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:
        super().currentChanged(current, previous)
        self._update_actions()

    def _on_self_custom_context_menu_requested(self, position: QPoint) -> None:
        index = self.indexAt(position)
        if index.isValid():
            self.setCurrentIndex(index)
        if self._current() is None:
            return
        menu = QMenu(self)
        menu.addActions(self.move_actions())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.viewport().mapToGlobal(position))

    # ---- drag and drop, painting --------------------------------------------------------------

    def startDrag(self, supported_actions: Qt.DropAction) -> None:
        """Drag the current row, pictured by its own editor (the items paint no content)."""
        index = self.currentIndex()
        if not index.isValid() or not self._model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled:
            return
        mime = self._model.mimeData([index])
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        editor = self.indexWidget(index)
        if editor is not None:
            drag.setPixmap(editor.grab())
            drag.setHotSpot(editor.mapFromGlobal(QCursor.pos()))
        drag.exec(Qt.DropAction.MoveAction, Qt.DropAction.MoveAction)

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
        """Guides instead of expand arrows: a line from each group down along its rows."""
        path = []
        while index.isValid():
            path.append(index)
            index = index.parent()
        levels = len(path) - 1  # path[-1] is the root row, which has no branch area
        if levels <= 0:
            return
        color = with_alpha(self.palette().color(QPalette.ColorRole.WindowText), 0.22)
        painter.save()
        painter.setPen(color)
        top, bottom, middle = rect.top(), rect.bottom(), rect.center().y()
        for level in range(levels):
            step = path[levels - 1 - level]  # the ancestor (or the row itself) one level in
            last = step.row() == step.model().rowCount(step.parent()) - 1
            x = rect.left() + level * INDENTATION + INDENTATION // 2
            if level == levels - 1:
                painter.drawLine(x, top, x, middle if last else bottom)
                painter.drawLine(x, middle, x + INDENTATION // 2 - 3, middle)
            elif not last:
                painter.drawLine(x, top, x, bottom)
        painter.restore()

