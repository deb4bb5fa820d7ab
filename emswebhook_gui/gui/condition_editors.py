"""The condition builder's rows: one editor widget per model row, hosted by :class:`ConditionTreeView`.

Why index widgets rather than a painting delegate: every row is a small form (combos, a line edit,
buttons) that users operate all the time, so the widgets are always live (``setIndexWidget``),
look native and are reachable by keyboard and by tests. The view owns them: it creates one per
row as the model inserts rows, lets Qt delete them as rows go, and refreshes them from the plain
node when the model reports a change. The editors never touch the tree; they emit ``sig_*``
signals carrying their node and the view turns those into model calls.

Drag and drop: the areas of a row that are not controls (the grip at its left, the gaps) let
mouse presses through to the view, which selects the row and starts the drag; the drop goes to
the model (``canDropMimeData``/``dropMimeData``), which moves the node in the plain tree.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QAction, QColor, QCursor, QDrag, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QWidget,
)

from emswebhook_gui import catalog
from emswebhook_gui.conditions import MAX_NESTING, Condition, Group, walk
from emswebhook_gui.gui.condition_tree_model import (
    COMBINATOR_ROLE,
    KIND_ROLE,
    OPERATOR_LABELS,
    OPERATOR_ROLE,
    PATH_ROLE,
    VALUE_ROLE,
    ConditionTreeModel,
)
from emswebhook_gui.gui.icons import icon

ROW_MARGINS = (4, 3, 6, 3)
INDENTATION = 26
MIN_ROW_WIDTH = 560
"""Narrowest a row gets; deeper trees scroll sideways instead of squeezing rows to nothing."""
ATTRIBUTE_PLACEHOLDER = "Choose an attribute…"
MOVE_HINT = "Drag to move. Alt+Shift+Up/Down moves, Alt+Shift+Right/Left moves into or out of a group."
_TYPE_NAMES = {bool: "boolean", int: "number", float: "number", type(None): "null"}


class DragGrip(QWidget):
    """Six dots at a row's left edge: where to grab a row. Presses pass through to the view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(14)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip(MOVE_HINT)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().color(QPalette.ColorRole.PlaceholderText))
        top = self.height() // 2 - 6
        for row in range(3):
            for column in range(2):
                painter.drawEllipse(QPointF(4 + column * 5, top + row * 5 + 1), 1.3, 1.3)


