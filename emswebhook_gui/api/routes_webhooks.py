"""``/webhooks``: definitions, enable/disable and the Standard Webhooks signing secret.

``{id}`` is the webhook's id or its name (names are unique ignoring case), as everywhere else in
the product. The signing secret is returned only by ``POST .../signing-secret``, never by a GET.
"""

from __future__ import annotations

from aiohttp import web

from .helpers import add_definition_routes, bool_param, no_content, ok, query_params, service_of


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def enable(request: web.Request) -> web.Response:
        return ok(await service_of(request).set_webhook_enabled(request.match_info["id"], True))

    async def disable(request: web.Request) -> web.Response:
        return ok(await service_of(request).set_webhook_enabled(request.match_info["id"], False))

    async def signing_secret(request: web.Request) -> web.Response:
        rotate = bool_param(query_params(request, ("rotate",)).get("rotate"), "rotate")
        service = service_of(request)
        secret = await service.signing_secret(request.match_info["id"], rotate=rotate)
        webhook = await service.get_webhook(request.match_info["id"])
        return ok({"webhookId": webhook["id"], "webhookName": webhook["name"], "signing": True, "secret": secret})

    async def signing_off(request: web.Request) -> web.Response:
        await service_of(request).signing_secret(request.match_info["id"], remove=True)
        return no_content()

    one = add_definition_routes(router, f"{prefix}/webhooks", "webhook")
    router.add_post(f"{one}/enable", enable)
    router.add_post(f"{one}/disable", disable)
    router.add_post(f"{one}/signing-secret", signing_secret)
    router.add_delete(f"{one}/signing-secret", signing_off)
