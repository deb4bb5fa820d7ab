"""The Webhooks page and the webhook form, against the real service, engine and SQLite file."""

from __future__ import annotations

import json

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from emswebhook_gui import catalog
from emswebhook_gui.gui.profiles.page import ProfilesPage
from emswebhook_gui.gui.webhooks.form import WebhookForm
from emswebhook_gui.gui.webhooks.page import WebhooksPage
from emswebhook_gui.gui.webhooks.table_model import FAILING, LAST_DELIVERY, WebhookTableModel
from tests.support.gui import shown
from tests.support.receiver import Answer, Receiver

PROFILE = {"name": "CRM", "type": "basic", "username": "crm", "password": "pw-1"}


def _webhook(**fields) -> dict:
    return {"name": "Hook", "event": "Entitlement Added", "authProfile": "CRM",
            "endpointUrl": "https://hooks.example.com/ems", **fields}


def _page(gui_env, qtbot) -> WebhooksPage:
    return shown(WebhooksPage(gui_env.bridge), qtbot, 1000, 700)


def _form(gui_env, host: QWidget, webhook: dict | None = None) -> WebhookForm:
    form = WebhookForm(gui_env.bridge, webhook, host)
    form.open()
    return form


def test_profile_and_webhook_created_through_the_forms(gui_env, qtbot):
    page = _page(gui_env, qtbot)
    profiles_page = ProfilesPage(gui_env.bridge)
    qtbot.addWidget(profiles_page)

    async def body():
        await gui_env.until(lambda: page.stack.currentWidget() is page.empty_state)
        page.add_action.trigger()
        form = page.form
        await gui_env.until(form.isVisible)

        qtbot.mouseClick(form.add_profile_button, Qt.MouseButton.LeftButton)
        profile_form = form.profile_form
        qtbot.keyClicks(profile_form.name_edit, "CRM basic")
        qtbot.keyClicks(profile_form.username_edit, "crm-user")
        qtbot.keyClicks(profile_form.password_edit, "s3cret")
        qtbot.mouseClick(profile_form.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: form.profile_combo.currentText() == "CRM basic")

        qtbot.keyClicks(form.event_combo.lineEdit(), "Entitlement Added")
        qtbot.keyClicks(form.name_edit, "New entitlements")
        qtbot.keyClicks(form.url_edit, "https://hooks.example.com/ems")
        form.activity_list.item(0).setCheckState(Qt.CheckState.Checked)
        assert form.save_button.isEnabled()
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

        await gui_env.until(lambda: page.model.rowCount() == 1)
        await gui_env.until(lambda: profiles_page.model.rowCount() == 1
                            and profiles_page.model.record(0)["usedBy"] == ["New entitlements"])
        webhooks = await gui_env.service.list_webhooks()
        assert [(w["name"], w["event"], w["authProfile"], w["activities"], w["includeData"], w["enabled"])
                for w in webhooks] == [("New entitlements", "Entitlement Added", "CRM basic",
                                        [catalog.get_event("Entitlement Added").activities[0]], True, True)]
        assert page.model.record(0)["name"] == "New entitlements"
        assert page.stack.currentWidget() is not page.empty_state
        assert await gui_env.service.profile_secret(webhooks[0]["authProfileId"]) == "s3cret"

    gui_env.run(body())


