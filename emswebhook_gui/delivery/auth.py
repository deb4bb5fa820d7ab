"""Authentication of deliveries: HTTP Basic, and OAuth 2.0 client credentials with a token cache.

The caller reads secrets from the keyring at send time and hands them over as plain values in the
spec dataclasses below; their ``repr`` masks the secrets, and no message built here ever contains
one (a token endpoint that echoes the request has the secret scrubbed from the excerpt we quote).

OAuth client authentication uses HTTP Basic (``client_secret_basic``) by default: RFC 6749 section
2.3.1 makes it the one method every authorization server must support. ``client_auth="body"``
sends ``client_id`` / ``client_secret`` as form fields instead, for servers that accept only that.
The HTTP exchange itself lives in the sender (``http.py``), which owns the connection pool and the
URL guard; this module builds the token request and judges the answer, so it needs no network.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, quote_plus

from ..jsontext import read_json

__all__ = [
    "AuthSpec",
    "BasicAuth",
    "OAuthClientCredentials",
    "TokenCache",
    "TokenError",
    "parse_token_response",
    "redact",
    "token_request",
]


# Not frozen: made for every delivery, and a frozen dataclass's __init__ costs five times as much
# (object.__setattr__ per field). Nothing mutates it.
@dataclass(slots=True)
class BasicAuth:
    username: str
    password: str = field(repr=False)
    _header: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # RFC 7617 says UTF-8 for non-ASCII credentials; made once, as the engine keeps the object
        raw = f"{self.username}:{self.password}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")

    def header(self) -> str:
        """The ``Authorization`` value."""
        return self._header


@dataclass(frozen=True, slots=True)
class OAuthClientCredentials:
    """One OAuth profile; ``profile_key`` names its token cache entry (default: the token URL,
    client id, scope and audience, so profiles naming the same client share a token)."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None
    audience: str | None = None
    client_auth: Literal["basic", "body"] = "basic"
    profile_key: Hashable | None = None

    @property
    def cache_key(self) -> Hashable:
        if self.profile_key is not None:
            return self.profile_key
        return (self.token_url, self.client_id, self.scope, self.audience)

    def fingerprint(self) -> bytes:
        """Identifies the credentials, so a cached token dies when the profile is edited.

        Keyed with a per-process random key: the value reveals nothing about the secret outside
        this process, even if it ends up somewhere it should not.
        """
        fields = (self.token_url, self.client_id, self.client_secret, self.scope, self.audience)
        return hmac.new(_FINGERPRINT_KEY, repr(fields).encode(), hashlib.sha256).digest()


_FINGERPRINT_KEY = _secrets.token_bytes(32)


AuthSpec = BasicAuth | OAuthClientCredentials


class TokenError(Exception):
    """The token endpoint did not give us a usable token.

    The message starts with ``token endpoint <url>`` and says what it answered; it never holds the
    client secret or a token.
    """


def token_request(spec: OAuthClientCredentials) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and form fields of the client-credentials token request."""
    headers = {"Accept": "application/json"}
    form = {"grant_type": "client_credentials"}
    if spec.client_auth == "basic":
        # RFC 6749 2.3.1: id and secret are form-urlencoded before the Basic encoding.
        raw = f"{quote_plus(spec.client_id)}:{quote_plus(spec.client_secret)}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    elif spec.client_auth == "body":
        form["client_id"] = spec.client_id
        form["client_secret"] = spec.client_secret
    else:
        raise ValueError(f"client_auth must be 'basic' or 'body', not {spec.client_auth!r}")
    if spec.scope:
        form["scope"] = spec.scope
    if spec.audience:
        form["audience"] = spec.audience
    return headers, form


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every spelling of the secrets we may have sent (raw, URL-encoded) masked."""
    for secret in secrets:
        if not secret:
            continue
        for spelling in {secret, quote_plus(secret), quote(secret, safe="")}:
            text = text.replace(spelling, "***")
    return text


