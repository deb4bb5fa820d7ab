"""The main window's pages: their keys, titles, icons and descriptions, declared once, and where
each page's module lives (``gui/<key>/page.py``), so the navigation, the page headers and the
placeholders shown before the service is up never drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    icon: str
    description: str

    @property
    def module(self) -> str:
        """The module holding the real page: ``gui/<key>/page.py`` with class ``<Key>Page``."""
        return f"emswebhook_gui.gui.{self.key}.page"

    @property
    def class_name(self) -> str:
        return f"{self.key.capitalize()}Page"


PAGES: tuple[Page, ...] = (
    Page(
        "overview",
        "Overview",
        "overview",
        "Delivery health at a glance: what was delivered, what failed and why, per webhook.",
    ),
    Page(
        "webhooks",
        "Webhooks",
        "webhooks",
        "Subscribe endpoints to licensing events, with activity filters and trigger conditions.",
    ),
    Page(
        "profiles",
        "Authentication Profiles",
        "profiles",
        "Basic and OAuth 2.0 client-credentials profiles used to authenticate each delivery.",
    ),
    Page(
        "deliveries",
        "Event Deliveries",
        "deliveries",
        "Search notifications, follow each attempt, and retry or close failed ones.",
    ),
    Page(
        "settings",
        "Settings",
        "settings",
        "Application properties: private endpoints, expiration time zone, the local REST API.",
    ),
)


class PlaceholderPage(QWidget):
    """Stands in for a page whose issue has not landed yet, so navigation works end to end."""

    def __init__(self, page: Page, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page_{page.key}")
        self.title_label = QLabel(page.title)
        self.title_label.setObjectName("pageTitle")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title_label.setFont(font)
        self.description_label = QLabel(page.description)
        self.description_label.setObjectName("pageDescription")
        self.description_label.setWordWrap(True)
        soon = QLabel("This page is not built yet.")
        soon.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.description_label)
        layout.addSpacing(16)
        layout.addWidget(soon)
        layout.addStretch(1)


def nav_style_sheet(palette: QPalette) -> str:
    """A translucent tint of the theme's highlight for the selected page.

    The default solid highlight puts the dark one-colour icons on dark blue, where they vanish;
    a tint keeps icon and text legible on light and dark themes alike.
    """
    highlight = palette.color(QPalette.ColorRole.Highlight)
    tint = f"rgba({highlight.red()}, {highlight.green()}, {highlight.blue()}, 56)"
    hover = f"rgba({highlight.red()}, {highlight.green()}, {highlight.blue()}, 24)"
    text = palette.color(QPalette.ColorRole.WindowText).name()
    return (
        "QListWidget#nav { background: palette(base); border: none; padding: 10px 8px; outline: 0; }"
        "QListWidget#nav::item { padding: 2px 8px; border-radius: 6px; }"
        f"QListWidget#nav::item:hover {{ background: {hover}; }}"
        f"QListWidget#nav::item:selected {{ background: {tint}; color: {text}; }}"
    )
