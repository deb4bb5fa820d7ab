"""The OpenAPI 3.1 document served at ``/openapi.json``.

Built in Python from the declarations the service validates with (``rules``: the request schemas
of webhooks, profiles, occurrences and properties, with their limits, help and examples), so the
document cannot drift from the rules. Response schemas are closed
(``additionalProperties: false``): the schema test then proves, for every operation, that no
response carries a field the document does not name, secrets included. Request schemas are never
stricter than the service, so whatever the document calls invalid the API refuses with a 4xx.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import __version__
from ..notifications import MAX_LIMIT
from ..rules.filters import FILTERS
from ..rules.occurrences import OCCURRENCE
from ..rules.profiles import PROFILE, PROFILE_TYPES
from ..rules.properties import PROPERTIES
from ..rules.webhooks import WEBHOOK
from ..store.models import STATUSES
from .helpers import API_PREFIX

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> Schema:
    return {"type": [kind, "null"], **extra}


STRING: Schema = {"type": "string"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
TIMESTAMP_OR_NULL: Schema = {"type": ["string", "null"], "format": "date-time"}


def _input_schema(stored: Schema) -> Schema:
    """What a property accepts: its stored type, or text (``"yes"``, ``"8477"``) the service parses."""
    kinds = stored["type"] if isinstance(stored["type"], list) else [stored["type"]]
    return {"type": sorted(set(kinds) | {"string"})}


def closed(properties: dict[str, Schema], required: tuple[str, ...] | list[str] = (), **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def _schemas() -> dict[str, Schema]:
    notification = {
        "eventId": STRING, "webhookId": STRING, "webhookName": STRING, "eventName": STRING,
        "activityName": STRING, "entityId": STRING,
        "status": {"type": "string", "enum": list(STATUSES)},
        "attempts": {"type": "integer", "minimum": 0},
        "lastStatusCode": nullable("integer"), "lastError": nullable("string"),
        "nextAttemptAt": TIMESTAMP_OR_NULL,
        "roundKind": {"type": "string", "enum": ["auto", "manual"]},
        "markedSuccessfulBy": nullable("string"), "markedSuccessfulAt": TIMESTAMP_OR_NULL,
        "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP,
    }
    target = {"eventId": nullable("string", description="one notification"),
              "filters": {**FILTERS.schema(), "type": ["object", "null"],
                          "description": "every FAILED notification matching these"}}
    return {
        "FieldError": closed({"field": STRING, "message": STRING}, ("field", "message")),
        "Problem": closed({
            "type": {"type": "string", "format": "uri"}, "title": STRING, "status": {"type": "integer"},
            "detail": STRING, "instance": STRING,
            "errors": {"type": "array", "items": ref("FieldError"),
                       "description": "validation problems only: one entry per wrong field"},
        }, ("type", "title", "status", "detail"), description="RFC 9457 problem details"),
        "WebhookInput": WEBHOOK.schema(),
        "WebhookPatch": WEBHOOK.schema(required=False, description="only the attributes to change"),
        "Webhook": closed({
            "id": {"type": "string", "format": "uuid"}, "name": STRING, "event": STRING,
            "entityName": nullable("string"), "endpointUrl": STRING, "authProfile": STRING,
            "authProfileId": {"type": "string", "format": "uuid"}, "activities": {"type": "array", "items": STRING},
            "triggerCondition": nullable("string"), "description": nullable("string"),
            "includeData": {"type": "boolean"}, "enabled": {"type": "boolean"},
            "signing": {"type": "boolean", "description": "Standard Webhooks signing is on"},
            "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP,
        }, ("id", "name", "event", "endpointUrl", "authProfile", "authProfileId", "activities",
            "triggerCondition", "description", "includeData", "enabled", "signing", "createdAt", "updatedAt")),
        "SigningSecret": closed({
            "webhookId": {"type": "string", "format": "uuid"}, "webhookName": STRING,
            "signing": {"type": "boolean", "const": True},
            "secret": {"type": "string", "pattern": "^whsec_", "description": "shown only in this answer"},
        }, ("webhookId", "webhookName", "signing", "secret")),
        "AuthProfileInput": PROFILE.schema(description=(
            "basic: username and password; oauth: tokenUrl, clientId, clientSecret, optional scope "
            "and audience. Secrets are write-only; PATCH without one keeps the stored secret.")),
        "AuthProfilePatch": PROFILE.schema(required=False, description="only the attributes to change"),
        "AuthProfile": closed({
            "id": {"type": "string", "format": "uuid"}, "name": STRING,
            "type": {"type": "string", "enum": list(PROFILE_TYPES)},
            "username": nullable("string"), "tokenUrl": nullable("string"), "clientId": nullable("string"),
            "scope": nullable("string"), "audience": nullable("string"),
            "usedBy": {"type": "array", "items": STRING, "description": "names of the webhooks using it"},
            "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP,
        }, ("id", "name", "type", "usedBy", "createdAt", "updatedAt"),
            description="never contains the password or client secret"),
        "Occurrence": OCCURRENCE.schema(),
        "Published": closed({"eventIds": {"type": "array", "items": STRING}}, ("eventIds",),
                            description="one eventId per notified webhook; empty when none matched"),
        "Notification": closed(notification, tuple(notification)),
        "Attempt": closed({
            "number": {"type": "integer"}, "kind": {"type": "string", "enum": ["auto", "manual"]},
            "startedAt": TIMESTAMP, "durationMs": {"type": "number"}, "statusCode": nullable("integer"),
            "error": nullable("string"), "responseExcerpt": nullable("string"),
            **_exchange_schemas(),
        }, ("number", "kind", "startedAt", "durationMs", "statusCode", "error", "responseExcerpt",
            *_exchange_schemas())),
        "NotificationDetails": closed({
            **notification, "endpointUrl": STRING,
            "payload": {"type": "string", "description": "the JSON body sent to the endpoint"},
            "attemptHistory": {"type": "array", "items": ref("Attempt")},
        }, (*notification, "endpointUrl", "payload", "attemptHistory")),
        "SearchPage": closed({"items": {"type": "array", "items": ref("Notification")},
                              "nextCursor": nullable("string", description="pass as cursor for the next page")},
                             ("items", "nextCursor")),
        "Filters": FILTERS.schema(),
        "RetryInput": closed(target, description="eventId or filters, not both"),
        "MarkSuccessfulInput": closed({**target, "by": nullable("string", description="who closed them; default: api")},
                                      description="eventId or filters, not both"),
        "Count": closed({"count": {"type": "integer", "minimum": 0}}, ("count",)),
        "PurgeInput": closed(target, description="eventId or filters (at least one), not both; IN_PROGRESS "
                             "notifications are never deleted"),
        "Purged": closed({"purged": {"type": "integer", "minimum": 0},
                          "skippedInProgress": {"type": "integer", "minimum": 0}},
                         ("purged", "skippedInProgress")),
        "CatalogEvent": closed({
            "entity": STRING, "operation": STRING, "event": STRING, "activities": {"type": "array", "items": STRING},
            "triggerConditions": {"type": "boolean"}, "deprecated": {"type": "boolean"},
        }, ("entity", "operation", "event", "activities", "triggerConditions", "deprecated")),
        "ConditionAttribute": closed({"label": STRING, "path": STRING}, ("label", "path")),
        "Config": closed(
            {key: {**prop.schema, "description": prop.description} for key, prop in PROPERTIES.items()},
            tuple(PROPERTIES),
        ),
        "ConfigInput": closed(
            {key: _input_schema(prop.schema) for key, prop in PROPERTIES.items()},
            description="the properties to set; every value is checked before any is written",
        ),
        "DeliveryStatus": closed({
            "services": {"type": "array", "items": closed({
                "id": STRING, "host": STRING, "pid": {"type": "integer"}, "kind": STRING,
                "startedAt": TIMESTAMP, "heartbeatAt": TIMESTAMP, "inFlight": {"type": "integer"},
                "clockOffset": {"type": ["number", "null"],
                                "description": "seconds its host's clock is ahead of the database's (null: unknown)"},
            }, ("id", "host", "pid", "kind", "startedAt", "heartbeatAt", "inFlight", "clockOffset"))},
            "queueDepth": {"type": "integer"}, "due": {"type": "integer"},
            "failed": {"type": "integer"}, "successful": {"type": "integer"},
        }, ("services", "queueDepth", "due", "failed", "successful")),
        "Health": closed({"status": {"type": "string", "const": "ok"}, "version": STRING}, ("status", "version")),
        **_stats_schemas(),
    }


def _exchange_schemas() -> dict[str, Schema]:
    """What an attempt sent and got back (``delivery/exchange.py``): null for attempts recorded
    before these were kept; ``response`` also null when nothing answered."""
    headers = {"type": "object", "additionalProperties": STRING,
               "description": "repeated names joined with ', '"}
    return {
        "request": {"type": ["object", "null"], "additionalProperties": False,
                    "required": ["method", "url", "headers"],
                    "properties": {"method": STRING, "url": STRING,
                                   "headers": {**headers, "description": "as sent; Authorization, "
                                               "Proxy-Authorization and webhook-signature values are '•••'"}}},
        "response": {"type": ["object", "null"], "additionalProperties": False,
                     "required": ["status", "reason", "headers", "headersOmitted", "bodyExcerpt"],
                     "properties": {"status": {"type": "integer"}, "reason": STRING,
                                    "headers": {**headers, "description": "at most 40 headers and 4 KiB, "
                                                "each value at most 512 characters"},
                                    "headersOmitted": {"type": "integer", "minimum": 0},
                                    "bodyExcerpt": {"type": "string", "description": "the first 2 KiB"}}},
        "connectMs": {"type": ["number", "null"], "description": "DNS, TCP and TLS; null on a reused connection"},
        "firstByteMs": {"type": ["number", "null"], "description": "until the answer's head arrived"},
    }


def _stats_schemas() -> dict[str, Schema]:
    """``GET /stats`` (``emswebhook_gui/stats.py``)."""
    count = {"type": "integer", "minimum": 0}
    ms = {"type": ["number", "null"], "minimum": 0,
          "description": "from the duration histogram, exact to within a bucket; null without attempts"}
    figures = {
        "attempts": count, "delivered": count, "failedAttempts": count,
        "endedFailed": {**count, "description": "notifications that became FAILED (end of a round, or not sent)"},
        "successRate": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                        "description": "delivered / attempts; null without attempts"},
        "p50Ms": ms, "p95Ms": ms,
    }
    hourly = {"type": "array", "items": count, "minItems": 24, "maxItems": 24}
    return {
        "StatsFigures": closed(figures, tuple(figures)),
        "StatsWebhook": closed({
            "webhookId": STRING, "webhookName": STRING,
            "enabled": {"type": ["boolean", "null"], "description": "null: the webhook was deleted"},
            **figures, "lastError": nullable("string"), "lastErrorAt": TIMESTAMP_OR_NULL,
            "sparkline": closed({"delivered": hourly, "failedAttempts": hourly}, ("delivered", "failedAttempts"),
                                description="the last 24 hours, hourly, oldest first"),
        }, ("webhookId", "webhookName", "enabled", *figures, "lastError", "lastErrorAt", "sparkline")),
        "Stats": closed({
            "hours": {"type": "integer", "minimum": 1, "maximum": 168},
            "bucketHours": {"type": "integer", "enum": [1, 6]},
            "from": TIMESTAMP, "to": TIMESTAMP,
            "buckets": {"type": "array", "items": closed({
                "start": TIMESTAMP, "delivered": count, "failedAttempts": count, "endedFailed": count,
            }, ("start", "delivered", "failedAttempts", "endedFailed")), "description": "oldest first"},
            "totals": ref("StatsFigures"),
            "webhooks": {"type": "array", "items": ref("StatsWebhook"),
                         "description": "every webhook (and deleted ones with figures), most failed attempts first"},
            "topReasons": {"type": "array", "maxItems": 10, "items": closed({
                "reason": {"type": "string", "description": "the group, e.g. 'connection refused', 'HTTP 500'"},
                "count": count, "example": nullable("string", description="the latest message of the group"),
                "webhooks": {"type": "array", "items": STRING},
            }, ("reason", "count", "example", "webhooks"))},
        }, ("hours", "bucketHours", "from", "to", "buckets", "totals", "webhooks", "topReasons")),
    }


def _stats_paths(p: str) -> dict[str, Schema]:
    return {
        f"{p}/stats": {
            "get": _operation(
                "Delivery health: outcomes per hour (six-hourly beyond 48 hours), per webhook, top error reasons",
                {"200": _json(ref("Stats"), "from the hourly rollups")}, tag="service",
                params=[_query("hours", {"type": "integer", "minimum": 1, "maximum": 168},
                               "how far back, 1-168 (default 24)")],
                errors=("BadRequest",)),
        },
    }


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> Schema:
    return {"$ref": f"#/components/responses/{description}"}


PROBLEM_RESPONSES = {
    "BadRequest": "invalid input: malformed JSON, unknown attributes or parameters, or values the rules refuse",
    "Unauthorized": "missing or wrong bearer token",
    "NotFound": "no such webhook, profile, notification or event",
    "Conflict": "the current state forbids it (a profile in use, an IN_PROGRESS notification)",
    "TooLarge": "the request body is larger than 1 MiB",
    "Unavailable": "the service cannot answer now: the database is full, read-only or unreachable "
                   "(type urn:emswebhook:problem:database-full, -read-only, -unavailable), or there is no "
                   "usable keyring for a secret or the API token",
    "UnsupportedMediaType": "a request body not sent as 'Content-Type: application/json' (so that no web page "
                            "can post a form or text/plain to the API)",
    "MisdirectedRequest": "the Host header names another server (a DNS-rebinding web page): only localhost, "
                          "loopback addresses and the address the API listens on, with its port, are answered",
}


def _operation(summary: str, responses: dict[str, Schema], *, tag: str, body: Schema | None = None,
               params: list[Schema] | None = None, open_access: bool = False,
               errors: tuple[str, ...] = ()) -> Schema:
    operation: Schema = {"summary": summary, "tags": [tag], "responses": dict(responses)}
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        errors = ("BadRequest", "TooLarge", *errors)
    if open_access:
        operation["security"] = []
    else:  # the token is read from the keyring, and every authenticated route reads the database
        errors = ("Unauthorized", *errors, "Unavailable")
    status = {"BadRequest": "400", "Unauthorized": "401", "NotFound": "404", "Conflict": "409",
              "TooLarge": "413", "UnsupportedMediaType": "415", "MisdirectedRequest": "421",
              "KeyringUnavailable": "503", "Unavailable": "503"}
    for name in dict.fromkeys(errors):
        # one 503 per operation: the keyring and the database share it
        operation["responses"][status[name]] = _problem("Unavailable" if status[name] == "503" else name)
    return operation


def _path_param(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": STRING, "description": description}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _location(schema: Schema, description: str) -> Schema:
    response = _json(schema, description)
    response["headers"] = {"Location": {"description": "the new resource", "schema": STRING}}
    return response


def _paths() -> dict[str, Schema]:
    p = API_PREFIX
    webhook_id = _path_param("id", "the webhook's id or name")
    profile_id = _path_param("id", "the profile's id or name")
    no_content = {"204": {"description": "done"}}
    one_webhook = _json(ref("Webhook"), "the webhook")
    one_profile = _json(ref("AuthProfile"), "the profile (without its secret)")
    search_params = [
        *(_query(f.name, STRING, f.help) for f in FILTERS.fields),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size (default 50)"),
        _query("cursor", STRING, "nextCursor of the previous page"),
    ]
    export_params = [_query("format", {"type": "string", "enum": ["csv", "ndjson"]}, "csv: the search fields; "
                            "ndjson: also endpointUrl, payload and attemptHistory"), *search_params[:-2]]
    export_params[0]["required"] = True
    return {
        f"{p}/webhooks": {
            "get": _operation("List webhooks", {"200": _json({"type": "array", "items": ref("Webhook")},
                                                             "every webhook, by name")}, tag="webhooks"),
            "post": _operation("Create a webhook", {"201": _location(ref("Webhook"), "created")},
                               tag="webhooks", body=ref("WebhookInput")),
        },
        f"{p}/webhooks/{{id}}": {
            "parameters": [webhook_id],
            "get": _operation("Read a webhook", {"200": one_webhook}, tag="webhooks", errors=("NotFound",)),
            "put": _operation("Replace a webhook (omitted optional attributes return to their defaults)",
                              {"200": one_webhook}, tag="webhooks", body=ref("WebhookInput"),
                              errors=("NotFound",)),
            "patch": _operation("Change some attributes of a webhook", {"200": one_webhook}, tag="webhooks",
                                body=ref("WebhookPatch"), errors=("NotFound",)),
            "delete": _operation("Delete a webhook (its delivery history stays searchable)", no_content,
                                 tag="webhooks", errors=("NotFound",)),
        },
        f"{p}/webhooks/{{id}}/enable": {
            "parameters": [webhook_id],
            "post": _operation("Enable a webhook", {"200": one_webhook}, tag="webhooks", errors=("NotFound",)),
        },
        f"{p}/webhooks/{{id}}/disable": {
            "parameters": [webhook_id],
            "post": _operation("Disable a webhook", {"200": one_webhook}, tag="webhooks", errors=("NotFound",)),
        },
        f"{p}/webhooks/{{id}}/signing-secret": {
            "parameters": [webhook_id],
            "post": _operation(
                "Turn on Standard Webhooks signing; returns the secret (created if absent)",
                {"200": _json(ref("SigningSecret"), "the signing secret")}, tag="webhooks",
                params=[_query("rotate", {"type": "boolean"}, "replace the secret")],
                errors=("BadRequest", "NotFound", "KeyringUnavailable")),
            "delete": _operation("Turn signing off and forget the secret", no_content, tag="webhooks",
                                 errors=("NotFound", "KeyringUnavailable")),
        },
        f"{p}/auth-profiles": {
            "get": _operation("List authentication profiles", {"200": _json(
                {"type": "array", "items": ref("AuthProfile")}, "every profile, by name")}, tag="auth-profiles"),
            "post": _operation("Create a profile", {"201": _location(ref("AuthProfile"), "created")},
                               tag="auth-profiles", body=ref("AuthProfileInput"), errors=("KeyringUnavailable",)),
        },
        f"{p}/auth-profiles/{{id}}": {
            "parameters": [profile_id],
            "get": _operation("Read a profile", {"200": one_profile}, tag="auth-profiles", errors=("NotFound",)),
            "put": _operation("Replace a profile (the secret must be given again)", {"200": one_profile},
                              tag="auth-profiles", body=ref("AuthProfileInput"),
                              errors=("NotFound", "KeyringUnavailable")),
            "patch": _operation("Change some attributes of a profile", {"200": one_profile}, tag="auth-profiles",
                                body=ref("AuthProfilePatch"), errors=("NotFound", "KeyringUnavailable")),
            "delete": _operation("Delete a profile no webhook uses", no_content, tag="auth-profiles",
                                 errors=("NotFound", "Conflict")),
        },
        f"{p}/events": {
            "post": _operation("Publish an occurrence; one notification per matching webhook",
                               {"201": _json(ref("Published"), "stored; the notifications are due now")},
                               tag="events", body=ref("Occurrence")),
        },
        f"{p}/webhook-events": {
            "get": _operation("Search notifications, newest first", {"200": _json(ref("SearchPage"), "one page")},
                              tag="webhook-events", params=search_params, errors=("BadRequest",)),
        },
        f"{p}/webhook-events/retry": {
            "post": _operation("Retry one FAILED notification, or every FAILED one matching filters",
                               {"200": _json(ref("Count"), "how many start a new round")},
                               tag="webhook-events", body=ref("RetryInput"), errors=("NotFound", "Conflict")),
        },
        f"{p}/webhook-events/mark-successful": {
            "post": _operation("Mark FAILED notifications successful by hand",
                               {"200": _json(ref("Count"), "how many were closed")}, tag="webhook-events",
                               body=ref("MarkSuccessfulInput"), errors=("NotFound", "Conflict")),
        },
        f"{p}/webhook-events/purge": {
            "post": _operation("Delete one notification, or every one matching filters, with its body and "
                               "attempts (IN_PROGRESS ones are kept)",
                               {"200": _json(ref("Purged"), "how many were deleted and kept")},
                               tag="webhook-events", body=ref("PurgeInput"), errors=("NotFound",)),
        },
        f"{p}/webhook-events/export": {
            "get": _operation("Export matching notifications as CSV or NDJSON, streamed, newest first",
                              {"200": {"description": "the export (one line per notification; CSV with a "
                                                      "header)",
                                       "content": {"text/csv": {"schema": STRING},
                                                   "application/x-ndjson": {"schema": STRING}}}},
                              tag="webhook-events", params=export_params, errors=("BadRequest",)),
        },
        f"{p}/webhook-events/{{eventId}}": {
            "parameters": [_path_param("eventId", "the notification's eventId")],
            "get": _operation("Read one notification with its payload and every attempt",
                              {"200": _json(ref("NotificationDetails"), "the notification")},
                              tag="webhook-events", errors=("NotFound",)),
        },
        f"{p}/catalog/events": {
            "get": _operation("Events of the catalogue with their activities", {"200": _json(
                {"type": "array", "items": ref("CatalogEvent")}, "in the source table's order")}, tag="catalog"),
        },
        f"{p}/catalog/events/{{event}}/condition-attributes": {
            "parameters": [_path_param("event", "an event name (exact)")],
            "get": _operation("Trigger-condition attributes of an event (empty where conditions are not "
                              "available)", {"200": _json({"type": "array", "items": ref("ConditionAttribute")},
                                                          "label and JSON path of each")},
                              tag="catalog", errors=("NotFound",)),
        },
        f"{p}/config": {
            "get": _operation("Application properties", {"200": _json(ref("Config"), "every property")},
                              tag="config"),
            "put": _operation("Set application properties", {"200": _json(ref("Config"), "every property")},
                              tag="config", body=ref("ConfigInput")),
            "patch": _operation("Set application properties (same as PUT)",
                                {"200": _json(ref("Config"), "every property")}, tag="config",
                                body=ref("ConfigInput")),
        },
        f"{p}/status": {
            "get": _operation("Live delivery services and the queue depth",
                              {"200": _json(ref("DeliveryStatus"), "now")}, tag="service"),
        },
        f"{p}/health": {
            "get": _operation("Is the service up? (no token needed)", {"200": _json(ref("Health"), "up")},
                              tag="service", open_access=True),
        },
        "/metrics": {
            "get": _operation(
                "Prometheus metrics in the text exposition format (no token needed when the metricsOpen "
                "property is on)",
                {"200": {"description": "emswebhook_deliveries_total{outcome}, "
                         "emswebhook_attempt_duration_seconds, emswebhook_notifications{status}, "
                         "emswebhook_in_flight, emswebhook_oldest_due_seconds and more",
                         "content": {"text/plain": {"schema": STRING}}}}, tag="service"),
        },
        **_stats_paths(p),
        "/openapi.json": {
            "get": _operation("This document (no token needed)",
                              {"200": _json({"type": "object"}, "OpenAPI 3.1")}, tag="service", open_access=True),
        },
    }


@cache
def _document() -> Schema:
    problem_content = {"application/problem+json": {"schema": ref("Problem")}}
    responses = {name: {"description": text, "content": problem_content}
                 for name, text in PROBLEM_RESPONSES.items()}
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"description": "Bearer challenge", "schema": STRING}}
    paths = _paths()
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if "{" in path:  # a path value the database cannot hold (NUL) is refused with 400
                operation["responses"].setdefault("400", _problem("BadRequest"))
            if method not in ("get", "head"):  # any body must be JSON (api/browser_guard.py)
                operation["responses"].setdefault("415", _problem("UnsupportedMediaType"))
            operation["responses"].setdefault("421", _problem("MisdirectedRequest"))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "emswebhook local REST API",
            "version": __version__,
            "description": (
                "Webhook administration and delivery, bound to 127.0.0.1. Every request needs "
                "'Authorization: Bearer <token>' ('emswebhook api-token' prints it) except GET "
                f"{API_PREFIX}/health and GET /openapi.json (and GET /metrics when the metricsOpen property is on). Errors are RFC 9457 problem details. "
                "Request bodies are at most 1 MiB and must be sent as 'Content-Type: application/json' (else "
                "415). The Host header must name this machine: localhost, a loopback address or the "
                "address the API listens on, with its port (else 421, even on the open routes), so "
                "that no web page can reach the API through DNS rebinding."),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name} for name in ("webhooks", "auth-profiles", "events", "webhook-events", "catalog",
                                             "config", "service")],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
            "responses": responses,
        },
    }


def document() -> Schema:
    """The document (built once; callers must not modify it)."""
    return _document()
