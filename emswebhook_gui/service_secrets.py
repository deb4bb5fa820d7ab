"""The keyring side of ``WebhookService``: profile, signing and proxy secrets, the API token, and
the OAuth "Test" that uses a profile's secret.

A part of the facade, not a layer of its own: ``WebhookService`` inherits these methods, so every
adapter still enters through the one class. They are apart because they share what the rest of
the facade does not (the keyring, and a sender built for one request), and because together
with the definitions (``service_definitions``) they made ``service.py`` twice the size a reader
can hold.
"""

from __future__ import annotations

from typing import Any

from . import logs
from .rules import properties
from .delivery.auth import BasicAuth, OAuthClientCredentials, TokenError
from .delivery.http import Sender
from .delivery.signing import generate_secret
from .delivery.transport import encode_credentials, proxy_plan, read_settings
from .errors import FieldError, NotFound, ValidationError
from .secrets import PROXY_CREDENTIALS_KEY, SecretStore, profile_secret_key, signing_secret_key
from .store import Database
from .store.models import Webhook
from .threads import run_blocking
from .rules.checks import Collector, required_text
from .rules.urls import check_http_url


class SecretMethods:
    """Mixed into ``WebhookService``, whose ``get_property``, ``get_profile``, ``get_webhook``
    and ``_emit`` these use."""

    db: Database
    secrets: SecretStore

    async def test_oauth_profile(self, data: dict) -> dict:
        """Fetch a token with these OAuth settings (the profile form's "Test").

        ``data`` holds the form's fields; an omitted clientSecret with a ``name`` of an existing
        profile uses the stored secret, so testing an unchanged profile needs no retyping.
        Returns ``{"ok": bool, "message": str, "expiresIn": seconds | None}``; the token itself
        is never returned or shown.
        """
        errors = Collector()
        token_url = check_http_url(data.get("tokenUrl"), errors, "tokenUrl")
        client_id = required_text(data.get("clientId"), errors, "clientId", 255)
        secret = data.get("clientSecret") or None
        if secret is None and data.get("name"):
            try:
                existing = await self.get_profile(data["name"])
                secret = await self.profile_secret(existing["id"])
            except NotFound:
                pass
        if not secret:
            errors.add("clientSecret", "is required")
        errors.raise_if_any()
        spec = OAuthClientCredentials(token_url, client_id, secret, data.get("scope") or None,
                                      data.get("audience") or None)
        allow_private = bool(await self.get_property(properties.ALLOW_PRIVATE_ENDPOINTS))
        settings = await read_settings(self.get_property, self.secrets)
        async with Sender(allow_private=allow_private, settings=settings) as sender:
            try:
                _token, expires_in = await sender.fetch_token(spec)
            except TokenError as exc:
                return {"ok": False, "message": str(exc), "expiresIn": None}
        lifetime = f"; valid for {int(expires_in)} s" if expires_in else ""
        return {"ok": True, "message": f"token endpoint {token_url} issued a token{lifetime}",
                "expiresIn": expires_in}

    async def api_token(self, *, rotate: bool = False) -> str:
        """The local REST API's bearer token (created if absent); ``rotate`` replaces it."""
        from .api import token

        return await run_blocking(token.rotate if rotate else token.load_or_create, self.secrets)

    async def profile_secret(self, profile_id: str) -> str | None:
        """The stored secret, for the delivery engine at send time only."""
        return await run_blocking(self.secrets.get, profile_secret_key(profile_id))

    async def replay_secrets(self, webhook_ref: str) -> dict[str, Any]:
        """What the attempt inspector's "Copy as cURL ▸ Include secrets" puts back into a recorded
        request, read from the keyring now: ``{"authType": "basic" | "oauth", "authorization":
        the Basic header value | None, "signingSecret": str | None}``. Read only: unlike
        :meth:`signing_secret` it never creates a secret or turns signing on. An OAuth profile
        gives no header (the inspector does not fetch a token: ``delivery/curl.py``)."""
        webhook = await self.get_webhook(webhook_ref)
        profile = await self.get_profile(webhook["authProfileId"])
        authorization = None
        if profile["type"] == "basic":
            secret = await self.profile_secret(profile["id"])
            if secret is not None:
                authorization = BasicAuth(profile.get("username") or "", secret).header()
        signing = None
        if webhook["signing"]:
            signing = await run_blocking(self.secrets.get, signing_secret_key(webhook["id"]))
        return {"authType": profile["type"], "authorization": authorization, "signingSecret": signing}

    async def set_proxy_credentials(self, username: str | None, password: str | None = None) -> None:
        """Keep the forward proxy's credentials in the keyring (sent as Proxy-Authorization);
        ``None`` forgets them. The engine picks them up without a restart."""
        if username is None:
            await run_blocking(self.secrets.delete, PROXY_CREDENTIALS_KEY)
        else:
            errors = Collector()
            name = required_text(username, errors, "username", 255)
            if name is not None and (":" in name or any(not ch.isprintable() for ch in name)):
                errors.add("username", "must not contain ':' or control characters")
            errors.raise_if_any()
            await run_blocking(self.secrets.set, PROXY_CREDENTIALS_KEY, encode_credentials(name, password or ""))
        self._emit("properties", ["proxyCredentials"])

    async def proxy_in_effect(self) -> dict[str, Any]:
        """Which proxy deliveries use and where it came from (property or environment), for the
        Settings page: ``{"http": {"url", "source", "authenticated"} | None, "https": ...,
        "noProxy": [...], "noProxySource": ...}``."""
        return proxy_plan(await read_settings(self.get_property, self.secrets)).describe()

    async def signing_secret(self, ref: str, *, rotate: bool = False, remove: bool = False) -> str | None:
        """Turn on Standard Webhooks signing and return the secret (created if absent);
        ``rotate`` replaces it, ``remove`` turns signing off and forgets the secret (returns None)."""
        if rotate and remove:
            raise ValidationError(FieldError("signing", "choose either rotate or remove"))
        webhook = await self.get_webhook(ref)
        key = signing_secret_key(webhook["id"])
        if remove:
            await self.db.run(lambda s: setattr(s.get(Webhook, webhook["id"]), "signing_enabled", False))
            await run_blocking(self.secrets.delete, key)
            self._emit("webhooks", [webhook["id"]])
            logs.definition_changed("webhook", "signing turned off", webhook["name"], webhook["id"])
            return None
        secret = None if rotate else await run_blocking(self.secrets.get, key)
        if secret is None:
            secret = generate_secret()
            await run_blocking(self.secrets.set, key, secret)
            logs.definition_changed("webhook", "given a new signing secret", webhook["name"], webhook["id"])
        if not webhook["signing"]:
            await self.db.run(lambda s: setattr(s.get(Webhook, webhook["id"]), "signing_enabled", True))
        self._emit("webhooks", [webhook["id"]])
        return secret

