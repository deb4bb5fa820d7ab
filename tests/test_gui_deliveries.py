"""Event Deliveries: the lazy notification table, the filters, the details pane and the actions,
against the real service, delivery engine and a loopback receiver (the clock is a test clock, so
the retry schedule runs in milliseconds)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import update

from emswebhook_gui.gui.deliveries.details import diagnosis
from emswebhook_gui.gui.deliveries.payload_views import pretty_json
from emswebhook_gui.gui.deliveries.merge import merge_order
from emswebhook_gui.gui.deliveries.page import DeliveriesPage
from emswebhook_gui.gui.deliveries.rows import COLUMN, Row
from emswebhook_gui.gui.deliveries.table_model import PAGE_SIZE, STATUS_ROLE, NotificationTableModel
from emswebhook_gui.store.models import Notification
from tests.support.receiver import Receiver
from tests.support.waiting import until

from tests.support.deliveries_page import ENTITLEMENT, add_webhook, insert_rows


def statuses(page: DeliveriesPage) -> list[str]:
    model = page.model
    return [model.index(row, 0).data(STATUS_ROLE) for row in range(model.rowCount())]


async def make_failed(env, receiver: Receiver, count: int) -> list[str]:
    """Publish ``count`` notifications to a receiver answering 500 and run the clock through the
    whole automatic schedule, until every one is FAILED."""
    receiver.answer(status=500, body=b'{"error":"database unavailable"}')
    await add_webhook(env, "CRM sync", receiver.url())
    ids = []
    for number in range(count):
        ids += await env.service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                          "entityId": f"ENT-{number}", "currentState": ENTITLEMENT})

    async def all_failed() -> bool:
        if await env.service.count_notifications({"status": "FAILED"}) == count:
            return True
        env.clock.advance(minutes=41)  # past the next automatic attempt: the engine makes it now
        env.engine.wake()
        return False

    await until(all_failed, timeout=20)
    return ids


# -- the model -----------------------------------------------------------------------------------------


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_lazy_pages_pass_the_model_tester(env, make_page, qtmodeltester):
    async def body():
        await insert_rows(env, None, ["FAILED"] * 450)
        page = make_page()
        model = page.model
        await env.until(lambda: model.rowCount() == PAGE_SIZE)
        assert model.canFetchMore()
        qtmodeltester.check(model)  # Qt's own tester stays connected and checks every change
        await env.until(lambda: model.rowCount() >= 2 * PAGE_SIZE)  # the tester asked for a page
        model.fetchMore()
        await env.until(lambda: model.rowCount() == 450)
        assert not model.canFetchMore()
        model.fetchMore()
        await env.settle()  # a page asked for by mistake would have arrived by now
        assert model.rowCount() == 450
        assert len(set(model.event_id(row) for row in range(450))) == 450
        qtmodeltester.check(model, force_py=True)

    env.run(body())


def test_data_never_raises_and_renders_a_placeholder(env, monkeypatch):
    async def body():
        await insert_rows(env, None, ["FAILED"])
        model = NotificationTableModel(env.bridge)
        model.set_filters({})
        await env.until(lambda: model.rowCount() == 1)

        def broken(*_args):
            raise RuntimeError("a row that cannot be formatted")

        monkeypatch.setattr(Row, "texts", property(broken))
        monkeypatch.setattr(Row, "tooltip", broken)
        assert model.data(model.index(0, 0)) == "…"
        assert model.data(model.index(0, 1)) == "…"
        assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) is None

    env.run(body())


@given(st.lists(st.integers(0, 60), unique=True), st.lists(st.integers(0, 60), unique=True),
       st.sets(st.integers(0, 60)))
def test_merge_keeps_order_and_every_row(old, new, keep):
    old, new = sorted(old, reverse=True), sorted(new, reverse=True)  # newest first, as searched
    keep = {value for value in keep if value in old}
    merged = merge_order(old, new, keep)
    assert merged is not None
    assert set(merged) == set(new) | keep and len(merged) == len(set(merged))
    position = {value: index for index, value in enumerate(merged)}
    assert all(position[a] < position[b] for a, b in zip(new, new[1:]))
    kept_old = [value for value in old if value in position]
    assert all(position[a] < position[b] for a, b in zip(kept_old, kept_old[1:]))


# -- filters ----------------------------------------------------------------------------------------------


def test_filters_failed_first_then_all_webhook_and_event_id(env, make_page, qtbot):
    async def body():
        alpha, beta = await add_webhook(env, "Alpha"), await add_webhook(env, "Beta")
        await insert_rows(env, alpha, ["FAILED", "SUCCESSFUL", "FAILED", "SUCCESSFUL", "FAILED"])
        beta_ids = await insert_rows(env, beta, ["FAILED", "IN_PROGRESS", "FAILED"])
        page = make_page()
        assert page.filters.status_combo.currentText() == "Needs attention"
        await env.until(lambda: page.model.rowCount() == 6)  # FAILED, and IN_PROGRESS after a failed attempt
        assert sorted(statuses(page)) == ["FAILED"] * 5 + ["IN_PROGRESS"]
        await env.until(lambda: page.count_label.text() == "6 notifications need attention")

        page.filters.set_status("FAILED")
        await env.until(lambda: page.model.rowCount() == 5)
        assert set(statuses(page)) == {"FAILED"}
        await env.until(lambda: page.count_label.text() == "5 failed notifications")

        page.filters.set_status(None)
        await env.until(lambda: page.model.rowCount() == 8)
        assert set(statuses(page)) == {"FAILED", "SUCCESSFUL", "IN_PROGRESS"}

        await env.until(lambda: page.filters.webhook_combo.count() == 3)
        page.filters.webhook_combo.setCurrentIndex(page.filters.webhook_combo.findText("Beta"))
        await env.until(lambda: page.model.rowCount() == 3)
        assert {page.model.item(row)["webhookName"] for row in range(3)} == {"Beta"}

        qtbot.keyClicks(page.filters.event_id_edit, beta_ids[1])
        await env.until(lambda: page.model.rowCount() == 1)
        assert page.model.event_id(0) == beta_ids[1]

        page.filters.set_event_id(str(uuid.uuid4()))
        await env.until(lambda: page.model.rowCount() == 0)
        assert page.empty_label.isVisible()
        assert "No notifications match these filters" in page.empty_label.text()

        page.filters.reset()  # Needs attention, all webhooks, any time
        await env.until(lambda: page.model.rowCount() == 6 and not page.empty_label.isVisible())

        since = env.clock() + timedelta(minutes=1)  # after every row: an empty window
        page.filters.set_range(since, since + timedelta(hours=1))
        await env.until(lambda: page.model.rowCount() == 0)

    env.run(body())


def test_a_page_built_hidden_searches_when_first_shown(env, qtbot):
    """The main window builds every page at start-up; only the one shown may query."""
    async def body():
        await insert_rows(env, None, ["FAILED", "FAILED"])
        page = DeliveriesPage(env.bridge)
        qtbot.addWidget(page)
        for _ in range(2):  # one database worker: a search queued by the page ends before the second
            await env.service.count_notifications()
        assert not page.model.searched and page.model.rowCount() == 0
        page.show()
        await env.until(lambda: page.model.rowCount() == 2)
        await env.until(lambda: page.filters.webhook_combo.count() == 1)
        page.hide()
        await insert_rows(env, None, ["FAILED"])
        env.bridge.sig_notifications_changed.emit()
        page.show()  # shown again: the rows it missed arrive without a search of its own
        await env.until(lambda: page.model.rowCount() == 3)

    env.run(body())


def test_empty_state_says_nothing_needs_attention(env, make_page):
    async def body():
        page = make_page()
        await env.until(lambda: page.empty_label.isVisible())
        assert "Nothing needs attention" in page.empty_label.text()

    env.run(body())


def test_an_empty_failed_view_tells_how_many_are_retrying_and_shows_them(env, make_page, qtbot):
    """Defect: "No failed notifications — all deliveries succeeded" while 70 were retrying on 500."""
    async def body():
        webhook = await add_webhook(env, "Alpha")
        ids = await insert_rows(env, webhook, ["IN_PROGRESS"] * 3 + ["SUCCESSFUL"])

        def failing(session):  # retrying after a 500; the newest has the last word
            for number, event_id in enumerate(ids[:3]):
                session.execute(update(Notification).where(Notification.event_id == event_id).values(
                    last_status_code=500, last_error=f"HTTP 500 Internal Server Error #{number}"))
        await env.service.db.run(failing)
        page = make_page()
        await env.until(lambda: page.model.rowCount() == 3)  # "Needs attention" shows the retrying ones
        page.filters.set_status("FAILED")
        await env.until(lambda: "retrying" in page.empty_label.text())
        text = page.empty_label.text()
        assert "0 failed · 3 retrying (last error HTTP 500 Internal Server Error #2)" in text
        assert "all deliveries succeeded" not in text

        link = page.empty_label
        link.linkActivated.emit("show-retrying")  # what a click on "Show them" emits
        await env.until(lambda: page.model.rowCount() == 3 and not page.empty_label.isVisible())
        assert page.filters.status_combo.currentText() == "Needs attention"
        assert set(statuses(page)) == {"IN_PROGRESS"}

    env.run(body())


# -- details and actions against a real receiver -------------------------------------------------------------


def test_details_show_pretty_payload_and_every_attempt(env, make_page):
    async def body():
        async with Receiver() as receiver:
            [event_id] = await make_failed(env, receiver, 1)
        page = make_page()
        await env.until(lambda: page.model.rowCount() == 1)
        page.select_event(event_id)
        details = page.details
        await env.until(lambda: details.notification is not None)
        payload = details.notification["payload"]
        assert details.payload_view.toPlainText() == json.dumps(json.loads(payload), indent=2)
        assert json.loads(details.current_state_view.toPlainText()) == ENTITLEMENT
        assert "\n  " in details.current_state_view.toPlainText()  # pretty, not the compact string
        table = details.attempts_table
        assert table.rowCount() == 4
        for row in range(4):
            assert table.item(row, 3).text() == "500"
            assert table.item(row, 5).text() == "failed"
            assert table.item(row, 6).text() == "HTTP 500 Internal Server Error"
        assert details.tabs.tabText(0) == "Attempts (4)"
        assert "database unavailable" in details.inspector.exchange_view.toPlainText()
        assert details.error_frame.isVisibleTo(details)
        assert details.error_label.text() == "HTTP 500 Internal Server Error"
        assert "logs" in details.hint_label.text()
        assert details.event_id_label.text() == event_id
        details.copy_button.click()
        assert QGuiApplication.clipboard().text() == event_id

    env.run(body())


def test_retry_from_the_page_then_mark_another_successful(env, make_page):
    async def body():
        async with Receiver() as receiver:
            first, second = await make_failed(env, receiver, 2)
            receiver.answer(status=200, body=b"ok")
            page = make_page()
            await env.until(lambda: page.model.rowCount() == 2)

            assert page.select_event(first)
            await env.until(lambda: page.retry_action.isEnabled())
            sent = len(receiver.requests)
            page.retry_action.trigger()
            row = lambda: page.model.item(page.model.row_of(first)) or {}  # noqa: E731
            # the row stays in the FAILED view (pinned) and follows the new round to SUCCESSFUL,
            # and the page says how the retry went, next to the action
            await env.until(lambda: row().get("status") == "SUCCESSFUL")
            await env.until(lambda: page.status_label.text() == "Retried 1 notification: 1 delivered")
            assert page.status_label.isVisible()
            assert len(receiver.requests) == sent + 1
            assert json.loads(receiver.requests[-1].body)["eventId"] == first
            assert row()["attempts"] == 5
            await env.until(lambda: page.details.notification["status"] == "SUCCESSFUL")
            assert page.details.notification["attemptHistory"][-1]["kind"] == "manual"
            assert not page.retry_action.isEnabled()

            assert page.select_event(second)
            await env.until(lambda: page.mark_action.isEnabled())
            page.mark_action.trigger()
            box = page.confirm_box
            assert box is not None and box.isVisible()
            assert box.text() == "Mark 1 notification as successful?"
            box.button(QMessageBox.StandardButton.Ok).click()
            await env.until(lambda: page.status_label.text() == "Marked 1 notification as successful")
            await env.until(lambda: (page.model.item(page.model.row_of(second)) or {}).get("status") == "SUCCESSFUL")
            await env.until(lambda: (page.details.notification or {}).get("markedSuccessfulBy"))
            marked = page.details.fields["marked"]
            assert marked.isVisibleTo(page.details) and marked.text().startswith("by ")
            assert len(receiver.requests) == sent + 1  # marking sends nothing

    env.run(body())


def test_retry_is_disabled_with_a_reason_for_in_progress_and_successful(env, make_page):
    async def body():
        progressing, delivered = await insert_rows(env, None, ["IN_PROGRESS", "SUCCESSFUL"])
        page = make_page()
        page.filters.set_status(None)
        await env.until(lambda: page.model.rowCount() == 2)
        page.select_event(progressing)
        await env.until(lambda: page.selected_items() and page.selected_items()[0]["eventId"] == progressing)
        assert not page.retry_action.isEnabled() and not page.mark_action.isEnabled()
        assert "IN_PROGRESS" in page.retry_action.toolTip() and "pending" in page.retry_action.toolTip()
        page.select_event(delivered)
        assert not page.retry_action.isEnabled()
        assert "already SUCCESSFUL" in page.retry_action.toolTip()
        page.filters.set_status("IN_PROGRESS")
        await env.until(lambda: page.model.rowCount() == 1)
        assert not page.retry_all_action.isEnabled() and "only FAILED" in page.retry_all_action.toolTip()

    env.run(body())


def test_retry_all_matching_confirms_with_the_count(env, make_page):
    async def body():
        alpha, beta = await add_webhook(env, "Alpha"), await add_webhook(env, "Beta")
        await insert_rows(env, alpha, ["FAILED"] * 3 + ["SUCCESSFUL"])
        await insert_rows(env, beta, ["FAILED"] * 2)
        await env.service.set_webhook_enabled("Alpha", False)  # retried ones fail again at once: no network
        page = make_page()
        await env.until(lambda: page.model.rowCount() == 5 and page.filters.webhook_combo.count() == 3)
        page.filters.webhook_combo.setCurrentIndex(page.filters.webhook_combo.findData(alpha["id"]))
        await env.until(lambda: page.model.rowCount() == 3)
        page.retry_all_action.trigger()
        await env.until(lambda: page.confirm_box is not None)
        assert page.confirm_box.text() == "Retry 3 failed notifications?"
        assert "webhook 'Alpha (disabled)'" in page.confirm_box.informativeText()
        page.confirm_box.button(QMessageBox.StandardButton.Ok).click()
        await env.until(lambda: page.status_label.text().startswith("Retried 3 notifications"))
        await env.until(lambda: not page.report.active)
        assert page.status_label.text().startswith(
            "Retried 3 notifications: 3 failed again (webhook 'Alpha' is disabled; the notification")
        assert page.model.rowCount() == 3  # the retried rows stay in view, as after a single-row retry

        page.filters.webhook_combo.setCurrentIndex(page.filters.webhook_combo.findData(beta["id"]))
        await env.until(lambda: page.model.rowCount() == 2)
        page.mark_all_action.trigger()
        await env.until(lambda: page.confirm_box is not None)
        assert page.confirm_box.text() == "Mark 2 failed notifications as successful?"
        page.confirm_box.button(QMessageBox.StandardButton.Cancel).click()
        await env.until(lambda: page.confirm_box is None)
        await env.settle()  # a bulk action started by mistake would have answered by now
        assert await env.service.count_notifications({"status": "FAILED", "webhook": "Beta"}) == 2
        page.mark_all_action.trigger()
        await env.until(lambda: page.confirm_box is not None)
        page.confirm_box.button(QMessageBox.StandardButton.Ok).click()
        await env.until(lambda: page.status_label.text() == "Marked 2 notifications as successful")
        # the marked rows stay in view showing their new state, as after a single-row action, until the search changes
        await env.until(lambda: page.model.rowCount() == 2 and set(statuses(page)) == {"SUCCESSFUL"})
        page.filters.set_status("FAILED")
        await env.until(lambda: page.model.rowCount() == 0 and page.empty_label.isVisible())
        assert page.status_label.text() == "" and not page.status_label.isVisible()  # the old message went with it

    env.run(body())


def test_a_refused_retry_shows_the_service_message(env, make_page):
    async def body():
        [event_id] = await insert_rows(env, None, ["FAILED"])
        page = make_page()
        await env.until(lambda: page.model.rowCount() == 1)
        page.select_event(event_id)
        await env.until(lambda: page.retry_action.isEnabled())
        await env.service.retry_notifications(event_id=event_id)  # someone else was quicker
        page.retry_action.trigger()  # the table has not refreshed yet: it still says FAILED
        await env.until(lambda: page.status_label.text().startswith("Refused: "))
        assert "IN_PROGRESS" in page.status_label.text()

    env.run(body())


def test_live_updates_keep_the_selection_and_copy_copies_event_ids(env, make_page, qtbot):
    async def body():
        ids = await insert_rows(env, None, ["FAILED"] * 5)
        page = make_page()
        await env.until(lambda: page.model.rowCount() == 5)
        page.select_event(ids[2])
        qtbot.keyClick(page.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
        assert QGuiApplication.clipboard().text() == ids[2]
        newer = await insert_rows(env, None, ["FAILED"] * 2)
        env.bridge.sig_notifications_changed.emit()  # as the bridge does after a publish
        await env.until(lambda: page.model.rowCount() == 7)
        assert page.model.event_id(0) == newer[1] and page.model.event_id(1) == newer[0]
        assert [item["eventId"] for item in page.selected_items()] == [ids[2]]
        assert page.table.currentIndex().row() == page.model.row_of(ids[2])
        await env.service.mark_successful(event_id=ids[0])  # leaves the FAILED view
        await env.until(lambda: page.model.rowCount() == 6)
        assert page.model.row_of(ids[0]) == -1
        assert [item["eventId"] for item in page.selected_items()] == [ids[2]]

    env.run(body())


def test_rows_arriving_above_do_not_move_what_the_user_reads(env, make_page):
    async def body():
        await insert_rows(env, None, ["FAILED"] * 80)
        page = make_page()
        await env.until(lambda: page.model.rowCount() == 80)
        # the view lays rows out on an event of its own: only then is there anything to scroll
        await env.until(lambda: page.table.verticalScrollBar().maximum() > 0)
        page.table.scrollTo(page.model.index(40, 0), page.table.ScrollHint.PositionAtTop)
        await env.until(lambda: page.table.verticalScrollBar().value() > 0)
        top = page.model.event_id(page.table.rowAt(0))
        await insert_rows(env, None, ["FAILED"] * 3)
        env.bridge.sig_notifications_changed.emit()
        await env.until(lambda: page.model.rowCount() == 83)
        assert page.model.event_id(page.table.rowAt(0)) == top

    env.run(body())


def test_diagnosis_names_a_likely_cause():
    assert "authentication profile" in diagnosis("HTTP 401 Unauthorized", 401)
    assert "allowPrivateEndpoints" in diagnosis("endpoint address 127.0.0.1 is loopback; set allowPrivateEndpoints", None)
    assert "reached" in diagnosis("connection refused (127.0.0.1:9)", None)
    assert "Redirects" in diagnosis("redirect (302) to https://x not followed", 302)
    assert diagnosis(None, None) is None
    assert pretty_json('{"a":1}') == '{\n  "a": 1\n}' and pretty_json("not json") == "not json"
    assert COLUMN["status"] == 0


def test_an_event_id_that_is_not_one_suggests_the_entity_id_filter(env, make_page, qtbot):
    """Administrators search by what a notification is about: an entitlement ID typed into the
    Event ID field is not silently "not found"."""
    async def body():
        webhook = await add_webhook(env, "Alpha")
        await insert_rows(env, webhook, ["FAILED", "FAILED", "FAILED"])  # entities ENT-0, ENT-1, ENT-2
        page = make_page()
        await env.until(lambda: page.model.rowCount() == 3)
        assert "UUID" in page.filters.event_id_edit.placeholderText()

        qtbot.keyClicks(page.filters.event_id_edit, "ENT-1")
        await env.until(lambda: page.model.searched and page.model.rowCount() == 0 and page.empty_label.isVisible())
        assert "No notification has the eventId 'ENT-1'" in page.empty_label.text()
        assert "Search for 'ENT-1' as an entity ID" in page.empty_label.text()

        page.empty_label.linkActivated.emit("search-entity")  # what a click on the link emits
        await env.until(lambda: page.model.rowCount() == 1)
        assert page.model.item(0)["entityId"] == "ENT-1"
        assert (page.filters.event_id_edit.text(), page.filters.entity_id_edit.text()) == ("", "ENT-1")
        assert "entity ENT-1" in page.filters.describe()

        page.filters.entity_id_edit.clear()
        qtbot.keyClicks(page.filters.entity_id_edit, "ENT-2")  # typed straight into the Entity ID field
        await env.until(lambda: page.model.rowCount() == 1 and page.model.item(0)["entityId"] == "ENT-2")

    env.run(body())
