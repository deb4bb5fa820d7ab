"""The Authentication Profiles page and the profile form, against the real service and a real
OAuth token endpoint on loopback."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QWidget

from emswebhook_gui.gui.profiles.form import ProfileForm
from emswebhook_gui.gui.profiles.page import ProfilesPage, ProfileTableModel
from emswebhook_gui.gui.widgets.record_table import RECORD_ROLE
from tests.support.gui import shown
from tests.support.receiver import TokenServer

PASSWORD = "pa55-Word-never-shown"  # keyClicks types ASCII only


def _page(gui_env, qtbot) -> ProfilesPage:
    return shown(ProfilesPage(gui_env.bridge), qtbot, 900, 600)


def _form(gui_env, host: QWidget, profile: dict | None = None) -> ProfileForm:
    form = ProfileForm(gui_env.bridge, profile, host)
    form.open()
    return form


def _all_text(widget: QWidget) -> str:
    texts = [w.text() for w in widget.findChildren(QLineEdit)]
    texts += [w.text() for w in widget.findChildren(QLabel)] + [w.text() for w in widget.findChildren(QAbstractButton)]
    texts += [w.toPlainText() for w in widget.findChildren(QPlainTextEdit)]
    return "\n".join(texts)


def test_basic_profile_secret_never_comes_back_and_empty_keeps_it(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        await gui_env.until(lambda: page.stack.currentWidget() is page.empty_state)
        page.add_action.trigger()
        form = page.form
        assert form.basic_radio.isChecked() and not form.save_button.isEnabled()
        qtbot.keyClicks(form.name_edit, "CRM")
        qtbot.keyClicks(form.username_edit, "crm-user")
        assert not form.save_button.isEnabled()  # a new profile needs its password
        qtbot.keyClicks(form.password_edit, PASSWORD)
        assert form.password_edit.echoMode() == QLineEdit.EchoMode.Password
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.model.rowCount() == 1)

        profile = (await gui_env.service.list_profiles())[0]
        assert await gui_env.service.profile_secret(profile["id"]) == PASSWORD
        model = page.model
        stored = [model.data(model.index(r, c), role) for r in range(model.rowCount())
                  for c in range(model.columnCount()) for role in (Qt.ItemDataRole.DisplayRole,
                                                                   Qt.ItemDataRole.ToolTipRole, RECORD_ROLE)]
        assert PASSWORD not in repr(stored)

        page.select(profile["id"])
        page.edit_action.trigger()
        edit = page.form
        assert edit.password_edit.text() == ""
        assert "keep the stored" in edit.password_edit.placeholderText()
        assert PASSWORD not in _all_text(edit) and PASSWORD not in _all_text(page)
        assert edit.save_button.isEnabled()  # an empty secret keeps the stored one
        edit.username_edit.setText("crm-user-2")
        qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.model.rowCount() == 1 and page.model.record(0)["username"] == "crm-user-2")
        assert await gui_env.service.profile_secret(profile["id"]) == PASSWORD

    gui_env.run(body())


def test_a_profile_in_use_cannot_be_deleted_and_the_message_names_the_webhook(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        service = gui_env.service
        used = await service.create_profile({"name": "Used", "type": "basic", "username": "u", "password": "p"})
        spare = await service.create_profile({"name": "Spare", "type": "basic", "username": "u", "password": "p"})
        await service.create_webhook({"name": "Orders hook", "event": "Customer Added", "authProfile": "Used",
                                      "endpointUrl": "https://hooks.example.com/x"})
        await gui_env.until(lambda: page.model.rowCount() == 2
                            and page.model.record(page.model.row_of(used["id"]))["usedBy"] == ["Orders hook"])

        page.select(used["id"])
        page.delete_action.trigger()
        qtbot.mouseClick(page.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.banner.kind == "error")
        assert "Orders hook" in page.banner.text()
        assert len(await service.list_profiles()) == 2

        page.select(spare["id"])
        page.delete_action.trigger()
        qtbot.mouseClick(page.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.model.rowCount() == 1)
        assert [p["name"] for p in await service.list_profiles()] == ["Used"]

    gui_env.run(body())


def test_oauth_test_reports_success_and_the_exact_failure(gui_env, qtbot, host):
    async def body():
        await gui_env.service.set_property("allowPrivateEndpoints", True)
        async with TokenServer(client_id="client-1", client_secret="right") as tokens:
            form = _form(gui_env, host)
            qtbot.mouseClick(form.oauth_radio, Qt.MouseButton.LeftButton)
            assert form.oauth_box.isVisible() and not form.basic_box.isVisible()
            qtbot.keyClicks(form.name_edit, "ERP")
            qtbot.keyClicks(form.token_url_edit, tokens.url)
            qtbot.keyClicks(form.client_id_edit, "client-1")
            qtbot.keyClicks(form.client_secret_edit, "wrong")
            qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: form.test_result.isVisible() and form.test_button.text() == "Test token")
            assert "401" in form.test_result.text() and "check the client id and secret" in form.test_result.text()
            assert form.test_result.text().startswith("✗")

            form.client_secret_edit.clear()
            qtbot.keyClicks(form.client_secret_edit, "right")
            qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: form.test_result.text().startswith("✓"))
            assert form.test_result.text() == f"✓ Token obtained; expires in {tokens.expires_in} s"
            assert "tok-" not in form.test_result.text()

            done = []
            form.sig_saved.connect(done.append)
            qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: done)  # the dialog closes and deletes itself
            saved = (await gui_env.service.list_profiles())[0]
            assert done[0] == saved
            assert (saved["type"], saved["clientId"], saved["tokenUrl"]) == ("oauth", "client-1", tokens.url)

            edit = _form(gui_env, host, saved)  # the stored secret serves the test when left empty
            assert edit.oauth_radio.isChecked() and edit.client_secret_edit.text() == ""
            qtbot.mouseClick(edit.test_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: edit.test_result.text().startswith("✓"))
            assert len(tokens.issued) == 2

    gui_env.run(body())


def test_profile_field_errors_come_from_the_service(gui_env, qtbot, host):
    async def body():
        await gui_env.service.create_profile({"name": "Taken", "type": "basic", "username": "u", "password": "p"})
        form = _form(gui_env, host)
        qtbot.mouseClick(form.oauth_radio, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(form.name_edit, "taken")
        qtbot.keyClicks(form.token_url_edit, "ftp://login.example.com/token")
        qtbot.keyClicks(form.client_id_edit, "id")
        qtbot.keyClicks(form.client_secret_edit, "s")
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: form.errors.message("tokenUrl"))
        assert "http://" in form.errors.message("tokenUrl")
        assert form.isVisible()
        assert [p["name"] for p in await gui_env.service.list_profiles()] == ["Taken"]

    gui_env.run(body())


def test_profile_table_model_passes_the_model_tester(qtmodeltester):
    model = ProfileTableModel()
    qtmodeltester.check(model)
    model.set_records([
        {"id": "1", "name": "B", "type": "basic", "username": "u", "usedBy": ["W1", "W2"]},
        {"id": "2", "name": "O", "type": "oauth", "clientId": "c", "tokenUrl": "https://x/t", "usedBy": []},
    ])
    qtmodeltester.check(model)
    assert model.data(model.index(0, 4)) == "W1, W2"
    assert model.data(model.index(1, 2)) == "c"


def test_test_token_on_the_page_finds_a_saved_profile_that_looks_healthy_but_is_misconfigured(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        service = gui_env.service
        await service.set_property("allowPrivateEndpoints", True)
        async with TokenServer(client_id="client-1", client_secret="right") as tokens:
            oauth = await service.create_profile({"name": "IdP", "type": "oauth", "tokenUrl": tokens.url,
                                                  "clientId": "client-1", "clientSecret": "wrong"})
            basic = await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "p"})
            await gui_env.until(lambda: page.model.rowCount() == 2)
            page.select(basic["id"])
            assert not page.test_action.isEnabled() and "Only OAuth" in page.test_action.toolTip()

            page.select(oauth["id"])
            assert page.test_action.isEnabled()
            page.test_action.trigger()
            await gui_env.until(lambda: page.test_result.isVisible())
            text = page.test_result.text()
            assert text.startswith("✗") and "401" in text and "invalid_client" in text
            assert "check the client id and secret" in text
            assert page.test_result.geometry().left() > page.toolbar.geometry().right()  # next to the button

            await service.update_profile(oauth["id"], {"clientSecret": "right"})
            page.test_action.trigger()
            await gui_env.until(lambda: page.test_result.text().startswith("✓"))
            assert page.test_result.text() == "✓ Token obtained; expires in 3600 s"
            assert page.test_action.text() == "Test token" and len(tokens.issued) == 1

            page.select(basic["id"])
            assert not page.test_result.isVisible()  # the outcome belongs to the profile tested

    gui_env.run(body())


def test_a_refused_save_focuses_the_field_in_error_and_changes_are_never_lost_silently(gui_env, qtbot, host):
    async def body():
        await gui_env.service.create_profile({"name": "Taken", "type": "basic", "username": "u", "password": "p"})
        form = _form(gui_env, host)
        qtbot.waitActive(form)
        qtbot.keyClicks(form.name_edit, "taken")
        qtbot.keyClicks(form.username_edit, "user")
        qtbot.keyClicks(form.password_edit, "pw")
        form.save_button.setFocus()
        qtbot.keyClick(form.save_button, Qt.Key.Key_Space)  # Save pressed, as with the mouse
        await gui_env.until(lambda: form.errors.message("name"))
        assert "already exists" in form.errors.message("name")
        assert form.focusWidget() is form.name_edit  # not Cancel, where Enter would close the form
        cancel = form.buttons.button(form.buttons.StandardButton.Cancel)
        assert form.save_button.isDefault() and not cancel.autoDefault()

        cancel.setFocus()
        qtbot.keyClick(cancel, Qt.Key.Key_Return)  # Enter on a focused Cancel saves, it never discards
        await gui_env.settle()
        await gui_env.until(lambda: form.errors.message("name") and form.save_button.isEnabled())
        assert form.isVisible() and form.discard_box is None

        qtbot.keyClick(form.name_edit, Qt.Key.Key_Escape)
        box = form.discard_box
        assert box is not None and box.isVisible() and box.text() == "Discard changes?"
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Keep editing
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        assert form.isVisible() and form.name_edit.text() == "taken"
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(form.discard_box.button(QMessageBox.StandardButton.Discard), Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: not shiboken6.isValid(form) or not form.isVisible())
        assert [p["name"] for p in await gui_env.service.list_profiles()] == ["Taken"]

        unchanged = _form(gui_env, host, (await gui_env.service.list_profiles())[0])
        qtbot.waitActive(unchanged)
        unchanged.username_edit.setText("other")
        unchanged.username_edit.setText("u")  # changed and changed back: nothing to lose
        qtbot.keyClick(unchanged.name_edit, Qt.Key.Key_Escape)
        assert unchanged.discard_box is None
        await gui_env.until(lambda: not shiboken6.isValid(unchanged) or not unchanged.isVisible())

    gui_env.run(body())
