"""``/config``, ``/status``, ``/health`` and ``/openapi.json``: the service about itself."""

from __future__ import annotations

from aiohttp import web

from .. import __version__
from ..rules import properties
from ..errors import ValidationError
from ..rules.checks import Collector
from .helpers import json_object, ok, service_of


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def get_config(request: web.Request) -> web.Response:
        return ok(await service_of(request).list_properties())

    async def set_config(request: web.Request) -> web.Response:
        """PUT and PATCH alike: the properties are a fixed set, so both set the keys given.

        Every value is checked before any is written, so one bad value changes nothing."""
        body = await json_object(request)
        errors = Collector()
        for key, value in body.items():
            try:
                properties.parse_property(key, value)
            except ValidationError as exc:
                for error in exc.errors:
                    errors.add(key, error.message)
        errors.raise_if_any()
        service = service_of(request)
        for key, value in body.items():
            await service.set_property(key, value)
        return ok(await service.list_properties())

    async def status(request: web.Request) -> web.Response:
        return ok(await service_of(request).delivery_status())

    async def health(_request: web.Request) -> web.Response:
        return ok({"status": "ok", "version": __version__})

    async def openapi(_request: web.Request) -> web.Response:
        from .openapi import document

        return ok(document())

    router.add_get(f"{prefix}/config", get_config, allow_head=False)
    router.add_put(f"{prefix}/config", set_config)
    router.add_patch(f"{prefix}/config", set_config)
    router.add_get(f"{prefix}/status", status, allow_head=False)
    router.add_get(f"{prefix}/health", health, allow_head=False)
    router.add_get("/openapi.json", openapi, allow_head=False)
