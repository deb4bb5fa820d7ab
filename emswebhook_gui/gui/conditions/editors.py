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

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from emswebhook_gui import catalog
from emswebhook_gui.conditions import MAX_NESTING, Condition, Group
from emswebhook_gui.gui.conditions.row_parts import DragGrip, ValueEdit, WheelSafeComboBox, segment_style
from emswebhook_gui.gui.conditions.tree_model import OPERATOR_LABELS
from emswebhook_gui.gui.widgets.icons import icon

ROW_MARGINS = (4, 3, 6, 3)


INDENTATION = 26


MIN_ROW_WIDTH = 560
"""Narrowest a row gets; deeper trees scroll sideways instead of squeezing rows to nothing."""


ATTRIBUTE_PLACEHOLDER = "Choose an attribute…"




_TYPE_NAMES = {bool: "boolean", int: "number", float: "number", type(None): "null"}


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
            button.setStyleSheet(segment_style(self.palette()))
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


def _literal_text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
