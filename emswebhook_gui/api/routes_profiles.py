"""``/auth-profiles``: Basic and OAuth authentication profiles.

Secrets are write-only: ``password`` and ``clientSecret`` are accepted on POST/PUT/PATCH and go
to the keyring through the service; no response carries them (the service's profile view has no
such field). PATCH without a secret keeps the stored one; PUT must repeat it.
"""

from __future__ import annotations

from aiohttp import web

from .helpers import json_object, no_content, ok, service_of


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def list_profiles(request: web.Request) -> web.Response:
        return ok(await service_of(request).list_profiles())

    async def create(request: web.Request) -> web.Response:
        profile = await service_of(request).create_profile(await json_object(request))
        return ok(profile, 201, {"Location": f"{prefix}/auth-profiles/{profile['id']}"})

    async def get(request: web.Request) -> web.Response:
        return ok(await service_of(request).get_profile(request.match_info["id"]))

    async def replace(request: web.Request) -> web.Response:
        body = await json_object(request)
        return ok(await service_of(request).update_profile(request.match_info["id"], body, replace=True))

    async def update(request: web.Request) -> web.Response:
        body = await json_object(request)
        return ok(await service_of(request).update_profile(request.match_info["id"], body))

    async def delete(request: web.Request) -> web.Response:
        await service_of(request).delete_profile(request.match_info["id"])
        return no_content()

    base, one = f"{prefix}/auth-profiles", f"{prefix}/auth-profiles/{{id}}"
    router.add_get(base, list_profiles, allow_head=False)
    router.add_post(base, create)
    router.add_get(one, get, allow_head=False)
    router.add_put(one, replace)
    router.add_patch(one, update)
    router.add_delete(one, delete)
