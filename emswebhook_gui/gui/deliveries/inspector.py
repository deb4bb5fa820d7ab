"""The attempt inspector, under the attempt table: what the selected attempt sent and got back.

A transcript in the shape of ``curl -v``: ``>`` lines are the request as sent (method, URL,
every header; ``Authorization`` and the signature as ``•••``, as they are stored), ``<`` lines
the answer's status line and headers (as capped when stored), then the body excerpt; above it
the timings (connecting, the first byte of the answer, the whole attempt). Attempts recorded
before requests were kept say so instead of showing an empty request.

"Copy as cURL" puts the attempt on the clipboard as a shell command (``delivery/curl.py`` says
what it reproduces and what not). With "Include secrets" ticked, the secrets are read from the
keyring at that moment through ``WebhookService.replay_secrets``; the box is unticked again
after each copy, so a secret never goes to the clipboard by a leftover tick.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.delivery.curl import CurlCommand, Secrets, curl_command
from emswebhook_gui.gui.deliveries.rows import DASH, local_time
from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.wording import milliseconds

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

KIND_WORDS = {"auto": "automatic", "manual": "manual retry"}


def ms_text(value: Any) -> str:
    return milliseconds(value, DASH)


def timings_text(attempt: dict) -> str:
    """Connect, first byte and total; a reused connection has no connect time of its own."""
    connect = attempt.get("connectMs")
    if connect is None:
        connect_text = "reused connection" if attempt.get("response") else DASH
    else:
        connect_text = ms_text(connect)
    return (f"Connect: {connect_text}   ·   First byte: {ms_text(attempt.get('firstByteMs'))}   ·   "
            f"Total: {ms_text(attempt.get('durationMs'))}")


def transcript(attempt: dict) -> str:
    """The attempt as text: error, request (``>``), answer (``<``), body excerpt."""
    lines: list[str] = []
    if attempt.get("error"):
        lines += [f"Error: {attempt['error']}", ""]
    request = attempt.get("request")
    if request:
        lines.append(f"> {request.get('method', 'POST')} {request.get('url', '')}")
        lines += [f"> {name}: {value}" for name, value in (request.get("headers") or {}).items()]
    else:
        lines.append("> (the request of this attempt was not recorded: it was made before requests were kept)")
    lines.append("")
    response = attempt.get("response")
    if response:
        lines.append(f"< HTTP {response.get('status')} {response.get('reason') or ''}".rstrip())
        lines += [f"< {name}: {value}" for name, value in (response.get("headers") or {}).items()]
        if response.get("headersOmitted"):
            lines.append(f"< ({response['headersOmitted']} more headers were not kept)")
        lines.append("")
        excerpt = response.get("bodyExcerpt") or attempt.get("responseExcerpt") or ""
        lines.append(excerpt if excerpt else "(empty body)")
    elif attempt.get("statusCode") is None:
        lines.append("< (no answer)")
    return "\n".join(lines)


class AttemptInspector(QWidget):
    sig_message = Signal(str)
    """What a copy did, for the page's status line."""

    def __init__(self, bridge: "ServiceBridge", mono, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.attempt: dict | None = None
        self.notification: dict | None = None
        self.last_command: CurlCommand | None = None
        """The command last put on the clipboard (for the status line and tests)."""

        self.summary_label = QLabel()
        self.summary_label.setObjectName("attemptSummary")
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        self.summary_label.setWordWrap(True)  # a long summary wraps: it must not widen the window past a small screen
        self.secrets_check = QCheckBox("Include secrets")
        self.secrets_check.setToolTip("Read the Basic credentials and the signing secret from the keyring now "
                                      "and put them in the command (an OAuth token is not fetched)")
        self.curl_button = QPushButton(icon("copy"), "Copy as cURL")
        self.curl_button.setObjectName("copyCurlButton")
        self.curl_button.setToolTip("Copy this attempt's request as a curl command line")
        self.curl_button.clicked.connect(self._on_curl_button_clicked)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.summary_label, 1)
        header.addWidget(self.secrets_check)
        header.addWidget(self.curl_button)

        self.timings_label = QLabel()
        self.timings_label.setObjectName("attemptTimings")
        self.exchange_view = QPlainTextEdit()
        self.exchange_view.setObjectName("exchangeView")
        self.exchange_view.setReadOnly(True)
        self.exchange_view.setFont(mono)
        self.exchange_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.exchange_view.setPlaceholderText("Select an attempt to see what it sent and what came back.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.timings_label)
        layout.addWidget(self.exchange_view, 1)
        self.show_attempt(None, None)

    def show_attempt(self, attempt: dict | None, notification: dict | None) -> None:
        self.attempt, self.notification = attempt, notification
        self.curl_button.setEnabled(bool(attempt and attempt.get("request")))
        self.secrets_check.setEnabled(self.curl_button.isEnabled() and bool((notification or {}).get("webhookId")))
        if attempt is None:
            self.summary_label.clear()
            self.timings_label.clear()
            self.exchange_view.clear()
            return
        code = attempt.get("statusCode")
        answer = f"HTTP {code}" if code is not None else "no HTTP answer"
        kind = KIND_WORDS.get(attempt.get("kind"), str(attempt.get("kind") or ""))
        self.summary_label.setText(f"Attempt {attempt.get('number')} · {kind} · "
                                   f"{local_time(attempt.get('startedAt'))} · {answer}")
        self.timings_label.setText(timings_text(attempt))
        self.exchange_view.setPlainText(transcript(attempt))

    # -- Copy as cURL ---------------------------------------------------------------------------------------

    def _on_curl_button_clicked(self) -> None:
        attempt, notification = self.attempt, self.notification or {}
        if not attempt or not attempt.get("request"):
            return
        request, body = attempt["request"], notification.get("payload") or ""
        if not self.secrets_check.isChecked():
            self._copy(curl_command(request, body), "secrets masked")
            return
        self.secrets_check.setChecked(False)
        self.curl_button.setEnabled(False)
        self._bridge.run(
            functools.partial(self._bridge.service.replay_secrets, notification["webhookId"]),
            alive(self, lambda data: self._copy(curl_command(request, body, Secrets.of(data)), "with secrets")),
            alive(self, self._on_secrets_failed))

    def _copy(self, command: CurlCommand, how: str) -> None:
        self.curl_button.setEnabled(bool(self.attempt and self.attempt.get("request")))
        self.last_command = command
        QGuiApplication.clipboard().setText(command.command)
        self.sig_message.emit(" ".join([f"Copied the attempt as a curl command ({how}).", *command.notes]))

    def _on_secrets_failed(self, error: Exception) -> None:
        self.curl_button.setEnabled(bool(self.attempt and self.attempt.get("request")))
        self.sig_message.emit(f"Cannot read the secrets: {error}")
