"""Light and dark: the theme follows the desktop's colour scheme unless the user chose one.

The choice (System / Light / Dark) is this user's on this computer, kept in the window's
QSettings under :data:`SETTINGS_THEME` like the window's geometry, never in the database's
properties that every administrator and delivery service shares.

How a choice is carried out, in order:

- **System** lets Qt follow the platform (``QStyleHints.unsetColorScheme``); when the platform
  reports a dark or light scheme (``styleHints().colorScheme()``) that its palette does not show
  (a style that ignores the scheme), the matching Fusion palette is set. ``colorSchemeChanged``
  re-applies it, so the app turns dark with the desktop while it runs.
- **Light** and **Dark** ask the platform for that scheme (``QStyleHints.setColorScheme``, Qt 6.8);
  where the platform cannot switch (X11 without a desktop theme, ``offscreen``), or the
  palette did not follow, the app sets Fusion (:class:`ThemedStyle`, whose few fixed-colour
  standard icons are replaced by palette-coloured ones) and a light or dark palette of its own.

Everything else derives from whatever palette results: icons are drawn in its text colour
(:mod:`~emswebhook_gui.gui.widgets.icons`), chips and tinted boxes blend their accent into its base
(:mod:`~emswebhook_gui.gui.widgets.colors`), and widgets that build a style sheet from the palette
build it again on ``QEvent.PaletteChange``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

from emswebhook_gui.gui.widgets.colors import is_dark

_log = logging.getLogger(__name__)

SETTINGS_THEME = "appearance/theme"

SYSTEM, LIGHT, DARK = "system", "light", "dark"

THEME_CHOICES: tuple[tuple[str, str], ...] = ((SYSTEM, "System"), (LIGHT, "Light"), (DARK, "Dark"))
"""(stored value, what Settings shows), in the order shown."""

_FORCED_STYLE = "Fusion"


class _AppTheme:
    """What the app changed to carry out a choice, so the next choice can undo it."""

    forced: bool | None = None
    """True/False while the app set a dark/light palette of its own; None while the platform's
    palette is in use."""
    style_before: str | None = None
    style: QProxyStyle | None = None
    applying = False


def _palette(dark: bool) -> QPalette:
    """A complete light or dark palette in Fusion's manner."""
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    if dark:
        window, text, base, button = "#2b2d30", "#e6e6e6", "#1f2023", "#35373b"
        colors = {
            role.Window: window, role.WindowText: text, role.Base: base, role.AlternateBase: "#26282b",
            role.ToolTipBase: "#3c3f43", role.ToolTipText: text, role.Text: text, role.Button: button,
            role.ButtonText: text, role.BrightText: "#ff6b6b", role.Light: "#4b4e53", role.Midlight: "#404347",
            role.Mid: "#2f3134", role.Dark: "#18191b", role.Shadow: "#000000", role.Highlight: "#3d6fd1",
            role.HighlightedText: "#ffffff", role.Link: "#7aa7ff", role.LinkVisited: "#c09cf5",
            role.PlaceholderText: "#9a9da2",
        }
        disabled = {role.WindowText: "#7c7f84", role.Text: "#7c7f84", role.ButtonText: "#7c7f84",
                    role.Highlight: "#4b4e53", role.HighlightedText: "#b0b0b0", role.Base: window}
    else:
        window, text = "#efefef", "#000000"
        colors = {
            role.Window: window, role.WindowText: text, role.Base: "#ffffff", role.AlternateBase: "#f7f7f7",
            role.ToolTipBase: "#ffffdc", role.ToolTipText: text, role.Text: text, role.Button: window,
            role.ButtonText: text, role.BrightText: "#ffffff", role.Light: "#ffffff", role.Midlight: "#cacaca",
            role.Mid: "#b8b8b8", role.Dark: "#9f9f9f", role.Shadow: "#767676", role.Highlight: "#308cc6",
            role.HighlightedText: "#ffffff", role.Link: "#0000ff", role.LinkVisited: "#ff00ff",
            role.PlaceholderText: "#6e6e6e",
        }
        disabled = {role.WindowText: "#bebebe", role.Text: "#bebebe", role.ButtonText: "#bebebe",
                    role.Highlight: "#919191", role.HighlightedText: "#ffffff", role.Base: window}
    palette = QPalette()
    for name, value in colors.items():
        palette.setColor(name, QColor(value))
    for name, value in disabled.items():
        palette.setColor(group.Disabled, name, QColor(value))
    return palette


