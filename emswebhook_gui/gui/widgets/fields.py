"""Field errors next to their fields.

Nothing here knows a business rule. Field errors come from the service's ``ValidationError``
(attribute names of the contract), and :class:`FieldErrors` only puts each message next to the
widget registered for that attribute."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from emswebhook_gui.errors import ValidationError
from emswebhook_gui.gui.widgets.colors import error_color
from emswebhook_gui.gui.widgets.layout import INVALID_STYLE, Banner, hint_label


class FieldErrorLabel(QLabel):
    """Red text under a field; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self._color_for_palette()
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def _color_for_palette(self) -> None:
        """Error red made readable on the application palette's window (again on a theme change)."""
        color = error_color()
        if self.palette().color(QPalette.ColorRole.WindowText) != color:
            palette = self.palette()
            palette.setColor(QPalette.ColorRole.WindowText, color)
            self.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._color_for_palette()
        super().changeEvent(event)

    def show_error(self, message: str | None) -> None:
        self.setText(message or "")
        self.setVisible(bool(message))


def field_box(field: QWidget, error: FieldErrorLabel, hint: str | QLabel | None = None) -> QWidget:
    """The field, an optional hint (text or a label kept up to date by the caller), and its
    (hidden) error under it: one form row."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(3)
    layout.addWidget(field)
    if hint:
        layout.addWidget(hint if isinstance(hint, QLabel) else hint_label(hint))
    layout.addWidget(error)
    return box


_PREDICATE_WORDS = {"is", "must", "applies", "has", "does", "contains", "cannot", "should"}


def field_message(title: str, message: str) -> str:
    """The service's message as a sentence under the field: "Name is required", "An ... exists"."""
    first = message.split(" ", 1)[0]
    if first in _PREDICATE_WORDS:
        return f"{title} {message}"
    return message[:1].upper() + message[1:]


class FieldErrors:
    """Maps the service's attribute names to the widgets that show them."""

    def __init__(self, form_error: Banner) -> None:
        self._fields: dict[str, tuple[QWidget, FieldErrorLabel, str]] = {}
        self._form_error = form_error

    def register(self, attribute: str, widget: QWidget, label: FieldErrorLabel, title: str) -> None:
        self._fields[attribute] = (widget, label, title)

    def clear(self) -> None:
        for widget, label, _ in self._fields.values():
            label.show_error(None)
            widget.setStyleSheet("")
        self._form_error.hide()

    def show(self, exc: Exception) -> None:
        """Each field's message under it; anything without a field goes to the form's banner."""
        self.clear()
        if not isinstance(exc, ValidationError):
            self._form_error.show_message(str(exc), "error")
            return
        unplaced: list[str] = []
        for error in exc.errors:
            entry = self._fields.get(error.field)
            if entry is None:
                unplaced.append(str(error))
                continue
            widget, label, title = entry
            label.show_error(field_message(title, error.message))
            widget.setStyleSheet(f"{type(widget).__name__} {{ {INVALID_STYLE} }}")
        if unplaced:
            self._form_error.show_message("; ".join(unplaced), "error")

    def first_error(self) -> QWidget | None:
        """The first field in error, in the order the fields were registered (the form's)."""
        for widget, label, _ in self._fields.values():
            if not label.isHidden():
                return widget
        return None

    def message(self, attribute: str) -> str:
        label = self._fields[attribute][1]
        return label.text() if not label.isHidden() else ""
