"""``/webhooks``: definitions, enable/disable and the Standard Webhooks signing secret.

``{id}`` is the webhook's id or its name (names are unique ignoring case), as everywhere else in
the product. The signing secret is returned only by ``POST .../signing-secret``, never by a GET.
"""

from __future__ import annotations

from aiohttp import web

from .helpers import bool_param, json_object, no_content, ok, query_params, service_of


def _location(prefix: str, webhook: dict) -> dict[str, str]:
    return {"Location": f"{prefix}/webhooks/{webhook['id']}"}


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def list_webhooks(request: web.Request) -> web.Response:
        return ok(await service_of(request).list_webhooks())

    async def create(request: web.Request) -> web.Response:
        webhook = await service_of(request).create_webhook(await json_object(request))
        return ok(webhook, 201, _location(prefix, webhook))

    async def get(request: web.Request) -> web.Response:
        return ok(await service_of(request).get_webhook(request.match_info["id"]))

    async def replace(request: web.Request) -> web.Response:
        body = await json_object(request)
        return ok(await service_of(request).update_webhook(request.match_info["id"], body, replace=True))

    async def update(request: web.Request) -> web.Response:
        body = await json_object(request)
        return ok(await service_of(request).update_webhook(request.match_info["id"], body))

    async def delete(request: web.Request) -> web.Response:
        await service_of(request).delete_webhook(request.match_info["id"])
        return no_content()

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

    base, one = f"{prefix}/webhooks", f"{prefix}/webhooks/{{id}}"
    router.add_get(base, list_webhooks, allow_head=False)
    router.add_post(base, create)
    router.add_get(one, get, allow_head=False)
    router.add_put(one, replace)
    router.add_patch(one, update)
    router.add_delete(one, delete)
    router.add_post(f"{one}/enable", enable)
    router.add_post(f"{one}/disable", disable)
    router.add_post(f"{one}/signing-secret", signing_secret)
    router.add_delete(f"{one}/signing-secret", signing_off)
