"""The condition dialog's expression preview: the JEXL text Save would store, read-only and in a
fixed-width font, with Copy to Clipboard beside its caption."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from emswebhook_gui.gui.conditions import shortcuts
from emswebhook_gui.gui.widgets.icons import icon


class ExpressionPreview(QWidget):
    """Caption, "Copied" note and Copy button on one line, the expression (three lines) below."""

    def __init__(self, font, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("expressionPreview")
        self.preview.setReadOnly(True)
        self.preview.setFont(font)
        self.preview.setPlaceholderText("(no condition)")
        self.preview.setFixedHeight(self.preview.fontMetrics().lineSpacing() * 3 + 14)
        palette = self.preview.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        self.preview.setPalette(palette)
        self.copy_button = QPushButton(icon("copy"), "Copy to Clipboard")
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setToolTip(f"Copy the expression ({shortcuts.hint(shortcuts.COPY)})")
        self.copy_button.setAutoDefault(False)
        self.caption = QLabel("Expression (JEXL)")
        self.caption.setBuddy(self.preview)
        self.copied_label = QLabel()
        self.copied_label.setObjectName("copiedLabel")
        self.copied_label.setEnabled(False)
        header = QHBoxLayout()
        header.addWidget(self.caption)
        header.addStretch(1)
        header.addWidget(self.copied_label)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.preview)
