"""The Text tab's editor: the expression in a fixed-width font, with the column of an error
underlined where the parser found it."""

from __future__ import annotations

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from emswebhook_gui.gui.widgets.colors import with_alpha

ERROR_COLOR = "#b3261e"


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
        selection.format.setBackground(with_alpha(QColor(ERROR_COLOR), 0.25))
        selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        selection.format.setUnderlineColor(QColor(ERROR_COLOR))
        self.setExtraSelections([selection])
        if move_cursor:
            place = self.textCursor()
            place.setPosition(min(column - 1, length))
            self.setTextCursor(place)
            self.setFocus()
