"""Manage Trigger Conditions' "Try on a sample state": the verdict and each row's, from the service's
evaluator, on the catalogue sample or on pasted JSON, following the expression as it changes."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from emswebhook_gui import catalog, samples
from emswebhook_gui.conditions import evaluate
from emswebhook_gui.gui.conditions.try_pane import MATCHED_ROLE
from tests.test_gui_condition_dialog import EVENT, WALKTHROUGH, click, dialog_opener, editor

ALL_ROWS = [
    "Any of 2 items",
    "All of 2 items",
    "Customer Name is equal to 'Sam Smith'",
    "Entitlement State is equal to 'ENABLE'",
    "All of 1 item",
    "User ExternalId is equal to '617AWUD'",
]


@pytest.fixture
def open_dialog(qtbot):
    return dialog_opener(qtbot)


def expand(qtbot, dialog):
    pane = dialog.try_pane
    assert not pane.body.isVisible()
    height = dialog.height()
    click(qtbot, pane.toggle)
    qtbot.waitUntil(pane.body.isVisible)
    assert dialog.height() > height  # the dialog makes room rather than squeezing the builder
    return pane


def paste(qtbot, pane, text: str) -> None:
    pane.json_edit.setFocus()
    pane.json_edit.selectAll()
    qtbot.keyClick(pane.json_edit, Qt.Key.Key_Delete)
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(pane.json_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(pane.json_edit, line)


def test_the_catalogue_sample_matches_the_walkthrough_row_by_row(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    pane = expand(qtbot, dialog)
    sample = samples.sample_state(catalog.get_event(EVENT))
    assert evaluate(WALKTHROUGH, sample) is True  # the service's own verdict, which the pane shows
    assert "matches: true" in pane.verdict_label.text()
    assert pane.source_combo.currentText() == "Catalogue sample" and pane.json_edit.isReadOnly()
    assert json.loads(pane.json_edit.toPlainText()) == sample
    assert pane.matched_rows() == ALL_ROWS
    assert pane.rows_list.item(2).text().startswith("        ✓")  # indented by depth, ticked

    row = editor(qtbot, dialog, dialog.tree().children[0].children[0])
    qtbot.keyClicks(row.value_edit, " Jr")  # the expression changes: evaluated again, shortly
    qtbot.waitUntil(lambda: "Customer Name is equal to 'Sam Smith Jr'" in
                    [pane.rows_list.item(i).text().strip()[2:] for i in range(pane.rows_list.count())])
    assert "matches: true" in pane.verdict_label.text()  # the second group still matches
    assert pane.matched_rows() == ["Any of 2 items", "Entitlement State is equal to 'ENABLE'", "All of 1 item",
                                   "User ExternalId is equal to '617AWUD'"]
    crossed = pane.rows_list.item(1)
    assert crossed.data(MATCHED_ROLE) is False and "✗" in crossed.text()


def test_pasted_json_invalid_then_valid_then_a_payload(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    pane = expand(qtbot, dialog)
    pane.source_combo.setFocus()
    qtbot.keyClick(pane.source_combo, Qt.Key.Key_Down)  # Pasted JSON
    assert pane.source_combo.currentText() == "Pasted JSON" and not pane.json_edit.isReadOnly()
    assert "Paste an entity state" in pane.message_label.text()

    paste(qtbot, pane, '{"entitlement": {\n  "state": "ENABLE",\n}}')
    qtbot.waitUntil(lambda: "Not valid JSON" in pane.message_label.text())
    assert "line 3, column 1" in pane.message_label.text()
    assert pane.verdict_label.text() == "" and pane.rows_list.count() == 0

    paste(qtbot, pane, '{"entitlement": {"contact": {"externalId": "617AWUD"}}}')
    qtbot.waitUntil(lambda: "matches: true" in pane.verdict_label.text())
    assert pane.matched_rows() == ["Any of 2 items", "All of 1 item", "User ExternalId is equal to '617AWUD'"]

    paste(qtbot, pane, '{"event": "x", "currentState": {"entitlement": {"state": "DISABLE"}}}')
    qtbot.waitUntil(lambda: "matches: false" in pane.verdict_label.text())
    assert pane.matched_rows() == []

    qtbot.keyClick(pane.source_combo, Qt.Key.Key_Up)  # back to the sample; the pasted text is kept
    assert "matches: true" in pane.verdict_label.text()
    qtbot.keyClick(pane.source_combo, Qt.Key.Key_Down)
    assert "DISABLE" in pane.json_edit.toPlainText()


def test_no_condition_matches_everything_and_a_text_error_is_named(qtbot, open_dialog):
    dialog = open_dialog()
    pane = expand(qtbot, dialog)
    assert "matches: true" in pane.verdict_label.text()
    assert "every occurrence matches" in pane.message_label.text()

    dialog.tabs.setCurrentIndex(1)
    dialog.text_edit.setFocus()
    qtbot.keyClicks(dialog.text_edit, "entitlement.state = 'x'")
    qtbot.waitUntil(lambda: "Fix the expression first (column 19)" in pane.message_label.text())
    dialog.text_edit.selectAll()
    api_only = "entitlement.productKeys.productKey[0].state == 'DISABLE'"
    qtbot.keyClicks(dialog.text_edit, api_only)
    qtbot.waitUntil(lambda: "no rows to show" in pane.message_label.text())
    assert evaluate(api_only, samples.sample_state(catalog.get_event(EVENT))) is False
    assert "matches: false" in pane.verdict_label.text()


def test_collapsed_it_does_no_work(qtbot, open_dialog):
    dialog = open_dialog(WALKTHROUGH)
    pane = dialog.try_pane
    click(qtbot, editor(qtbot, dialog, dialog.tree()).and_button)
    assert not pane._timer.isActive() and pane.rows_list.count() == 0
    click(qtbot, pane.toggle)
    assert "matches: true" in pane.verdict_label.text() and pane.matched_rows()[0] == "All of 2 items"
    click(qtbot, pane.toggle)
    qtbot.waitUntil(lambda: not pane.body.isVisible())
