"""The application shell: navigation, remembered geometry, close-to-tray, the tray menu, icons,
and the start/quit lifecycle of ``main()`` (run in a child process: one QApplication per process).

Every test uses a throwaway QSettings file, and the fixture below also points Qt's default settings
paths and organisation at ``tmp_path``, so no test can read or write the user's real settings.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, QSettings, QSize, Qt
from PySide6.QtWidgets import QSystemTrayIcon

from emswebhook_gui.gui.shell import app as gui_app
from emswebhook_gui.gui.shell.main_window import TRAY_HINT_TITLE, MainWindow
from emswebhook_gui.gui.shell.pages import PAGES
from emswebhook_gui.gui.shell.tray import TrayIcon
from emswebhook_gui.gui.widgets.icons import ICON_DIRS, ICON_NAMES, icon, icon_path

GUI_DIR = Path(gui_app.__file__).resolve().parents[1]
REPO = GUI_DIR.parent.parent


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path):
    organization, application = qapp.organizationName(), qapp.applicationName()
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(tmp_path / "user-settings"))
    QCoreApplication.setOrganizationName("emswebhook-tests")
    QCoreApplication.setApplicationName("gui-shell-tests")
    yield
    QCoreApplication.setOrganizationName(organization)
    QCoreApplication.setApplicationName(application)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_window_has_the_five_pages_in_order(window):
    titles = [window.nav.item(row).text() for row in range(window.nav.count())]
    assert titles == ["Overview", "Webhooks", "Authentication Profiles", "Event Deliveries", "Settings"]
    assert window.stack.count() == 5
    for row, page in enumerate(PAGES):
        assert not window.nav.item(row).icon().isNull()
        assert window.page_widget(page.key).title_label.text() == page.title
        assert window.page_widget(page.key).description_label.text()
    assert window.current_page.key == "overview"
    assert window.size() == QSize(1200, 760)


def test_ctrl_number_switches_pages(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    with qtbot.waitSignal(window.sig_page_changed) as changed:
        qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert changed.args == ["profiles"]
    assert window.current_page.title == "Authentication Profiles"
    assert window.stack.currentWidget() is window.page_widget("profiles")
    assert window.nav.currentRow() == 2

    for key, expected in ((Qt.Key.Key_5, "settings"), (Qt.Key.Key_4, "deliveries"), (Qt.Key.Key_2, "webhooks"),
                          (Qt.Key.Key_1, "overview")):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda expected=expected: window.current_page.key == expected)


def test_clicking_the_nav_switches_pages(qtbot, window):
    window.nav.setCurrentRow(3)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.page_widget("deliveries"))


def test_geometry_and_page_are_restored_from_settings(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    # The offscreen screen is 800x600 and restoreGeometry() keeps windows on screen, so stay inside.
    first.resize(640, 480)
    first.move(QPoint(20, 30))
    first.show_page("deliveries")
    qtbot.waitUntil(lambda: first.size() == QSize(640, 480))
    first.close()

    assert settings.contains("main_window/geometry")
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.size() == QSize(640, 480)
    assert second.current_page.key == "deliveries"


def test_unknown_saved_page_falls_back_to_the_first(qtbot, settings):
    settings.setValue("main_window/page", "no-such-page")
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    assert window.current_page.key == "overview"


def test_closing_without_a_tray_closes_and_asks_to_quit(qtbot, window):
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen: the no-tray path is the real one
    with qtbot.waitSignal(window.sig_quit_requested):
        window.close()
    qtbot.waitUntil(lambda: not window.isVisible())


def test_closing_with_a_tray_hides_and_hints_once(qtbot, settings, monkeypatch):
    tray = TrayIcon()
    messages = []
    monkeypatch.setattr(tray, "isVisible", lambda: True)  # offscreen has no tray to show it in
    monkeypatch.setattr(tray, "showMessage", lambda title, *args: messages.append(title))
    window = MainWindow(tray=tray, settings=settings)
    qtbot.addWidget(window)
    quits = []
    window.sig_quit_requested.connect(lambda: quits.append(True))

    for _ in range(2):
        window.show()
        qtbot.waitExposed(window)
        window.close()
        qtbot.waitUntil(lambda: not window.isVisible())

    assert messages == [TRAY_HINT_TITLE]
    assert quits == []
    window.show_and_raise()
    qtbot.waitUntil(window.isVisible)


def test_tray_menu_and_pause_toggle(qtbot):
    tray = TrayIcon()
    actions = [action.text() for action in tray.contextMenu().actions() if not action.isSeparator()]
    assert actions == ["Open", "Pause deliveries", "Quit"]
    pause = tray.contextMenu().actions()[1]

    with qtbot.waitSignal(tray.sig_pause_toggled) as paused:
        pause.trigger()
    assert paused.args == [True]
    assert pause.text() == "Resume deliveries"
    assert "paused" in tray.toolTip()

    with qtbot.waitSignal(tray.sig_pause_toggled) as resumed:
        pause.trigger()
    assert resumed.args == [False]
    assert pause.text() == "Pause deliveries"

    with qtbot.waitSignal(tray.sig_quit_requested):
        tray.contextMenu().actions()[-1].trigger()
    with qtbot.waitSignal(tray.sig_open_requested):
        tray.contextMenu().actions()[0].trigger()


def test_status_bar_counts_pending_and_failed_deliveries_in_words(window, qtbot):
    window.show_health(1, 4)  # what the bridge's sig_health_changed calls, without a service
    assert window.health_label.text() == "1 delivery pending, 4 failed"
    window.show_health(12345, 0)
    assert window.health_label.text() == "12,345 deliveries pending, 0 failed"
    # a menu's status tips replace temporary messages, never the health
    window.statusBar().showMessage("a status tip")
    window.statusBar().clearMessage()
    assert window.health_label.text() == "12,345 deliveries pending, 0 failed" and window.health_label.isVisible()
    window.set_deliveries_paused(True)
    assert window.health_label.text() == "Deliveries paused · 12,345 deliveries pending, 0 failed"


def test_tray_health_switches_icon_and_tooltip():
    tray = TrayIcon()
    ok_key = tray.icon().cacheKey()
    tray.set_health(pending=3, failed=0)
    assert not tray.warning
    assert "3 pending, 0 failed" in tray.toolTip()

    tray.set_health(pending=1, failed=2)
    assert tray.warning
    assert "1 pending, 2 failed" in tray.toolTip()
    assert tray.icon().cacheKey() != ok_key

    tray.set_health(pending=0, failed=0)
    assert not tray.warning

    warning_key = tray.icon().cacheKey()
    tray.set_health(pending=70, failed=2)
    tray.set_paused(True)  # the icon says paused, whatever the counts
    assert tray.state == "paused" and "Deliveries paused" in tray.toolTip() and "70 pending" in tray.toolTip()
    assert tray.icon().cacheKey() not in (ok_key, warning_key)
    tray.set_paused(False)
    assert tray.state == "warning"


def test_every_icon_exists_and_renders(qapp):
    assert REPO / "resources" / "icons" in ICON_DIRS
    for name in ICON_NAMES:
        path = icon_path(name)
        assert path is not None, f"icon {name!r} missing from {ICON_DIRS}"
        assert 'viewBox="0 0 24 24"' in path.read_text(encoding="utf-8"), path
        assert not icon(name).pixmap(24, 24).isNull(), f"{path} does not render"


def test_every_icon_the_code_names_is_declared():
    named = set()
    for source in GUI_DIR.rglob("*.py"):
        named |= set(re.findall(r"""\bicon\(\s*["']([\w-]+)["']""", source.read_text(encoding="utf-8")))
        named |= set(re.findall(r"""["'](tray-[\w-]+)["']""", source.read_text(encoding="utf-8")))
    named |= {page.icon for page in PAGES}
    assert named, "the scan found no icon names: has the icon() call changed shape?"
    assert named <= set(ICON_NAMES), f"undeclared icons: {sorted(named - set(ICON_NAMES))}"


def test_shutdown_awaits_hooks_and_survives_slow_or_failing_ones(caplog):
    ran = []

    async def quick():
        ran.append("quick")

    async def failing():
        raise RuntimeError("boom")

    async def slow():
        await asyncio.sleep(30)

    asyncio.run(gui_app.shutdown([quick, failing, slow], timeout=0.2))
    assert ran == ["quick"]
    assert "shutdown hook failed" in caplog.text
    assert "still running" in caplog.text


CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon
    from emswebhook_gui.gui.shell import app as gui_app

    async def fake_start_services(window, db_url):
        app = QApplication.instance()
        print("services", db_url, app.db_url, app.quitOnLastWindowClosed(), flush=True)

        async def hook():
            await asyncio.sleep(0.01)
            print("hook awaited", flush=True)

        asyncio.get_running_loop().call_later(0.05, quit_how, window)
        return [hook]

    def quit_how(window):
        if sys.argv[1] == "close":
            window.close()
        elif sys.argv[1] == "menu-with-tray":
            window.findChild(QAction, "quitAction").trigger()
        else:
            os.kill(os.getpid(), signal.SIGTERM)

    if sys.argv[1] == "menu-with-tray":  # as on a desktop with a tray: closing would only hide
        QSystemTrayIcon.isSystemTrayAvailable = staticmethod(lambda: True)
    gui_app.start_services = fake_start_services
    status = gui_app.main(["--db", "sqlite:///tmp-test.db"])
    print("exit", status, flush=True)
    """
)


@pytest.mark.parametrize("how", ["close", "sigterm", "menu-with-tray"])
def test_main_starts_services_and_awaits_shutdown_hooks(tmp_path, how):
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # QSettings' user scope on Linux
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    child = subprocess.run(
        [sys.executable, "-c", CHILD, how], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    quits_on_last_window = "False" if how == "menu-with-tray" else "True"  # a tray keeps it running
    assert lines == [f"services sqlite:///tmp-test.db sqlite:///tmp-test.db {quits_on_last_window}",
                     "hook awaited", "exit 0"], (
        child.stdout + child.stderr
    )
    assert (tmp_path / "config" / "emswebhook" / "emswebhook-gui.conf").is_file()
