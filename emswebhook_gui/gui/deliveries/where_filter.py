"""Event Deliveries' "Where" field: a trigger-condition expression on the notifications'
entity states (``--where`` in the CLI), validated as it is typed.

A wrong expression is never searched: the field is marked, its tooltip and the error label
give the language's own message with the column, and the cursor can jump there (Return moves
it to the column). Only a valid expression, or an empty field, changes the search.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit

from emswebhook_gui.conditions import ConditionSyntaxError, parse

TIP = ("A trigger-condition expression on the entity state, e.g. entitlement.customer.name == 'Sam Smith'; "
       "previousState.… reads the state before the event")


class WhereEdit(QLineEdit):
    sig_valid_changed = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("whereFilter")
        self.setPlaceholderText("Where (state), e.g. entitlement.customer.name == 'Sam Smith'")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(220)
        self.setToolTip(TIP)
        self.error: ConditionSyntaxError | None = None
        self.textChanged.connect(self._on_text_changed)
        self.returnPressed.connect(self._on_return_pressed)

    def expression(self) -> str | None:
        """The expression to search with: None when empty or invalid."""
        text = self.text().strip()
        return text if text and self.error is None else None

    def _on_text_changed(self, text: str) -> None:
        error = None
        if text.strip():
            try:
                parse(text)
            except ConditionSyntaxError as exc:
                error = exc
        changed = (error is None) != (self.error is None)
        self.error = error
        self.setToolTip(TIP if error is None else str(error))
        self.setStyleSheet("" if error is None else "QLineEdit { border: 1px solid #c0392b; }")
        if changed:
            self.sig_valid_changed.emit(error is None)

    def _on_return_pressed(self) -> None:
        if self.error is not None:
            self.setCursorPosition(max(0, self.error.column - 1))
