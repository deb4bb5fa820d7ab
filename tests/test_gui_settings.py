"""The Settings page: properties written through the service, its errors shown, live status."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QGroupBox, QMessageBox

from emswebhook_gui.gui.settings.page import SettingsPage
from tests.support.gui import shown
from tests.support.waiting import until


def _page(gui_env, qtbot) -> SettingsPage:
    return shown(SettingsPage(gui_env.bridge), qtbot, 900, 800)


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
        assert "<b>0 notifications</b> in progress" in page.status_label.text()
        assert "1 live delivery service" in page.status_label.text()
        assert "(s)" not in page.status_label.text()
        api = page.findChild(QGroupBox, "restApiGroup")
        assert api.title() == "Local REST API" and "Not running" in page.rest_api.status_label.text()
        assert await gui_env.service.list_webhooks() == []

    gui_env.run(body())


def test_rest_api_port_and_token_never_shown(gui_env, qtbot):
    from emswebhook_gui.api.server import start_api

    async def body():
        gui_env.bridge.api_server = await start_api(gui_env.service, "127.0.0.1", 0)
        try:
            page = _page(gui_env, qtbot)
            group = page.rest_api
            assert gui_env.bridge.api_server.url in group.status_label.text()
            await gui_env.until(lambda: group.port_spin.value() == 8477)
            group.port_spin.setValue(9123)
            qtbot.mouseClick(group.apply_port_button, Qt.MouseButton.LeftButton)

            async def port_saved() -> bool:
                return await gui_env.service.get_property("apiPort") == 9123

            await until(port_saved)
            assert group.port_error.isHidden()

            token = await gui_env.service.api_token()
            assert token not in group.token_edit.text()
            qtbot.mouseClick(group.copy_token_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: QGuiApplication.clipboard().text() == token)
            qtbot.mouseClick(group.rotate_token_button, Qt.MouseButton.LeftButton)
            box = group.confirm_box
            qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: "Rotated" in group.token_message.text())
            assert await gui_env.service.api_token() != token
        finally:
            await gui_env.bridge.api_server.stop()

    gui_env.run(body())


def test_the_proxy_in_effect_and_where_it_came_from_are_shown(gui_env, qtbot, monkeypatch):
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://egress.corp:3128")
    page = _page(gui_env, qtbot)

    async def body():
        await gui_env.until(lambda: "egress.corp" in page.proxy_label.text())
        assert page.proxy_label.text().splitlines() == [
            "https endpoints: http://egress.corp:3128 (from environment HTTPS_PROXY)",
            "http endpoints: direct (no proxy)"]
        await gui_env.service.set_property("httpProxy", "http://proxy.corp:8080")  # e.g. from the CLI
        await gui_env.until(lambda: "property httpProxy" in page.proxy_label.text())
        assert "https endpoints: http://proxy.corp:8080 (from property httpProxy)" in page.proxy_label.text()

    gui_env.run(body())
