"""The condition dialog's "Try on a sample state" pane: would a delivery match this state?

The state is the catalogue's sample for the event (what "Send test event" publishes) or JSON the
user pastes: an entity state (``{"entitlement": {...}}``), or a whole payload or occurrence, whose
``currentState`` is then what is tried, as the service does. The verdict and each row's are the
service's own evaluator's (:mod:`emswebhook_gui.conditions.explain`); the pane only shows them.
It re-evaluates at most every :data:`EVALUATE_DELAY_MS` while the expression or the JSON changes,
and only while it is expanded.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui import catalog, samples
from emswebhook_gui.conditions import ConditionSyntaxError, expression_matches, row_results
from emswebhook_gui.gui.conditions.checks import Subject
from emswebhook_gui.gui.conditions.tree_model import describe
from emswebhook_gui.jsontext import read_json
from emswebhook_gui.gui.widgets.colors import error_color, success_color

EVALUATE_DELAY_MS = 250
CATALOGUE, PASTED = 0, 1
MATCHED_ROLE = Qt.ItemDataRole.UserRole + 1
"""A result row's verdict: True, False, or None (the row says nothing yet)."""
NODE_ROLE = Qt.ItemDataRole.UserRole + 2
"""The builder node a result row is about."""
BODY_HEIGHT = 210
_MARKS = {True: "✓", False: "✗", None: "–"}


