"""An authentication profile's fields and rules: Basic (username, password) or OAuth client
credentials (tokenUrl, clientId, clientSecret, optional scope and audience).

Which fields apply depends on ``type``, so the walk is by kind: the kind's own fields are checked,
the other kind's are refused when given. Secrets are write-only and go to the keyring.
"""

from __future__ import annotations

from .checks import NAME_MAX, Collector, check_name, check_optional_text, required_text
from .fields import Field, Fields, Flag
from .urls import URL_MAX, check_http_url

PROFILE_TYPES = ("basic", "oauth")
SECRET_MAX = 4096


def _required(value, errors, f, _clean):
    return required_text(value, errors, f.name, f.limit)


def _optional(value, errors, f, _clean):
    return check_optional_text(value, errors, f.name, f.limit)


PROFILE = Fields(
    Field("name", "string", "the profile's unique name (at most {limit} characters)", required=True, limit=NAME_MAX,
          trimmed=True, check=None, example="ERP", flag=Flag("--name")),
    Field("type", "string", "Basic or OAuth client credentials", required=True, check=None, example="basic",
          schema_extra={"enum": list(PROFILE_TYPES)}, flag=Flag("--type", choices=PROFILE_TYPES)),
    Field("username", "string", "Basic: the user name sent to the endpoint", nullable=True, limit=255,
          check=_required, example="ems", flag=Flag("--username")),
    Field("password", "string", "Basic: the password; write-only", nullable=True, limit=SECRET_MAX, check=None,
          schema_extra={"writeOnly": True},
          flag=Flag("--password-stdin", stdin=True,
                    help="Basic: read the password from stdin (never from the command line)")),
    Field("tokenUrl", "string", "OAuth: the token endpoint (https)", nullable=True, limit=URL_MAX,
          check=lambda value, errors, f, _clean: check_http_url(value, errors, f.name),
          example="https://idp.example.com/oauth2/token", flag=Flag("--token-url", metavar="URL")),
    Field("clientId", "string", "OAuth: the client id", nullable=True, limit=255, check=_required,
          example="ems-webhooks", flag=Flag("--client-id", metavar="ID")),
    Field("clientSecret", "string", "OAuth: the client secret; write-only", nullable=True, limit=SECRET_MAX,
          check=None, schema_extra={"writeOnly": True},
          flag=Flag("--client-secret-stdin", stdin=True,
                    help="OAuth: read the client secret from stdin (never from the command line)")),
    Field("scope", "string", "OAuth: the scope to request (optional)", nullable=True, limit=1000, check=_optional,
          example="webhooks", flag=Flag("--scope")),
    Field("audience", "string", "OAuth: the audience to request (optional)", nullable=True, limit=1000,
          check=_optional, flag=Flag("--audience")),
)
KIND_FIELDS = {"basic": ("username", "password"), "oauth": ("tokenUrl", "clientId", "clientSecret", "scope", "audience")}
KIND_NAMES = {"basic": "Basic", "oauth": "OAuth"}
COLUMNS = {"username": "username", "tokenUrl": "token_url", "clientId": "client_id", "scope": "scope",
           "audience": "audience"}


def check_profile(data: dict, merged: dict, existing_type: str | None, errors: Collector) -> tuple[dict, str | None]:
    """The columns to write and the secret to store (None: keep the stored one). ``data`` as given,
    ``merged`` over the stored profile; ``existing_type`` None for a new one (or a PUT)."""
    PROFILE.refuse_unknown(data, errors)
    name = check_name(merged.get("name"), errors)
    kind = merged.get("type")
    if kind not in PROFILE_TYPES:
        errors.add("type", f"must be one of: {', '.join(PROFILE_TYPES)}")
    secret_field = "password" if kind == "basic" else "clientSecret"
    secret = merged.get(secret_field)
    if secret is None or secret == "":
        if existing_type is None or existing_type != kind:
            errors.add(secret_field, "is required")
        secret = None
    elif not isinstance(secret, str):
        errors.add(secret_field, "must be a string")
    elif len(secret) > SECRET_MAX:
        errors.add(secret_field, f"is too long; at most {SECRET_MAX} characters are allowed")
    columns = dict.fromkeys(COLUMNS.values())
    if kind in PROFILE_TYPES:
        for field_name in KIND_FIELDS[kind]:
            f = PROFILE[field_name]
            if f.check is not None:
                columns[COLUMNS[field_name]] = f.check(merged.get(field_name), errors, f, {})
        other = "oauth" if kind == "basic" else "basic"
        for field_name in KIND_FIELDS[other]:
            if field_name in data and data[field_name] not in (None, ""):
                errors.add(field_name, f"applies only to {KIND_NAMES[other]} profiles")
    return {"name": name, "name_key": name.casefold() if name else None, "type": kind, **columns}, secret
