"""The coloured status chip (Failed / In progress / Successful / Closed by hand): painted in the
deliveries table by a delegate, and as a styled label in the details pane, with the same colours.

The delegate reads the cell's display text, which is the chip's label (``rows.STATUS_LABELS``),
so one ``data()`` call per paint tells it the chip, "Closed by hand" included. The closed-by-hand
chip is neutral: the palette's text on a tint of its highlight, so it follows the theme."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from emswebhook_gui.gui.deliveries.rows import CLOSED_BY_HAND, STATUS_COLORS, STATUS_LABELS
from emswebhook_gui.gui.widgets.colors import chip_colors, tint

_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
_ANTIALIASING = QPainter.RenderHint.Antialiasing
_NO_PEN = Qt.PenStyle.NoPen
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_HAND_LABEL = STATUS_LABELS[CLOSED_BY_HAND]


def hand_colors(palette: QPalette) -> tuple[QColor, QColor]:
    """Text and fill of the closed-by-hand chip in this palette."""
    return (palette.color(QPalette.ColorRole.Text),
            tint(palette.color(QPalette.ColorRole.Highlight), 0.22, palette))


class StatusChipDelegate(QStyledItemDelegate):
    """Paints the status column as a rounded, coloured chip (red, amber, green).

    Painted for every visible row on every repaint, so the chip font, its metrics and each
    label's width are computed once per view font, the enum values it passes to Qt are module
    constants (each enum attribute lookup is a Python call), and the cell background
    (selection, alternate rows) is drawn straight from the view's option.
    """

    PAD_X, PAD_Y, LEFT = 8, 3, 6

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._font_key: str | None = None
        self._font = QFont()
        self._height = 0
        self._widths: dict[str, int] = {}
        self._palette_key: int | None = None
        self._colors: dict[str, tuple[QColor, QColor]] = {}
        self._hand: tuple[int, tuple[QColor, QColor]] | None = None

    def _chip_colors(self, palette: QPalette) -> dict[str, tuple[QColor, QColor]]:
        """Each chip label's (text, fill), derived from the view's palette (once per palette)."""
        if palette.cacheKey() != self._palette_key:
            self._palette_key = palette.cacheKey()
            self._colors = {STATUS_LABELS[status]: chip_colors(accent, palette)
                            for status, (accent, _fill) in STATUS_COLORS.items()}
        return self._colors

    def _chip_font(self, base: QFont) -> QFont:
        key = base.key()
        if key != self._font_key:
            font = QFont(base)
            font.setBold(True)
            font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
            metrics = QFontMetrics(font)
            self._font_key, self._font = key, font
            self._height = metrics.height() + 2 * self.PAD_Y
            self._widths = {label: metrics.horizontalAdvance(label) + 2 * self.PAD_X
                            for label in STATUS_LABELS.values()}
        return self._font

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        text = index.data(_DISPLAY)
        colors = self._chip_colors(option.palette).get(text)
        if colors is None:
            if text != _HAND_LABEL:
                super().paint(painter, option, index)
                return
            colors = self._hand_colors(option.palette)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(_PANEL, option, painter, widget)
        font = self._chip_font(option.font)
        cell = option.rect
        height = self._height
        rect = QRectF(cell.left() + self.LEFT, cell.top() + (cell.height() - height) / 2, self._widths[text], height)
        painter.save()
        painter.setRenderHint(_ANTIALIASING)
        painter.setPen(_NO_PEN)
        painter.setBrush(colors[1])
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(colors[0])
        painter.setFont(font)
        painter.drawText(rect, _CENTER, text)
        painter.restore()

    def _hand_colors(self, palette: QPalette) -> tuple[QColor, QColor]:
        key = palette.cacheKey()
        if self._hand is None or self._hand[0] != key:
            self._hand = (key, hand_colors(palette))
        return self._hand[1]

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        self._chip_font(option.font)
        base = super().sizeHint(option, index)
        width = max(self._widths.values(), default=0) + 2 * self.LEFT
        return QSize(max(base.width(), width), max(base.height(), self._height + 6))


def chip_style(key: str | None, palette: QPalette | None = None) -> str:
    """A style sheet making a QLabel look like the table's status chip (``rows.chip_key``), in
    colours from ``palette`` (by default the application's)."""
    accent = STATUS_COLORS.get(key or "")
    if key == CLOSED_BY_HAND and palette is not None:
        foreground, background = (color.name() for color in hand_colors(palette))
    elif accent is not None:
        foreground, background = (color.name() for color in chip_colors(accent[0], palette))
    else:
        foreground, background = "palette(text)", "palette(midlight)"
    return (f"QLabel {{ color: {foreground}; background: {background}; border-radius: 10px;"
            " padding: 2px 10px; font-weight: bold; }")

