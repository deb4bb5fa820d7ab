"""The condition dialog's Text tab: the expression in a fixed-width font, the column of an error
underlined where the parser found it, and a note when the builder cannot show the expression."""

from __future__ import annotations

import html

from PySide6.QtGui import QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from emswebhook_gui.gui.conditions.checks import TextCheck
from emswebhook_gui.gui.widgets.colors import error_color, tint, with_alpha



class ExpressionEdit(QPlainTextEdit):
    def __init__(self, font, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expressionEdit")
        self.setFont(font)
        self.setPlaceholderText("e.g. entitlement.state == 'ENABLE' && entitlement.customer.name != 'Test'")

    def highlight_column(self, column: int, move_cursor: bool) -> None:
        """Underline the character at ``column`` (1-based); with ``move_cursor``, put the cursor there."""
        length = len(self.toPlainText())
        position = max(0, min(column - 1, length - 1))
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        cursor.setPosition(min(position + 1, length), QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = QTextCharFormat()
        selection.format.setBackground(with_alpha(error_color(self.palette()), 0.25))
        selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        selection.format.setUnderlineColor(error_color(self.palette()))
        self.setExtraSelections([selection])
        if move_cursor:
            place = self.textCursor()
            place.setPosition(min(column - 1, length))
            self.setTextCursor(place)
            self.setFocus()


class TextTab(QWidget):
    """The note (hidden until an expression is API-only), the editor, and the error under it."""

    def __init__(self, font, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api_only_label = QLabel()
        self.api_only_label.setObjectName("apiOnlyLabel")
        self.api_only_label.setWordWrap(True)
        self.api_only_label.setVisible(False)
        self.api_only_label.setContentsMargins(10, 8, 10, 8)
        self.api_only_label.setAutoFillBackground(True)
        info = self.api_only_label.palette()
        info.setColor(QPalette.ColorRole.Window, tint(info.color(QPalette.ColorRole.Highlight), 0.12, info))
        self.api_only_label.setPalette(info)
        self.text_edit = ExpressionEdit(font)
        self.text_error_label = QLabel()
        self.text_error_label.setObjectName("textErrorLabel")
        self.text_error_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.api_only_label)
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(self.text_error_label)

    def show_check(self, check: TextCheck, move_cursor: bool = False) -> str | None:
        """Show what :func:`~.checks.check_text` found: the API-only note, or the error with its
        column underlined (with ``move_cursor``, the cursor put there). Returns why the builder
        cannot show the text, None when it can."""
        self.api_only_label.setVisible(False)
        self.text_edit.setExtraSelections([])
        self.text_error_label.setText("")
        if check.api_only is not None:
            self.api_only_label.setText(
                f"<b>Text only.</b> This condition {html.escape(check.api_only, quote=False)}. "
                "Edit it here as text."
            )
            self.api_only_label.setVisible(True)
            return f"The builder cannot show this condition: it {check.api_only}."
        if check.error is not None:
            error = check.error
            link = f'<a href="column:{error.column}">column {error.column}</a>'
            detail = html.escape(error.detail, quote=False)
            self.text_error_label.setText(f'<span style="color:{error_color(self.palette()).name()}">{link}: {detail}</span>')
            self.text_edit.highlight_column(error.column, move_cursor)
            return f"Fix the error at column {error.column} to return to the builder"
        return None