class TryPane(QWidget):
    """A header that expands the pane, then the state on the left and the verdict on the right."""

    def __init__(self, event_name: str, subject: Callable[[], Subject], font, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tryPane")
        self._event_name = event_name
        self._subject = subject
        self._pasted = ""
        self._grown = False  # the window grew to make room for the body
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(EVALUATE_DELAY_MS)
        self._timer.timeout.connect(self.evaluate)

        self.toggle = QToolButton()
        self.toggle.setObjectName("tryToggle")
        self.toggle.setText("Try on a sample state")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolTip("See whether a state would match the condition, and which rows match")
        self.toggle.toggled.connect(self._on_toggle_toggled)
        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("tryVerdict")

        self.source_combo = QComboBox()
        self.source_combo.setObjectName("trySource")
        self.source_combo.addItems(["Catalogue sample", "Pasted JSON"])
        self.source_combo.setAccessibleName("State to try")
        self.source_combo.currentIndexChanged.connect(self._on_source_combo_current_index_changed)
        self.json_edit = QPlainTextEdit()
        self.json_edit.setObjectName("tryJson")
        self.json_edit.setFont(font)
        self.json_edit.setAccessibleName("State (JSON)")
        self.json_edit.setPlaceholderText('Paste an entity state, e.g. {"entitlement": {"state": "ENABLE"}}')
        self.json_edit.textChanged.connect(self._on_json_edit_text_changed)
        self.message_label = QLabel()
        self.message_label.setObjectName("tryMessage")
        self.message_label.setWordWrap(True)
        self.rows_list = QListWidget()
        self.rows_list.setObjectName("tryRows")
        self.rows_list.setAccessibleName("Rows and whether they match")

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle)
        header.addStretch(1)
        header.addWidget(self.verdict_label)
        left = QVBoxLayout()
        left.addWidget(self.source_combo)
        left.addWidget(self.json_edit, 1)
        right = QVBoxLayout()
        right.addWidget(self.message_label)
        right.addWidget(self.rows_list, 1)
        self.body = QWidget()
        self.body.setFixedHeight(BODY_HEIGHT)
        columns = QHBoxLayout(self.body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.body.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.body)
        self._show_source()

    # ---- public ---------------------------------------------------------------------------------

    def is_expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)

    def schedule(self) -> None:
        """Something the verdict depends on changed: evaluate again soon (only while shown)."""
        if self.is_expanded():
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def evaluate(self) -> None:
        """Try the current expression on the state now."""
        self._timer.stop()
        self.rows_list.clear()
        state, problem = self._state()
        subject = self._subject()
        problem = problem or subject.problem
        if problem is None:
            try:
                matched = expression_matches(subject.expression, state)
            except ConditionSyntaxError as error:
                problem = f"The expression cannot be tried: {error}"
        if problem is not None:
            self._set_verdict(None)
            self._set_message(problem, error_color(self.palette()).name())
            return
        self._set_verdict(matched)
        if not subject.expression:
            self._set_message("No condition: every occurrence matches.")
        elif subject.tree is None:
            self._set_message("This expression has no rows to show; the verdict is for all of it.")
        else:
            self._set_message("Rows that match are ticked:")
        for result in row_results(subject.tree, state) if subject.tree is not None else []:
            text = "    " * result.depth + f"{_MARKS[result.matched]} {describe(self._event_name, result.node)}"
            item = QListWidgetItem(text)
            item.setData(MATCHED_ROLE, result.matched)
            item.setData(NODE_ROLE, result.node)
            if result.matched is not None:
                item.setForeground(success_color(self.palette()) if result.matched else error_color(self.palette()))
            self.rows_list.addItem(item)

    def matched_rows(self) -> list[str]:
        """The texts of the rows that match (without their marks and indentation)."""
        return [
            self.rows_list.item(i).text().strip()[2:]
            for i in range(self.rows_list.count())
            if self.rows_list.item(i).data(MATCHED_ROLE) is True
        ]

    # ---- the state ------------------------------------------------------------------------------

    def _state(self) -> tuple[object, str | None]:
        """The state to try and, when there is none, why."""
        if self.source_combo.currentIndex() == CATALOGUE:
            return self._sample(), None
        text = self.json_edit.toPlainText()
        if not text.strip():
            return None, "Paste an entity state (JSON) to try the condition on it."
        try:
            value = read_json(text)
        except json.JSONDecodeError as error:
            return None, f"Not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}."
        except ValueError as error:
            return None, f"Not valid JSON: {error}."
        if isinstance(value, dict) and isinstance(value.get("currentState"), dict):
            return value["currentState"], None  # a payload or an occurrence: its current state
        return value, None

    def _sample(self) -> dict:
        event = catalog.get_event(self._event_name)
        return samples.sample_state(event) if event is not None else {}

    def _show_source(self) -> None:
        catalogue = self.source_combo.currentIndex() == CATALOGUE
        self.json_edit.blockSignals(True)
        self.json_edit.setPlainText(json.dumps(self._sample(), indent=2) if catalogue else self._pasted)
        self.json_edit.blockSignals(False)
        self.json_edit.setReadOnly(catalogue)
        self.json_edit.setToolTip(
            f"The catalogue's sample state for {self._event_name}" if catalogue else "Paste or type a state"
        )

    def _on_source_combo_current_index_changed(self, _index: int) -> None:
        self._show_source()
        if self.is_expanded():
            self.evaluate()

    def _on_json_edit_text_changed(self) -> None:
        if self.source_combo.currentIndex() == PASTED:
            self._pasted = self.json_edit.toPlainText()
            self.schedule()

    def _on_toggle_toggled(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)
        self.verdict_label.setVisible(expanded)
        window = self.window()
        if window is not self and window.isVisible() and expanded != self._grown:
            height = window.height() + (BODY_HEIGHT if expanded else -BODY_HEIGHT)
            window.resize(window.width(), max(height, window.minimumSizeHint().height()))
            self._grown = expanded
        if expanded:
            self.evaluate()
        else:
            self._timer.stop()

    # ---- showing --------------------------------------------------------------------------------

    def _set_verdict(self, matched: bool | None) -> None:
        if matched is None:
            self.verdict_label.setText("")
            return
        color = (success_color(self.palette()) if matched else error_color(self.palette())).name()
        self.verdict_label.setText(f'<b style="color:{color}">matches: {"true" if matched else "false"}</b>')

    def _set_message(self, text: str, color: str | None = None) -> None:
        self.message_label.setStyleSheet(f"color: {color};" if color else "")
        self.message_label.setText(text)
