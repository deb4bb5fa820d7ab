"""Colours derived from the palette, so tints follow the light or dark theme in use."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette


def with_alpha(color: QColor, alpha: float) -> QColor:
    """A copy of ``color`` at this opacity (0 to 1)."""
    tinted = QColor(color)
    tinted.setAlphaF(alpha)
    return tinted


def tint(color: QColor, amount: float, palette: QPalette) -> QColor:
    """``color`` blended into the palette's base colour (an opaque, light version of it)."""
    base = palette.color(QPalette.ColorRole.Base)
    return QColor(
        *(round(a * amount + b * (1 - amount)) for a, b in zip(color.getRgb()[:3], base.getRgb()[:3]))
    )
