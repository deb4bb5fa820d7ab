"""``/auth-profiles``: Basic and OAuth authentication profiles.

Secrets are write-only: ``password`` and ``clientSecret`` are accepted on POST/PUT/PATCH and go
to the keyring through the service; no response carries them (the service's profile view has no
such field). PATCH without a secret keeps the stored one; PUT must repeat it.
"""

from __future__ import annotations

from aiohttp import web

from .helpers import add_definition_routes


def register(router: web.UrlDispatcher, prefix: str) -> None:
    add_definition_routes(router, f"{prefix}/auth-profiles", "profile")
