"""Sending alerts: the digest says what is due, this sends it to every configured channel.

Channels are read from the properties when an alert is sent (``alertWebhookUrl``, ``alertEmailTo``
and the SMTP ones), so a change in Settings or ``config set`` applies to the next alert. With
neither set, alerts are still digested but go nowhere. A channel that fails is logged (ERROR) and
counted in ``emswebhook_alerts_total{outcome="failure"}``; the alert is not retried, the next one
follows the digest's rhythm. When the service stops, what is pending is sent at once rather than
lost.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from .. import metrics
from ..rules import properties
from ..errors import FieldError, ValidationError
from ..secrets import ALERT_SIGNING_SECRET_KEY, ALERT_SMTP_PASSWORD_KEY
from ..threads import run_blocking
from ..waiting import wait_for_wake
from . import channels
from .digest import FAILING, Alert, Digest

if TYPE_CHECKING:
    from ..service import WebhookService

log = logging.getLogger("emswebhook_gui.alerts")

IDLE_CHECK_SECONDS = 5.0
"""Real seconds between looks at the digest when nothing wakes the sender."""
STOP_GRACE_SECONDS = 3.0
"""How long stopping waits for the alerts it sends on the way out (a stop must stay quick)."""


@dataclass
class ChannelResult:
    channel: str
    ok: bool
    message: str


async def send(service: "WebhookService", alert: Alert, *, who: str) -> list[ChannelResult]:
    """Send one alert to every configured channel (concurrently); never raises for a channel."""
    values = await service.list_properties()
    url = values[properties.ALERT_WEBHOOK_URL]
    recipients = [a.strip() for a in values[properties.ALERT_EMAIL_TO].split(",") if a.strip()]
    jobs: list[tuple[str, asyncio.Future]] = []
    counter = metrics.for_service(service).alerts
    if url:
        secret = await run_blocking(service.secrets.get, ALERT_SIGNING_SECRET_KEY)
        jobs.append(("webhook", asyncio.ensure_future(channels.send_webhook(
            url, channels.body(alert, service=who), secret=secret,
            allow_private=bool(values[properties.ALLOW_PRIVATE_ENDPOINTS])))))
    if recipients:
        jobs.append(("email", asyncio.ensure_future(_send_email(service, values, recipients, alert, who))))
    results = []
    for channel, job in jobs:
        try:
            message = await job
        except channels.AlertError as exc:
            results.append(ChannelResult(channel, False, str(exc)))
        except Exception as exc:  # a keyring failure, say: reported like any other
            results.append(ChannelResult(channel, False, f"{channel}: {type(exc).__name__}: {exc}"))
        else:
            results.append(ChannelResult(channel, True, message))
        counter.labels(channel, "success" if results[-1].ok else "failure").inc()
    for result in results:  # a test's outcome is shown to whoever asked, so it is no ERROR
        if result.ok:
            log.info("alert sent: %s: %s", alert.subject, result.message)
        else:
            log.log(logging.INFO if alert.test else logging.ERROR, "alert not sent: %s: %s", alert.subject,
                    result.message)
    return results


async def _send_email(service, values: dict, recipients: list[str], alert: Alert, who: str) -> str:
    host = values[properties.ALERT_SMTP_HOST]
    if not host:
        raise channels.AlertError("e-mail: alertEmailTo is set but alertSmtpHost is empty")
    user = values[properties.ALERT_SMTP_USER] or None
    password = await run_blocking(service.secrets.get, ALERT_SMTP_PASSWORD_KEY) if user else None
    try:
        context = channels.tls_context(values.get(properties.CA_BUNDLE) or None)
    except (OSError, ValueError) as exc:
        raise channels.AlertError(f"e-mail: the caBundle file cannot be used ({exc})") from None
    message = channels.email_message(alert, recipients, channels.sender_address(user), service=who)
    return await run_blocking(lambda: channels.send_email(
        message, host=host, port=int(values[properties.ALERT_SMTP_PORT]), user=user, password=password,
        context=context))


async def send_test_alert(service: "WebhookService") -> list[ChannelResult]:
    """A test alert to every configured channel ("Send test alert", ``emswebhook alerts test``).

    Raises ``ValidationError`` when no channel is configured, naming the properties to set."""
    values = await service.list_properties()
    if not values[properties.ALERT_WEBHOOK_URL] and not values[properties.ALERT_EMAIL_TO]:
        raise ValidationError(FieldError(
            properties.ALERT_WEBHOOK_URL, "no alert channel is configured: set alertWebhookUrl and/or "
            "alertEmailTo (with alertSmtpHost) first"))
    now = service.clock()
    alert = Alert(f"test-{uuid.uuid4()}", "Test alert", FAILING, 1, "HTTP 503 Service Unavailable (test)",
                  [str(uuid.uuid4())], 0, now - timedelta(minutes=15), now, test=True)
    return await send(service, alert, who=_who("test"))


def _who(owner: str) -> str:
    return owner if ":" in owner else f"{socket.gethostname()} ({owner})"


class AlertDispatcher:
    """The digest of one delivery engine and the task that sends what falls due."""

    def __init__(self, service: "WebhookService", owner: str) -> None:
        self.service = service
        self.owner = owner
        self.digest = Digest(service.clock)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sending: set[asyncio.Task] = set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="emswebhook-alerts")

    def wake(self) -> None:
        """Look at the digest now (after new events, or a test moving its clock)."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for alert in self.digest.drain():
            self._spawn(alert)
        if self._sending:
            _done, late = await asyncio.wait(list(self._sending), timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
            if late:
                log.warning("%d alert(s) still being sent at shutdown were abandoned", len(late))

    def _spawn(self, alert: Alert) -> asyncio.Task:
        task = asyncio.ensure_future(send(self.service, alert, who=_who(self.owner)))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return task

    async def _run(self) -> None:
        while True:
            try:
                for alert in self.digest.due():
                    self._spawn(alert)
            except Exception:  # never let a bug here stop alerting for good
                log.exception("checking due alerts failed")
            timeout = IDLE_CHECK_SECONDS
            due = self.digest.next_due()
            if due is not None:
                timeout = min(timeout, max(0.0, (due - self.service.clock()).total_seconds()))
            await wait_for_wake(self._wake, timeout)
            self._wake.clear()
