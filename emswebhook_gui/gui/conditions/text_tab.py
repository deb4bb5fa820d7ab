"""The condition dialog's Text tab: the expression in a fixed-width font, the column of an error
underlined where the parser found it, and a note when the builder cannot show the expression."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from emswebhook_gui.gui.widgets.colors import tint, with_alpha

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
