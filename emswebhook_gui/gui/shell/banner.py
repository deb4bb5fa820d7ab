"""The persistent banner at the top of the main window, for a condition of the machine that
makes part of the app unusable until the user acts: today, no keyring to keep secrets in.

A status-bar line is cut off, replaced by the next message and gone after a few seconds; a
condition that lasts as long as the process needs a place that lasts as long. The banner has no
dismiss button: what it describes stays true until the app starts again with a keyring, and
each failed save says, in its own dialog, why it failed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from emswebhook_gui.gui.widgets.actions import CopyButton
from emswebhook_gui.gui.widgets.colors import WARNING_ACCENT, box_style
from emswebhook_gui.gui.widgets.layout import SPACING

HEADLESS_BACKEND_SETTING = "PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring"
"""What to set on a machine without an OS keyring (README, Configuration; ``secrets.py``)."""

SECRET_STORE_TITLE = "No keyring to keep secrets in"
SECRET_STORE_TEXT = (
    "Passwords, client secrets, signing secrets and the REST API token live only in the OS "
    "keyring, and none is usable here (a session without Secret Service?), so saving them fails "
    "and the REST API does not start. Unlock or install a keyring (GNOME Keyring, KWallet), or, "
    "on a machine without one, start the app with <code>{setting}</code>: secrets are then kept "
    "in a file in your home directory, protected only by its permissions."
)



class SecretStoreBanner(QFrame):
    """Says that no keyring is usable and which variable to set; hidden until :meth:`show_for`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("secretStoreBanner")
        self._style_for_palette()
        self.title_label = QLabel(f"<b>{SECRET_STORE_TITLE}</b>")
        self.text_label = QLabel(SECRET_STORE_TEXT.format(setting=HEADLESS_BACKEND_SETTING))
        self.text_label.setObjectName("secretStoreText")
        self.text_label.setTextFormat(Qt.TextFormat.RichText)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = CopyButton(lambda: HEADLESS_BACKEND_SETTING, "Copy the variable")
        self.copy_button.setToolTip(f"Copy {HEADLESS_BACKEND_SETTING} to the clipboard")
        self.detail = ""
        """The keyring's own words from the last failure, shown as the tooltip."""

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.text_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(SPACING)
        layout.addLayout(text, 1)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def _style_for_palette(self) -> None:
        """An amber box blended into the palette in use (set again when the theme changes)."""
        style = box_style("QFrame#secretStoreBanner", WARNING_ACCENT)  # the app's palette, not this
        if style != self.styleSheet():  # frame's, which its own style sheet has tinted
            self.setStyleSheet(style)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._style_for_palette()
        super().changeEvent(event)

    def show_for(self, detail: str) -> None:
        self.detail = detail
        self.setToolTip(detail)
        self.show()

    def text(self) -> str:
        """The message as a user reads it (markup removed), empty while hidden."""
        if self.isHidden():
            return ""
        from PySide6.QtGui import QTextDocumentFragment

        body = QTextDocumentFragment.fromHtml(self.text_label.text()).toPlainText()
        return f"{SECRET_STORE_TITLE}. {body}"
