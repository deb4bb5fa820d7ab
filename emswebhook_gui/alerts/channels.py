"""Where alerts go: the operational webhook (``alertWebhookUrl``) and e-mail (``alertEmailTo``).

The webhook is a JSON POST through the delivery ``Sender``, so it follows the same rules as
deliveries (timeouts, no redirects, the private-endpoint guard with ``allowPrivateEndpoints``, the
proxy settings), signed with Standard Webhooks (``delivery/signing.py``) when the keyring holds an
``alertSigningSecret`` (``emswebhook alerts signing-secret``). The signature's timestamp is the
wall clock, whatever clock the service runs on: receivers check it against theirs.

E-mail goes through the standard library's ``smtplib`` in a worker thread rather than aiosmtplib:
an alert is a handful of messages per hour at most, so a thread costs nothing, and one dependency
fewer is one less thing to keep current. The connection is secured with STARTTLS, required as soon
as a user name is set (a password never travels in clear; without STARTTLS the message says so),
and used whenever the server offers it otherwise; port 465 speaks TLS from the first byte. The
certificate is checked against the system CAs plus the ``caBundle`` property's, the same trust as
for deliveries. The sender address is ``alertSmtpUser`` when it is an address, else
``emswebhook-gui@<this host>``.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from .. import __version__
from ..store.models import iso
from .digest import RECOVERED, Alert

SMTP_TIMEOUT = 30.0
SMTP_TLS_PORT = 465


class AlertError(Exception):
    """An alert could not be sent; the message says why, in words, never with a secret."""


def body(alert: Alert, *, service: str) -> dict[str, Any]:
    """The operational webhook's JSON body (also the facts of the e-mail)."""
    return {
        "type": "emswebhook.alert",
        "test": alert.test,
        "status": alert.status,
        "summary": alert.subject.removeprefix("[emswebhook] "),
        "webhook": {"id": alert.webhook_id, "name": alert.webhook_name},
        "failed": alert.failed,
        "lastError": alert.last_error,
        "eventIds": alert.event_ids,
        "moreEventIds": alert.more_event_ids,
        "failedNotifications": f"/api/v1/webhook-events?webhook={alert.webhook_id}&status=FAILED",
        "since": iso(alert.since),
        "until": iso(alert.until),
        "service": service,
        "version": __version__,
    }


def text(alert: Alert, *, service: str) -> str:
    lines = [alert.subject.removeprefix("[emswebhook] "), ""]
    if alert.test:
        lines += ["This is a test alert sent by hand ('Send test alert' or 'emswebhook alerts test').", ""]
    lines += [f"Webhook: {alert.webhook_name} ({alert.webhook_id})",
              f"Status: {'delivering again' if alert.status == RECOVERED else 'failing'}",
              f"Notifications that ended FAILED since {iso(alert.since)}: {alert.failed}"]
    if alert.last_error:
        lines.append(f"Last error: {alert.last_error}")
    if alert.event_ids:
        lines += ["", "eventIds:", *(f"  {event_id}" for event_id in alert.event_ids)]
        if alert.more_event_ids:
            lines.append(f"  ... and {alert.more_event_ids} more")
    if alert.failed:
        lines += ["", "Find and retry them:",
                  f"  emswebhook events search --status FAILED --webhook {alert.webhook_id}",
                  f"  emswebhook events retry --status FAILED --webhook {alert.webhook_id}"]
    lines += ["", f"Sent by {service} (emswebhook-gui {__version__})."]
    return "\n".join(lines) + "\n"


async def send_webhook(url: str, payload: dict, *, secret: str | None, allow_private: bool) -> str:
    """POST ``payload``; returns what happened in words; raises ``AlertError`` on failure."""
    from ..delivery.http import DeliveryRequest, Sender

    raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    async with Sender(allow_private=allow_private) as sender:
        result = await sender.send(DeliveryRequest(url, raw, f"alert-{uuid.uuid4()}", None, secret))
    if not result.ok:
        raise AlertError(f"alert webhook {url}: {result.error}")
    signed = ", signed" if secret else ""
    return f"alert webhook {url}: HTTP {result.status_code}{signed}"


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def sender_address(user: str | None) -> str:
    if user and "@" in user:
        return user
    return f"emswebhook-gui@{socket.getfqdn() or 'localhost'}"


def email_message(alert: Alert, recipients: list[str], sender: str, *, service: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-Emswebhook-Webhook"] = alert.webhook_id
    message.set_content(text(alert, service=service))
    return message


def send_email(message: EmailMessage, *, host: str, port: int, user: str | None, password: str | None,
               context: ssl.SSLContext, timeout: float = SMTP_TIMEOUT) -> str:
    """Blocking: run it in a worker thread. Returns what happened; raises ``AlertError``."""
    where = f"{host}:{port}"
    if user and not password:
        raise AlertError(f"e-mail via {where}: alertSmtpUser is '{user}' but no SMTP password is in the "
                         "keyring; set it with 'emswebhook alerts smtp-password --password-stdin'")
    try:
        if port == SMTP_TLS_PORT:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            secured = port == SMTP_TLS_PORT
            if not secured and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                secured = True
            if user:
                if not secured:
                    raise AlertError(f"e-mail via {where}: the server does not offer STARTTLS, so the "
                                     "password is not sent; enable STARTTLS on it or use port 465")
                smtp.login(user, password or "")
            refused = smtp.send_message(message)
    except AlertError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise AlertError(f"e-mail via {where}: the server refused the login of '{user}' "
                         f"({exc.smtp_code} {_reply(exc.smtp_error)})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise AlertError(f"e-mail via {where}: every recipient was refused ({', '.join(exc.recipients)})") from None
    except smtplib.SMTPResponseException as exc:
        raise AlertError(f"e-mail via {where}: the server answered {exc.smtp_code} {_reply(exc.smtp_error)}") from None
    except ssl.SSLCertVerificationError as exc:
        raise AlertError(f"e-mail via {where}: its TLS certificate is not trusted ({exc.verify_message}); "
                         "add its CA with the caBundle property") from None
    except ssl.SSLError as exc:
        raise AlertError(f"e-mail via {where}: TLS failed ({exc.reason or exc})") from None
    except socket.gaierror as exc:
        raise AlertError(f"e-mail via {where}: host not found ({exc.strerror})") from None
    except (TimeoutError, socket.timeout):
        raise AlertError(f"e-mail via {where}: no answer within {timeout:.0f} s") from None
    except (smtplib.SMTPException, OSError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise AlertError(f"e-mail via {where}: {reason}") from None
    to = message["To"]
    if refused:
        return f"e-mail via {where} to {to}: sent, but refused for {', '.join(refused)}"
    return f"e-mail via {where} to {to}: sent"


def _reply(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
