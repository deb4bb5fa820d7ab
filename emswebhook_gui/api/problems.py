"""RFC 9457 problem details: the one shape every error of the REST API takes.

Clients branch on ``type`` (a stable URN per kind of problem) and ``status``; ``detail`` is the
sentence for people (the service's own message, which names the field and the fix); validation
problems add ``errors``, one ``{field, message}`` per wrong field, so a client can show each next
to its input. The middleware here is the single place that turns exceptions into responses, so no
route has its own error format and no traceback or secret reaches a client.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from ..errors import Conflict, FieldError, NotFound, ServiceError, ValidationError
from ..secrets import SecretStoreUnavailable
from ..store.errors import FULL, READ_ONLY, explain
from .keys import SERVICE

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

VALIDATION = "urn:emswebhook:problem:validation"
MALFORMED_BODY = "urn:emswebhook:problem:malformed-body"
NOT_FOUND = "urn:emswebhook:problem:not-found"
CONFLICT = "urn:emswebhook:problem:conflict"
UNAUTHORIZED = "urn:emswebhook:problem:unauthorized"
TOO_LARGE = "urn:emswebhook:problem:too-large"
KEYRING = "urn:emswebhook:problem:keyring-unavailable"
UNSUPPORTED_MEDIA_TYPE = "urn:emswebhook:problem:unsupported-media-type"
MISDIRECTED = "urn:emswebhook:problem:misdirected"
DATABASE_UNAVAILABLE = "urn:emswebhook:problem:database-unavailable"
DATABASE_FULL = "urn:emswebhook:problem:database-full"
DATABASE_READ_ONLY = "urn:emswebhook:problem:database-read-only"
BLANK = "about:blank"

_TYPE_BY_STATUS = {401: UNAUTHORIZED, 404: NOT_FOUND, 409: CONFLICT, 413: TOO_LARGE}


def problem(status: int, title: str, detail: str, *, type: str | None = None,
            errors: list[FieldError] | None = None, instance: str | None = None,
            headers: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"type": type or _TYPE_BY_STATUS.get(status, BLANK), "title": title,
                            "status": status, "detail": detail}
    if instance is not None:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                        content_type=PROBLEM_JSON, headers=headers)


class MalformedBody(ServiceError):
    """The body is not JSON, or not the JSON value the operation takes (an object)."""

    title = "Malformed request body"


def from_service_error(exc: ServiceError, instance: str) -> web.Response:
    if isinstance(exc, ValidationError):
        return problem(400, exc.title, str(exc), type=VALIDATION, errors=exc.errors, instance=instance)
    if isinstance(exc, MalformedBody):
        return problem(400, exc.title, str(exc), type=MALFORMED_BODY, instance=instance)
    kind = NOT_FOUND if isinstance(exc, NotFound) else CONFLICT if isinstance(exc, Conflict) else VALIDATION
    errors = [] if kind == VALIDATION else None
    return problem(exc.status, exc.title, str(exc), type=kind, errors=errors, instance=instance)


def from_http_exception(exc: web.HTTPException, instance: str) -> web.Response:
    """aiohttp's own refusals (no such route, method not allowed, body too large) as problems."""
    status = exc.status
    if status == 413:
        detail = "the request body is larger than 1 MiB; send less data per request"
    elif status == 404:
        detail = f"there is no resource at {instance}; see /openapi.json for the API's paths"
    elif status == 405:
        allowed = ", ".join(sorted(getattr(exc, "allowed_methods", ()) or ()))
        detail = f"{exc.method} is not allowed on {instance}" + (f"; allowed: {allowed}" if allowed else "")
    else:
        detail = exc.text or exc.reason
    headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "www-authenticate")}
    return problem(status, exc.reason, detail, instance=instance, headers=headers)


def problem_for(exc: Exception, request: web.Request) -> web.Response:
    """The answer to an exception a handler raised; re-raises what is not an error (redirects)."""
    if isinstance(exc, ServiceError):
        return from_service_error(exc, request.path)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return from_http_exception(exc, request.path)
    if isinstance(exc, SecretStoreUnavailable):
        return problem(503, "Keyring unavailable", str(exc), type=KEYRING, instance=request.path)
    database = _database_problem(exc, request)
    if database is not None:
        return database
    # The request (headers included) is deliberately not logged: it carries the bearer token.
    log.error("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return problem(500, "Internal Server Error",
                   "the server failed to handle this request; the service log has the details",
                   instance=request.path)


def _database_problem(exc: Exception, request: web.Request) -> web.Response | None:
    """503 for a database that cannot take the request (full, read-only, unreachable), in the
    words the CLI uses: the client can do nothing about it but wait or tell an administrator,
    which is what 503 says; a 500 would claim a bug."""
    found = explain(exc, request.app[SERVICE].db.url)
    if found is None:
        return None
    log.warning("database: %s (%s %s)", found.message, request.method, request.path)
    if found.kind == FULL:
        title, kind = "Database full", DATABASE_FULL
    elif found.kind == READ_ONLY:
        title, kind = "Database read-only", DATABASE_READ_ONLY
    else:
        title, kind = "Database unavailable", DATABASE_UNAVAILABLE
    return problem(503, title, found.message, type=kind, instance=request.path)
