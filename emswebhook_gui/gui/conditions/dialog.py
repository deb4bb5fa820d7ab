"""Manage Trigger Conditions: build a webhook's condition as a tree, or write it as text.

The builder edits a plain ``conditions.Group`` tree through :class:`ConditionTreeModel`; the text
below it is ``conditions.render`` of that tree, recomputed on every change. The Text tab edits the
expression directly, re-parsing at most every :data:`PARSE_DELAY_MS` while typing and pointing at
the column of an error. Expressions with ``[n]`` paths are API-only (DESIGN.md section 3): they
open in the Text tab with the Builder tab disabled and the reason in its tooltip.

Switching Builder -> Text shows the rendering; switching back re-parses the text only if it was
edited, so rows still without an attribute (which the text cannot hold) survive a look at the
text. Open the dialog with ``open()``; it reports through :attr:`ConditionDialog.sig_saved`.

No work is lost without a question: every builder edit (add, delete, move, edit, and a tree from
edited text) is on an undo stack (:mod:`.undo`; Ctrl+Z, Ctrl+Shift+Z), and Esc, Cancel or closing
the window with changes asks "Discard changes?" (a non-blocking ``QMessageBox.open()``; no nested
event loop under qasync). The keys are listed in :data:`.shortcuts.CONDITION_SHORTCUTS`. The
"Try on a sample state" pane (:mod:`.try_pane`) shows what the service's evaluator decides.
"""

from __future__ import annotations

import copy
import html

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from emswebhook_gui.conditions import ApiOnlyExpression, Condition, ConditionSyntaxError, Group, normalise, render, to_tree
from emswebhook_gui.gui.conditions import shortcuts
from emswebhook_gui.gui.conditions.builder_page import BuilderPage
from emswebhook_gui.gui.conditions.checks import (
    Subject,
    builder_issues,
    check_text,
    conditions_in_order,
    incomplete_rows,
    try_subject,
    without_incomplete,
)
from emswebhook_gui.gui.conditions.closing import AskBeforeDiscarding
from emswebhook_gui.gui.conditions.editors import ConditionRowEditor
from emswebhook_gui.gui.conditions.preview import ExpressionPreview
from emswebhook_gui.gui.conditions.text_tab import TextTab
from emswebhook_gui.gui.conditions.try_pane import TryPane
from emswebhook_gui.gui.widgets.colors import error_color

DEFAULT_SIZE = (820, 560)
PARSE_DELAY_MS = 150
BUILDER_TAB, TEXT_TAB = 0, 1


