"""Authentication profiles and webhooks as rows: lookup by id or name, validation of a whole
definition against the source's rules, and the dict form every adapter shows.

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
from .store.models import AuthProfile, Webhook, iso
from .validation import (
    DESCRIPTION_MAX,
    PROFILE_FIELDS,
    PROFILE_TYPES,
    SECRET_MAX,
    WEBHOOK_FIELDS,
    Collector,
    check_activities,
    check_bool,
    check_event,
    check_http_url,
    check_name,
    check_optional_text,
    check_trigger_condition,
    refuse_unknown_fields,
    required_text,
    unstorable,
)


def find_profile(session: Session, ref: str) -> AuthProfile:
    return _find(session, AuthProfile, ref, "authentication profile")


def find_webhook(session: Session, ref: str) -> Webhook:
    return _find(session, Webhook, ref, "webhook")


def _find(session: Session, model: type[AuthProfile] | type[Webhook], ref: str, noun: str):
    """By id, else by name regardless of case (the unique ``name_key``). A reference that is not
    storable text (see ``validation.unstorable``) names nothing, and the driver could not bind it."""
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
    refuse_unknown_fields(data, PROFILE_FIELDS, errors)
    merged = {} if existing is None else {
        "name": existing.name, "type": existing.type, "username": existing.username,
        "tokenUrl": existing.token_url, "clientId": existing.client_id,
        "scope": existing.scope, "audience": existing.audience,
    }
    merged.update(data)
    name = check_name(merged.get("name"), errors)
    kind = merged.get("type")
    if kind not in PROFILE_TYPES:
        errors.add("type", f"must be one of: {', '.join(PROFILE_TYPES)}")
    secret_field = "password" if kind == "basic" else "clientSecret"
    secret = merged.get(secret_field)
    type_changed = existing is not None and existing.type != kind
    if secret is None or secret == "":
        if existing is None or type_changed:
            errors.add(secret_field, "is required")
        secret = None
    elif not isinstance(secret, str):
        errors.add(secret_field, "must be a string")
    elif len(secret) > SECRET_MAX:
        errors.add(secret_field, f"is too long; at most {SECRET_MAX} characters are allowed")
    columns = {"username": None, "token_url": None, "client_id": None, "scope": None, "audience": None}
    if kind == "basic":
        columns["username"] = required_text(merged.get("username"), errors, "username", 255)
        for field in ("tokenUrl", "clientId", "clientSecret", "scope", "audience"):
            if field in data and data[field] not in (None, ""):
                errors.add(field, "applies only to OAuth profiles")
    elif kind == "oauth":
        columns["token_url"] = check_http_url(merged.get("tokenUrl"), errors, "tokenUrl")
        columns["client_id"] = required_text(merged.get("clientId"), errors, "clientId", 255)
        columns["scope"] = check_optional_text(merged.get("scope"), errors, "scope", 1000)
        columns["audience"] = check_optional_text(merged.get("audience"), errors, "audience", 1000)
        for field in ("username", "password"):
            if field in data and data[field] not in (None, ""):
                errors.add(field, "applies only to Basic profiles")
    errors.raise_if_any()
    return {"name": name, "name_key": name.casefold(), "type": kind, **columns}, secret


def validate_webhook(session: Session, data: dict, existing: Webhook | None) -> tuple[dict, AuthProfile]:
    errors = Collector()
    if not isinstance(data, dict):
        raise ValidationError(FieldError("body", "must be an object"))
    refuse_unknown_fields(data, WEBHOOK_FIELDS, errors)
    merged: dict[str, Any] = {"activities": [], "includeData": True, "enabled": True}
    if existing is not None:
        merged.update(
            event=existing.event_name, name=existing.name, endpointUrl=existing.endpoint_url,
            authProfile=existing.auth_profile_id, activities=list(existing.activities or []),
            triggerCondition=existing.trigger_condition, description=existing.description,
            includeData=existing.include_data, enabled=existing.enabled,
        )
    merged.update(data)
    event = check_event(merged.get("event"), errors)
    name = check_name(merged.get("name"), errors)
    url = check_http_url(merged.get("endpointUrl"), errors, "endpointUrl")
    activities = check_activities(merged.get("activities"), event, errors)
    condition = check_trigger_condition(merged.get("triggerCondition"), event, errors)
    description = check_optional_text(merged.get("description"), errors, "description", DESCRIPTION_MAX)
    include_data = check_bool(merged.get("includeData"), errors, "includeData")
    enabled = check_bool(merged.get("enabled"), errors, "enabled")
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
    return {
        "event_name": event.name, "name": name, "name_key": name.casefold(), "endpoint_url": url,
        "auth_profile_id": profile.id, "activities": activities, "trigger_condition": condition,
        "description": description, "include_data": include_data, "enabled": enabled,
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
