"""The Settings page: properties written through the service, its errors shown, live status."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QGroupBox

from emswebhook_gui.gui.settings_page import SettingsPage
from tests.test_gui_webhooks import keep_loop_marked_running  # noqa: F401 (autouse fixture)


def _page(gui_env, qtbot) -> SettingsPage:
    page = SettingsPage(gui_env.bridge)
    qtbot.addWidget(page)
    page.resize(900, 800)
    page.show()
    return page


def test_time_zone_and_private_endpoints_persist_and_errors_show(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        service = gui_env.service
        await gui_env.until(lambda: page.zone_combo.currentText() == "UTC")
        assert not page.private_check.isChecked() and not page.apply_zone_button.isEnabled()

        page.zone_combo.lineEdit().clear()
        qtbot.keyClicks(page.zone_combo.lineEdit(), "Mars/Olympus_Mons")
        qtbot.mouseClick(page.apply_zone_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.zone_error.isVisible())
        assert "Mars/Olympus_Mons" in page.zone_error.text() and "IANA" in page.zone_error.text()
        assert await service.get_property("timeZoneForExpirationEvents") == "UTC"

        page.zone_combo.lineEdit().clear()
        qtbot.keyClicks(page.zone_combo.lineEdit(), "Asia/Kolkata")
        qtbot.keyClick(page.zone_combo.lineEdit(), Qt.Key.Key_Return)  # also closes the completer
        await gui_env.until(lambda: not page.zone_error.isVisible() and not page.apply_zone_button.isEnabled())
        assert await service.get_property("timeZoneForExpirationEvents") == "Asia/Kolkata"
        assert not page.zone_combo.completer().popup().isVisible()

        box = page.private_check  # click its box: the widget is stretched wider than its text
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
        await gui_env.until(lambda: page.banner.kind == "success" and "allowed" in page.banner.text())
        assert await service.get_property("allowPrivateEndpoints") is True

        await service.set_property("allowPrivateEndpoints", False)  # e.g. from the CLI
        await gui_env.until(lambda: not page.private_check.isChecked())

    gui_env.run(body())


def test_database_location_delivery_services_and_the_rest_api_spot(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        location = gui_env.service.db.display_location
        assert page.location_edit.text() == location and page.location_edit.isReadOnly()
        qtbot.mouseClick(page.copy_location_button, Qt.MouseButton.LeftButton)
        assert QGuiApplication.clipboard().text() == location

        await gui_env.until(lambda: page.services_table.rowCount() == 1)  # the test's own engine
        assert page.services_table.item(0, 1).text() == "gui"
        assert "in progress" in page.status_label.text()
        api = page.findChild(QGroupBox, "restApiGroup")
        assert api.title() == "Local REST API" and "arrives with the REST API" in page.rest_api_label.text()
        assert await gui_env.service.list_webhooks() == []

    gui_env.run(body())
