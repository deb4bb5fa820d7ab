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

from aiohttp import web

from ..service import WebhookService
from ..rules.checks import Collector, unstorable
from . import (routes_catalog, routes_events, routes_lifecycle, routes_metrics, routes_notifications, routes_profiles,
               routes_stats, routes_system, routes_webhooks)
from .browser_guard import HostCheck, json_content_type
from .helpers import API_PREFIX, METRICS_PATH
from .keys import HOSTS, SERVICE, TOKEN
from .problems import MISDIRECTED, UNSUPPORTED_MEDIA_TYPE, problem, problem_for
from .token import TokenCheck

MAX_BODY = 1024 * 1024
OPEN_PATHS = frozenset({f"{API_PREFIX}/health", "/openapi.json"})
ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs'


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
        if await routes_metrics.is_open(request):  # the metricsOpen property
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
    app = web.Application(middlewares=[api_middleware], client_max_size=MAX_BODY)
    app[SERVICE] = service
    app[TOKEN] = token
    app[HOSTS] = hosts or HostCheck("127.0.0.1")
    app[routes_metrics.OPEN_CACHE] = []
    for module in (routes_webhooks, routes_profiles, routes_events, routes_lifecycle, routes_notifications,
                   routes_catalog, routes_stats, routes_system, routes_metrics):
        module.register(app.router, API_PREFIX)
    return app
