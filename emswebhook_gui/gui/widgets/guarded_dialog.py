"""Forms that keep the user's work: :class:`GuardedDialog`, the one base of every add/edit dialog
(webhook, authentication profile, "Send test event").

- Esc, Cancel and the window's close button all end in ``reject()``; with changes it asks
  "Discard changes?" first (Keep editing is the default answer), without changes it closes at
  once. Changes are judged by comparing ``_snapshot()`` (the form's values) with the snapshot
  taken by ``mark_clean()`` after loading, so a change typed and then undone asks nothing.
- Save is the default button and Cancel never is: Enter in a field, or on a focused Cancel,
  saves; it never discards.
- After a refused Save the focus goes to the first field in error (``FieldErrors`` knows them in
  form order), else back where it was; never to Cancel, where Qt leaves it when the busy Save
  button is disabled under it.

The question is a non-blocking ``QMessageBox`` (``open()`` + ``finished``): a nested ``exec()``
would run a second event loop, which qasync cannot survive. The trigger-condition builder has a
guard of its own (``gui/conditions/``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QWidget

from emswebhook_gui.gui.widgets.actions import alive

DISCARD_TITLE = "Discard changes?"


class GuardedDialog(QDialog):
    """Subclasses implement ``_snapshot()``, call ``guard_buttons()`` once their buttons exist
    and ``mark_clean()`` once loaded; around a save, ``remember_focus()`` and ``restore_focus()``."""

    discard_text = "Your changes are not saved."
    """The question's detail; subclasses name what would be lost."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clean: object = None
        self._save_button: QPushButton | None = None
        self._cancel_button: QPushButton | None = None
        self._focus_before: QWidget | None = None
        self.discard_box: QMessageBox | None = None
        """The open "Discard changes?" question, if any (tests answer it)."""

    # -- what counts as a change ---------------------------------------------------------------

    def _snapshot(self) -> object:
        raise NotImplementedError

    def mark_clean(self) -> None:
        self._clean = self._snapshot()

    def has_changes(self) -> bool:
        return self._snapshot() != self._clean

    # -- buttons and focus ---------------------------------------------------------------------

    def guard_buttons(self, save: QPushButton, cancel: QPushButton) -> None:
        save.setAutoDefault(True)
        save.setDefault(True)
        cancel.setAutoDefault(False)  # Enter on a focused Cancel goes to the default button
        cancel.setDefault(False)
        self._save_button, self._cancel_button = save, cancel

    def remember_focus(self) -> None:
        """Before a save disables anything: where the focus goes back if no field is in error."""
        self._focus_before = self.focusWidget()

    def restore_focus(self, first_error: QWidget | None) -> None:
        for target in (first_error, self._focus_before, self._save_button):
            if (target is not None and target is not self._cancel_button and target.isVisible()
                    and target.isEnabled() and target.focusPolicy() != Qt.FocusPolicy.NoFocus):
                target.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # -- closing -------------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc, Cancel and the close button (``QDialog.closeEvent`` calls this)."""
        if self.discard_box is not None:
            self.discard_box.raise_()
            return
        if not self.has_changes():
            super().reject()
            return
        box = QMessageBox(QMessageBox.Icon.Question, DISCARD_TITLE, DISCARD_TITLE,
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("discardChanges")
        box.setInformativeText(self.discard_text)
        discard = box.button(QMessageBox.StandardButton.Discard)
        discard.setText("Discard changes")
        box.button(QMessageBox.StandardButton.Cancel).setText("Keep editing")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(alive(self, lambda _result: self._on_discard_box_finished(box.clickedButton() is discard)))
        self.discard_box = box
        box.open()

    def _on_discard_box_finished(self, discard: bool) -> None:
        self.discard_box = None
        if discard:
            super().reject()
