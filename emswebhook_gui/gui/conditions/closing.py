"""Closing a dialog with changes asks first: "Discard changes?".

A non-blocking question (``QMessageBox.open()`` and its ``finished`` signal, as every confirmation
in the app: no nested event loop under qasync). Esc, Cancel and the window's close button all
come through ``reject()``, QDialog's ``closeEvent`` included, so all three ask; while the
question is open, another Esc or close only brings it to the front, never discards.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


class AskBeforeDiscarding:
    """Mixed in before ``QDialog``; the dialog says what changed with ``has_changes()``."""

    _discard_box: QMessageBox | None = None

    def has_changes(self) -> bool:  # pragma: no cover - the dialog overrides it
        return False

    def reject(self) -> None:
        """Esc, Cancel and closing the window: with changes, ask first (and while the question is
        open, a second Esc or close only brings it back to the front)."""
        if self._discard_box is not None:
            self._discard_box.raise_()
            self._discard_box.activateWindow()
            return
        if not self.has_changes():
            super().reject()
            return
        box = QMessageBox(QMessageBox.Icon.Warning, self.windowTitle(), "Discard changes?",
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("confirm_discard")
        box.setInformativeText("The changes are not saved. Closing discards them.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        discard = box.button(QMessageBox.StandardButton.Discard)
        box.finished.connect(lambda _result: self._on_discard_box_finished(box, box.clickedButton() is discard))
        self._discard_box = box
        box.open()

    def _on_discard_box_finished(self, box: QMessageBox, discard: bool) -> None:
        if self._discard_box is box:
            self._discard_box = None
        box.deleteLater()
        if discard:
            self.discard()

    def discard(self) -> None:
        """Close without saving and without asking (what the question's Discard does)."""
        if self._discard_box is not None:
            box, self._discard_box = self._discard_box, None
            box.done(QMessageBox.StandardButton.Cancel)
        super().reject()
