"""Start and stop the REST API on the running event loop (``serve``, the GUI, tests, benchmarks).

The server shares the caller's loop and ``WebhookService``; it owns nothing else, so stopping it
leaves the engine and the database alone. Port 0 picks a free port (tests); ``.port`` and
``.url`` report what was bound.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass

from aiohttp import web

from ..secrets import SecretStore
from ..service import WebhookService
from .app import ACCESS_LOG_FORMAT, create_app
from .helpers import API_PREFIX
from .browser_guard import HostCheck
from .token import TokenCheck

access_log = logging.getLogger("emswebhook_gui.api.access")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ApiServer:
    runner: web.AppRunner
    token: TokenCheck
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_PREFIX}"

    async def stop(self) -> None:
        """Stop accepting, give open requests a moment to finish, close connections."""
        await self.runner.cleanup()


async def start_api(service: WebhookService, host: str = "127.0.0.1", port: int = 8477, *,
                    secrets: SecretStore | None = None, token: str | None = None,
                    access_log_enabled: bool = True) -> ApiServer:
    """Bind and serve. The token comes from ``token`` (tests) or from the keyring of ``secrets``
    (default: the service's), created there on first start.

    Raises ``OSError`` when the address is taken and ``SecretStoreUnavailable`` when there is no
    keyring to hold the token; nothing is left running in either case.
    """
    check = TokenCheck(None if token is not None else (secrets or service.secrets), token=token)
    await check.ensure()
    hosts = HostCheck(host)
    runner = web.AppRunner(
        create_app(service, check, hosts), handle_signals=False, shutdown_timeout=2.0,
        access_log=access_log if access_log_enabled else None, access_log_format=ACCESS_LOG_FORMAT,
    )
    await runner.setup()
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        bound = sock.getsockname()[1]
        hosts.port = bound
        await web.SockSite(runner, sock, backlog=1024).start()
    except BaseException:
        await runner.cleanup()
        raise
    return ApiServer(runner, check, host, bound)
