"""The small widgets builder rows are made of: the drag grip, combo boxes the mouse wheel does not
change by accident, the value field with its type hint, and the And/Or segment style."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

MOVE_HINT = (
    "Drag to move (a group moves with its rows). Ctrl+Up/Down moves up or down, Ctrl+Right/Left "
    "into or out of a group (or Alt+Shift with the arrows)."
)

_HISTORY_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)

class DragGrip(QWidget):
    """Six dots at a row's left edge: where to grab a row. Presses pass through to the view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(14)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip(MOVE_HINT)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().color(QPalette.ColorRole.PlaceholderText))
        top = self.height() // 2 - 6
        for row in range(3):
            for column in range(2):
                painter.drawEllipse(QPointF(4 + column * 5, top + row * 5 + 1), 1.3, 1.3)


class WheelSafeComboBox(QComboBox):
    """A combo that ignores the mouse wheel unless focused, so scrolling the tree over a row
    scrolls the tree instead of changing the row's attribute or operator."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class ValueEdit(QLineEdit):
    """The value field; a value loaded as a number, boolean or null says so inside, at the right.

    The hint sits inside the field (not beside it) so every row's columns stay aligned.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.type_label = QLabel(self)
        self.type_label.setObjectName("valueType")
        self.type_label.setEnabled(False)  # muted
        self.type_label.setVisible(False)

    def event(self, event: QEvent) -> bool:
        """Undo and redo keys are the builder's (its history holds this field's edits too), not
        the field's own undo, which would only know the field."""
        if event.type() == QEvent.Type.ShortcutOverride and any(map(event.matches, _HISTORY_KEYS)):
            event.ignore()
            return True
        return super().event(event)

    def set_type_hint(self, text: str) -> None:
        self.type_label.setText(text)
        self.type_label.setVisible(bool(text))
        width = self.type_label.sizeHint().width() + 8 if text else 0
        self.setTextMargins(0, 0, width, 0)
        self._place_hint()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_hint()

    def _place_hint(self) -> None:
        hint = self.type_label.sizeHint()
        top = (self.height() - hint.height()) // 2
        self.type_label.setGeometry(self.width() - hint.width() - 6, top, hint.width(), hint.height())


def segment_style(palette: QPalette) -> str:
    """And/Or as one segmented control: the chosen side filled with the highlight colour."""
    border = palette.color(QPalette.ColorRole.Mid).name()
    return (
        f"QToolButton {{ border: 1px solid {border}; padding: 3px 10px; background: palette(button); }}"
        "QToolButton[segment='first'] { border-top-left-radius: 4px; border-bottom-left-radius: 4px; }"
        "QToolButton[segment='last'] { border-left: none; border-top-right-radius: 4px;"
        " border-bottom-right-radius: 4px; }"
        "QToolButton:hover { background: palette(midlight); }"
        "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
        f" border-color: {palette.color(QPalette.ColorRole.Highlight).darker(115).name()}; }}"
        "QToolButton:focus { text-decoration: underline; }"
    )
