"""``GET /metrics``: the service's Prometheus metrics (``metrics.py``), in the text format.

Beside ``/api/v1`` rather than under it, where Prometheus looks by default. It needs the bearer
token like every other route, unless the ``metricsOpen`` property is on (for a Prometheus on the
same host that cannot be given the token); that property is re-read at most every
:data:`OPEN_CACHE_SECONDS`, so the middleware does not query the database for every scrape.
"""

from __future__ import annotations

import time

from aiohttp import web

from .. import metrics
from ..rules import properties
from .helpers import METRICS_PATH, service_of

OPEN_CACHE_SECONDS = 5.0

OPEN_CACHE = web.AppKey("metrics-open", list)
"""[expiry (monotonic), metricsOpen]; empty until first read."""


async def is_open(request: web.Request) -> bool:
    """Whether ``metricsOpen`` lets this scrape in without the token."""
    cached = request.app[OPEN_CACHE]
    if cached and cached[0] > time.monotonic():
        return cached[1]
    value = bool(await service_of(request).get_property(properties.METRICS_OPEN))
    cached[:] = [time.monotonic() + OPEN_CACHE_SECONDS, value]
    return value


def register(router: web.UrlDispatcher, _prefix: str) -> None:
    async def scrape(request: web.Request) -> web.Response:
        body = await metrics.for_service(service_of(request)).render()
        return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})

    router.add_get(METRICS_PATH, scrape, allow_head=False)