def test_name_too_long_shows_the_service_error_next_to_name_and_creates_nothing(gui_env, qtbot, host):
    async def body():
        await gui_env.service.create_profile(PROFILE)
        form = _form(gui_env, host)
        saved = []
        form.sig_saved.connect(saved.append)
        await gui_env.until(lambda: form.profile_combo.count() == 1)
        form.profile_combo.setCurrentIndex(0)
        form.event_combo.set_event_name("Customer Added")
        qtbot.keyClicks(form.name_edit, "n" * 101)
        qtbot.keyClicks(form.url_edit, "https://hooks.example.com/ems")
        qtbot.waitActive(form)
        form.save_button.setFocus()
        qtbot.keyClick(form.save_button, Qt.Key.Key_Space)  # Save pressed: the busy Save loses the focus

        await gui_env.until(lambda: form.errors.message("name"))
        assert "101 characters" in form.errors.message("name")
        assert "at most 100" in form.errors.message("name")
        assert form.errors.message("endpointUrl") == ""
        assert form.isVisible() and not saved
        assert await gui_env.service.list_webhooks() == []
        assert form.focusWidget() is form.name_edit  # the field in error, never Cancel
        qtbot.keyClick(form.name_edit, Qt.Key.Key_Return)  # Enter saves again: refused again, nothing lost
        await gui_env.settle()
        await gui_env.until(lambda: form.errors.message("name") and form.save_button.isEnabled())
        assert form.isVisible() and form.name_edit.text() == "n" * 101

        qtbot.keyClick(form.name_edit, Qt.Key.Key_Escape)
        assert form.discard_box.isVisible() and "not saved" in form.discard_box.informativeText()
        qtbot.keyClick(form.discard_box, Qt.Key.Key_Escape)  # Esc on the question keeps editing
        assert form.discard_box is None and form.isVisible()
        form.close()  # the window's close button asks too
        assert form.discard_box is not None and form.isVisible()
        qtbot.mouseClick(form.discard_box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)

        qtbot.keyClick(form.name_edit, Qt.Key.Key_Backspace)
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: saved)
        assert [w["name"] for w in await gui_env.service.list_webhooks()] == ["n" * 100]

    gui_env.run(body())


def test_event_change_resets_activities_and_conditions_follow_the_event(gui_env, qtbot, host):
    async def body():
        form = _form(gui_env, host)
        assert not form.activity_list.isEnabled() and not form.condition_button.isEnabled()
        qtbot.keyClicks(form.event_combo.lineEdit(), "Entitlement Added")
        assert form.activity_list.activities() == list(catalog.get_event("Entitlement Added").activities)
        assert "every activity" in form.activities_hint.text()
        form.activity_list.item(1).setCheckState(Qt.CheckState.Checked)
        assert form.activity_list.checked() == [catalog.get_event("Entitlement Added").activities[1]]
        assert form.activities_hint.text().startswith("1 of ")

        form.event_combo.set_event_name("Customer Added")
        assert form.activity_list.activities() == list(catalog.get_event("Customer Added").activities)
        assert form.activity_list.checked() == []

        enabled = set()
        for event in catalog.events():
            form.event_combo.set_event_name(event.name)
            if form.condition_button.isEnabled():
                enabled.add(event.name)
        assert enabled == {"Entitlement Added", "Entitlement Updated", "Activation Added", "Activation Updated"}

        form.event_combo.setEditText("Entitlement Add")  # not (yet) an event: nothing to save
        qtbot.keyClicks(form.event_combo.lineEdit(), "x")
        assert form.event_combo.event_name() == "" and not form.save_button.isEnabled()
        assert await gui_env.service.list_webhooks() == []

    gui_env.run(body())


def test_trigger_condition_comes_from_the_condition_dialog_and_is_saved(gui_env, qtbot, host):
    from emswebhook_gui.gui.conditions.dialog import ConditionDialog

    async def body():
        await gui_env.service.create_profile(PROFILE)
        expression = "(entitlement.state == 'ENABLE')"
        created = await gui_env.service.create_webhook(_webhook(triggerCondition=expression))
        form = _form(gui_env, host, created)
        assert form.condition_edit.toPlainText() == expression and form.condition_edit.isReadOnly()
        qtbot.mouseClick(form.condition_button, Qt.MouseButton.LeftButton)
        dialog = form.condition_dialog
        assert isinstance(dialog, ConditionDialog) and dialog.isVisible()
        assert dialog.expression() == expression

        changed = "(entitlement.customer.name == 'Sam Smith')"
        dialog.sig_saved.emit(changed)  # what its Save does, before it closes
        dialog.accept()
        assert form.condition_edit.toPlainText() == changed
        saved = []
        form.sig_saved.connect(saved.append)
        await gui_env.until(lambda: form.profile_combo.currentText() == "CRM")
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: saved)
        assert (await gui_env.service.get_webhook(created["id"]))["triggerCondition"] == changed

        form = _form(gui_env, host, saved[0])
        qtbot.mouseClick(form.clear_condition_button, Qt.MouseButton.LeftButton)
        assert form.condition_edit.toPlainText() == "" and not form.clear_condition_button.isEnabled()
        form.sig_saved.connect(saved.append)
        await gui_env.until(lambda: form.profile_combo.currentText() == "CRM")
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: len(saved) == 2)
        assert (await gui_env.service.get_webhook(created["id"]))["triggerCondition"] is None

    gui_env.run(body())


