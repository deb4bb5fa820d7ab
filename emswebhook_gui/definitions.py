"""Authentication profiles and webhooks as rows: lookup by id or name, a change merged over the
stored row and checked against the rules (``rules.profiles``, ``rules.webhooks``), and the dict
form every adapter shows.

Used only by ``WebhookService``, which decides when these run (inside its transactions); kept
apart so the facade reads as the list of operations it offers.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import catalog
from .errors import FieldError, NotFound, ValidationError
from .rules.checks import Collector, unstorable
from .rules.profiles import check_profile
from .rules.webhooks import DEFAULTS, check_webhook
from .store.models import AuthProfile, Webhook, iso


def find_profile(session: Session, ref: str) -> AuthProfile:
    return _find(session, AuthProfile, ref, "authentication profile")


def find_webhook(session: Session, ref: str) -> Webhook:
    return _find(session, Webhook, ref, "webhook")


def _find(session: Session, model: type[AuthProfile] | type[Webhook], ref: str, noun: str):
    """By id, else by name regardless of case (the unique ``name_key``). A reference that is not
    storable text (see ``rules.checks.unstorable``) names nothing, and the driver could not bind it."""
    if unstorable(ref):
        raise NotFound(f"no {noun} named {ref!r}")
    record = session.get(model, ref) if looks_like_uuid(ref) else None
    record = record or session.scalar(select(model).where(model.name_key == str(ref).strip().casefold()))
    if record is None:
        raise NotFound(f"no {noun} named '{ref}'")
    return record


def looks_like_uuid(ref: Any) -> bool:
    try:
        uuid.UUID(str(ref))
        return True
    except ValueError:
        return False


_A = {AuthProfile: "an authentication profile", Webhook: "a webhook"}


def add_new(session: Session, model: type[AuthProfile] | type[Webhook], clean: dict, now):
    """A new row of checked attributes ``clean``, its name not yet taken, flushed (it has its id)."""
    ensure_unique(session, model, clean["name"], "name", _A[model])
    record = model(id=str(uuid.uuid4()), created_at=now, updated_at=now, **clean)
    session.add(record)
    session.flush()
    return record


def apply_changes(session: Session, record: AuthProfile | Webhook, clean: dict, clock) -> None:
    """Checked attributes ``clean`` written over a stored row (a new name must not be taken), flushed."""
    if clean["name_key"] != record.name_key:
        ensure_unique(session, type(record), clean["name"], "name", _A[type(record)])
    for key, value in clean.items():
        setattr(record, key, value)
    record.updated_at = clock()
    session.flush()


def ensure_unique(session: Session, model, name: str, field: str, what: str) -> None:
    clash = session.scalar(select(model.name).where(model.name_key == name.casefold()))
    if clash is not None:
        same = "" if clash == name else f" (as '{clash}'; names are unique ignoring case)"
        raise ValidationError(FieldError(field, f"{what} named '{name}' already exists{same}"))


def webhook_names_by_profile(session: Session) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for profile_id, name in session.execute(select(Webhook.auth_profile_id, Webhook.name).order_by(Webhook.name_key)):
        used.setdefault(profile_id, []).append(name)
    return used


def validate_profile(data: dict, existing: AuthProfile | None) -> tuple[dict, str | None]:
    """Returns the columns to write and the secret to store (None: keep the stored one)."""
    errors = Collector()
    if not isinstance(data, dict):
        raise ValidationError(FieldError("body", "must be an object"))
    merged = {} if existing is None else {
        "name": existing.name, "type": existing.type, "username": existing.username,
        "tokenUrl": existing.token_url, "clientId": existing.client_id,
        "scope": existing.scope, "audience": existing.audience,
    }
    merged.update(data)
    columns, secret = check_profile(data, merged, None if existing is None else existing.type, errors)
    errors.raise_if_any()
    return columns, secret


def validate_webhook(session: Session, data: dict, existing: Webhook | None) -> tuple[dict, AuthProfile]:
    """The rules (``rules.webhooks``) on the change merged over the stored webhook, then the one
    check they cannot make: that ``authProfile`` names a stored profile."""
    errors = Collector()
    if not isinstance(data, dict):
        raise ValidationError(FieldError("body", "must be an object"))
    merged: dict[str, Any] = dict(DEFAULTS)
    if existing is not None:
        merged.update(
            event=existing.event_name, name=existing.name, endpointUrl=existing.endpoint_url,
            authProfile=existing.auth_profile_id, activities=list(existing.activities or []),
            triggerCondition=existing.trigger_condition, description=existing.description,
            includeData=existing.include_data, enabled=existing.enabled,
        )
    merged.update(data)
    clean = check_webhook(data, merged, errors)
    profile = None
    profile_ref = merged.get("authProfile")
    if profile_ref in (None, ""):
        errors.add("authProfile", "is required; create one with 'emswebhook profile add'")
    elif not isinstance(profile_ref, str):
        errors.add("authProfile", "must be a profile name or id")
    else:
        try:
            profile = find_profile(session, profile_ref)
        except NotFound:
            errors.add("authProfile", f"no authentication profile named '{profile_ref}'")
    errors.raise_if_any()
    name = clean["name"]
    return {
        "event_name": clean["event"].name, "name": name, "name_key": name.casefold(),
        "endpoint_url": clean["endpointUrl"], "auth_profile_id": profile.id, "activities": clean["activities"],
        "trigger_condition": clean["triggerCondition"], "description": clean["description"],
        "include_data": clean["includeData"], "enabled": clean["enabled"],
    }, profile


def profile_dict(profile: AuthProfile, used_by: list[str]) -> dict:
    result = {"id": profile.id, "name": profile.name, "type": profile.type}
    if profile.type == "basic":
        result["username"] = profile.username
    else:
        result.update(tokenUrl=profile.token_url, clientId=profile.client_id,
                      scope=profile.scope, audience=profile.audience)
    result.update(usedBy=used_by, createdAt=iso(profile.created_at), updatedAt=iso(profile.updated_at))
    return result


def webhook_dict(webhook: Webhook, profile_name: str) -> dict:
    event = catalog.get_event(webhook.event_name)
    return {
        "id": webhook.id,
        "name": webhook.name,
        "event": webhook.event_name,
        "entityName": event.entity if event else None,
        "endpointUrl": webhook.endpoint_url,
        "authProfile": profile_name,
        "authProfileId": webhook.auth_profile_id,
        "activities": list(webhook.activities or []),
        "triggerCondition": webhook.trigger_condition,
        "description": webhook.description,
        "includeData": webhook.include_data,
        "enabled": webhook.enabled,
        "signing": webhook.signing_enabled,
        "createdAt": iso(webhook.created_at),
        "updatedAt": iso(webhook.updated_at),
    }
