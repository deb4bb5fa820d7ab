"""The local REST API: an aiohttp.web adapter over ``WebhookService`` (DESIGN section 5).

``start_api(service, host, port)`` serves it on the running loop and returns an ``ApiServer``
(``.port``, ``.url``, ``await .stop()``); ``token.load_or_create`` / ``token.rotate`` manage the
bearer token in the keyring. The OpenAPI document is at ``/openapi.json``.
"""

from .app import create_app
from .helpers import API_PREFIX
from .server import ApiServer, is_loopback, start_api

__all__ = ["API_PREFIX", "ApiServer", "create_app", "is_loopback", "start_api"]
