"""Colours derived from the palette, so tints follow the light or dark theme in use.

A colour the code names (a status chip's red, amber or green, an error's red) is an *accent*: a
hue, never used as it is. What is painted is derived from the palette in use: a fill blended from
the accent into the palette's base, and text in the accent's hue moved to a lightness that reads on
that fill (WCAG contrast of at least :data:`TEXT_CONTRAST`). So a dark theme gets dark fills with
light text, and no background is hard-coded under text that the palette colours.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

TEXT_CONTRAST = 4.5
"""WCAG AA for normal text: what :func:`readable` makes a colour reach against its background."""

ERROR_ACCENT = "#c62828"
"""The hue of error text and error borders (a field's message, an invalid field)."""

SUCCESS_ACCENT = "#2e7d32"

WARNING_ACCENT = "#ed6c02"


def with_alpha(color: QColor, alpha: float) -> QColor:
    """A copy of ``color`` at this opacity (0 to 1)."""
    tinted = QColor(color)
    tinted.setAlphaF(alpha)
    return tinted


def blend(color: QColor | str, amount: float, other: QColor | str) -> QColor:
    """``amount`` of ``color`` over ``1 - amount`` of ``other`` (opaque)."""
    a, b = QColor(color), QColor(other)
    return QColor(*(round(x * amount + y * (1 - amount)) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3])))


def tint(color: QColor, amount: float, palette: QPalette) -> QColor:
    """``color`` blended into the palette's base colour (an opaque, light version of it)."""
    return blend(color, amount, palette.color(QPalette.ColorRole.Base))


def current_palette(palette: QPalette | None = None) -> QPalette:
    return palette if palette is not None else QGuiApplication.palette()


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the palette is a dark theme's: its window darker than its text."""
    palette = current_palette(palette)
    return (palette.color(QPalette.ColorRole.Window).lightnessF()
            < palette.color(QPalette.ColorRole.WindowText).lightnessF())


def relative_luminance(color: QColor) -> float:
    """WCAG 2's relative luminance of an opaque colour (0 black .. 1 white)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color.redF()) + 0.7152 * linear(color.greenF()) + 0.0722 * linear(color.blueF())


def contrast_ratio(a: QColor | str, b: QColor | str) -> float:
    """WCAG 2's contrast ratio of two opaque colours, 1 (same) to 21 (black on white)."""
    first, second = relative_luminance(QColor(a)), relative_luminance(QColor(b))
    light, dark = max(first, second), min(first, second)
    return (light + 0.05) / (dark + 0.05)


def readable(accent: QColor | str, background: QColor | str, minimum: float = TEXT_CONTRAST) -> QColor:
    """``accent``'s hue at the first lightness, moving away from ``background``'s, whose contrast
    with it reaches ``minimum`` (at worst black or white)."""
    color, background = QColor(accent), QColor(background)
    if contrast_ratio(color, background) >= minimum:
        return color
    lighter = relative_luminance(background) < 0.18
    hue, saturation, lightness, _alpha = color.getHslF()
    hue = max(hue, 0.0)  # achromatic colours report -1
    step = 0.02 if lighter else -0.02
    while 0.0 < lightness < 1.0:
        lightness = min(1.0, max(0.0, lightness + step))
        candidate = QColor.fromHslF(hue, saturation, lightness)
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
    return QColor("white" if lighter else "black")


def chip_colors(accent: QColor | str, palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """(text, fill) of a chip or box in ``accent``'s hue on this palette: the fill a light tint
    of the accent on a light base, a deep one on a dark base; the text the accent made readable
    on that fill."""
    palette = current_palette(palette)
    fill = tint(QColor(accent), 0.32 if is_dark(palette) else 0.14, palette)
    return readable(accent, fill), fill


def accent_text(accent: QColor | str, palette: QPalette | None = None) -> QColor:
    """Text in ``accent``'s hue that reads on the palette's window (labels, messages)."""
    palette = current_palette(palette)
    return readable(accent, palette.color(QPalette.ColorRole.Window))


def error_color(palette: QPalette | None = None) -> QColor:
    """The colour of error text on this palette's window."""
    return accent_text(ERROR_ACCENT, palette)


def success_color(palette: QPalette | None = None) -> QColor:
    return accent_text(SUCCESS_ACCENT, palette)


def box_style(selector: str, accent: QColor | str, palette: QPalette | None = None, radius: int = 6) -> str:
    """A style sheet for a framed, tinted box in ``accent``'s hue (e.g. the "Why it failed" box,
    a warning banner): fill and border from the palette, text left to the palette."""
    palette = current_palette(palette)
    _text, fill = chip_colors(accent, palette)
    border = blend(accent, 0.45, palette.color(QPalette.ColorRole.Base))
    return (f"{selector} {{ background: {fill.name()}; border: 1px solid {border.name()}; "
            f"border-radius: {radius}px; }}")
