"""The house layout: page margins and spacing, colours, the page header, banners, hints and
empty states, so every page looks the same without repeating numbers."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from emswebhook_gui.gui.widgets.colors import ERROR_ACCENT, SUCCESS_ACCENT
from emswebhook_gui.gui.widgets.icons import IconLabel

PAGE_MARGIN = 24


SECTION_SPACING = 16


SPACING = 8


ERROR_COLOR = ERROR_ACCENT
"""The error accent; text in it goes through ``colors.error_color(palette)`` to read on the theme."""


SUCCESS_COLOR = SUCCESS_ACCENT


INVALID_STYLE = f"border: 1px solid {ERROR_COLOR}; border-radius: 3px;"


_BANNER_STYLES = {
    "info": ("rgba(25, 118, 210, 28)", "rgba(25, 118, 210, 90)"),
    "success": ("rgba(46, 125, 50, 28)", "rgba(46, 125, 50, 110)"),
    "error": ("rgba(198, 40, 40, 26)", "rgba(198, 40, 40, 110)"),
}


class PageHeader(QWidget):
    """Bold title and a one-line description, as at the top of every page."""

    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("pageTitle")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title_label.setFont(font)
        self.description_label = QLabel(description)
        self.description_label.setObjectName("pageDescription")
        self.description_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.description_label)

    @classmethod
    def for_page(cls, key: str) -> "PageHeader":
        """Title and description from the main window's list of pages, so they never drift."""
        from emswebhook_gui.gui.shell.pages import PAGES

        page = next(p for p in PAGES if p.key == key)
        return cls(page.title, page.description)


def page_layout(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
    layout.setSpacing(SECTION_SPACING)
    return layout


class Banner(QFrame):
    """A dismissable one-paragraph message (outcome of an action, a refused request)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 6, 8)
        layout.setSpacing(SPACING)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        background, border = _BANNER_STYLES[kind]
        self.kind = kind
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; border: 1px solid {border}; border-radius: 6px; }}"
        )
        self.label.setText(text[:1].upper() + text[1:] if kind == "error" else text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


def hint_label(text: str) -> QLabel:
    """Secondary text: the palette's placeholder colour (legible, unlike disabled text)."""
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # a role, so it follows the theme
    return label


def control_box(controls: Sequence[QWidget], *below: QWidget, fill: bool = True) -> QVBoxLayout:
    """One settings row: ``controls`` side by side, hints and messages stacked under them.

    With ``fill`` the first control takes the spare width (a path, a token); without it the
    controls keep their size and the row ends in space (a port number)."""
    row = QHBoxLayout()
    row.setSpacing(SPACING)
    for index, control in enumerate(controls):
        row.addWidget(control, 1 if fill and index == 0 else 0)
    if not fill:
        row.addStretch(1)
    box = QVBoxLayout()
    box.setSpacing(3)
    box.addLayout(row)
    for widget in below:
        box.addWidget(widget)
    return box


def grow_to_fit(window: QWidget) -> None:
    """Make a window tall enough for its content after messages appeared or lists grew, and
    never shorter than that.

    A top-level window's minimum size ignores height-for-width (wrapped labels), and a window
    given a minimum width gets no minimum height from its layout at all, so a long error under a
    field, or a hint under a list that just grew, would otherwise be painted over the next row.
    Pending layout requests are handled first: a child's new fixed height is only posted to
    the layouts above it.
    """
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    layout = window.layout()
    layout.activate()
    height = max(layout.totalHeightForWidth(window.width()), layout.totalMinimumSize().height())
    window.setMinimumHeight(height)
    if height > window.height():
        window.resize(window.width(), height)


class EmptyState(QWidget):
    """A muted icon, a centred sentence and one button, in place of an empty table."""

    def __init__(self, text: str, button: QPushButton, icon_name: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Centred in a box layout a wrapped label gets neither width nor height for its text.
        self.label.setFixedWidth(460)
        self.label.setMinimumHeight(self.label.heightForWidth(460))
        self.button = button
        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING)
        layout.addStretch(1)
        if icon_name:
            picture = IconLabel(icon_name, 48, QIcon.Mode.Disabled)
            layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
            layout.addSpacing(SPACING)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(SPACING)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
