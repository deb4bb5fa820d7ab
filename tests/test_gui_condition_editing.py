"""Manage Trigger Conditions keeps work: "Discard changes?" before closing, undo and redo of every
builder edit, Ctrl+arrow moves, and refused moves and drops that say why. Driven with keys and
clicks, as a user would."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QDragMoveEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QMessageBox

from emswebhook_gui.gui.conditions import row_drag
from emswebhook_gui.gui.conditions.shortcuts import CONDITION_SHORTCUTS
from tests.test_gui_condition_dialog import WALKTHROUGH, click, dialog_opener, editor

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
MOVE = Qt.DropAction.MoveAction
SMALL = "(a.x == '1' && a.y == '2') || b.z == '3'"


@pytest.fixture
def open_dialog(qtbot):
    return dialog_opener(qtbot)


def discard_box(dialog) -> QMessageBox | None:
    boxes = [box for box in dialog.findChildren(QMessageBox, "confirm_discard") if box.isVisible()]
    return boxes[0] if boxes else None


# ---- Discard changes? ---------------------------------------------------------------------------


def test_esc_without_changes_just_closes(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert discard_box(dialog) is None


def test_esc_with_changes_asks_and_a_second_esc_does_not_discard(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    row = editor(qtbot, dialog, dialog.tree().children[0].children[0])
    qtbot.keyClicks(row.value_edit, " Jr")
    changed = dialog.expression()
    assert changed != WALKTHROUGH

    qtbot.keyClick(row.value_edit, Qt.Key.Key_Escape)  # from inside a field
    qtbot.waitUntil(lambda: discard_box(dialog) is not None)
    box = discard_box(dialog)
    assert box.text() == "Discard changes?" and box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # a second Esc at the dialog: the question stays
    assert dialog.isVisible() and discard_box(dialog) is box
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Esc at the question answers Cancel
    qtbot.waitUntil(lambda: discard_box(dialog) is None)
    assert dialog.isVisible() and dialog.expression() == changed

    with qtbot.assertNotEmitted(dialog.sig_saved):
        click(qtbot, dialog.cancel_button)
        qtbot.waitUntil(lambda: discard_box(dialog) is not None)
        click(qtbot, discard_box(dialog).button(QMessageBox.StandardButton.Discard))
        qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_closing_the_window_with_changes_asks_first(qtbot, open_dialog):
    dialog = open_dialog()
    click(qtbot, editor(qtbot, dialog, dialog.tree()).add_group_button)  # a change, even if it saves nothing
    assert not dialog.close()
    qtbot.waitUntil(lambda: discard_box(dialog) is not None)
    assert dialog.isVisible()
    click(qtbot, discard_box(dialog).button(QMessageBox.StandardButton.Discard))
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_an_undone_change_is_no_change(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    click(qtbot, editor(qtbot, dialog, dialog.tree()).and_button)
    assert dialog.has_changes()
    click(qtbot, dialog.undo_button)
    assert not dialog.has_changes()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_save_with_an_incomplete_row_puts_the_focus_on_it(qtbot, open_dialog):
    dialog = open_dialog("entitlement.state == 'ENABLE'")
    click(qtbot, editor(qtbot, dialog, dialog.tree()).add_condition_button)
    incomplete = editor(qtbot, dialog, dialog.tree().children[1])
    dialog.view.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(incomplete.attribute_combo.hasFocus)
    assert dialog.isVisible()


# ---- undo and redo --------------------------------------------------------------------------------


def test_undo_restores_a_deleted_row_at_its_place_with_its_values(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    first = dialog.tree().children[0]
    doomed = first.children[0]
    assert not dialog.undo_button.isEnabled()
    click(qtbot, editor(qtbot, dialog, doomed).delete_button)
    assert dialog.expression().startswith("((entitlement.state == 'ENABLE') ||")
    assert dialog.undo_button.isEnabled() and "Undo delete condition" in dialog.undo_action.toolTip()

    qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL)
    assert dialog.expression() == WALKTHROUGH
    assert first.children[0] is doomed  # the very node, at its place
    row = editor(qtbot, dialog, doomed)
    assert (row.attribute_combo.currentText(), row.value_edit.text()) == ("Customer Name", "Sam Smith")
    assert dialog.view.currentIndex() == dialog.model.index_for(doomed)

    qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL_SHIFT)  # redo
    assert doomed not in first.children
    click(qtbot, dialog.undo_button)
    assert dialog.expression() == WALKTHROUGH
    click(qtbot, dialog.redo_button)
    assert dialog.expression().startswith("((entitlement.state == 'ENABLE') ||")


def test_undo_of_a_deleted_group_brings_back_its_rows(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    group = dialog.tree().children[0]
    click(qtbot, editor(qtbot, dialog, group).delete_button)
    assert dialog.expression() == "((entitlement.contact.externalId == '617AWUD'))"
    qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL)
    assert dialog.expression() == WALKTHROUGH
    assert editor(qtbot, dialog, group.children[1]).value_edit.text() == "ENABLE"


def test_typing_in_a_value_is_one_step_and_ctrl_z_in_the_field_undoes_it(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    row = editor(qtbot, dialog, dialog.tree().children[0].children[0])
    qtbot.keyClicks(row.value_edit, " Jr")
    assert "'Sam Smith Jr'" in dialog.expression()
    qtbot.keyClick(row.value_edit, Qt.Key.Key_Z, CTRL)  # the builder's undo, not the field's
    assert row.value_edit.text() == "Sam Smith" and dialog.expression() == WALKTHROUGH
    qtbot.keyClick(row.value_edit, Qt.Key.Key_Z, CTRL_SHIFT)
    assert row.value_edit.text() == "Sam Smith Jr"
    qtbot.keyClick(row.value_edit, Qt.Key.Key_Z, CTRL)
    qtbot.keyClicks(row.value_edit, "!")
    qtbot.keyClick(row.value_edit, Qt.Key.Key_Backspace)  # typed back to what it was: nothing to undo
    assert dialog.undo_stack.count() == 0 and not dialog.undo_button.isEnabled()


def test_a_tree_set_from_outside_starts_a_new_history(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    click(qtbot, editor(qtbot, dialog, dialog.tree()).and_button)
    assert dialog.undo_button.isEnabled()
    dialog.model.set_root(dialog.tree())  # as loading does: the old steps may be about gone nodes
    assert not dialog.undo_button.isEnabled() and dialog.undo_stack.count() == 0


def test_undo_of_added_rows_and_of_field_edits(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    root = dialog.tree()
    root_row = editor(qtbot, dialog, root)
    click(qtbot, root_row.add_condition_button)
    click(qtbot, root_row.and_button)
    condition = root.children[0].children[1]
    row = editor(qtbot, dialog, condition)
    row.operator_combo.setCurrentIndex(row.operator_combo.findText("Is not equal to"))
    row.attribute_combo.setCurrentIndex(row.attribute_combo.findText("Customer Name"))
    assert len(root.children) == 3 and root.combinator == "and"
    assert (condition.path, condition.operator) == ("entitlement.customer.name", "!=")
    for _ in range(2):
        qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL)
    assert (condition.path, condition.operator) == ("entitlement.state", "==")
    assert row.attribute_combo.currentText() == "Entitlement State" and row.operator_combo.currentText() == "Is equal to"
    qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL)
    assert root.combinator == "or" and root_row.or_button.isChecked()
    qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL)
    assert len(root.children) == 2 and dialog.expression() == WALKTHROUGH and not dialog.undo_button.isEnabled()


def test_undo_of_keyboard_moves_and_of_a_tree_from_text(qtbot, open_dialog):
    dialog = open_dialog(SMALL)
    b = dialog.tree().children[1]
    combo = editor(qtbot, dialog, b).attribute_combo
    combo.setFocus()
    qtbot.waitUntil(lambda: dialog.view.currentIndex() == dialog.model.index_for(b))
    qtbot.keyClick(combo, Qt.Key.Key_Right, CTRL)
    assert dialog.expression() == "((a.x == '1' && a.y == '2' && b.z == '3'))"
    qtbot.keyClick(combo, Qt.Key.Key_Z, CTRL)
    assert dialog.expression() == "((a.x == '1' && a.y == '2') || b.z == '3')"

    dialog.tabs.setCurrentIndex(1)
    dialog.text_edit.setPlainText("c.w == 'x'")
    assert not dialog.undo_action.isEnabled()  # the Text tab's keys are its own
    dialog.tabs.setCurrentIndex(0)
    assert dialog.expression() == "(c.w == 'x')"
    click(qtbot, dialog.undo_button)
    assert dialog.expression() == "((a.x == '1' && a.y == '2') || b.z == '3')"
    assert dialog.tree().children[1] is b


# ---- keyboard moves ----------------------------------------------------------------------------------


def test_ctrl_arrows_move_rows_and_a_refused_move_says_why(qtbot, open_dialog):
    dialog = open_dialog(SMALL)
    root = dialog.tree()
    b = root.children[1]
    combo = editor(qtbot, dialog, b).attribute_combo
    combo.setFocus()
    qtbot.waitUntil(lambda: dialog.view.currentIndex() == dialog.model.index_for(b))

    qtbot.keyClick(combo, Qt.Key.Key_Up, CTRL)
    assert dialog.expression() == "(b.z == '3' || (a.x == '1' && a.y == '2'))"
    qtbot.keyClick(combo, Qt.Key.Key_Up, CTRL)
    assert "Not moved: it is already the first row." in dialog.status_label.text()
    qtbot.keyClick(combo, Qt.Key.Key_Down, CTRL)
    qtbot.keyClick(combo, Qt.Key.Key_Right, CTRL)  # into the group above, at its end
    assert dialog.expression() == "((a.x == '1' && a.y == '2' && b.z == '3'))"
    qtbot.keyClick(combo, Qt.Key.Key_Up, CTRL)
    assert dialog.expression() == "((a.x == '1' && b.z == '3' && a.y == '2'))"
    qtbot.keyClick(combo, Qt.Key.Key_Left, CTRL)
    assert dialog.expression() == "((a.x == '1' && a.y == '2') || b.z == '3')"
    qtbot.keyClick(combo, Qt.Key.Key_Left, CTRL)
    assert "Not moved: it is already in the top group." in dialog.status_label.text()

    a_x = root.children[0].children[0]
    first = editor(qtbot, dialog, a_x).operator_combo
    first.setFocus()
    qtbot.waitUntil(lambda: dialog.view.currentIndex() == dialog.model.index_for(a_x))
    qtbot.keyClick(first, Qt.Key.Key_Right, CTRL)
    assert "there is no group just above it to move into" in dialog.status_label.text()
    assert editor(qtbot, dialog, b).node is b


def test_every_listed_shortcut_is_bound(open_dialog):
    dialog = open_dialog()
    bound = {QKeySequence(Qt.Key.Key_Escape).toString()}  # QDialog's own
    for action in dialog.findChildren(QAction):
        bound.update(sequence.toString() for sequence in action.shortcuts())
    bound.update(shortcut.key().toString() for shortcut in dialog.findChildren(QShortcut))
    listed = {QKeySequence(key).toString() for keys, _what in CONDITION_SHORTCUTS for key in keys}
    assert listed <= bound, listed - bound
    assert all(isinstance(what, str) and what for _keys, what in CONDITION_SHORTCUTS)


# ---- drag and drop ------------------------------------------------------------------------------------


def test_a_refused_drop_says_why_and_a_dragged_group_shows_its_rows(qtbot, open_dialog, monkeypatch):
    dialog = open_dialog(WALKTHROUGH)
    first, second = dialog.tree().children
    view = dialog.view
    seen = {}

    class DropIntoItself:
        """Stands in for QDrag (whose exec() runs a modal loop): hovers, then drops, the group
        onto one of its own rows, through the view's event handlers (outside a real drag Qt does
        not deliver drag events; test_real_drag_and_drop_through_the_view has a real one)."""

        def __init__(self, source):
            pass

        def setMimeData(self, mime):
            self.mime = mime

        def setPixmap(self, pixmap):
            seen["pixmap"] = pixmap

        def setHotSpot(self, point):
            pass

        def exec(self, *actions):
            own_row = view.visualRect(dialog.model.index_for(first.children[1]))
            point = QPoint(own_row.left() + 300, own_row.center().y())
            hover = QDragMoveEvent(point, MOVE, self.mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
            view.dragMoveEvent(hover)
            seen["hover"] = dialog.status_label.text()
            drop = QDropEvent(QPointF(point), MOVE, self.mime, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier)
            view.dropEvent(drop)
            return Qt.DropAction.IgnoreAction

    monkeypatch.setattr(row_drag, "QDrag", DropIntoItself)
    grip = editor(qtbot, dialog, first).grip
    qtbot.mousePress(grip, Qt.MouseButton.LeftButton, pos=QPoint(5, 10))
    qtbot.mouseMove(grip, QPoint(5, 40))
    qtbot.mouseMove(grip, QPoint(6, 60))
    qtbot.mouseRelease(grip, Qt.MouseButton.LeftButton, pos=QPoint(6, 60))

    assert "Cannot drop here: a group cannot go inside itself" in seen["hover"]
    assert "Not moved: a group cannot go inside itself" in dialog.status_label.text()
    assert dialog.expression() == WALKTHROUGH and not dialog.undo_button.isEnabled()
    group_row = editor(qtbot, dialog, first)
    assert seen["pixmap"].height() > 2 * group_row.height()  # the group with its two rows
    assert seen["pixmap"].width() >= group_row.width()


def test_a_drop_is_undone_in_one_step(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    first, second = dialog.tree().children
    moving = first.children[1]
    model = dialog.model
    mime = model.mimeData([model.index_for(moving)])
    assert model.dropMimeData(mime, MOVE, 0, 0, model.index_for(second))  # what the view's drop calls
    assert second.children[0] is moving
    qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL)
    assert first.children[1] is moving and dialog.expression() == WALKTHROUGH
    qtbot.keyClick(dialog, Qt.Key.Key_Z, CTRL_SHIFT)
    assert second.children[0] is moving
