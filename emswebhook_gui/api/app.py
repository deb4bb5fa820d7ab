"""The aiohttp application: one middleware (bearer auth, problem details) and the route modules.

Routes are thin: parse the request, call one ``WebhookService`` method, shape the answer. Every
rule (validation, matching, state changes) stays in the service, so the API can never accept what
the GUI or the CLI refuses. The application runs on the caller's event loop, next to the delivery
engine, and shares its service: a POST /events wakes the engine through the service's broadcast.

Authentication: every request needs ``Authorization: Bearer <token>`` except ``GET
/api/v1/health`` and ``GET /openapi.json``. Health is open on purpose: supervisors and "is the
service up?" scripts should not need a secret, and it reveals only that the service runs and its
version. ``GET /metrics`` is open too when the ``metricsOpen`` property is on. The token is compared in constant time and never logged (the access log format below has
no headers).

Against pages in a browser (``browser_guard``): every request's Host header must name this
server (421), even on the open routes, and every request body must be JSON (415).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..errors import FieldError, ValidationError
from ..jsontext import read_json
from ..service import WebhookService
from ..validation import Collector, refuse_unknown_fields, unstorable
from .browser_guard import HostCheck, json_content_type
from .problems import MISDIRECTED, UNSUPPORTED_MEDIA_TYPE, MalformedBody, problem, problem_for
from .token import TokenCheck

API_PREFIX = "/api/v1"
MAX_BODY = 1024 * 1024
OPEN_PATHS = frozenset({f"{API_PREFIX}/health", "/openapi.json"})
METRICS_PATH = "/metrics"
ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs'

SERVICE = web.AppKey("service", WebhookService)
TOKEN = web.AppKey("token", TokenCheck)
HOSTS = web.AppKey("hosts", HostCheck)


def service_of(request: web.Request) -> WebhookService:
    return request.app[SERVICE]


# -- request and response helpers used by the route modules ---------------------------------------


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


# -- authentication -------------------------------------------------------------------------------

_CHALLENGE = 'Bearer realm="emswebhook"'


def _refuse_unstorable(request: web.Request) -> None:
    """Path and query values that no database can bind (NUL, half a surrogate pair, which a
    percent-escape of invalid UTF-8 can produce) are refused, naming the parameter."""
    errors = Collector()
    for name, value in (*request.match_info.items(), *request.query.items()):
        problem = unstorable(value)
        if problem:
            errors.add(name, problem)
    errors.raise_if_any()


async def _unauthorized(request: web.Request) -> web.Response | None:
    """The 401 answer, or None when the request may proceed."""
    if request.method in ("GET", "HEAD") and request.path in OPEN_PATHS:
        return None
    if request.path == METRICS_PATH:
        from .routes_metrics import is_open

        if await is_open(request):  # the metricsOpen property
            return None
    scheme, _, presented = request.headers.get("Authorization", "").strip().partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        return problem(401, "Unauthorized",
                       "this request needs 'Authorization: Bearer <token>'; 'emswebhook api-token' "
                       "prints the token", instance=request.path, headers={"WWW-Authenticate": _CHALLENGE})
    if not await request.app[TOKEN].accepts(presented):
        return problem(401, "Unauthorized",
                       "the bearer token is not valid (it may have been rotated); 'emswebhook api-token' "
                       "prints the current one", instance=request.path,
                       headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})
    return None


@web.middleware
async def api_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Host check, authentication, JSON-only bodies, NUL refusal, then the handler; any
    exception becomes a problem.

    One middleware rather than several: each layer costs a coroutine per request, and the publish
    path is measured against a bare handler (tests/benchmarks/bench_api.py)."""
    try:
        host = request.headers.get("Host")
        if not request.app[HOSTS].accepts(host):
            return problem(421, "Misdirected Request",
                           f"this server does not answer for the host name {host!r}; use "
                           f"http://127.0.0.1:{request.app[HOSTS].port or '<port>'} (requests from web pages "
                           "under other names are refused)", type=MISDIRECTED, instance=request.path)
        refused = await _unauthorized(request)
        if refused is not None:
            return refused
        if not json_content_type(request):
            return problem(415, "Unsupported Media Type",
                           f"request bodies must be JSON sent with 'Content-Type: application/json', "
                           f"not {request.headers.get('Content-Type') or 'no Content-Type'!r}",
                           type=UNSUPPORTED_MEDIA_TYPE, instance=request.path)
        if request.match_info or request.query_string:
            _refuse_unstorable(request)
        return await handler(request)
    except Exception as exc:
        return problem_for(exc, request)


# -- the application ------------------------------------------------------------------------------


def create_app(service: WebhookService, token: TokenCheck, hosts: HostCheck | None = None) -> web.Application:
    """The application; ``token`` must be ready (``await token.ensure()``) before serving.
    ``hosts`` defaults to loopback names on any port; ``start_api`` gives the bound one."""
    from . import (routes_catalog, routes_events, routes_lifecycle, routes_metrics, routes_notifications, routes_profiles,
                   routes_system, routes_webhooks)

    app = web.Application(middlewares=[api_middleware], client_max_size=MAX_BODY)
    app[SERVICE] = service
    app[TOKEN] = token
    app[HOSTS] = hosts or HostCheck("127.0.0.1")
    app[routes_metrics.OPEN_CACHE] = []
    for module in (routes_webhooks, routes_profiles, routes_events, routes_lifecycle, routes_notifications,
                   routes_catalog,
                   routes_system, routes_metrics):
        module.register(app.router, API_PREFIX)
    from . import routes_stats  # GET /stats (issue 19)

    routes_stats.register(app.router, API_PREFIX)
    return app