def test_edit_enable_disable_and_delete_with_confirmation(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        await gui_env.service.create_profile(PROFILE)
        created = await gui_env.service.create_webhook(_webhook())
        await gui_env.until(lambda: page.model.rowCount() == 1)
        assert page.select(created["id"])

        page.edit_action.trigger()
        form = page.form
        assert form.name_edit.text() == "Hook" and form.event_combo.event_name() == "Entitlement Added"
        await gui_env.until(lambda: form.profile_combo.currentText() == "CRM")
        form.url_edit.clear()
        qtbot.keyClicks(form.url_edit, "https://hooks.example.com/v2")
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.selected_webhook()["endpointUrl"] == "https://hooks.example.com/v2")

        assert page.toggle_action.text() == "Disable"
        page.toggle_action.trigger()
        await gui_env.until(lambda: page.selected_webhook() and not page.selected_webhook()["enabled"])
        assert not (await gui_env.service.get_webhook(created["id"]))["enabled"]
        assert page.toggle_action.text() == "Enable"
        page.toggle_action.trigger()
        await gui_env.until(lambda: page.selected_webhook() and page.selected_webhook()["enabled"])

        page.delete_action.trigger()
        box = page.confirm_box
        assert box.isVisible() and "Hook" in box.text()
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        page.delete_action.trigger()
        qtbot.mouseClick(page.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.stack.currentWidget() is page.empty_state)
        assert await gui_env.service.list_webhooks() == []
        assert "Deleted webhook 'Hook'" in page.banner.text()

    gui_env.run(body())


def _send_test(page, qtbot):
    """Send test event with the sample state as offered."""
    page.test_action.trigger()
    dialog = page.test_dialog
    assert dialog.isVisible() and json.loads(dialog.state_edit.toPlainText())
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    return dialog


