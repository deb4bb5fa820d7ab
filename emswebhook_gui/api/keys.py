"""What the application holds (``app[SERVICE]``...), in a module of its own so that every other
module of the API can read them without importing ``app.py``, which imports them all."""

from __future__ import annotations

from aiohttp import web

from ..service import WebhookService
from .browser_guard import HostCheck
from .token import TokenCheck

SERVICE = web.AppKey("service", WebhookService)
TOKEN = web.AppKey("token", TokenCheck)
HOSTS = web.AppKey("hosts", HostCheck)