def _secret_spellings(spec: OAuthClientCredentials) -> tuple[str, ...]:
    basic = token_request(spec)[0].get("Authorization", "").removeprefix("Basic ")
    return (spec.client_secret, basic)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_token_response(
    spec: OAuthClientCredentials, status: int, reason: str | None, body: bytes
) -> tuple[str, float | None]:
    """The access token and its ``expires_in`` (seconds, None when not given) from an answer.

    Raises TokenError describing the answer (status, and the server's ``error`` /
    ``error_description`` or an excerpt of the body) for anything that is not a usable token.
    """
    where = f"token endpoint {spec.token_url}"
    text = body.decode("utf-8", errors="replace")
    try:
        data = read_json(text) if text.strip() else None
    except ValueError:
        data = None
    if not 200 <= status < 300:
        detail = ""
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            detail = data["error"]
            if isinstance(data.get("error_description"), str):
                detail += f" ({data['error_description']})"
        elif text.strip():
            detail = text
        status_text = f"{status} {reason}".strip() if reason else str(status)
        message = f"{where} answered {status_text}"
        if detail:
            message += ": " + _one_line(redact(detail, _secret_spellings(spec)))
        if status in (400, 401):
            message += "; check the client id and secret of the authentication profile"
        raise TokenError(message)
    if not isinstance(data, dict):
        raise TokenError(f"{where} answered {status} without a JSON object")
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise TokenError(f"{where} answered {status} without an access_token")
    if not all("\x21" <= ch <= "\x7e" for ch in token):
        # A token that cannot travel in a header would make the HTTP client raise with the token
        # quoted in its message; refuse it here, without quoting it.
        raise TokenError(f"{where} issued an access_token with characters not allowed in a header")
    token_type = data.get("token_type")
    if isinstance(token_type, str) and token_type.lower() != "bearer":
        raise TokenError(f"{where} issued a {token_type!r} token; only Bearer tokens are supported")
    expires_in = data.get("expires_in")
    if isinstance(expires_in, str):
        try:
            expires_in = float(expires_in)
        except ValueError:
            expires_in = None
    if not isinstance(expires_in, int | float) or isinstance(expires_in, bool) or expires_in <= 0:
        expires_in = None
    return token, float(expires_in) if expires_in is not None else None


@dataclass(slots=True)
class _Entry:
    token: str = field(repr=False)
    fresh_until: float
    fingerprint: bytes = field(repr=False)


TokenFetcher = Callable[[OAuthClientCredentials], Awaitable[tuple[str, float | None]]]


class TokenCache:
    """Bearer tokens per profile, shared by every delivery of the process.

    A token is reused, for the same credentials (an edited profile gets a new one), until ``margin`` seconds (at most half its lifetime, so short-lived tokens
    are still reused) before ``expires_in``, counted from when it was requested. A token without
    ``expires_in`` is kept ``default_lifetime`` seconds; a 401 from an endpoint ends it earlier.
    Concurrent deliveries that find no fresh token share one in-flight request, which runs as its
    own task so a cancelled delivery does not cancel it for the others.
    """

    def __init__(
        self,
        *,
        margin: float = 30.0,
        default_lifetime: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._margin = margin
        self._default_lifetime = default_lifetime
        self._clock = clock
        self._tokens: dict[Hashable, _Entry] = {}
        self._inflight: dict[tuple[Hashable, bytes], asyncio.Task[str]] = {}

    async def get(self, spec: OAuthClientCredentials, fetch: TokenFetcher) -> str:
        """A fresh token for ``spec``, requesting one through ``fetch`` when needed."""
        key = spec.cache_key
        fingerprint = spec.fingerprint()
        entry = self._tokens.get(key)
        if (
            entry is not None
            and entry.fingerprint == fingerprint
            and self._clock() < entry.fresh_until
        ):
            return entry.token
        flight = (key, fingerprint)
        task = self._inflight.get(flight)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch(key, spec, fetch))
            self._inflight[flight] = task
            task.add_done_callback(lambda t, flight=flight: self._done(flight, t))
        return await asyncio.shield(task)

    async def _fetch(self, key: Hashable, spec: OAuthClientCredentials, fetch: TokenFetcher) -> str:
        requested_at = self._clock()
        token, expires_in = await fetch(spec)
        lifetime = expires_in if expires_in is not None else self._default_lifetime
        margin = min(self._margin, lifetime / 2)
        self._tokens[key] = _Entry(token, requested_at + lifetime - margin, spec.fingerprint())
        return token

    def _done(self, flight: tuple[Hashable, bytes], task: asyncio.Task[str]) -> None:
        if self._inflight.get(flight) is task:
            del self._inflight[flight]
        if not task.cancelled():
            task.exception()  # retrieved here: every waiter may have been cancelled

    def invalidate(self, key: Hashable, token: str | None = None) -> None:
        """Forget the cached token of ``key`` (after a 401, or when the profile changed).

        With ``token``, only forget it if it is still that token: another delivery may already
        have replaced it, and throwing the newer one away would cost one more token request.
        """
        entry = self._tokens.get(key)
        if entry is not None and (token is None or entry.token == token):
            del self._tokens[key]

    def clear(self) -> None:
        self._tokens.clear()

    async def aclose(self) -> None:
        """Cancel token requests still in flight (the sender is shutting down)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
