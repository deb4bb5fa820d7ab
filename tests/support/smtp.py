"""A real SMTP server on loopback for alert tests (aiosmtpd, in its own thread): STARTTLS with the
vendored test certificate, and a login checked against one user name and password."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.receiver import closed_port

DATA = Path(__file__).resolve().parents[1] / "data"
CERT = DATA / "smtp-cert.pem"
KEY = DATA / "smtp-key.pem"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    secured: bool
    """Whether the message came over TLS (after STARTTLS)."""
    login: str | None


@dataclass
class SmtpServer:
    user: str = "alerts@example.com"
    password: str = "smtp-pw-Zq81"
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    """(user, accepted) of each login attempt."""

    def __post_init__(self) -> None:
        self.port = closed_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(CERT, KEY)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, tls_context=context,
                                      require_starttls=True, authenticator=self._authenticate,
                                      auth_required=True)

    def __enter__(self) -> "SmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._controller.stop()

    def _authenticate(self, _server, _session, _envelope, _mechanism, data) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        accepted = (user, password) == (self.user, self.password)
        self.logins.append((user, accepted))
        return AuthResult(success=accepted, handled=False, auth_data=data)

    async def handle_DATA(self, _server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message,
                                      session.ssl is not None, login))
        return "250 Message accepted"
