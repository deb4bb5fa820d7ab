"""``POST /events``: publish an occurrence (the licensing system's side of the contract).

The occurrence and its notifications are committed before the answer, so a 201 means the
notifications are durable; the service's "published" broadcast wakes the delivery engine running
on the same loop. ``eventIds`` is empty (still 201: the occurrence is recorded) when no enabled
webhook matched.
"""

from __future__ import annotations

from aiohttp import web

from .helpers import json_object, ok, service_of


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def publish(request: web.Request) -> web.Response:
        body = await json_object(request)
        return ok({"eventIds": await service_of(request).publish(body)}, 201)

    router.add_post(f"{prefix}/events", publish)
