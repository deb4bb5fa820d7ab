"""The coloured status chip (Failed / In progress / Successful): painted in the deliveries table
by a delegate, and as a styled label in the details pane, with the same colours."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from emswebhook_gui.gui.deliveries.rows import STATUS_COLORS, STATUS_LABELS
from emswebhook_gui.gui.deliveries.table_model import STATUS_ROLE
from emswebhook_gui.gui.widgets.colors import chip_colors

_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
_ANTIALIASING = QPainter.RenderHint.Antialiasing
_NO_PEN = Qt.PenStyle.NoPen


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
        self._colors: dict = {}

    def _chip_colors(self, palette: QPalette) -> dict:
        """Each status's (text, fill), derived from the view's palette (once per palette)."""
        if palette.cacheKey() != self._palette_key:
            self._palette_key = palette.cacheKey()
            self._colors = {status: chip_colors(accent, palette) for status, (accent, _fill) in STATUS_COLORS.items()}
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
        status = index.data(STATUS_ROLE)
        colors = self._chip_colors(option.palette).get(status)
        if colors is None:
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(_PANEL, option, painter, widget)
        font = self._chip_font(option.font)
        text = STATUS_LABELS[status]
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

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        self._chip_font(option.font)
        base = super().sizeHint(option, index)
        width = max(self._widths.values(), default=0) + 2 * self.LEFT
        return QSize(max(base.width(), width), max(base.height(), self._height + 6))


def chip_style(status: str | None, palette: QPalette | None = None) -> str:
    """A style sheet making a QLabel look like the table's status chip (colours from ``palette``,
    by default the application's)."""
    accent = STATUS_COLORS.get(status or "")
    foreground, background = ((color.name() for color in chip_colors(accent[0], palette)) if accent is not None
                              else ("palette(text)", "palette(midlight)"))
    return (f"QLabel {{ color: {foreground}; background: {background}; border-radius: 10px;"
            " padding: 2px 10px; font-weight: bold; }")

