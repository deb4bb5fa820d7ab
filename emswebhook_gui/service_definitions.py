"""The definitions side of ``WebhookService``: authentication profiles and webhooks.

A part of the facade, not a layer of its own: ``WebhookService`` inherits these methods, so every
adapter still enters through the one class, and the rules stay in ``definitions`` and
``validation``. Each write validates before it touches anything and runs in one transaction
(with the keyring write inside it), so a refusal changes nothing.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import definitions, logs
from .errors import Conflict, FieldError, ValidationError
from .secrets import SecretStore, profile_secret_key, signing_secret_key
from .store import Database
from .store.models import AuthProfile, Webhook
from .threads import run_blocking


_PROFILES = ("profiles", "authentication profile")
_WEBHOOKS = ("webhooks", "webhook")
"""(the topic listeners are told on, the words of the log) of each kind of definition."""


class DefinitionMethods:
    """Mixed into ``WebhookService``, whose ``clock`` and ``_emit`` these use."""

    db: Database
    secrets: SecretStore

    # -- authentication profiles --------------------------------------------------------------

    async def list_profiles(self) -> list[dict]:
        def work(session: Session) -> list[dict]:
            rows = session.scalars(select(AuthProfile).order_by(AuthProfile.name_key)).all()
            used = definitions.webhook_names_by_profile(session)
            return [definitions.profile_dict(p, used.get(p.id, [])) for p in rows]

        return await self.db.run(work)

    async def get_profile(self, ref: str) -> dict:
        def work(session: Session) -> dict:
            profile = definitions.find_profile(session, ref)
            return definitions.profile_dict(profile, definitions.webhook_names_by_profile(session).get(profile.id, []))

        return await self.db.run(work)

    async def create_profile(self, data: dict) -> dict:
        clean, secret = definitions.validate_profile(data, existing=None)

        def work(session: Session) -> dict:
            profile = definitions.add_new(session, AuthProfile, clean, self.clock())
            self.secrets.set(profile_secret_key(profile.id), secret)
            return definitions.profile_dict(profile, [])

        return await self._save(work, _PROFILES, "created")

    async def update_profile(self, ref: str, data: dict, *, replace: bool = False) -> dict:
        """PATCH semantics by default (omitted fields keep their value, an omitted secret is kept);
        ``replace=True`` is PUT: the body must be complete, the secret included."""

        def work(session: Session) -> dict:
            profile = definitions.find_profile(session, ref)
            clean, secret = definitions.validate_profile(data, existing=None if replace else profile)
            definitions.apply_changes(session, profile, clean, self.clock)
            if secret is not None:
                self.secrets.set(profile_secret_key(profile.id), secret)
            return definitions.profile_dict(profile, definitions.webhook_names_by_profile(session).get(profile.id, []))

        return await self._save(work, _PROFILES, "updated")

    async def delete_profile(self, ref: str) -> None:
        def work(session: Session) -> str:
            profile = definitions.find_profile(session, ref)
            users = definitions.webhook_names_by_profile(session).get(profile.id, [])
            if users:
                raise Conflict(
                    f"authentication profile '{profile.name}' is used by "
                    f"{'webhook' if len(users) == 1 else 'webhooks'} {', '.join(repr(u) for u in users)}; "
                    f"change or delete {'it' if len(users) == 1 else 'them'} first"
                )
            session.delete(profile)
            return profile.id

        await self._delete(work, _PROFILES, profile_secret_key, ref)

    # -- webhooks -----------------------------------------------------------------------------

    async def list_webhooks(self) -> list[dict]:
        def work(session: Session) -> list[dict]:
            rows = session.execute(
                select(Webhook, AuthProfile.name).join(AuthProfile).order_by(Webhook.name_key)
            ).all()
            return [definitions.webhook_dict(w, profile_name) for w, profile_name in rows]

        return await self.db.run(work)

    async def get_webhook(self, ref: str) -> dict:
        def work(session: Session) -> dict:
            webhook = definitions.find_webhook(session, ref)
            return definitions.webhook_dict(webhook, session.get(AuthProfile, webhook.auth_profile_id).name)

        return await self.db.run(work)

    async def create_webhook(self, data: dict) -> dict:
        def work(session: Session) -> dict:
            clean, profile = definitions.validate_webhook(session, data, existing=None)
            webhook = definitions.add_new(session, Webhook, clean, self.clock())
            return definitions.webhook_dict(webhook, profile.name)

        return await self._save(work, _WEBHOOKS, "created")

    async def update_webhook(self, ref: str, data: dict, *, replace: bool = False) -> dict:
        """PATCH by default (omitted attributes keep their value); ``replace=True`` is PUT
        (omitted optional attributes return to their defaults)."""

        def work(session: Session) -> dict:
            webhook = definitions.find_webhook(session, ref)
            clean, profile = definitions.validate_webhook(session, data, existing=None if replace else webhook)
            definitions.apply_changes(session, webhook, clean, self.clock)
            return definitions.webhook_dict(webhook, profile.name)

        return await self._save(work, _WEBHOOKS, "updated")

    async def set_webhook_enabled(self, ref: str, enabled: bool) -> dict:
        return await self.update_webhook(ref, {"enabled": bool(enabled)})

    async def delete_webhook(self, ref: str) -> None:
        """Delete the definition; its delivery history stays searchable under its old name."""

        def work(session: Session) -> str:
            webhook = definitions.find_webhook(session, ref)
            session.delete(webhook)
            return webhook.id

        await self._delete(work, _WEBHOOKS, signing_secret_key, ref)

    # -- helpers --------------------------------------------------------------------------------

    async def _save(self, work: Callable[[Session], dict], kind: tuple[str, str], action: str) -> dict:
        """Run a create or update; a unique-name race lost at commit becomes the same message as a
        clash. Then tell the listeners and the log."""
        try:
            result = await self.db.run(work)
        except IntegrityError:
            raise ValidationError(
                FieldError("name", "is already taken (names are unique, ignoring case)")
            ) from None
        self._changed(kind, action, result["name"], result["id"])
        return result

    async def _delete(self, work: Callable[[Session], str], kind: tuple[str, str],
                      secret_key: Callable[[str], str], ref: str) -> None:
        """Run a delete (``work`` returns the id), then drop its keyring secret and tell."""
        ident = await self.db.run(work)
        await run_blocking(self.secrets.delete, secret_key(ident))
        self._changed(kind, "deleted", ref, ident)

    def _changed(self, kind: tuple[str, str], action: str, name: str, ident: str) -> None:
        topic, what = kind
        self._emit(topic, [ident])
        logs.definition_changed(what, action, name, ident)