def test_send_test_event_reaches_a_loopback_receiver_and_says_why_not(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        service = gui_env.service
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile(PROFILE)
        async with Receiver() as receiver:
            hook = await service.create_webhook(_webhook(endpointUrl=receiver.url()))
            picky = await service.create_webhook(_webhook(name="Picky", endpointUrl=receiver.url(),
                                                          triggerCondition="entitlement.state == 'NOPE'"))
            off = await service.create_webhook(_webhook(name="Off", endpointUrl=receiver.url(), enabled=False))
            await gui_env.until(lambda: page.model.rowCount() == 3)

            page.select(hook["id"])
            _send_test(page, qtbot)
            await gui_env.until(lambda: "Sent: eventId" in page.banner.text())
            assert "Event Deliveries" in page.banner.text()
            await gui_env.until(lambda: receiver.requests)
            event_id = json.loads(receiver.requests[0].body)["eventId"]
            assert event_id in page.banner.text()
            row = page.model.row_of(hook["id"])
            await gui_env.until(lambda: page.model.record(row)[LAST_DELIVERY]
                                and page.model.record(row)[LAST_DELIVERY]["status"] == "SUCCESSFUL")

            page.select(off["id"])
            _send_test(page, qtbot)
            await gui_env.until(lambda: "disabled" in page.banner.text())
            page.select(picky["id"])
            _send_test(page, qtbot)
            await gui_env.until(lambda: "trigger condition" in page.banner.text())
            assert "entitlement.state == 'NOPE'" in page.banner.text()
            assert page.condition_view.toPlainText() == "entitlement.state == 'NOPE'"
            assert len(receiver.requests) == 1

    gui_env.run(body())


def test_send_test_event_sends_the_edited_state_and_refuses_invalid_json_with_its_place(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        service = gui_env.service
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile(PROFILE)
        async with Receiver() as receiver:
            hook = await service.create_webhook(_webhook(
                event="Activation Updated", endpointUrl=receiver.url(),
                activities=["Update Activation", "Mark as Revoked"],
                triggerCondition="activation.customer.name == 'Ada Lovelace'"))
            await gui_env.until(lambda: page.model.rowCount() == 1)
            page.select(hook["id"])
            page.test_action.trigger()
            dialog = page.test_dialog
            qtbot.waitActive(dialog)
            sample = json.loads(dialog.state_edit.toPlainText())
            assert sample["activation"]["customer"]["name"] == "Sam Smith"  # the catalogue's sample
            assert [dialog.activity_combo.itemText(i) for i in range(dialog.activity_combo.count())] == [
                "Update Activation", "Mark as Revoked"]  # what the webhook listens to

            edited = json.loads(dialog.state_edit.toPlainText())
            edited["activation"]["customer"]["name"] = "Ada Lovelace"
            text = json.dumps(edited, indent=2)
            broken = text.replace('"state": "ENABLE",', '"state": "ENABLE",,')
            dialog.state_edit.setPlainText(broken)
            qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: dialog.errors.message("currentState"))
            message = dialog.errors.message("currentState")
            line = next(i for i, t in enumerate(broken.splitlines(), 1) if ",," in t)
            assert "not valid JSON" in message and f"line {line} column" in message
            assert dialog.state_edit.textCursor().blockNumber() == line - 1  # the cursor is put there
            assert dialog.focusWidget() is dialog.state_edit and dialog.isVisible()
            await gui_env.settle()
            assert await service.count_notifications() == 0 and not receiver.requests

            qtbot.keyClick(dialog.state_edit, Qt.Key.Key_Escape)  # edits: asks first
            qtbot.mouseClick(dialog.discard_box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
            dialog.state_edit.setPlainText(text)
            dialog.activity_combo.setCurrentText("Mark as Revoked")
            qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: "Sent: eventId" in page.banner.text())
            await gui_env.until(lambda: receiver.requests)
            body = json.loads(receiver.requests[0].body)
            assert body["activityName"] == "Mark as Revoked" and body["entityId"] == edited["activation"]["id"]
            assert json.loads(body["currentState"]) == edited  # the state as edited arrived

            page.test_action.trigger()
            again = page.test_dialog
            again.state_edit.setPlainText("{}")
            qtbot.mouseClick(again.reset_button, Qt.MouseButton.LeftButton)
            assert json.loads(again.state_edit.toPlainText()) == sample
            qtbot.keyClick(again.state_edit, Qt.Key.Key_Escape)  # back to the sample: nothing to lose
            assert again.discard_box is None

    gui_env.run(body())


def test_a_closed_page_ignores_late_broadcasts_and_results(gui_env, qtbot):
    page = WebhooksPage(gui_env.bridge)
    page.refresh()  # a service call still running when the page goes away

    async def body():
        page.deleteLater()
        await gui_env.until(lambda: not shiboken6.isValid(page))
        await gui_env.service.create_profile(PROFILE)
        await gui_env.service.create_webhook(_webhook())
        gui_env.bridge.sig_notifications_changed.emit()
        assert len(await gui_env.service.list_webhooks()) == 1  # no slot raised meanwhile

    gui_env.run(body())


def test_webhook_table_model_passes_the_model_tester(qtmodeltester):
    model = WebhookTableModel()
    qtmodeltester.check(model)
    webhooks = [
        {"id": f"id-{i}", "name": f"Hook {i}", "event": "Customer Added", "entityName": "Customer",
         "endpointUrl": "https://hooks.example.com/x", "authProfile": "P", "enabled": i % 2 == 0,
         "triggerCondition": None if i else "customer.name == 'x'", "description": None}
        for i in range(3)
    ]
    model.set_records(webhooks)
    model.set_last_deliveries({"id-0": {"status": "FAILED", "lastStatusCode": 500, "eventId": "e",
                                        "updatedAt": "2026-01-02T03:04:05.000Z", "attempts": 4},
                               "id-1": None}, {"id-0": 15, "gone": 2})
    model.set_records(webhooks + [{"id": "broken"}])  # a surprising record renders, never raises
    qtmodeltester.check(model)
    assert model.data(model.index(0, model.LAST_DELIVERY_COLUMN)).startswith("Failed (HTTP 500) · 15 failed · ")
    assert model.data(model.index(1, model.LAST_DELIVERY_COLUMN)) == "Never"
    assert model.data(model.index(2, model.LAST_DELIVERY_COLUMN)) == "…"
    assert model.data(model.index(3, 0)) == "⚠ unreadable"


def test_an_unchanged_form_closes_at_once_and_a_changed_one_asks(gui_env, qtbot, host):
    async def body():
        await gui_env.service.create_profile(PROFILE)
        created = await gui_env.service.create_webhook(_webhook(activities=["Add Entitlement"]))
        form = _form(gui_env, host, created)
        await gui_env.until(lambda: form.profile_combo.currentText() == "CRM")  # loading is no change
        qtbot.mouseClick(form.buttons.button(form.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        assert form.discard_box is None
        await gui_env.until(lambda: not shiboken6.isValid(form) or not form.isVisible())

        form = _form(gui_env, host, created)
        await gui_env.until(lambda: form.profile_combo.currentText() == "CRM")
        form.activity_list.item(1).setCheckState(Qt.CheckState.Checked)
        form.reject()  # Esc and Cancel end here
        qtbot.mouseClick(form.discard_box.button(QMessageBox.StandardButton.Discard), Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: not shiboken6.isValid(form) or not form.isVisible())
        assert (await gui_env.service.get_webhook(created["id"]))["activities"] == ["Add Entitlement"]

    gui_env.run(body())


def test_activity_picker_filter_select_all_none_label_clicks_and_the_hint_below(gui_env, qtbot, host):
    async def body():
        form = _form(gui_env, host)
        qtbot.waitActive(form)
        form.event_combo.set_event_name("Entitlement Added")
        picker, activities = form.activity_picker, form.activity_list
        names = list(catalog.get_event("Entitlement Added").activities)
        await gui_env.until(lambda: activities.visualItemRect(activities.item(len(names) - 1)).height() > 0)
        last = activities.visualItemRect(activities.item(len(names) - 1))
        assert last.bottom() < activities.viewport().height()  # the last row is whole
        list_bottom = activities.mapTo(form, activities.rect().bottomLeft()).y()
        assert form.activities_hint.mapTo(form, form.activities_hint.rect().topLeft()).y() > list_bottom
        form.resize(form.width(), 200)  # dragged smaller: the dialog keeps room for every row
        await gui_env.until(lambda: form.layout().geometry().height() == form.height())
        assert form.height() >= form.layout().totalHeightForWidth(form.width())
        list_bottom = activities.mapTo(form, activities.rect().bottomLeft()).y()
        assert form.activities_hint.mapTo(form, form.activities_hint.rect().topLeft()).y() > list_bottom

        rect = activities.visualItemRect(activities.item(1))
        qtbot.mouseClick(activities.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # on the label
        assert activities.checked() == [names[1]]
        qtbot.mouseClick(activities.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert activities.checked() == []
        box = activities.style().subElementRect(activities.style().SubElement.SE_ItemViewItemCheckIndicator,
                                                _option(activities, 2), activities)
        qtbot.mouseClick(activities.viewport(), Qt.MouseButton.LeftButton, pos=box.center())  # on the box
        assert activities.checked() == [names[2]]  # toggled once, not twice

        qtbot.keyClicks(picker.filter_edit, "ENTITLEMENT add")  # words in any order, any case
        shown = [n for row, n in enumerate(names) if not activities.isRowHidden(row)]
        assert shown == [n for n in names if "add" in n.lower() and "entitlement" in n.lower()]
        assert names[2] in shown and len(shown) < len(names)
        qtbot.mouseClick(picker.select_all_button, Qt.MouseButton.LeftButton)
        assert activities.checked() == shown  # only those shown
        picker.filter_edit.clear()
        qtbot.mouseClick(picker.select_none_button, Qt.MouseButton.LeftButton)
        assert activities.checked() == []
        qtbot.mouseClick(picker.select_all_button, Qt.MouseButton.LeftButton)
        assert activities.checked() == names and form.activities_hint.text().startswith(f"{len(names)} of")
        qtbot.keyClicks(picker.filter_edit, "zzz")
        assert "No activity matches" in form.activities_hint.text()

    gui_env.run(body())


def _option(view, row: int):
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    index = view.model().index(row, 0)
    option.rect = view.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    view.itemDelegate().initStyleOption(option, index)
    return option


def test_event_search_matches_words_in_any_order(gui_env, qtbot, host):
    async def body():
        form = _form(gui_env, host)
        qtbot.waitActive(form)
        qtbot.keyClicks(form.event_combo.lineEdit(), "activ upd")
        assert form.event_combo.matching_events() == ["Activation Updated"]
        form.event_combo.lineEdit().clear()
        qtbot.keyClicks(form.event_combo.lineEdit(), "UPDATED entitle")
        assert form.event_combo.matching_events() == ["Entitlement Updated"]
        popup = form.event_combo.completer().popup()
        await gui_env.until(popup.isVisible)
        qtbot.keyClick(popup, Qt.Key.Key_Down)
        qtbot.keyClick(popup, Qt.Key.Key_Return)
        assert form.event_combo.event_name() == "Entitlement Updated"
        assert form.activity_list.count() == len(catalog.get_event("Entitlement Updated").activities)

    gui_env.run(body())


def test_last_delivery_shows_how_many_are_failing(gui_env, qtbot):
    page = _page(gui_env, qtbot)

    async def body():
        service = gui_env.service
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile(PROFILE)
        async with Receiver() as receiver:
            receiver.answer(Answer(status=500, body=b"boom"))
            hook = await service.create_webhook(_webhook(endpointUrl=receiver.url()))
            calm = await service.create_webhook(_webhook(name="Calm", endpointUrl=receiver.url()))
            for _ in range(3):
                await service.send_test_event(hook["id"])
            await gui_env.until(lambda: len(receiver.requests) == 3)  # each retrying in 5 minutes
            column = WebhookTableModel.LAST_DELIVERY_COLUMN
            # the table reloads on its own schedule: the webhook's row may not be there yet
            await gui_env.until(lambda: (page.model.record(page.model.row_of(hook["id"])) or {}).get(FAILING) == 3)
            row = page.model.row_of(hook["id"])
            text = page.model.data(page.model.index(row, column))
            assert text.startswith("In progress · 3 failed · ")
            assert page.model.data(page.model.index(row, column), Qt.ItemDataRole.ForegroundRole) is not None
            assert "3 notifications" in page.model.data(page.model.index(row, column), Qt.ItemDataRole.ToolTipRole)
            page.select(hook["id"])
            assert "Last delivery: In progress · 3 failed · " in page.details_label.text()
            calm_row = page.model.row_of(calm["id"])
            assert page.model.data(page.model.index(calm_row, column)) == "Never"

    gui_env.run(body())
