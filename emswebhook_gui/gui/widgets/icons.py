"""The GUI's icons, looked up by name so a missing file is one test failure, not a blank button.

The SVGs live in the repository's top-level ``resources/icons/``. An installed package may carry
them as package data in ``emswebhook_gui/resources/icons/`` instead, so that directory is searched
first and the checkout's second. Every name the code passes to :func:`icon` must be listed in
:data:`ICON_NAMES`; ``tests/test_gui_shell.py`` checks both that and that each file exists.

The interface's glyphs draw with ``currentColor``: :class:`PaletteIconEngine` puts the
application palette's text colour in its place each time it renders (disabled icons take the
disabled text colour), so every button, menu and list shows them in the theme in use, light or
dark, and a theme change repaints them without anyone setting icons again. Icons with colours of
their own (the app's, the tray's) are drawn as they are.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QRect, QRectF, QSize
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QLabel, QWidget

_log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parents[2]
ICON_DIRS: tuple[Path, ...] = (
    _PACKAGE_DIR / "resources" / "icons",
    _PACKAGE_DIR.parent / "resources" / "icons",
)
"""Where icons are searched, in order: installed package data, then the source checkout."""

ICON_NAMES: tuple[str, ...] = (
    "app",
    "overview",
    "webhooks",
    "profiles",
    "deliveries",
    "settings",
    "tray-ok",
    "tray-warning",
    "tray-paused",
    "add",
    "edit",
    "delete",
    "retry",
    "copy",
    "check",
    "send",
    "power",
    "more",
)

CURRENT_COLOR = "currentColor"
"""What a glyph's SVG says where the palette's text colour goes."""

_CACHE_LIMIT = 64


def icon_path(name: str) -> Path | None:
    """The SVG file for ``name``, or None when no search directory holds it."""
    for directory in ICON_DIRS:
        candidate = directory / f"{name}.svg"
        if candidate.is_file():
            return candidate
    return None


def icon_color(mode: QIcon.Mode = QIcon.Mode.Normal, palette: QPalette | None = None):
    """The colour a glyph is drawn in for ``mode``: the palette's window text, its disabled text
    for a disabled icon. Selected icons keep the text colour: the navigation list and tables
    tint their selection rather than fill it (``shell/pages.py``)."""
    palette = palette if palette is not None else QGuiApplication.palette()
    group = QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else QPalette.ColorGroup.Active
    return palette.color(group, QPalette.ColorRole.WindowText)


class PaletteIconEngine(QIconEngine):
    """Renders an SVG with ``currentColor`` replaced by :func:`icon_color` at the time of
    painting, caching the few sizes and colours in use."""

    def __init__(self, svg: str, name: str = "") -> None:
        super().__init__()
        self._svg = svg
        self._name = name
        self._cache: dict[tuple, QPixmap] = {}

    def clone(self) -> "PaletteIconEngine":
        return PaletteIconEngine(self._svg, self._name)

    def key(self) -> str:
        return "emswebhook-palette-svg"

    def iconName(self) -> str:  # noqa: N802 (Qt override)
        return self._name

    def isNull(self) -> bool:  # noqa: N802 (Qt override)
        return not self._svg

    def render(self, size: QSize, mode: QIcon.Mode, scale: float = 1.0) -> QPixmap:
        color = icon_color(mode).name()
        width, height = max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
        key = (width, height, scale, color)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        renderer = QSvgRenderer(QByteArray(self._svg.replace(CURRENT_COLOR, color).encode("utf-8")))
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # keep the SVG's aspect ratio inside a non-square request, centred
        side = min(width, height)
        renderer.render(painter, QRectF((width - side) / 2, (height - side) / 2, side, side))
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = pixmap
        return pixmap

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.render(size, mode)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:  # noqa: N802
        return self.render(size, mode, scale)

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802
        return size

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        scale = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(rect, self.render(rect.size(), mode, scale))


def icon(name: str) -> QIcon:
    """The icon called ``name``; an empty icon (and a logged error) when its file is missing.

    A missing icon must not stop the app from starting, so this does not raise; the shell test is
    what keeps the set complete. Glyphs (``currentColor``) follow the palette; the SVG renders
    lazily, so building one is cheap.
    """
    path = icon_path(name)
    if path is None:
        _log.error("icon %r not found in %s", name, ", ".join(map(str, ICON_DIRS)))
        return QIcon()
    text = path.read_text(encoding="utf-8")
    if CURRENT_COLOR not in text:
        return QIcon(str(path))
    return QIcon(PaletteIconEngine(text, name))


class IconLabel(QLabel):
    """A label showing one icon as a picture, drawn again when the palette changes (a pixmap
    set on a plain label keeps the colours it was rendered in)."""

    def __init__(self, name: str, size: int, mode: QIcon.Mode = QIcon.Mode.Normal,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon, self._size, self._mode = icon(name), size, mode
        self._draw()

    def _draw(self) -> None:
        self.setPixmap(self._icon.pixmap(QSize(self._size, self._size), self.devicePixelRatioF(), self._mode))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._draw()
        super().changeEvent(event)
