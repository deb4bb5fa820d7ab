"""Operational alerts as an operator receives them: a signed JSON POST at a loopback receiver and an
e-mail at a real SMTP server (aiosmtpd, STARTTLS, login), when notifications end FAILED and when the
webhook delivers again; digested to one alert per webhook per 15 minutes on the service's clock;
"Send test alert" from the CLI and from Settings."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook as StandardWebhook

from emswebhook_gui.alerts import Digest
from emswebhook_gui.delivery.signing import generate_secret
from emswebhook_gui.secrets import ALERT_SIGNING_SECRET_KEY, ALERT_SMTP_PASSWORD_KEY, SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.clock import FakeClock
from tests.support.delivery import loopback_service, run_to_failed, started_engine
from tests.support.receiver import Answer, Receiver
from tests.support.smtp import CERT, SmtpServer
from tests.support.waiting import until

OPS = "ops@example.com"


async def configure_alerts(service, alert_receiver, smtp: SmtpServer, *, signing: str | None) -> None:
    for key, value in (("alertWebhookUrl", alert_receiver.url("/alerts")), ("alertEmailTo", f"{OPS}, oncall@example.com"),
                       ("alertSmtpHost", "127.0.0.1"), ("alertSmtpPort", smtp.port),
                       ("alertSmtpUser", smtp.user), ("caBundle", str(CERT))):
        await service.set_property(key, value)
    service.secrets.set(ALERT_SMTP_PASSWORD_KEY, smtp.password)
    if signing:
        service.secrets.set(ALERT_SIGNING_SECRET_KEY, signing)


@pytest_asyncio.fixture
async def alerting(sqlite_url, memory_keyring):
    """A service on a test clock with a running engine, a webhook 'Hook' at a receiver, alerts to a
    second receiver and to an SMTP server."""
    clock = FakeClock()
    service = await loopback_service(sqlite_url, memory_keyring, clock, basic=("ems", "pw-123"))
    secret = generate_secret()
    with SmtpServer() as smtp:
        async with Receiver() as endpoint, Receiver() as alerts:
            await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                          "endpointUrl": endpoint.url(), "authProfile": "Basic"})
            await configure_alerts(service, alerts, smtp, signing=secret)
            engine = await started_engine(service)
            try:
                yield service, engine, clock, endpoint, alerts, smtp, secret
            finally:
                await engine.stop()
                await service.close()


async def publish(service, entity_id: str) -> str:
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                        "entityId": entity_id})
    return event_id


async def status_is(service, event_id: str, status: str) -> bool:
    return (await service.get_notification(event_id))["status"] == status


def alert_bodies(receiver: Receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests]


@pytest.mark.asyncio
async def test_failed_then_digested_then_delivering_again(alerting):
    service, engine, clock, endpoint, alerts, smtp, secret = alerting
    endpoint.answer(Answer(status=500, body=b"receiver down"))

    first = await publish(service, "e-1")
    await run_to_failed(service, engine, clock, [first])
    await until(lambda: _both_at_least(alerts, smtp, 1))
    [request] = alerts.requests
    body = json.loads(request.body)
    assert body["status"] == "failing" and body["failed"] == 1 and body["eventIds"] == [first]
    assert body["webhook"]["name"] == "Hook" and body["lastError"].startswith("HTTP 500")
    assert body["failedNotifications"].endswith("status=FAILED") and body["test"] is False
    # signed with the alert signing secret, verified by the reference library
    StandardWebhook(secret).verify(request.body, dict(request.headers))
    [mail] = smtp.messages
    assert mail.secured and mail.login == smtp.user
    assert sorted(mail.recipients) == sorted([OPS, "oncall@example.com"])
    assert mail.message["Subject"] == "[emswebhook] webhook 'Hook': 1 notification FAILED"
    assert first in mail.message.get_content() and "HTTP 500" in mail.message.get_content()
    alerted_at = clock.now

    # two more end FAILED five minutes later, within the quiet window: no alert yet
    second, third = await publish(service, "e-2"), await publish(service, "e-3")
    await until(lambda: _attempted(service, (second, third)))
    await service.set_webhook_enabled("Hook", False)
    clock.advance(minutes=6)
    engine.wake()
    await until(lambda: _all_failed(service, (second, third)))
    # ... then the webhook delivers again
    await service.set_webhook_enabled("Hook", True)
    endpoint.answer(Answer(status=200))
    await service.retry_notifications(event_id=second)
    await until(lambda: status_is(service, second, "SUCCESSFUL"))
    engine.observer.alerts.wake()
    assert len(alerts.requests) == 1 and len(smtp.messages) == 1

    # the window ends: one digest counts what happened in between
    clock.now = alerted_at
    clock.advance(minutes=15)
    engine.observer.alerts.wake()
    await until(lambda: _both_at_least(alerts, smtp, 2))
    digest = alert_bodies(alerts)[1]
    assert digest["status"] == "recovered" and digest["failed"] == 2
    assert sorted(digest["eventIds"]) == sorted([second, third])
    assert "disabled" in digest["lastError"]
    assert smtp.messages[1].message["Subject"].strip() == \
        "[emswebhook] webhook 'Hook' delivers again (2 notifications FAILED meanwhile)"

    # nothing new happened: time passes, no further alert
    clock.advance(hours=2)
    engine.observer.alerts.wake()
    later = await publish(service, "e-4")
    await until(lambda: status_is(service, later, "SUCCESSFUL"))
    assert len(alerts.requests) == 2 and len(smtp.messages) == 2


async def _both_at_least(alerts, smtp, n):
    return len(alerts.requests) >= n and len(smtp.messages) >= n


async def _attempted(service, event_ids):
    return all([(await service.get_notification(e))["attempts"] >= 1 for e in event_ids])


async def _all_failed(service, event_ids):
    return all(await asyncio.gather(*(status_is(service, e, "FAILED") for e in event_ids)))


def test_the_digest_gathers_per_webhook_on_the_injected_clock():
    clock = FakeClock()
    digest = Digest(clock)
    digest.failed("w1", "One", "a", "HTTP 500")
    digest.failed("w2", "Two", "b", "timeout")
    first = digest.due()
    assert [(a.webhook_name, a.failed, a.event_ids) for a in first] == [("One", 1, ["a"]), ("Two", 1, ["b"])]
    for n in range(150):
        digest.failed("w1", "One", f"x{n}", f"HTTP 50{n % 10}")
    clock.advance(minutes=14, seconds=59)
    assert digest.due() == [] and digest.next_due() == first[0].until + digest.window
    digest.delivered("w2", "Two")  # w2 delivers again: due with w1's digest, not before
    assert digest.due() == []
    clock.advance(seconds=1)
    later = {a.webhook_name: a for a in digest.due()}
    assert later["One"].failed == 150 and len(later["One"].event_ids) == 100 and later["One"].more_event_ids == 50
    assert later["One"].status == "failing" and later["One"].last_error == "HTTP 509"
    assert later["Two"].status == "recovered" and later["Two"].failed == 0
    digest.delivered("w3", "Three")  # was never failing: nothing to say
    clock.advance(hours=1)
    assert digest.due() == [] and digest.next_due() is None


def test_digest_sends_what_is_pending_when_stopping():
    clock = FakeClock()
    digest = Digest(clock)
    digest.failed("w1", "One", "a", "HTTP 500")
    digest.due()
    digest.failed("w1", "One", "b", "HTTP 500")
    [pending] = digest.drain()
    assert pending.event_ids == ["b"] and digest.drain() == []


async def run_cli(env, *argv, stdin=None):
    exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
    proc = await asyncio.create_subprocess_exec(exe, *argv, env=env, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.asyncio
async def test_alerts_test_from_the_shell(tmp_path, monkeypatch, sqlite_url, isolated_environment):
    from tests.support.keyrings import FileKeyring
    from tests.support.processes import child_env

    env = child_env(tmp_path, monkeypatch, sqlite_url)
    code, _out, err = await run_cli(env, "alerts", "test")
    assert code == 2 and "alertWebhookUrl" in err and "alertEmailTo" in err

    service = await WebhookService.open(secrets=SecretStore(FileKeyring()))  # the same database and keyring
    try:
        with SmtpServer() as smtp:
            async with Receiver() as alerts:
                await service.set_property("allowPrivateEndpoints", True)
                await configure_alerts(service, alerts, smtp, signing=None)
                service.secrets.set(ALERT_SMTP_PASSWORD_KEY, "wrong-pw-77")
                code, secret, err = await run_cli(env, "alerts", "signing-secret")
                assert code == 0 and secret.startswith("whsec_"), err
                code, out, err = await run_cli(env, "alerts", "test")
                assert code == 1 and "FAILED: e-mail" in out and "refused the login of 'alerts@example.com'" in out
                assert "sent: alert webhook" in out and smtp.logins and not any(ok for _u, ok in smtp.logins)

                code, out, err = await run_cli(env, "alerts", "smtp-password", "--password-stdin",
                                               stdin=smtp.password + "\n")
                assert code == 0, err
                code, out, err = await run_cli(env, "alerts", "test")
                assert code == 0, err + out
                assert out.count("sent: ") == 2 and "HTTP 200, signed" in out and f"to {OPS}, oncall@example.com: sent" in out
                body = json.loads(alerts.requests[-1].body)
                assert body["test"] is True
                StandardWebhook(secret.strip()).verify(alerts.requests[-1].body, dict(alerts.requests[-1].headers))
                [mail] = smtp.messages
                assert mail.message["Subject"].startswith("[emswebhook] test alert: ") and mail.secured
    finally:
        await service.close()
    logs = list(isolated_environment.rglob("*.log"))
    assert logs and any("alert not sent" in log.read_text() for log in logs)
    for log in logs:
        text = log.read_text()
        assert smtp.password not in text and "wrong-pw-77" not in text and secret.strip() not in text


def test_send_test_alert_button_on_settings(gui_env, qtbot):
    from PySide6.QtCore import Qt

    from emswebhook_gui.gui.settings.page import SettingsPage
    from tests.support.gui import shown

    page = shown(SettingsPage(gui_env.bridge), qtbot, 900, 900)

    async def body():
        qtbot.mouseClick(page.test_alert_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.banner.kind == "error")
        assert "no alert channel is configured" in page.banner.text().lower()
        assert page.test_alert_button.isEnabled()
        async with Receiver() as alerts:
            await gui_env.service.set_property("allowPrivateEndpoints", True)
            await gui_env.service.set_property("alertWebhookUrl", alerts.url("/alerts"))
            qtbot.mouseClick(page.test_alert_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: page.banner.kind == "success")
            assert "Sent: alert webhook" in page.banner.text() and len(alerts.requests) == 1
            alerts.answer(status=503)
            qtbot.mouseClick(page.test_alert_button, Qt.MouseButton.LeftButton)
            await gui_env.until(lambda: page.banner.kind == "error")
            assert "HTTP 503" in page.banner.text()

    gui_env.run(body())
