"""What the details pane advises and explains, from a notification and its webhook's state now
(Qt-free): the likely cause of a failure, and why there is no next attempt.

Decisions: the advice for "not sent, the webhook is disabled" follows the webhook as it is now
(enabled again: retry; still disabled: enable it; deleted: it cannot be sent, close it), and the
engine's own advice in the recorded error is not shown once it no longer applies. "Next attempt"
says "automatic attempts used up" only when the round's last attempt is what failed it: a
notification never sent (0 attempts) or stopped on the way (its webhook disabled or deleted
after some attempts) says so instead.
"""

from __future__ import annotations

from emswebhook_gui.gui.deliveries.rows import DASH, FAILED, local_time

DISABLED_ADVICE = " (enable the webhook, then retry)"
"""The advice the engine writes into a not-sent error; shown only while it still applies."""


def diagnosis(error: str | None, status_code: int | None, webhook: str | None = None) -> str | None:
    """A likely cause and fix for a failed attempt, after the source's troubleshooting list;
    ``webhook`` is the webhook's state now ("enabled", "disabled", "deleted"; None: unknown)."""
    text = (error or "").lower()
    if not text and status_code is None:
        return None
    if "allowprivateendpoints" in text or ("private" in text and "address" in text):
        return ("The endpoint resolves to a private or loopback address. Use a public URL, or turn "
                "on allowPrivateEndpoints in Settings for a test receiver.")
    if status_code is None and ("webhook was deleted" in text or webhook == "deleted"):
        return ("The webhook has been deleted, so this cannot be sent again: mark it successful to close it, "
                "or create the webhook anew for the events to come.")
    if status_code is None and "is disabled" in text:
        if webhook == "enabled":
            return "The webhook was disabled when this was due and is enabled now: retry it."
        return "Enable the webhook, then retry."
    if status_code in (401, 403) or "token" in text or "oauth" in text:
        return ("Authentication failed: check the webhook's authentication profile (expired "
                "password, wrong client secret, token URL or scope).")
    if "redirect" in text or (status_code is not None and 300 <= status_code < 400):
        return "Redirects are not followed: set the webhook's endpoint URL to the final address."
    if status_code is not None and 400 <= status_code < 500:
        return "The subscriber refused the request: its logs say why it rejects the payload."
    if status_code is not None and status_code >= 500:
        return "The subscriber failed while handling the request: check its logs, then retry."
    if "timed out" in text or "timeout" in text:
        return ("The subscriber did not answer in time: check that it is up and not overloaded; "
                "a firewall dropping requests looks the same.")
    if "tls" in text or "certificate" in text:
        return "The TLS handshake failed: check the endpoint's certificate and host name."
    if any(word in text for word in ("refused", "cannot connect", "dns", "unreachable", "connection")):
        return ("The endpoint could not be reached: check the URL, DNS and the firewall rules "
                "between this service and the subscriber.")
    return None


def next_attempt_text(n: dict) -> str:
    """When the next attempt is due, or why there is none."""
    if n.get("nextAttemptAt"):
        return local_time(n["nextAttemptAt"])
    if n.get("status") != FAILED:
        return DASH
    history = n.get("attemptHistory") or []
    if not history:
        return "none (never sent)"
    if history[-1].get("error") != n.get("lastError"):
        return "none (stopped early: see why it failed)"
    return "none (the manual retry round's attempts are used up)" if n.get("roundKind") == "manual" else \
        "none (automatic attempts used up)"


def webhook_state(webhook: dict | None) -> str:
    if webhook is None:
        return "deleted"
    return "enabled" if webhook.get("enabled") else "disabled"
