"""Theme, Help menu and small screens: light and dark follow the OS or the user's choice, every
custom colour comes from the palette, the Help menu's dialogs, and a window that fits 1,024 × 700
and 1.5x scaling on 1,600 × 1,000 (offscreen; the real-X run is tools/xvfb_walkthrough.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QKeySequence, QPalette, QStandardItem, QStandardItemModel, QStyleHints
from PySide6.QtWidgets import QTableView

from emswebhook_gui import __version__
from emswebhook_gui.desktop_integration import log_directory
from emswebhook_gui.gui.conditions.shortcuts import CONDITION_SHORTCUTS
from emswebhook_gui.gui.deliveries.rows import STATUS_COLORS, STATUS_LABELS
from emswebhook_gui.gui.deliveries.status_chip import StatusChipDelegate, chip_style
from emswebhook_gui.gui.deliveries.table_model import STATUS_ROLE
from emswebhook_gui.gui.shell import theme
from emswebhook_gui.gui.shell.help import AboutDialog, AboutFacts, masked_database_url
from emswebhook_gui.gui.shell.main_window import MainWindow
from emswebhook_gui.gui.widgets.colors import chip_colors, contrast_ratio, error_color, is_dark
from emswebhook_gui.gui.widgets.fields import FieldErrorLabel
from emswebhook_gui.gui.widgets.icons import IconLabel, icon

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def system_theme_afterwards(qapp):
    """Every test here leaves the app as the platform made it (no palette of the app's own)."""
    yield
    theme.apply_theme(theme.SYSTEM)
    assert theme._AppTheme.forced is None


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


def _window(qtbot, settings, bridge=None) -> MainWindow:
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    if bridge is not None:
        window.install_pages(bridge)
    window.show()
    qtbot.waitExposed(window)
    return window


def _opaque_colors(image) -> Counter:
    colors = Counter()
    for y in range(image.height()):
        for x in range(image.width()):
            color = image.pixelColor(x, y)
            if color.alpha() == 255:
                colors[color.rgb()] += 1
    return colors


# -- theme ----------------------------------------------------------------------------------------


def test_dark_gives_a_dark_window_and_light_text_and_light_goes_back(qtbot, settings):
    window = _window(qtbot, settings)
    assert window.theme.choice == theme.SYSTEM

    window.theme.set_choice(theme.DARK)
    palette = window.palette()
    window_color = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    assert window_color.lightnessF() < 0.3 and text.lightnessF() > 0.8, (window_color.name(), text.name())
    assert contrast_ratio(window_color, text) >= 7
    assert is_dark(QGuiApplication.palette())
    assert window.nav.palette().color(QPalette.ColorRole.Base).lightnessF() < 0.3

    window.theme.set_choice(theme.LIGHT)
    assert not is_dark(window.palette())
    assert window.palette().color(QPalette.ColorRole.Window).lightnessF() > 0.8


def test_icons_are_drawn_in_the_palettes_text_colour(qtbot, settings):
    window = _window(qtbot, settings)
    picture = IconLabel("deliveries", 24)
    qtbot.addWidget(picture)
    for choice in (theme.LIGHT, theme.DARK):
        window.theme.set_choice(choice)
        text = QGuiApplication.palette().color(QPalette.ColorRole.WindowText)
        for name in ("add", "webhooks", "check", "retry"):
            colors = _opaque_colors(icon(name).pixmap(QSize(24, 24)).toImage())
            assert colors, f"{name} drew nothing"
            assert set(colors) == {text.rgb()}, (name, choice, [QColor.fromRgb(c).name() for c in colors])
        disabled = _opaque_colors(icon("add").pixmap(QSize(24, 24), mode=icon("add").Mode.Disabled).toImage())
        assert set(disabled) == {QGuiApplication.palette().color(QPalette.ColorGroup.Disabled,
                                                                   QPalette.ColorRole.WindowText).rgb()}
        # a label showing an icon as a picture draws it again on the theme change
        assert set(_opaque_colors(picture.pixmap().toImage())) == {text.rgb()}
    assert "currentColor" not in (REPO / "resources" / "icons" / "app.svg").read_text()  # its own colours


@pytest.mark.parametrize("choice", [theme.LIGHT, theme.DARK])
def test_status_chips_contrast_with_their_text_in_both_themes(qtbot, settings, choice):
    window = _window(qtbot, settings)
    window.theme.set_choice(choice)
    palette = QGuiApplication.palette()
    base = palette.color(QPalette.ColorRole.Base)
    for status, (accent, _fill) in STATUS_COLORS.items():
        text, fill = chip_colors(accent, palette)
        assert contrast_ratio(text, fill) >= 4.5, (status, text.name(), fill.name())
        # a dark theme gets a dark fill under light text, never a light fill from the light theme
        assert (fill.lightnessF() < 0.4) == (choice == theme.DARK), (status, fill.name())
        assert abs(fill.lightnessF() - base.lightnessF()) < 0.3
        assert f"color: {text.name()}; background: {fill.name()}" in chip_style(status)

    # what the table's delegate paints: the chip's fill, derived from the view's palette
    model = QStandardItemModel(1, 1)
    item = QStandardItem(STATUS_LABELS["FAILED"])  # the delegate paints the chip its display text names
    item.setData("FAILED", STATUS_ROLE)
    model.setItem(0, 0, item)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegateForColumn(0, StatusChipDelegate(view))
    view.setColumnWidth(0, 140)
    view.resize(200, 80)
    view.show()
    qtbot.waitExposed(view)
    rect = view.visualRect(model.index(0, 0))
    image = view.viewport().grab(rect).toImage()
    painted = Counter(image.pixelColor(x, image.height() // 2).rgb() for x in range(8, 40))
    text, fill = chip_colors(STATUS_COLORS["FAILED"][0], view.palette())
    assert painted.most_common(1)[0][0] == fill.rgb(), [QColor.fromRgb(c).name() for c in painted]


def test_field_errors_are_readable_on_either_theme(qtbot, settings):
    window = _window(qtbot, settings)
    label = FieldErrorLabel()
    qtbot.addWidget(label)
    for choice in (theme.LIGHT, theme.DARK):
        window.theme.set_choice(choice)
        shown = label.palette().color(QPalette.ColorRole.WindowText)
        assert shown == error_color()
        assert contrast_ratio(shown, QGuiApplication.palette().color(QPalette.ColorRole.Window)) >= 4.5


def test_the_why_it_failed_box_follows_the_theme(qtbot, settings, gui_env):
    """Its fill was a fixed light pink, unreadable under the dark theme's light text."""
    from emswebhook_gui.gui.deliveries.details import NotificationDetails

    window = _window(qtbot, settings)
    details = NotificationDetails(gui_env.bridge)
    qtbot.addWidget(details)
    for choice in (theme.LIGHT, theme.DARK):
        window.theme.set_choice(choice)
        qtbot.waitUntil(lambda: details.error_frame.styleSheet() != "")
        fill = QColor(re.search(r"background: (#[0-9a-f]{6})", details.error_frame.styleSheet()).group(1))
        text = details.error_label.palette().color(QPalette.ColorRole.WindowText)
        assert contrast_ratio(text, fill) >= 4.5, (choice, text.name(), fill.name())
        assert (fill.lightnessF() < 0.4) == (choice == theme.DARK), (choice, fill.name())


def test_the_choice_persists_across_a_restart_of_the_window(qtbot, settings, gui_env):
    first = _window(qtbot, settings, gui_env.bridge)
    page = first.page_widget("settings")
    combo = page.theme_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["System", "Light", "Dark"]
    assert combo.currentData() == theme.SYSTEM
    combo.setCurrentIndex(combo.findData(theme.DARK))
    combo.activated.emit(combo.currentIndex())
    assert is_dark(first.palette())
    first.close()

    theme.apply_theme(theme.SYSTEM)  # as a new process starts: the platform's palette
    assert not is_dark(QGuiApplication.palette())
    assert QSettings(settings.fileName(), QSettings.Format.IniFormat).value(theme.SETTINGS_THEME) == "dark"
    second = _window(qtbot, settings, gui_env.bridge)
    assert second.theme.choice == theme.DARK
    assert is_dark(second.palette())
    assert second.page_widget("settings").theme_combo.currentData() == theme.DARK

    async def not_a_database_property():
        properties = await gui_env.service.list_properties()
        assert not any("theme" in key.lower() for key in properties)

    gui_env.run(not_a_database_property())


def test_system_follows_the_desktops_colour_scheme_while_running(qtbot, settings, monkeypatch):
    window = _window(qtbot, settings)
    hints = QGuiApplication.styleHints()
    scheme = {"now": Qt.ColorScheme.Unknown}
    monkeypatch.setattr(QStyleHints, "colorScheme", lambda self: scheme["now"])
    assert window.theme.choice == theme.SYSTEM and not is_dark(window.palette())

    scheme["now"] = Qt.ColorScheme.Dark  # the desktop turned dark
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert is_dark(window.palette())

    scheme["now"] = Qt.ColorScheme.Light
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not is_dark(window.palette())

    window.theme.set_choice(theme.LIGHT)  # a choice of the user's is kept whatever the desktop does
    scheme["now"] = Qt.ColorScheme.Dark
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not is_dark(window.palette())
    monkeypatch.undo()  # before the fixture puts the platform's theme back


# -- Help menu ------------------------------------------------------------------------------------


def test_help_menu_has_shortcuts_log_folder_and_about(qtbot, settings):
    window = _window(qtbot, settings)
    texts = [action.text() for action in window.help_menu.actions() if not action.isSeparator()]
    assert texts == ["&Keyboard Shortcuts", "Open &Log Folder", "&About EMS Webhooks"]
    # Open Log Folder, enabled once the folder exists: tests/test_gui_desktop.py


def test_about_shows_version_masked_database_and_folders(qtbot, settings, gui_env):
    assert masked_database_url("postgresql://ems:s3cr3t@db.example:5432/ems") == "postgresql://ems:***@db.example:5432/ems"
    facts = AboutFacts.gather("postgresql+psycopg://ems:s3cr3t@db.example/ems?sslmode=require")
    dialog = AboutDialog(facts)
    qtbot.addWidget(dialog)
    shown = {key: label.text() for key, label in dialog.fields.items()}
    assert __version__ in shown["version"]
    assert "s3cr3t" not in " ".join(shown.values()) + facts.text()
    assert "***" in shown["database"] and "db.example" in shown["database"]
    assert shown["data"] == str(facts.data_folder) and shown["logs"].startswith(str(log_directory()))

    window = _window(qtbot, settings, gui_env.bridge)
    window.about_action.trigger()
    qtbot.waitUntil(lambda: window.about_dialog is not None and window.about_dialog.isVisible())
    assert window.about_dialog.fields["database"].text() == gui_env.service.db.url
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == facts.text()
    window.about_dialog.reject()


def test_keyboard_shortcuts_lists_every_action_shortcut(qtbot, settings, gui_env):
    window = _window(qtbot, settings, gui_env.bridge)
    from emswebhook_gui.gui.conditions.dialog import ConditionDialog

    builder = ConditionDialog("Entitlement Added", "", window)  # a dialog the window keeps: not "Everywhere"
    window.shortcuts_action.trigger()
    qtbot.waitUntil(lambda: window.shortcuts_dialog is not None and window.shortcuts_dialog.isVisible())
    rows = window.shortcuts_dialog.rows()
    listed = {(text, keys) for _group, text, keys in rows}
    native = QKeySequence.SequenceFormat.NativeText
    actions = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(actions) > 10
    for action in actions:
        if action.parent() is not None and action.parent().window() is not window:
            continue  # the builder's, listed under its own title
        keys = action.shortcut().toString(native)
        assert any(row_keys.startswith(keys) for _text, row_keys in listed), (action.text(), keys)
    groups = [group for group, _text, _keys in rows]
    assert groups[0] == "Everywhere" and "Event Deliveries" in groups and "Manage Trigger Conditions" in groups
    builder_rows = [(text, keys) for group, text, keys in rows if group == "Manage Trigger Conditions"]
    assert [text for text, _keys in builder_rows] == [what for _keys, what in CONDITION_SHORTCUTS]
    builder.deleteLater()
    assert ("Retry", "Ctrl+R") in listed and ("Keyboard Shortcuts", "Ctrl+/") in listed
    up = next(keys for text, keys in builder_rows if text.startswith("Move the current row up"))
    assert up == ", ".join(QKeySequence(k).toString(native) for k in ("Ctrl+Up", "Alt+Shift+Up"))
    window.shortcuts_dialog.reject()


# -- small windows and scaling --------------------------------------------------------------------


def test_the_window_fits_1024_by_700_also_with_a_custom_range(qtbot, settings, gui_env):
    window = _window(qtbot, settings, gui_env.bridge)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700, hint
    window.show_page("deliveries")
    page = window.page_widget("deliveries")
    filters = page.filters
    filters.time_combo.setCurrentIndex(filters.time_combo.findData("custom"))
    assert filters.range_group.isVisible()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700, hint

    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    qtbot.waitUntil(lambda: filters.range_group.geometry().right() <= filters.width())
    assert filters.range_group.y() > filters.status_combo.parentWidget().y()  # wrapped to a row below
    assert filters.geometry().right() <= page.width()
    assert page.table.horizontalScrollBar().maximum() > 0  # the table scrolls instead of widening
    for key in ("overview", "webhooks", "profiles", "settings"):
        window.show_page(key)
        assert window.page_widget(key).minimumSizeHint().width() <= window.stack.width(), key


def test_a_notification_shown_with_its_attempt_keeps_the_window_within_1024(qtbot, settings, gui_env):
    """The attempt inspector's one-line summary once made the window 1,188 px wide under real X."""
    from tests.support.receiver import closed_port

    window = _window(qtbot, settings, gui_env.bridge)
    service = gui_env.service

    async def failing() -> str:
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile({"name": "B", "type": "basic", "username": "u", "password": "p"})
        await service.create_webhook({"name": "Activations to CRM", "event": "Activation Added",
                                      "endpointUrl": f"http://127.0.0.1:{closed_port()}/crm/activations",
                                      "authProfile": "B"})
        [event_id] = await service.publish({"event": "Activation Added", "activity": "Add Activation",
                                            "entityId": "ACT-000103"})
        await gui_env.until(lambda: page.select_event(event_id))
        await gui_env.until(lambda: page.details.attempts.inspector.summary_label.text())
        return event_id

    window.show_page("deliveries")
    page = window.page_widget("deliveries")
    gui_env.run(failing())
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024, hint


SCALED_CHILD = textwrap.dedent(
    """
    import json, sys, tempfile
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from emswebhook_gui.gui.shell.main_window import MainWindow
    from tests.support.gui import GuiEnv
    from tests.support.keyrings import MemoryKeyring

    folder = tempfile.mkdtemp()
    env = GuiEnv(app, f"sqlite:///{folder}/scaled.db", MemoryKeyring())
    window = MainWindow(settings=QSettings(f"{folder}/window.ini", QSettings.Format.IniFormat))
    window.install_pages(env.bridge)
    window.show()
    app.processEvents()
    sizes = {}
    for key in ("overview", "webhooks", "profiles", "deliveries", "settings"):
        window.show_page(key)
        app.processEvents()
        sizes[key] = [window.minimumSizeHint().width(), window.minimumSizeHint().height()]
    filters = window.page_widget("deliveries").filters
    window.show_page("deliveries")
    filters.time_combo.setCurrentIndex(filters.time_combo.findData("custom"))
    app.processEvents()
    sizes["custom range"] = [window.minimumSizeHint().width(), window.minimumSizeHint().height()]
    print(json.dumps({"ratio": window.devicePixelRatio(), "sizes": sizes}))
    window.close()
    env.close()
    """
)


def test_at_1_5x_scaling_the_window_fits_a_1600_by_1000_screen(tmp_path):
    """QT_SCALE_FACTOR applies to a whole process, so a child measures; sizes are in
    device-independent pixels, which 1.5x turns into 1.5 physical pixels each."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        QT_SCALE_FACTOR="1.5",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    child = subprocess.run([sys.executable, "-c", SCALED_CHILD], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    measured = json.loads(child.stdout.splitlines()[-1])
    assert measured["ratio"] == 1.5
    for what, (width, height) in measured["sizes"].items():
        assert width * 1.5 <= 1600 and height * 1.5 <= 1000, (what, width, height)
        assert width <= 1066, (what, width)