class ThemedStyle(QProxyStyle):
    """Fusion, as set with a palette of the app's own, with the standard icons that Fusion draws
    in fixed dark pixels (a tool bar's "more" button) replaced by palette-coloured glyphs."""

    _REPLACED = {
        QStyle.StandardPixmap.SP_ToolBarHorizontalExtensionButton: "more",
        QStyle.StandardPixmap.SP_ToolBarVerticalExtensionButton: "more",
    }

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create(_FORCED_STYLE))

    def standardIcon(self, standard_icon, option=None, widget=None):  # noqa: N802 (Qt override)
        name = self._REPLACED.get(standard_icon)
        if name is not None:
            from emswebhook_gui.gui.widgets.icons import icon

            return icon(name)
        return super().standardIcon(standard_icon, option, widget)


def _scheme(dark: bool | None) -> Qt.ColorScheme:
    return {True: Qt.ColorScheme.Dark, False: Qt.ColorScheme.Light}.get(dark, Qt.ColorScheme.Unknown)


def _refresh_extension_buttons(app: QApplication) -> None:
    """Tool bars take their "more" button's icon from the style once, when made: give the ones
    that exist the icon of the style now in use."""
    from PySide6.QtWidgets import QToolBar, QToolButton

    for widget in app.allWidgets():
        if isinstance(widget, QToolButton) and widget.objectName() == "qt_toolbar_ext_button":
            bar = widget.parentWidget()
            vertical = isinstance(bar, QToolBar) and bar.orientation() == Qt.Orientation.Vertical
            pixmap = (QStyle.StandardPixmap.SP_ToolBarVerticalExtensionButton if vertical
                      else QStyle.StandardPixmap.SP_ToolBarHorizontalExtensionButton)
            widget.setIcon(app.style().standardIcon(pixmap, None, widget))


def apply_theme(choice: str) -> None:
    """Carry out ``choice`` (:data:`SYSTEM`, :data:`LIGHT` or :data:`DARK`) for the whole app."""
    app = QApplication.instance()
    if app is None:
        return
    hints = QGuiApplication.styleHints()
    wanted = {LIGHT: False, DARK: True}.get(choice)
    _AppTheme.applying = True
    try:
        if hasattr(hints, "setColorScheme"):  # Qt 6.8
            if wanted is None:
                hints.unsetColorScheme()
            else:
                hints.setColorScheme(_scheme(wanted))
        if _AppTheme.forced is not None:  # see what the platform gives before forcing anything
            _AppTheme.forced = None
            if _AppTheme.style_before is not None:
                app.setStyle(_AppTheme.style_before)
                _AppTheme.style_before = _AppTheme.style = None
            app.setPalette(QPalette())
        if wanted is None:
            scheme = hints.colorScheme()
            wanted = {Qt.ColorScheme.Dark: True, Qt.ColorScheme.Light: False}.get(scheme)
        if wanted is None or is_dark(app.palette()) == wanted:
            return
        _AppTheme.style_before = app.style().name()
        _AppTheme.style = ThemedStyle()  # the app owns it; the reference keeps the Python side alive
        app.setStyle(_AppTheme.style)
        app.setPalette(_palette(wanted))
        _AppTheme.forced = wanted
        _log.debug("theme %s: the app's own %s palette", choice, "dark" if wanted else "light")
    finally:
        _refresh_extension_buttons(app)
        # Qt posts the palette change to the widgets; deliver it now, so that the whole window
        # is in the new theme when the choice returns (and a test can look at it)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.ApplicationPaletteChange)
        _AppTheme.applying = False


class ThemeController(QObject):
    """The user's theme choice: read from and written to ``settings``, applied to the app."""

    sig_theme_changed = Signal(str)
    """The choice changed (one of the values of :data:`THEME_CHOICES`)."""

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)

    @property
    def choice(self) -> str:
        value = str(self._settings.value(SETTINGS_THEME, SYSTEM))
        return value if value in dict(THEME_CHOICES) else SYSTEM

    def set_choice(self, choice: str) -> None:
        if choice not in dict(THEME_CHOICES):
            raise ValueError(f"theme: {choice!r} is not one of {', '.join(dict(THEME_CHOICES))}")
        changed = choice != self.choice
        self._settings.setValue(SETTINGS_THEME, choice)
        self._settings.sync()
        self.apply()
        if changed:
            self.sig_theme_changed.emit(choice)

    def apply(self) -> None:
        apply_theme(self.choice)

    def _on_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        """The desktop's scheme changed (or Qt says so again after a palette change, which the
        check of what the palette shows turns into nothing)."""
        if _AppTheme.applying or self.choice != SYSTEM:
            return
        wanted = {Qt.ColorScheme.Dark: True, Qt.ColorScheme.Light: False}.get(QGuiApplication.styleHints().colorScheme())
        if wanted is None and _AppTheme.forced is None:
            return
        if wanted is not None and is_dark(QGuiApplication.palette()) == wanted:
            return
        self.apply()
