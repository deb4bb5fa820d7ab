"""The outcome of "Test token", as the profile form and the Profiles page show it next to their
button: "✓ Token obtained; expires in 3600 s", or "✗" and the token endpoint's refusal in words
(the service's message: status, the endpoint's ``error`` and what to check).

A test asks the real token endpoint with the profile's settings (the form's current values, or a
saved profile's with its stored secret), so a profile that saved fine but holds a wrong secret
shows its 401 here rather than in failed deliveries. The token itself never reaches the GUI.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from emswebhook_gui.gui.widgets.colors import error_color, success_color

TEST_TOKEN = "Test token"
TESTING = "Testing…"


def token_test_text(result: dict) -> str:
    if not result.get("ok"):
        message = str(result.get("message") or "the token endpoint gave no token")
        return f"✗ {message[:1].upper()}{message[1:]}"
    expires = result.get("expiresIn")
    return f"✓ Token obtained; expires in {int(expires)} s" if expires else "✓ Token obtained; no expiry given"


def saved_profile_test(profile: dict) -> dict:
    """``test_oauth_profile``'s data for a saved profile: its settings, and its name so that the
    service tests it with the stored secret."""
    return {"name": profile["name"], "tokenUrl": profile.get("tokenUrl"), "clientId": profile.get("clientId"),
            "scope": profile.get("scope"), "audience": profile.get("audience")}


class TokenTestResult(QLabel):
    """Green or red text beside the button; hidden until a test has said something."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("testResult")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_result(self, result: dict) -> None:
        self.setStyleSheet(f"color: {(success_color(self.palette()) if result.get('ok') else error_color(self.palette())).name()};")
        self.setText(token_test_text(result))
        self.setToolTip(str(result.get("message") or ""))
        self.show()

    def show_failure(self, exc: Exception) -> None:
        self.show_result({"ok": False, "message": str(exc)})