class ConditionDialog(AskBeforeDiscarding, QDialog):
    """The Manage Trigger Conditions dialog for one webhook's event."""

    sig_saved = Signal(str)
    """The saved expression, '' when the condition was removed (emitted on Save, then accept)."""

    def __init__(self, event_name: str, expression: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conditionDialog")
        self.setWindowTitle(f"Manage Trigger Conditions — {event_name}")
        self.resize(*DEFAULT_SIZE)
        self._event_name = event_name
        self._text_source: str | None = None  # the text the Text tab got from the builder
        self._text_problem: str | None = None  # why the text cannot be saved (None: it can)
        self._parse_timer = QTimer(self)
        self._parse_timer.setSingleShot(True)
        self._parse_timer.setInterval(PARSE_DELAY_MS)
        self._parse_timer.timeout.connect(self._on_parse_timer_timeout)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        intro = QLabel(
            "The webhook fires only for occurrences that match these conditions; with no condition "
            "it fires for every occurrence. Drag rows by their grip, or use Ctrl+arrows, to reorder "
            "or nest them."
        )
        intro.setWordWrap(True)
        intro.setObjectName("introLabel")

        self.builder = BuilderPage(event_name, self)
        self.model, self.view, self.history = self.builder.model, self.builder.view, self.builder.history
        self.undo_stack, self.history_bar = self.history.stack, self.builder.history_bar
        self.undo_action, self.redo_action = self.history_bar.undo_action, self.history_bar.redo_action
        self.undo_button, self.redo_button = self.history_bar.undo_button, self.history_bar.redo_button

        self.text_tab = TextTab(mono)
        self.api_only_label = self.text_tab.api_only_label
        self.text_edit = self.text_tab.text_edit
        self.text_error_label = self.text_tab.text_error_label
        self.text_edit.textChanged.connect(self._on_text_edit_text_changed)
        self.text_error_label.linkActivated.connect(self._on_link_activated)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("modeTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.builder, "Builder")
        self.tabs.addTab(self.text_tab, "Text")
        self.tabs.setTabToolTip(TEXT_TAB, "Edit the expression as text")

        self.try_pane = TryPane(event_name, self._try_subject, mono)
        self.preview_box = ExpressionPreview(mono)
        self.preview = self.preview_box.preview
        self.preview_caption = self.preview_box.caption
        self.copied_label = self.preview_box.copied_label
        self.copy_button = self.preview_box.copy_button
        self.copy_button.clicked.connect(self._on_copy_button_clicked)

        self.status_label = QLabel()
        self.status_label.setObjectName("statusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.linkActivated.connect(self._on_link_activated)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip(f"Save the condition ({shortcuts.hint(shortcuts.SAVE[1:])})")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        for button in (self.save_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter in a value field must not save or close
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(intro)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.try_pane)
        layout.addSpacing(4)
        layout.addWidget(self.preview_box)
        layout.addWidget(self.status_label)
        layout.addSpacing(4)
        layout.addWidget(self.buttons)

        for keys, slot in ((shortcuts.COPY, self._on_copy_button_clicked), (shortcuts.SAVE, self._on_save_button_clicked)):
            for key in keys:
                QShortcut(QKeySequence(key), self, activated=slot)

        self.model.sig_tree_changed.connect(self._on_model_tree_changed)
        self.model.sig_move_refused.connect(self._on_move_refused)
        self.view.sig_move_refused.connect(self._on_move_refused)
        self.view.sig_drop_hint.connect(self._on_view_drop_hint)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._load(expression)
        self._initial_expression = self.expression()
        self._initial_tree = copy.deepcopy(self.model.root())

    # ---- public ---------------------------------------------------------------------------------

    def expression(self) -> str:
        """The current rendering: what Save would store ('' for no condition).

        In the builder, rows without an attribute are left out (Save stays disabled until they are
        completed or deleted); in the Text tab, the canonical form of valid text, else the text.
        """
        if self.tabs.currentIndex() == TEXT_TAB:
            text = self.text_edit.toPlainText()
            if not text.strip():
                return ""
            try:
                return normalise(text)
            except ConditionSyntaxError:
                return text
        return self._builder_text()

    def _builder_text(self) -> str:
        try:
            return render(without_incomplete(self.model.root()))
        except ValueError:
            return ""

    def tree(self) -> Group:
        """The builder's live tree."""
        return self.model.root()

    def is_text_mode(self) -> bool:
        return self.tabs.currentIndex() == TEXT_TAB

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # QDialogButtonBox makes Save the default button when shown; Enter in a value field
        # must not save and close, so saving is a click or Ctrl+Enter.
        self.save_button.setDefault(False)

    def done(self, result: int) -> None:
        self._parse_timer.stop()
        self.try_pane.stop()
        super().done(result)

    # ---- loading and modes ----------------------------------------------------------------------

    def _load(self, expression: str | None) -> None:
        try:
            root = to_tree(expression)
        except (ApiOnlyExpression, ConditionSyntaxError):
            self.model.set_root(Group())
            self._show_text(expression or "", source=None)
            self._validate_text(move_cursor=True)
            return
        if not root.children:
            root = Group("and", [Condition("")])  # as in the source: one empty row to start from
        self.model.set_root(root)
        self._refresh_builder_state()

    def _show_text(self, text: str, source: str | None) -> None:
        self._text_source = source
        self.text_edit.blockSignals(True)
        self.text_edit.setPlainText(text)
        self.text_edit.blockSignals(False)
        self.tabs.blockSignals(True)
        self.tabs.setCurrentIndex(TEXT_TAB)
        self.tabs.blockSignals(False)
        self.preview_caption.setText("Saved as")

    def _on_tabs_current_changed(self, index: int) -> None:
        self.preview_caption.setText("Saved as" if index == TEXT_TAB else "Expression (JEXL)")
        self.history_bar.set_active(index == BUILDER_TAB)
        self.try_pane.schedule()
        if index == TEXT_TAB:
            text = self._builder_text()
            self._show_text(text, source=text)
            self._validate_text()
            return
        self._parse_timer.stop()
        text = self.text_edit.toPlainText()
        if text != self._text_source:
            try:
                self.history.replace_root(to_tree(text))  # one step to undo
            except (ApiOnlyExpression, ConditionSyntaxError):
                self._show_text(text, source=self._text_source)
                self._validate_text(move_cursor=True)
                return
        self._text_source = None
        self._refresh_builder_state()

    # ---- builder state ----------------------------------------------------------------------------

    def _on_model_tree_changed(self) -> None:
        self.copied_label.setText("")
        if not self.is_text_mode():
            self._refresh_builder_state()
            self.try_pane.schedule()

    def _on_move_refused(self, reason: str) -> None:
        """A keyboard move or a drop was refused: say why, in the tree's words."""
        self._set_status(f"Not moved: {html.escape(reason, quote=False)}.", warning=True)

    def _on_view_drop_hint(self, reason: str) -> None:
        if reason:
            self._set_status(f"Cannot drop here: {html.escape(reason, quote=False)}.", warning=True)
        else:
            self._refresh_builder_state()

    def _refresh_builder_state(self) -> None:
        text, issues = builder_issues(self.model.root())
        self.preview.setPlainText(text)
        self.save_button.setEnabled(not issues)
        if issues:
            self._set_status(" ".join(issues), warning=True)
        elif not text:
            self._set_status(self._no_condition_text())
        else:
            self._set_status("")

    def _no_condition_text(self) -> str:
        event = html.escape(self._event_name, quote=False)
        return f"No condition: the webhook fires for every occurrence of {event}."

    def _set_status(self, rich_text: str, warning: bool = False) -> None:
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        color = error_color(self.palette()).name() if warning else muted
        self.status_label.setText(f'<span style="color:{color}">{rich_text}</span>' if rich_text else "")

    # ---- text mode ----------------------------------------------------------------------------------

    def _on_text_edit_text_changed(self) -> None:
        self.copied_label.setText("")
        self._parse_timer.start()

    def _on_parse_timer_timeout(self) -> None:
        self._validate_text()

    def _validate_text(self, move_cursor: bool = False) -> None:
        """Parse the text now: error and highlight, API-only explanation, tab and Save state."""
        self._parse_timer.stop()
        check = check_text(self.text_edit.toPlainText())
        self._text_problem = str(check.error) if check.error is not None else None
        blocked = self.text_tab.show_check(check, move_cursor)
        self.tabs.setTabEnabled(BUILDER_TAB, blocked is None)
        self.tabs.setTabToolTip(BUILDER_TAB, blocked or "Build the condition from rows")
        self.preview.setPlainText(check.canonical)
        self.save_button.setEnabled(self._text_problem is None)
        if self._text_problem:
            self._set_status("Fix the expression to save it.", warning=True)
        elif not check.canonical:
            self._set_status(self._no_condition_text())
        else:
            self._set_status("")
        self.try_pane.schedule()

    # ---- actions ------------------------------------------------------------------------------------

    def _on_link_activated(self, link: str) -> None:
        kind, _, number = link.partition(":")
        if kind == "column" and number.isdigit():
            self.text_edit.highlight_column(int(number), move_cursor=True)
        elif kind == "row" and number.isdigit():
            rows = conditions_in_order(self.model.root())
            if 0 < int(number) <= len(rows):
                self._focus_row(rows[int(number) - 1])

    def _focus_row(self, condition: Condition) -> None:
        self.view.scrollTo(self.model.index_for(condition))
        editor = self.view.editor_for(condition)
        if isinstance(editor, ConditionRowEditor):
            editor.attribute_combo.setFocus()

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.expression())
        self.copied_label.setText("Copied")

    def _on_save_button_clicked(self) -> None:
        if self.is_text_mode():
            self._validate_text(move_cursor=True)  # the cursor goes to the error
        elif not self.save_button.isEnabled() and incomplete_rows(self.model.root()):
            self._focus_row(incomplete_rows(self.model.root())[0])  # the first row in error
        if not self.save_button.isEnabled():
            return
        self.sig_saved.emit(self.expression())
        self.accept()

    # ---- closing (AskBeforeDiscarding asks) ---------------------------------------------------------

    def has_changes(self) -> bool:
        """Whether closing now would lose anything: another expression than the one opened, or
        rows added (even without an attribute yet) or rearranged in the builder."""
        if self.expression() != self._initial_expression:
            return True
        return not self.is_text_mode() and self.model.root() != self._initial_tree

    # ---- trying -------------------------------------------------------------------------------------

    def _try_subject(self) -> Subject:
        """What the Try pane evaluates: the expression Save would store, and its rows."""
        return try_subject(self.text_edit.toPlainText() if self.is_text_mode() else None, self.model.root())
