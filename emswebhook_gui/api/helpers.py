"""What every route module needs: the service of a request, JSON bodies and query parameters
read strictly, and JSON answers.

Apart from ``app.py`` so that the route modules import these and ``app.py`` imports the route
modules, never the other way round (``app.py`` only assembles the application).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..errors import FieldError, ValidationError
from ..jsontext import read_json
from ..notifications import FILTER_FIELDS
from ..service import WebhookService
from ..rules.checks import Collector, refuse_unknown_fields
from .keys import SERVICE
from .problems import MalformedBody

API_PREFIX = "/api/v1"
METRICS_PATH = "/metrics"


def service_of(request: web.Request) -> WebhookService:
    return request.app[SERVICE]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


async def json_body(request: web.Request) -> Any:
    """The parsed body; 400 (problem) for empty, non-UTF-8 or malformed JSON; 413 above 1 MiB."""
    raw = await request.read()
    if not raw.strip():
        raise MalformedBody("the request body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"the request body is not UTF-8 text (byte {exc.start + 1})") from None
    try:
        value = read_json(text, _DECODER)
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} "
                            f"column {exc.colno}") from None
    except ValueError as exc:
        raise MalformedBody(f"the request body is not valid JSON: {exc}") from None
    if "\\u0000" in text and _has_nul(value):
        raise MalformedBody("the request body contains a NUL character (\\u0000), which cannot be stored")
    return value


def _has_nul(value: Any) -> bool:
    """NUL cannot be stored in PostgreSQL text; refusing it here keeps it a 400, not a 500."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


async def json_object(request: web.Request, allowed: tuple[str, ...] | None = None) -> dict:
    """A JSON object body; with ``allowed``, other keys are refused (400 naming each).

    Bodies the service validates (webhooks, profiles, occurrences) need no ``allowed``: the
    service refuses unknown attributes itself, together with every other wrong field."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise MalformedBody(f"the request body must be a JSON object, not {_json_kind(body)}")
    if allowed is not None:
        errors = Collector()
        refuse_unknown_fields(body, allowed, errors)
        errors.raise_if_any()
    return body


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def query_params(request: web.Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """Query parameters, each at most once; unknown ones are refused so a typo cannot widen a
    search or a bulk action."""
    errors = Collector()
    values: dict[str, str] = {}
    for key in request.query:
        if key not in allowed:
            errors.add(key, f"unknown query parameter; expected one of: {', '.join(allowed)}")
        elif key in values:
            errors.add(key, "is given more than once")
        else:
            values[key] = request.query[key]
    errors.raise_if_any()
    return values


def bool_param(value: str | None, field: str) -> bool:
    if value is None:
        return False
    folded = value.strip().lower()
    if folded in ("true", "1", "yes"):
        return True
    if folded in ("false", "0", "no", ""):
        return False
    raise ValidationError(FieldError(field, f"'{value}' is not true or false"))


def ok(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(value, status=status, headers=headers, dumps=_dumps)


# Built once: ``json.loads``/``json.dumps`` with options build a new decoder or encoder per call,
# and these run on every request.
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def no_content() -> web.Response:
    return web.Response(status=204)


def bulk_target(body: dict, extra: tuple[str, ...] = ()) -> tuple[str | None, dict | None]:
    """``(event_id, None)`` or ``(None, filters)`` from a retry, mark-successful or purge body."""
    errors = Collector()
    refuse_unknown_fields(body, ("eventId", "filters", *extra), errors)
    event_id, filters = body.get("eventId"), body.get("filters")
    if event_id is not None and filters is not None:
        errors.add("filters", "give either eventId or filters, not both")
    elif event_id is None and filters is None:
        errors.add("eventId", "give eventId (one notification) or filters (every FAILED match)")
    elif event_id is not None and (not isinstance(event_id, str) or not event_id):
        errors.add("eventId", "must be a notification's eventId (a string)")
    elif filters is not None:
        if not isinstance(filters, dict):
            errors.add("filters", f"must be an object of {', '.join(FILTER_FIELDS)}")
        else:
            filter_errors = Collector()
            refuse_unknown_fields(filters, FILTER_FIELDS, filter_errors)
            for error in filter_errors.errors:
                errors.add(f"filters.{error.field}", error.message)
            for key, value in filters.items():
                if key in FILTER_FIELDS and value is not None and not isinstance(value, str):
                    errors.add(f"filters.{key}", "must be a string")
    errors.raise_if_any()
    return (event_id, None) if event_id is not None else (None, filters)


def add_definition_routes(router: web.UrlDispatcher, base: str, noun: str) -> str:
    """List, create, read, replace (PUT), change (PATCH) and delete of a definition (``noun`` is
    ``webhook`` or ``profile``), each one call of the service's method of that name; returns the
    path of one (``{id}``: its id or name)."""

    def method(request: web.Request, action: str):
        return getattr(service_of(request), action.format(noun))

    async def listing(request: web.Request) -> web.Response:
        return ok(await method(request, "list_{}s")())

    async def create(request: web.Request) -> web.Response:
        created = await method(request, "create_{}")(await json_object(request))
        return ok(created, 201, {"Location": f"{base}/{created['id']}"})

    async def get(request: web.Request) -> web.Response:
        return ok(await method(request, "get_{}")(request.match_info["id"]))

    async def replace(request: web.Request) -> web.Response:
        body = await json_object(request)
        return ok(await method(request, "update_{}")(request.match_info["id"], body, replace=True))

    async def update(request: web.Request) -> web.Response:
        body = await json_object(request)
        return ok(await method(request, "update_{}")(request.match_info["id"], body))

    async def delete(request: web.Request) -> web.Response:
        await method(request, "delete_{}")(request.match_info["id"])
        return no_content()

    one = f"{base}/{{id}}"
    router.add_get(base, listing, allow_head=False)
    router.add_post(base, create)
    router.add_get(one, get, allow_head=False)
    router.add_put(one, replace)
    router.add_patch(one, update)
    router.add_delete(one, delete)
    return one
