"""Copy as cURL: a recorded delivery attempt as a POSIX shell command that sends it again.

The command is built from what the attempt recorded (``exchange``: method, URL, headers with
the secret ones masked) and the notification's payload, which is byte for byte the body every
attempt posted (the engine sends ``payload.encode("utf-8")``). Decisions:

- Headers go out as recorded, in their order, except those curl derives from the command itself
  (``Host``, ``Content-Length``, ``Transfer-Encoding``, ``Connection``: a stale length would cut
  or hang the request) and ``Proxy-Authorization``, which only a proxy reads (a note says so).
- A masked value stays ``•••`` unless :class:`Secrets` are given (the inspector's "Include
  secrets", read from the keyring at that moment, so an edited profile gives its new secret):
  ``Authorization`` becomes the Basic header of the profile's current credentials; an OAuth
  profile's bearer token stays masked, with a note: fetching a token for a clipboard would be a
  token request the user did not ask for, and the token would expire within the hour anyway.
  ``webhook-signature`` is recomputed with the webhook's current signing secret over the body,
  for the recorded ``webhook-id`` and ``webhook-timestamp``: the very signature the attempt sent
  unless the secret was rotated since. A receiver enforcing the usual five-minute tolerance
  refuses that old timestamp; a note says so rather than signing a new one, so the command
  repeats the attempt instead of making a different request.
- Notes are returned beside the command, not as ``#`` lines in it: an interactive zsh (macOS's
  default shell) runs ``# ...`` as a command unless ``interactive_comments`` is set.
- Every word is single-quoted (``shlex.quote``), so nothing in a URL, header or payload is
  expanded. The body rides inline with ``--data-raw`` (never read as ``@file``), or, above
  :data:`INLINE_BYTES`, through ``printf '%s' ... |`` and ``--data-binary @-``: a built-in
  ``printf`` has no argument limit, while Linux refuses any single argument over 128 KiB. A
  here-document would add a newline to the body, and so change what the signature covers.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from .exchange import MASK
from .signing import sign

INLINE_BYTES = 64 * 1024
"""Bodies up to this size (UTF-8) are a ``--data-raw`` argument; larger ones are piped in."""

DERIVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class Secrets:
    """What "Include secrets" puts back, as the service read it from the keyring just now."""

    auth_type: str | None = None
    """The webhook's authentication profile type now: ``"basic"`` or ``"oauth"``."""
    authorization: str | None = field(default=None, repr=False)
    """The Basic ``Authorization`` value (None for OAuth, or when the secret is missing)."""
    signing_secret: str | None = field(default=None, repr=False)
    """The webhook's signing secret (None when signing is off)."""

    @classmethod
    def of(cls, data: Mapping) -> "Secrets":
        """From ``WebhookService.replay_secrets``."""
        return cls(data.get("authType"), data.get("authorization"), data.get("signingSecret"))


@dataclass(frozen=True)
class CurlCommand:
    command: str
    notes: tuple[str, ...] = ()
    """What the command cannot reproduce, one sentence each (shown beside it, not in it)."""


def curl_command(request: Mapping, body: str, secrets: Secrets | None = None) -> CurlCommand:
    """``request`` as the REST API gives an attempt's (``{"method", "url", "headers"}``), with
    ``body`` as its payload; secret values masked unless ``secrets`` are given."""
    headers: Mapping[str, str] = request.get("headers") or {}
    lower = {name.lower(): value for name, value in headers.items()}
    data = body.encode("utf-8")
    notes: list[str] = []
    lines = ["curl"]  # one option and its value a line
    method = str(request.get("method") or "POST")
    if method != "POST":
        lines.append(f"--request {shlex.quote(method)}")
    for name, value in headers.items():
        key = name.lower()
        if key in DERIVED_HEADERS:
            continue
        if key == "proxy-authorization":
            notes.append("The attempt went through an authenticating proxy: add --proxy and --proxy-user to go that way.")
            continue
        if value == MASK and secrets is not None:
            value = _unmasked(key, value, lower, data, secrets, notes)
        lines.append(f"--header {shlex.quote(f'{name}: {value}')}")
    if secrets is None and MASK in headers.values():
        notes.append(f"Secret values are shown as {MASK}: tick \"Include secrets\" to put them in.")
    pipe = len(data) > INLINE_BYTES
    lines.append("--data-binary @-" if pipe else f"--data-raw {shlex.quote(body)}")
    lines.append(shlex.quote(str(request.get("url") or "")))
    command = " \\\n  ".join(lines)
    if pipe:
        command = f"printf '%s' {shlex.quote(body)} | {command}"
    return CurlCommand(command, tuple(notes))


def _unmasked(key: str, value: str, headers: Mapping[str, str], body: bytes, secrets: Secrets,
              notes: list[str]) -> str:
    if key == "authorization":
        if secrets.authorization:
            return secrets.authorization
        if secrets.auth_type == "oauth":
            notes.append("The OAuth bearer token is not included (it expires within the hour): "
                         "fetch one from the profile's token URL and put it in the Authorization header.")
        else:
            notes.append("The authentication profile's secret is missing from the keyring: "
                         "Authorization stays masked.")
        return value
    if key == "webhook-signature":
        msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
        if not secrets.signing_secret:
            notes.append("Signing is off for this webhook now, so the signature stays masked.")
            return value
        if msg_id is None or timestamp is None or not timestamp.isdigit():
            notes.append("The attempt recorded no webhook-id or webhook-timestamp to sign: the signature stays masked.")
            return value
        try:
            signature = sign(secrets.signing_secret, msg_id, int(timestamp), body)
        except ValueError as exc:  # a malformed secret; the message never quotes it
            notes.append(f"The signature stays masked: {exc}.")
            return value
        notes.append("The signature is recomputed for the attempt's own timestamp: a receiver that "
                     "enforces the usual five-minute tolerance refuses it once that has passed.")
        return signature
    return value

