"""``GET /stats?hours=N``: delivery health from the hourly rollups (``stats.py``), the same
figures as ``emswebhook stats --json`` and the Overview page."""

from __future__ import annotations

from aiohttp import web

from ..stats import DEFAULT_HOURS
from .helpers import ok, query_params, service_of


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def stats(request: web.Request) -> web.Response:
        hours = query_params(request, ("hours",)).get("hours", DEFAULT_HOURS)
        return ok(await service_of(request).stats(hours))

    router.add_get(f"{prefix}/stats", stats, allow_head=False)
