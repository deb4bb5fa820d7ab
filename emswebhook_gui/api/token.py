"""The REST API's bearer token: created on first use, kept only in the keyring (``API_TOKEN_KEY``).

Whoever can read the keyring of the user running the service can use the API; nobody else can,
even on a shared machine where other users reach 127.0.0.1. ``emswebhook api-token`` prints it
for scripts; ``--rotate`` replaces it.

A running server must notice a rotation done by another process (the CLI, the GUI) without
reading the keyring on every request (a Secret Service round trip per request would cost more
than the request). ``TokenCheck`` therefore keeps the token in memory, re-reads it when it is
``max_age`` seconds old, and re-reads at once (at most once a second, so guessing cannot hammer
the keyring) when a presented token does not match: the new token works immediately, the old one
stops working within ``max_age`` seconds.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time

from ..secrets import API_TOKEN_KEY, SecretStore

log = logging.getLogger(__name__)

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def load_or_create(store: SecretStore) -> str:
    """The stored token, created and stored first if there is none (blocking: keyring I/O)."""
    token = store.get(API_TOKEN_KEY)
    if not token:
        token = new_token()
        store.set(API_TOKEN_KEY, token)
    return token


def rotate(store: SecretStore) -> str:
    """Replace the token; clients holding the old one get 401 from then on."""
    token = new_token()
    store.set(API_TOKEN_KEY, token)
    return token


def same_token(presented: str, expected: str) -> bool:
    """Constant-time comparison; bytes, because ``compare_digest`` refuses non-ASCII str."""
    return hmac.compare_digest(presented.encode("utf-8", "surrogateescape"),
                               expected.encode("utf-8", "surrogateescape"))


class TokenCheck:
    """Checks presented tokens against the keyring's, cached (see the module docstring)."""

    def __init__(self, store: SecretStore | None = None, *, token: str | None = None,
                 max_age: float = 15.0, miss_interval: float = 1.0) -> None:
        self._store = store
        self._token = token
        self._loaded_at = time.monotonic() if token is not None else float("-inf")
        self.max_age = max_age
        self.miss_interval = miss_interval
        self._lock = asyncio.Lock()

    @property
    def token(self) -> str | None:
        return self._token

    async def ensure(self) -> str:
        """Load (or create) the token before the server accepts requests."""
        if self._store is not None:
            self._token = await asyncio.to_thread(load_or_create, self._store)
            self._loaded_at = time.monotonic()
        if not self._token:
            raise RuntimeError("the REST API has no token: give a SecretStore or a token")
        return self._token

    def set(self, token: str) -> None:
        """Adopt a token rotated in this process at once."""
        self._token = token
        self._loaded_at = time.monotonic()

    async def accepts(self, presented: str) -> bool:
        if time.monotonic() - self._loaded_at > self.max_age:
            await self._reload()
        if self._token is not None and same_token(presented, self._token):
            return True
        if time.monotonic() - self._loaded_at > self.miss_interval and await self._reload():
            return same_token(presented, self._token)
        return False

    async def _reload(self) -> bool:
        """Re-read the keyring; True when the token changed. A keyring failure keeps the old one.

        Requests that queued behind a reload reuse its result instead of reading again."""
        if self._store is None:
            return False
        previous = self._token
        async with self._lock:
            if time.monotonic() - self._loaded_at <= self.miss_interval:
                return self._token != previous
            try:
                stored = await asyncio.to_thread(self._store.get, API_TOKEN_KEY)
            except Exception as exc:
                log.warning("could not re-read the REST API token from the keyring (%s); keeping "
                            "the one in memory", type(exc).__name__)
                stored = None
            self._loaded_at = time.monotonic()
            if stored:
                self._token = stored
            return self._token != previous
