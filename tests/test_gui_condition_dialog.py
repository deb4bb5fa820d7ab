"""Manage Trigger Conditions, driven like a user: real buttons clicked, combos chosen, text typed.

The walkthrough is the source product's own (reference "Managing Trigger Conditions—A
Walkthrough"), and its byte-exact result is DESIGN.md section 3's contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog

from emswebhook_gui.conditions import MAX_NESTING, Condition, Group
from emswebhook_gui.gui.conditions import row_drag
from emswebhook_gui.gui.conditions.dialog import BUILDER_TAB, TEXT_TAB, ConditionDialog
from emswebhook_gui.gui.conditions.editors import ConditionRowEditor, GroupRowEditor

REPO = Path(__file__).resolve().parents[1]
EVENT = "Entitlement Updated"
WALKTHROUGH = (
    "((entitlement.customer.name == 'Sam Smith' && entitlement.state == 'ENABLE') || "
    "(entitlement.contact.externalId == '617AWUD'))"
)


def dialog_opener(qtbot):
    """``make(expression=None, event=EVENT)``: an open, active dialog, closed at teardown."""

    def make(expression: str | None = None, event: str = EVENT) -> ConditionDialog:
        dialog = ConditionDialog(event, expression)
        # Closed at teardown without the "Discard changes?" question a test may have left.
        qtbot.addWidget(dialog, before_close_func=lambda d: d.discard() if d.isVisible() else None)
        with qtbot.waitActive(dialog):  # shortcuts and focus events need the active window
            dialog.open()
            dialog.activateWindow()
        return dialog

    return make


@pytest.fixture
def open_dialog(qtbot):
    return dialog_opener(qtbot)


def editor(qtbot, dialog: ConditionDialog, node):
    """The row widget of ``node``, once the view has laid it out (it is clickable then)."""
    widget = dialog.view.editor_for(node)
    assert widget is not None
    qtbot.waitUntil(lambda: widget.isVisible() and widget.width() > 0 and widget.height() > 0)
    return widget


def click(qtbot, button) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled() and button.width() > 0)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill_row(qtbot, row: ConditionRowEditor, attribute: str, operator: str, value: str) -> None:
    position = row.attribute_combo.findText(attribute)
    assert position >= 0, f"{attribute!r} is not offered"
    row.attribute_combo.setCurrentIndex(position)
    row.operator_combo.setCurrentIndex(row.operator_combo.findText(operator))
    qtbot.keyClicks(row.value_edit, value)


def test_walkthrough_by_clicks_gives_the_exact_expression_and_copies_it(qtbot, open_dialog):
    dialog = open_dialog()
    root = dialog.tree()
    assert [type(node) for node in root.children] == [Condition]  # one empty row, as in the source

    click(qtbot, editor(qtbot, dialog, root.children[0]).delete_button)  # step 1
    root_row = editor(qtbot, dialog, root)
    click(qtbot, root_row.add_group_button)  # step 2
    click(qtbot, root_row.add_group_button)
    click(qtbot, root_row.or_button)  # step 3
    first, second = root.children
    first_row = editor(qtbot, dialog, first)
    click(qtbot, first_row.add_condition_button)  # step 4
    click(qtbot, first_row.add_condition_button)
    fill_row(qtbot, editor(qtbot, dialog, first.children[0]), "Customer Name", "Is equal to", "Sam Smith")
    fill_row(qtbot, editor(qtbot, dialog, first.children[1]), "Entitlement State", "Is equal to", "ENABLE")
    click(qtbot, editor(qtbot, dialog, second).add_condition_button)  # step 6
    fill_row(qtbot, editor(qtbot, dialog, second.children[0]), "User ExternalId", "Is equal to", "617AWUD")

    assert dialog.expression() == WALKTHROUGH
    assert dialog.preview.toPlainText() == WALKTHROUGH
    assert root_row.or_button.isChecked() and not root_row.and_button.isChecked()
    click(qtbot, dialog.copy_button)
    assert QGuiApplication.clipboard().text() == WALKTHROUGH

    with qtbot.waitSignal(dialog.sig_saved) as saved:  # step 8
        click(qtbot, dialog.save_button)
    assert saved.args == [WALKTHROUGH]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_loading_the_walkthrough_shows_two_groups_of_two_and_one_rows(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    root = dialog.tree()
    assert not dialog.is_text_mode()
    assert root.combinator == "or"
    assert [len(group.children) for group in root.children] == [2, 1]
    model = dialog.model
    root_index = model.index(0, 0)
    assert model.rowCount(root_index) == 2
    assert [model.rowCount(model.index(row, 0, root_index)) for row in range(2)] == [2, 1]
    assert editor(qtbot, dialog, root).or_button.isChecked()
    labels = [
        editor(qtbot, dialog, node).attribute_combo.currentText()
        for group in root.children
        for node in group.children
    ]
    assert labels == ["Customer Name", "Entitlement State", "User ExternalId"]
    values = [editor(qtbot, dialog, node).value_edit.text() for group in root.children for node in group.children]
    assert values == ["Sam Smith", "ENABLE", "617AWUD"]
    # Deeper rows sit further right: each group level indents.
    group_x = editor(qtbot, dialog, root.children[0]).geometry().x()
    row_x = editor(qtbot, dialog, root.children[0].children[0]).geometry().x()
    assert editor(qtbot, dialog, root).geometry().x() < group_x < row_x
    assert dialog.expression() == WALKTHROUGH


def test_an_incomplete_row_disables_save_until_an_attribute_is_chosen(qtbot, open_dialog):
    dialog = open_dialog("entitlement.state == 'ENABLE'")
    root = dialog.tree()
    click(qtbot, editor(qtbot, dialog, root).add_condition_button)
    assert not dialog.save_button.isEnabled()
    assert "Row 2" in dialog.status_label.text() and "choose an attribute" in dialog.status_label.text()
    assert dialog.expression() == "(entitlement.state == 'ENABLE')"  # the incomplete row is left out

    with qtbot.assertNotEmitted(dialog.sig_saved):
        qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()
    incomplete = editor(qtbot, dialog, root.children[1])
    dialog.status_label.linkActivated.emit("row:2")  # the issue links to its row
    qtbot.waitUntil(incomplete.attribute_combo.hasFocus)

    fill_row(qtbot, editor(qtbot, dialog, root.children[1]), "Customer Name", "Is not equal to", "Acme")
    assert dialog.save_button.isEnabled()
    assert dialog.expression() == "(entitlement.state == 'ENABLE' && entitlement.customer.name != 'Acme')"


def test_an_empty_root_saves_no_condition(qtbot, open_dialog):
    dialog = open_dialog()
    click(qtbot, editor(qtbot, dialog, dialog.tree().children[0]).delete_button)
    assert dialog.save_button.isEnabled()
    assert "fires for every occurrence" in dialog.status_label.text()
    with qtbot.waitSignal(dialog.sig_saved) as saved:
        qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert saved.args == [""]


def test_text_mode_points_at_the_column_of_an_error(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    dialog.tabs.setCurrentIndex(TEXT_TAB)
    assert dialog.text_edit.toPlainText() == WALKTHROUGH
    dialog.text_edit.selectAll()
    qtbot.keyClicks(dialog.text_edit, "entitlement.state = 'x'")
    qtbot.waitUntil(lambda: "column 19" in dialog.text_error_label.text())
    assert "use '=='" in dialog.text_error_label.text()
    assert not dialog.save_button.isEnabled()
    assert not dialog.tabs.isTabEnabled(BUILDER_TAB)
    assert "column 19" in dialog.tabs.tabToolTip(BUILDER_TAB)
    [highlight] = dialog.text_edit.extraSelections()
    assert highlight.cursor.selectionStart() == 18  # column 19, counted from 1

    dialog.text_error_label.linkActivated.emit("column:19")
    assert dialog.text_edit.textCursor().position() == 18

    qtbot.keyClick(dialog.text_edit, Qt.Key.Key_End)
    dialog.text_edit.setPlainText("entitlement.state == 'x'")
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled())
    assert dialog.text_error_label.text() == ""
    assert dialog.tabs.isTabEnabled(BUILDER_TAB)
    dialog.tabs.setCurrentIndex(BUILDER_TAB)  # the edited text becomes the tree
    assert [node.path for node in dialog.tree().children] == ["entitlement.state"]
    assert dialog.expression() == "(entitlement.state == 'x')"


def test_looking_at_the_text_keeps_rows_without_an_attribute(qtbot, open_dialog):
    dialog = open_dialog()
    dialog.tabs.setCurrentIndex(TEXT_TAB)
    assert dialog.text_edit.toPlainText() == ""
    dialog.tabs.setCurrentIndex(BUILDER_TAB)
    assert dialog.tree() == Group("and", [Condition("")])
    assert editor(qtbot, dialog, dialog.tree().children[0]).attribute_combo.currentIndex() == -1


def test_an_indexed_path_opens_in_text_mode_with_the_builder_disabled(qtbot, open_dialog):
    expression = "entitlement.productKeys.productKey[1].state == 'ENABLE'"
    dialog = open_dialog(expression)
    assert dialog.is_text_mode()
    assert dialog.text_edit.toPlainText() == expression
    assert not dialog.tabs.isTabEnabled(BUILDER_TAB)
    tip = dialog.tabs.tabToolTip(BUILDER_TAB)
    assert "productKey[1]" in tip and "API" in tip
    assert dialog.api_only_label.isVisible() and "[*] is supported" in dialog.api_only_label.text()
    assert dialog.save_button.isEnabled()  # valid, only not buildable
    with qtbot.waitSignal(dialog.sig_saved) as saved:
        click(qtbot, dialog.save_button)
    assert saved.args == [expression]


def test_a_stored_expression_that_does_not_parse_opens_as_text_at_the_error(qtbot, open_dialog):
    dialog = open_dialog("entitlement.state = 'x'")
    assert dialog.is_text_mode()
    assert "column 19" in dialog.text_error_label.text()
    assert dialog.text_edit.textCursor().position() == 18
    assert not dialog.save_button.isEnabled()


def test_unknown_paths_and_typed_values_survive_until_edited(qtbot, open_dialog):
    dialog = open_dialog("entitlement.extra.flag == true && entitlement.id == 5")
    flag_row = editor(qtbot, dialog, dialog.tree().children[0])
    assert flag_row.attribute_combo.currentText() == "entitlement.extra.flag"  # raw, not in the catalogue
    assert flag_row.value_edit.text() == "true" and flag_row.type_label.text() == "boolean"
    assert dialog.expression() == "(entitlement.extra.flag == true && entitlement.id == 5)"
    id_row = editor(qtbot, dialog, dialog.tree().children[1])
    assert id_row.attribute_combo.currentText() == "Entitlement Id"
    qtbot.keyClicks(id_row.value_edit, "0")
    assert dialog.expression() == "(entitlement.extra.flag == true && entitlement.id == '50')"
    assert id_row.type_label.isHidden()


def test_add_filter_group_is_disabled_at_the_nesting_limit(qtbot, open_dialog):
    dialog = open_dialog()
    deepest = root = Group()
    for _ in range(MAX_NESTING - 1):  # the deepest group renders MAX_NESTING levels
        inner = Group("and", [Condition("entitlement.state", "==", "ENABLE")])
        deepest.children.append(inner)
        deepest = inner
    dialog.model.set_root(root)
    limited = editor(qtbot, dialog, deepest)
    assert not limited.add_group_button.isEnabled()
    assert str(MAX_NESTING) in limited.add_group_button.toolTip()
    outer = dialog.model.node(dialog.model.index_for(deepest).parent())
    assert editor(qtbot, dialog, outer).add_group_button.isEnabled()
    assert dialog.save_button.isEnabled()  # 32 levels of parentheses are still valid


def test_keyboard_moves_reorder_indent_and_outdent(qtbot, open_dialog):
    dialog = open_dialog("(a.x == '1' && a.y == '2') || b.z == '3'")
    root = dialog.tree()
    b = root.children[1]
    editor(qtbot, dialog, b).value_edit.setFocus()
    qtbot.waitUntil(lambda: dialog.view.currentIndex() == dialog.model.index_for(b))
    view = dialog.view

    alt_shift = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(editor(qtbot, dialog, b).value_edit, Qt.Key.Key_Up, alt_shift)  # from inside a row
    assert dialog.expression() == "(b.z == '3' || (a.x == '1' && a.y == '2'))"
    view.move_up_action.trigger()  # at the top: refused, and it says why
    assert "Not moved: it is already the first row" in dialog.status_label.text()
    assert dialog.expression() == "(b.z == '3' || (a.x == '1' && a.y == '2'))"
    view.move_down_action.trigger()
    view.indent_action.trigger()  # into the group above, at its end
    assert dialog.expression() == "((a.x == '1' && a.y == '2' && b.z == '3'))"
    view.move_up_action.trigger()
    assert dialog.expression() == "((a.x == '1' && b.z == '3' && a.y == '2'))"
    view.outdent_action.trigger()
    assert dialog.expression() == "((a.x == '1' && a.y == '2') || b.z == '3')"
    assert editor(qtbot, dialog, b).node is b  # the row widget followed its node


def test_copy_and_save_shortcuts(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(dialog, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == WALKTHROUGH
    with qtbot.waitSignal(dialog.sig_saved) as saved:
        qtbot.keyClick(dialog, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    assert saved.args == [WALKTHROUGH]


def test_title_and_size(open_dialog):
    dialog = open_dialog()
    assert dialog.windowTitle() == f"Manage Trigger Conditions — {EVENT}"
    assert (dialog.width(), dialog.height()) == (820, 560)
    assert isinstance(dialog.view.editor_for(dialog.tree()), GroupRowEditor)


def test_dragging_a_row_by_its_grip_moves_it_to_where_it_is_dropped(qtbot, open_dialog, monkeypatch):
    dialog = open_dialog(WALKTHROUGH)
    first, second = dialog.tree().children
    moving = first.children[1]
    drags = []

    class DropOnSecondGroup:
        """Stands in for QDrag, whose exec() runs a modal drag loop: drops at a chosen place."""

        def __init__(self, source):
            drags.append(self)

        def setMimeData(self, mime):
            self.mime = mime

        def setPixmap(self, pixmap):
            self.pixmap = pixmap

        def setHotSpot(self, point):
            pass

        def exec(self, *actions):
            model = dialog.model
            target = model.index_for(second)
            assert model.canDropMimeData(self.mime, Qt.DropAction.MoveAction, 0, 0, target)
            assert model.dropMimeData(self.mime, Qt.DropAction.MoveAction, 0, 0, target)
            return Qt.DropAction.MoveAction

    monkeypatch.setattr(row_drag, "QDrag", DropOnSecondGroup)
    row = editor(qtbot, dialog, moving)
    qtbot.mousePress(row.grip, Qt.MouseButton.LeftButton, pos=QPoint(5, 10))
    qtbot.mouseMove(row.grip, QPoint(5, 40))
    qtbot.mouseMove(row.grip, QPoint(6, 60))
    qtbot.mouseRelease(row.grip, Qt.MouseButton.LeftButton, pos=QPoint(6, 60))

    assert len(drags) == 1 and not drags[0].pixmap.isNull()  # pictured by the row itself
    assert dialog.expression() == (
        "((entitlement.customer.name == 'Sam Smith') || "
        "(entitlement.state == 'ENABLE' && entitlement.contact.externalId == '617AWUD'))"
    )
    assert dialog.view.editor_for(moving) is row  # the same row widget, now in the second group


REAL_DRAG_CHILD = textwrap.dedent(
    r"""
    import json
    from PySide6.QtCore import QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from emswebhook_gui.gui.conditions.dialog import ConditionDialog

    LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier

    def drag(dialog, node, onto, where):
        view, window = dialog.view, dialog.windowHandle()
        source = view.visualRect(dialog.model.index_for(node))
        target = view.visualRect(dialog.model.index_for(onto))
        start = QPoint(source.left() + 8, source.center().y())  # on the row's grip
        end = QPoint(target.left() + 300, target.center().y() if where == "on" else target.top() + 2)
        steps = [("move", start + QPoint(0, 5 * i)) for i in (1, 2, 3)]
        steps += [("move", end), ("move", end + QPoint(1, 0)), ("release", end)]
        at = lambda point: view.viewport().mapTo(dialog, point)

        def next_step():
            if steps:
                kind, point = steps.pop(0)
                QTimer.singleShot(30, next_step)  # first: the move that starts the drag blocks
                if kind == "move":
                    QTest.mouseMove(window, at(point))
                else:
                    QTest.mouseRelease(window, LEFT, NONE, at(point))

        QTest.mousePress(window, LEFT, NONE, at(start))
        next_step()
        while steps:
            QTest.qWait(20)
        QTest.qWait(100)
        return dialog.expression()

    dialog = ConditionDialog("Entitlement Updated", %r)
    dialog.show()
    QTest.qWait(100)
    root = dialog.tree()
    first, second = root.children
    results = [drag(dialog, first.children[1], second, "on")]  # a condition onto a group: appended
    results.append(drag(dialog, first, first.children[0], "above"))  # a group into itself: refused
    results.append(dialog.status_label.text())  # ... and why
    results.append(drag(dialog, second, first, "on"))  # a group into another group
    results.append(dialog.undo_stack.count())
    for _ in range(2):
        dialog.undo_action.trigger()  # (the keys are tested offscreen; this window is never active)
    results.append(dialog.expression())  # both moves undone
    print(json.dumps(results))
    """
)


def test_real_drag_and_drop_through_the_view(tmp_path):
    """A real drag, mouse events and Qt's drag loop included. The offscreen platform's drag is a
    stub that returns at once, so this runs in a child process on the "minimal" platform."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="minimal",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    child = subprocess.run(
        [sys.executable, "-c", REAL_DRAG_CHILD % WALKTHROUGH],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    moved, refused, why, nested, steps, undone = json.loads(child.stdout.splitlines()[-1])
    assert moved == (
        "((entitlement.customer.name == 'Sam Smith') || "
        "(entitlement.contact.externalId == '617AWUD' && entitlement.state == 'ENABLE'))"
    )
    assert refused == moved
    assert "Not moved: a group cannot go inside itself" in why
    assert nested == (
        "((entitlement.customer.name == 'Sam Smith' && "
        "(entitlement.contact.externalId == '617AWUD' && entitlement.state == 'ENABLE')))"
    )
    assert (steps, undone) == (2, WALKTHROUGH)  # the refused drop recorded nothing
