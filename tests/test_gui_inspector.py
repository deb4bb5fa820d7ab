"""Event Deliveries' details pane: the attempt inspector (what an attempt sent and got back, Copy
as cURL with and without secrets), Copy / Save payload, the states' diff, and the wording of a
notification closed by hand, never sent, or not sent because its webhook was disabled.

Against the real service, engine and a loopback receiver, as tests/test_gui_deliveries.py."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from sqlalchemy import insert

from emswebhook_gui.gui.deliveries.advice import next_attempt_text
from emswebhook_gui.gui.deliveries.rows import COLUMN, DASH
from emswebhook_gui.store.models import Notification, NotificationPayload, Occurrence
from tests.support.receiver import Answer, Receiver
from tests.support.deliveries_page import ENTITLEMENT, add_webhook, insert_rows

PASSWORD = "pw"  # the env fixture's Basic profile: username "ems"
BASIC = "Basic " + base64.b64encode(f"ems:{PASSWORD}".encode()).decode()
BEFORE = {"entitlement": {"id": "e-1", "state": "DRAFT", "customer": {"name": "Sam Smith"}}}


async def shown_details(env, page, event_id: str):
    page.filters.set_status(None)
    await env.until(lambda: page.model.row_of(event_id) >= 0)
    page.select_event(event_id)
    details = page.details
    try:
        await env.until(lambda: (details.notification or {}).get("eventId") == event_id)
    except AssertionError:
        raise AssertionError(details.placeholder.text())
    return details


async def delivered_update(env, receiver: Receiver, signed: bool = False):
    """An Entitlement Updated (with both states) sent to ``receiver`` by a webhook "CRM", signed or
    not: its eventId and the request as the receiver got it."""
    hook = await env.service.create_webhook({
        "name": "CRM", "event": "Entitlement Updated", "endpointUrl": receiver.url(), "authProfile": "Basic"})
    if signed:
        await env.service.signing_secret(hook["id"])
    [event_id] = await env.service.publish({
        "event": "Entitlement Updated", "activity": "Update Entitlement", "entityId": "e-1",
        "currentState": ENTITLEMENT, "previousState": BEFORE})
    await env.until(lambda: receiver.requests, timeout=20)
    [sent] = receiver.requests
    return event_id, sent


def test_the_inspector_shows_an_attempt_and_copies_it_as_curl(env, make_page):
    async def body():
        async with Receiver() as receiver:
            receiver.answer(Answer(status=202, body=b'{"queued":true}', headers={"X-Request-Id": "r-42"}))
            event_id, sent = await delivered_update(env, receiver, signed=True)
            page = make_page()
            details = await shown_details(env, page, event_id)
            await env.until(lambda: details.notification["status"] == "SUCCESSFUL")

            table = details.attempts_table
            assert table.item(0, 5).text() == "delivered" and table.item(0, 6).text() == DASH
            inspector = details.inspector
            text = inspector.exchange_view.toPlainText()
            assert f"> POST {receiver.url()}" in text
            assert "> Authorization: •••" in text and "> webhook-signature: •••" in text
            assert f"> webhook-id: {event_id}" in text
            assert "< HTTP 202 Accepted" in text and "< X-Request-Id: r-42" in text
            assert text.rstrip().endswith('{"queued":true}')
            assert BASIC.split()[1] not in text and sent.headers["webhook-signature"] not in text
            timings = inspector.timings_label.text()
            assert "Connect: " in timings and "First byte: " in timings and "Total: " in timings
            assert timings.count(" ms") + timings.count(" s") >= 3 and DASH not in timings
            assert "Attempt 1 · automatic" in inspector.summary_label.text()

            # masked: as recorded
            inspector.curl_button.click()
            masked = QGuiApplication.clipboard().text()
            assert masked.startswith("curl ") and "'Authorization: •••'" in masked
            assert PASSWORD not in masked and "(secrets masked)" in page.status_label.text()

            # with secrets: read from the keyring now; the signature is the one the receiver got
            inspector.secrets_check.setChecked(True)
            inspector.curl_button.click()
            await env.until(lambda: QGuiApplication.clipboard().text() != masked)
            copied = QGuiApplication.clipboard().text()
            assert f"'Authorization: {BASIC}'" in copied
            assert f"'webhook-signature: {sent.headers['webhook-signature']}'" in copied
            assert not inspector.secrets_check.isChecked()  # a secret is never copied by a leftover tick
            assert "(with secrets)" in page.status_label.text() and "tolerance" in page.status_label.text()
            assert inspector.curl_button.isEnabled()

    env.run(body())


def test_payload_copy_save_and_the_diff_of_the_states(env, make_page, tmp_path):
    async def body():
        async with Receiver() as receiver:
            event_id, sent = await delivered_update(env, receiver)
        page = make_page()
        details = await shown_details(env, page, event_id)
        payloads = details.payloads
        payload = details.notification["payload"]
        assert payload.encode() == sent.body

        payloads.copy_payload_button.click()
        assert QGuiApplication.clipboard().text() == payload
        payloads.save_payload_button.click()
        dialog = payloads.file_dialog
        assert dialog is not None and dialog.isVisible()
        target = tmp_path / "saved.json"
        dialog.selectFile(str(target))
        dialog.accept()
        await env.until(lambda: target.exists())
        assert target.read_bytes() == sent.body  # as sent, not the pretty text
        assert str(target) in page.status_label.text()
        payloads.save_payload_to(str(tmp_path / "missing" / "x.json"))
        assert page.status_label.text().startswith("Cannot save the payload")

        tabs, diff = details.tabs, details.diff_view
        assert tabs.isTabVisible(tabs.indexOf(diff)) and tabs.tabText(tabs.indexOf(diff)) == "Changes"
        lines = diff.toPlainText().splitlines()
        assert lines[:2] == ["--- previousState", "+++ currentState"]
        assert '-    "state": "DRAFT"' in lines and '+    "state": "ENABLE"' in lines
        assert not any(line.startswith(("+", "-")) and "Sam Smith" in line for line in lines)  # unchanged

        def added_background() -> QColor:
            block = diff.document().findBlockByLineNumber(lines.index('+    "state": "ENABLE"'))
            [fmt] = block.layout().formats()
            return fmt.format.background().color()

        light = added_background()
        assert light.lightness() > 150 and light.green() > light.red()
        dark = QPalette(diff.palette())
        dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
        dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
        diff.setPalette(dark)
        await env.until(lambda: added_background().lightness() < 100)
        assert added_background().green() > added_background().red()

    env.run(body())


def test_a_notification_closed_by_hand_has_its_own_chip_and_no_last_error(env, make_page):
    async def body():
        closed, delivered = await insert_rows(env, None, ["FAILED", "SUCCESSFUL"])
        await env.service.mark_successful(event_id=closed, by="alice")
        page = make_page()
        page.filters.set_status(None)
        await env.until(lambda: page.model.rowCount() == 2)
        row = page.model.row_of(closed)
        status = page.model.index(row, COLUMN["status"])
        assert status.data() == "Closed by hand"
        assert page.model.index(row, COLUMN["lastError"]).data() == ""
        assert "by alice at" in status.data(0x03)  # ToolTipRole
        assert page.model.index(page.model.row_of(delivered), COLUMN["status"]).data() == "Successful"
        page.table.viewport().grab()  # the delegate paints the new chip

        details = await shown_details(env, page, closed)
        assert details.status_chip.text() == "Closed by hand"
        marked = details.fields["marked"]
        assert marked.isVisibleTo(details) and marked.text().startswith("by alice at ")
        assert not details.error_frame.isVisibleTo(details)
        details = await shown_details(env, page, delivered)
        assert details.status_chip.text() == "Successful" and not details.fields["marked"].isVisibleTo(details)

    env.run(body())


async def insert_due(env, webhook: dict) -> str:
    """One notification never attempted and due now, as a publish leaves it."""
    now = env.clock()
    event_id, occurrence = str(uuid.uuid4()), str(uuid.uuid4())

    def work(session) -> None:
        session.execute(insert(Occurrence), [{
            "id": occurrence, "event_name": "Entitlement Added", "entity_name": "Entitlement",
            "activity_name": "Add Entitlement", "entity_id": "e", "url": "", "request_id": "r",
            "current_state": None, "previous_state": None, "op_datetime": now, "created_at": now}])
        session.execute(insert(Notification), [{
            "event_id": event_id, "occurrence_id": occurrence, "webhook_id": webhook["id"],
            "webhook_name": webhook["name"], "event_name": "Entitlement Added", "activity_name": "Add Entitlement",
            "entity_id": "ENT-0", "endpoint_url": webhook["endpointUrl"], "status": "IN_PROGRESS",
            "round_kind": "auto", "round_attempts": 0, "attempts": 0, "next_attempt_at": now - timedelta(seconds=1),
            "created_at": now, "updated_at": now}])
        session.execute(insert(NotificationPayload), [{"event_id": event_id, "payload": "{}"}])

    await env.service.db.run(work)
    return event_id


def test_never_sent_says_so_and_the_advice_follows_the_webhook_as_it_is_now(env, make_page):
    async def body():
        hook = await add_webhook(env, "Paused")
        await env.service.set_webhook_enabled("Paused", False)
        event_id = await insert_due(env, hook)
        env.engine.wake()
        page = make_page()
        await env.until(lambda: page.model.row_of(event_id) >= 0, timeout=20)
        details = await shown_details(env, page, event_id)
        await env.until(lambda: details.notification["status"] == "FAILED", timeout=20)
        assert details.notification["attempts"] == 0
        assert details.fields["next"].text() == "none (never sent)"
        assert details.hint_label.text() == "Enable the webhook, then retry."
        assert "enable the webhook" in details.error_label.text()

        await env.service.set_webhook_enabled("Paused", True)
        details.refresh()
        await env.until(lambda: "enabled now" in details.hint_label.text())
        assert "enable the webhook" not in details.hint_label.text().lower()
        assert "enable the webhook" not in details.error_label.text()
        assert "is disabled" in details.error_label.text()  # what happened stays said

        await env.service.delete_webhook("Paused")
        details.refresh()
        await env.until(lambda: "deleted" in details.hint_label.text())

    env.run(body())


def test_next_attempt_says_used_up_only_when_the_round_used_them():
    attempt = {"error": "HTTP 500 Internal Server Error"}
    failed = {"status": "FAILED", "roundKind": "auto", "lastError": attempt["error"], "attemptHistory": [attempt]}
    assert next_attempt_text(failed) == "none (automatic attempts used up)"
    assert "manual retry round" in next_attempt_text({**failed, "roundKind": "manual"})
    stopped = {**failed, "lastError": "webhook 'x' is disabled; the notification was not sent"}
    assert "used up" not in next_attempt_text(stopped) and "stopped" in next_attempt_text(stopped)
    assert next_attempt_text({**failed, "attemptHistory": []}) == "none (never sent)"
    assert next_attempt_text({"status": "SUCCESSFUL"}) == DASH


def test_an_attempt_without_records_or_answer_says_so():
    from emswebhook_gui.gui.deliveries.inspector import timings_text, transcript

    refused = {"error": "connection refused (127.0.0.1:9)", "request": None, "response": None, "statusCode": None,
               "durationMs": 3.2, "connectMs": None, "firstByteMs": None}
    text = transcript(refused)
    assert text.startswith("Error: connection refused") and "was not recorded" in text and "< (no answer)" in text
    assert timings_text(refused) == f"Connect: {DASH}   ·   First byte: {DASH}   ·   Total: 3 ms"
    reused = {"response": {"status": 200, "headers": {}}, "connectMs": None, "firstByteMs": 1500.0, "durationMs": 1600}
    assert "Connect: reused connection" in timings_text(reused) and "First byte: 1.50 s" in timings_text(reused)