class _RowEditor(QWidget):
    """Common parts of both row kinds: the node, the grip, focus reporting."""

    sig_focus_entered = Signal(object)
    """A control of this row got the keyboard focus; the argument is the row's node."""

    sig_delete_requested = Signal(object)
    """Delete was clicked; the argument is the node to remove."""

    def __init__(self, node: Group | Condition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node = node
        self.grip = DragGrip(self)
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(*ROW_MARGINS)
        self.layout_.setSpacing(6)
        self.layout_.addWidget(self.grip)
        self.delete_button = QToolButton(self)
        self.delete_button.setObjectName("deleteButton")
        self.delete_button.setIcon(icon("delete"))
        self.delete_button.setAutoRaise(True)
        self.delete_button.clicked.connect(lambda: self.sig_delete_requested.emit(self.node))

    def _watch_focus(self, *widgets: QWidget) -> None:
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self.sig_focus_entered.emit(self.node)
        return False


class GroupRowEditor(_RowEditor):
    """A filter group's header: And/Or, Add Condition (+), Add Filter Group, Delete."""

    sig_combinator_edited = Signal(object, str)
    """The user chose And or Or: ``(group, 'and' | 'or')``."""

    sig_add_condition_requested = Signal(object)
    """Add Condition (+) was clicked; the argument is the group to add to."""

    sig_add_group_requested = Signal(object)
    """Add Filter Group was clicked; the argument is the group to add to."""

    def __init__(self, group: Group, is_root: bool, parent: QWidget | None = None) -> None:
        super().__init__(group, parent)
        self.setObjectName("groupRow")
        self.and_button = self._segment("And", "andButton", "All conditions of this group must be true")
        self.or_button = self._segment(
            "Or", "orButton", "At least one condition of this group must be true"
        )
        self.combinator_group = QButtonGroup(self)
        self.combinator_group.setExclusive(True)
        self.combinator_group.addButton(self.and_button)
        self.combinator_group.addButton(self.or_button)
        self.and_button.clicked.connect(lambda: self.sig_combinator_edited.emit(self.node, "and"))
        self.or_button.clicked.connect(lambda: self.sig_combinator_edited.emit(self.node, "or"))
        self.summary = QLabel(self)
        self.summary.setObjectName("groupSummary")
        self.summary.setEnabled(False)  # muted: a hint, not a control

        self.add_condition_button = self._action_button("Add Condition", "addConditionButton")
        self.add_condition_button.setToolTip("Add a condition row to this group")
        self.add_condition_button.clicked.connect(
            lambda: self.sig_add_condition_requested.emit(self.node)
        )
        self.add_group_button = self._action_button("Add Filter Group", "addGroupButton")
        self.add_group_button.clicked.connect(lambda: self.sig_add_group_requested.emit(self.node))
        self.delete_button.setToolTip("Delete this group and everything in it")
        self.delete_button.setAccessibleName("Delete group")

        self.and_button.setProperty("segment", "first")
        self.or_button.setProperty("segment", "last")
        for button in (self.and_button, self.or_button):
            button.setStyleSheet(_segment_style(self.palette()))
        segments = QHBoxLayout()
        segments.setSpacing(0)
        segments.addWidget(self.and_button)
        segments.addWidget(self.or_button)
        self.layout_.addLayout(segments)
        self.layout_.addSpacing(4)
        self.layout_.addWidget(self.summary, 1)
        self.layout_.addWidget(self.add_condition_button)
        self.layout_.addWidget(self.add_group_button)
        self.layout_.addWidget(self.delete_button)
        if is_root:
            self.grip.setVisible(False)
            # The root cannot be deleted (an empty root is "no condition"), but it keeps the
            # slot so the Delete column lines up on every row.
            self.delete_button.setEnabled(False)
            policy = self.delete_button.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            self.delete_button.setSizePolicy(policy)
            self.delete_button.setVisible(False)
        self._watch_focus(*self.focus_chain())
        self.refresh()

    def focus_chain(self) -> list[QWidget]:
        """The row's controls in Tab order."""
        return [
            self.and_button,
            self.or_button,
            self.add_condition_button,
            self.add_group_button,
            self.delete_button,
        ]

    def _segment(self, text: str, name: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        button.setMinimumWidth(44)
        return button

    def _action_button(self, text: str, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setIcon(icon("add"))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        return button

    def refresh(self, can_nest: bool = True) -> None:
        group = self.node
        (self.and_button if group.combinator == "and" else self.or_button).setChecked(True)
        count = len(group.children)
        if count == 0:
            self.summary.setText("Empty group: add a condition or a filter group")
        elif count == 1:
            self.summary.setText("1 item")
        else:
            word = "all" if group.combinator == "and" else "any"
            self.summary.setText(f"Match {word} of {count} items")
        self.add_group_button.setEnabled(can_nest)
        self.add_group_button.setToolTip(
            "Add a nested group with its own And/Or"
            if can_nest
            else f"Groups cannot be nested deeper than {MAX_NESTING} levels"
        )


class WheelSafeComboBox(QComboBox):
    """A combo that ignores the mouse wheel unless focused, so scrolling the tree over a row
    scrolls the tree instead of changing the row's attribute or operator."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class ValueEdit(QLineEdit):
    """The value field; a value loaded as a number, boolean or null says so inside, at the right.

    The hint sits inside the field (not beside it) so every row's columns stay aligned.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.type_label = QLabel(self)
        self.type_label.setObjectName("valueType")
        self.type_label.setEnabled(False)  # muted
        self.type_label.setVisible(False)

    def set_type_hint(self, text: str) -> None:
        self.type_label.setText(text)
        self.type_label.setVisible(bool(text))
        width = self.type_label.sizeHint().width() + 8 if text else 0
        self.setTextMargins(0, 0, width, 0)
        self._place_hint()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_hint()

    def _place_hint(self) -> None:
        hint = self.type_label.sizeHint()
        top = (self.height() - hint.height()) // 2
        self.type_label.setGeometry(self.width() - hint.width() - 6, top, hint.width(), hint.height())


class ConditionRowEditor(_RowEditor):
    """A condition row: attribute, operator, value, Delete."""

    sig_path_edited = Signal(object, str)
    """The user chose an attribute: ``(condition, path)``."""

    sig_operator_edited = Signal(object, str)
    """The user chose an operator: ``(condition, '==' | '!=')``."""

    sig_value_edited = Signal(object, str)
    """The user edited the value: ``(condition, text)``; the value becomes text from then on."""

    def __init__(self, condition: Condition, event_name: str, parent: QWidget | None = None) -> None:
        super().__init__(condition, parent)
        self.setObjectName("conditionRow")
        self.event_name = event_name
        self.attribute_combo = WheelSafeComboBox(self)
        self.attribute_combo.setObjectName("attributeCombo")
        self.attribute_combo.setAccessibleName("Attribute")
        self.attribute_combo.setPlaceholderText(ATTRIBUTE_PLACEHOLDER)
        self.attribute_combo.setMinimumContentsLength(16)
        self.attribute_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.attribute_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.attribute_combo.setMaxVisibleItems(16)
        for attribute in catalog.condition_attributes(event_name):
            self.attribute_combo.addItem(attribute.label, attribute.path)
            self.attribute_combo.setItemData(
                self.attribute_combo.count() - 1, attribute.path, Qt.ItemDataRole.ToolTipRole
            )
        self.operator_combo = WheelSafeComboBox(self)
        self.operator_combo.setObjectName("operatorCombo")
        self.operator_combo.setMinimumContentsLength(max(map(len, OPERATOR_LABELS.values())))
        self.operator_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.operator_combo.setAccessibleName("Operator")
        for operator, label in OPERATOR_LABELS.items():
            self.operator_combo.addItem(label, operator)
        self.value_edit = ValueEdit(self)
        self.value_edit.setObjectName("valueEdit")
        self.value_edit.setAccessibleName("Value")
        self.value_edit.setPlaceholderText("Value")
        self.value_edit.setAcceptDrops(False)  # rows are dragged over it; only the view takes drops
        self.value_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.type_label = self.value_edit.type_label
        self.delete_button.setToolTip("Delete this condition")
        self.delete_button.setAccessibleName("Delete condition")

        self.layout_.addWidget(self.attribute_combo, 5)
        self.layout_.addWidget(self.operator_combo, 0)
        self.layout_.addWidget(self.value_edit, 4)
        self.layout_.addWidget(self.delete_button)

        self.attribute_combo.currentIndexChanged.connect(self._on_attribute_combo_current_index_changed)
        self.operator_combo.currentIndexChanged.connect(self._on_operator_combo_current_index_changed)
        self.value_edit.textEdited.connect(lambda text: self.sig_value_edited.emit(self.node, text))
        self._watch_focus(*self.focus_chain())
        self.refresh()

    def focus_chain(self) -> list[QWidget]:
        """The row's controls in Tab order."""
        return [self.attribute_combo, self.operator_combo, self.value_edit, self.delete_button]

    def refresh(self) -> None:
        """Show the node's current fields (without re-emitting them as edits)."""
        condition = self.node
        for widget in (self.attribute_combo, self.operator_combo):
            widget.blockSignals(True)
        try:
            combo = self.attribute_combo
            position = combo.findData(condition.path) if condition.path else -1
            if condition.path and position < 0:
                # A path the catalogue does not know (typed as text, or from the API): shown
                # raw and kept as is.
                combo.insertItem(0, condition.path, condition.path)
                combo.setItemData(
                    0,
                    f"Not in the attribute list of {self.event_name or 'this event'}; kept as written",
                    Qt.ItemDataRole.ToolTipRole,
                )
                position = 0
            combo.setCurrentIndex(position)
            combo.setToolTip(condition.path or "Choose the attribute to compare")
            self.operator_combo.setCurrentIndex(max(0, self.operator_combo.findData(condition.operator)))
        finally:
            for widget in (self.attribute_combo, self.operator_combo):
                widget.blockSignals(False)
        value = condition.value
        text = value if isinstance(value, str) else _literal_text(value)
        if self.value_edit.text() != text:
            self.value_edit.setText(text)
        kind = None if isinstance(value, str) else _TYPE_NAMES.get(type(value))
        self.value_edit.set_type_hint(kind or "")
        self.value_edit.setToolTip(
            f"Loaded as a {kind} ({text}); editing it makes it text" if kind else "Compared as text"
        )

    def _on_attribute_combo_current_index_changed(self, position: int) -> None:
        path = self.attribute_combo.itemData(position)
        if isinstance(path, str):
            self.attribute_combo.setToolTip(path)
            self.sig_path_edited.emit(self.node, path)

    def _on_operator_combo_current_index_changed(self, position: int) -> None:
        operator = self.operator_combo.itemData(position)
        if isinstance(operator, str):
            self.sig_operator_edited.emit(self.node, operator)


def _segment_style(palette: QPalette) -> str:
    """And/Or as one segmented control: the chosen side filled with the highlight colour."""
    border = palette.color(QPalette.ColorRole.Mid).name()
    return (
        f"QToolButton {{ border: 1px solid {border}; padding: 3px 10px; background: palette(button); }}"
        "QToolButton[segment='first'] { border-top-left-radius: 4px; border-bottom-left-radius: 4px; }"
        "QToolButton[segment='last'] { border-left: none; border-top-right-radius: 4px;"
        " border-bottom-right-radius: 4px; }"
        "QToolButton:hover { background: palette(midlight); }"
        "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
        f" border-color: {palette.color(QPalette.ColorRole.Highlight).darker(115).name()}; }}"
        "QToolButton:focus { text-decoration: underline; }"
    )


def _literal_text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class RowBackgroundDelegate(QStyledItemDelegate):
    """Paints only a row's background; the editor widget on top shows the row's content.

    Group headers get a faint band so the structure reads at a glance; the current row gets a
    light tint, light enough that the controls on it stay readable.
    """

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        highlight = option.palette.color(QPalette.ColorRole.Highlight)
        rect = option.rect.adjusted(0, 1, -1, -1)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        if index.data(KIND_ROLE) == "group":
            painter.setBrush(_alpha(highlight, 0.08))
            painter.drawRoundedRect(rect, 5, 5)
        view = self.parent()
        if isinstance(view, QAbstractItemView) and view.selectionModel().isSelected(index):
            painter.setBrush(_alpha(highlight, 0.16))
            painter.drawRoundedRect(rect, 5, 5)
        painter.restore()


def _alpha(color: QColor, alpha: float) -> QColor:
    tinted = QColor(color)
    tinted.setAlphaF(alpha)
    return tinted


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
        color = _alpha(self.palette().color(QPalette.ColorRole.WindowText), 0.22)
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

