"""Real HTTP servers on 127.0.0.1 for delivery tests: a webhook receiver and an OAuth token endpoint.

Both are aiohttp.web applications on a random port, started and stopped with ``async with``. They
record what they receive and are scripted per test, so tests exercise the real client stack
(sockets, keep-alive, timeouts) instead of a mocked transport.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import sys
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import pytest
from aiohttp import web
from multidict import CIMultiDict


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: CIMultiDict[str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one request.

    ``sleep`` delays the answer; ``redirect_to`` answers 302 with that Location; ``huge`` streams
    that many bytes of body; ``close`` drops the connection without answering.
    """

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    sleep: float = 0.0
    redirect_to: str | None = None
    huge: int = 0
    close: bool = False


class _Server:
    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._handlers: set[asyncio.Task] = set()
        self.port = 0

    def _app(self) -> web.Application:
        raise NotImplementedError

    async def __aenter__(self):
        self._runner = web.AppRunner(
            self._app(), access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop, with no request still being answered: a handler still asleep (a stuck answer)
        would outlive the test (tests/support/leaks.py)."""
        assert self._runner is not None
        await self._runner.cleanup()
        pending = [task for task in self._handlers if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2)
        await asyncio.sleep(0)  # aiohttp's connection tasks end on the turn after their handler

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Receiver(_Server):
    """A webhook endpoint that records every request (method, path, headers, body).

    ``answer(...)`` sets how every request is answered from now on; ``queue(...)`` adds one-shot
    answers used first, in order. ``accept_bearer`` (a set of tokens) makes any other bearer token
    get a 401, as an endpoint that revoked a token would.
    """

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Recorded] = []
        self.default = Answer()
        self.pending: list[Answer] = []
        self.accept_bearer: set[str] | None = None
        self.huge_bytes_sent = 0
        self.huge_finished = asyncio.Event()
        """Set when a ``huge`` answer stopped being written (sent whole, or the client hung up)."""
        self.inflight = 0
        self.max_inflight = 0

    def url(self, path: str = "/hook") -> str:
        return self.base_url + path

    def answer(self, answer: Answer | None = None, **fields) -> None:
        self.default = answer if answer is not None else Answer(**fields)

    def queue(self, *answers: Answer) -> None:
        self.pending.extend(answers)

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self._handlers.add(asyncio.current_task())
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            return await self._answer(request)
        finally:
            self.inflight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(request.method, request.path_qs, CIMultiDict(request.headers), body)
        )
        answer = self.pending.pop(0) if self.pending else self.default
        if self.accept_bearer is not None:
            auth = request.headers.get("Authorization", "")
            if auth.removeprefix("Bearer ") not in self.accept_bearer:
                return web.Response(status=401, text="invalid token")
        if answer.sleep:
            await asyncio.sleep(answer.sleep)
        if answer.close:
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError  # aiohttp treats a cancelled handler as a dropped peer
        if answer.redirect_to is not None:
            return web.Response(status=302, headers={"Location": answer.redirect_to})
        if answer.huge:
            response = web.StreamResponse(status=answer.status, headers=answer.headers)
            response.content_length = answer.huge
            await response.prepare(request)
            chunk = b"x" * 65536
            sent = 0
            try:
                while sent < answer.huge:
                    piece = chunk[: answer.huge - sent]
                    await response.write(piece)
                    sent += len(piece)
                    self.huge_bytes_sent = sent
            except ConnectionError:
                pass  # the client stopped reading, as it should
            finally:
                self.huge_finished.set()
            return response
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)


class TokenServer(_Server):
    """An OAuth 2.0 client-credentials token endpoint (``/token``).

    It accepts client authentication by HTTP Basic or by form fields, counts requests, issues
    ``tok-1``, ``tok-2``, ... valid for ``expires_in`` seconds, and can be told to fail
    (``fail_status`` / ``fail_body``) or to answer slowly (``delay``).
    """

    def __init__(
        self, client_id: str = "client-1", client_secret: str = "s3cr3t!", expires_in: float = 3600
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.delay = 0.0
        self.fail_status: int | None = None
        self.fail_body: bytes = b'{"error":"server_error"}'
        self.requests: list[Recorded] = []
        self.forms: list[dict[str, str]] = []
        self.issued: list[str] = []

    @property
    def url(self) -> str:
        return self.base_url + "/token"

    @property
    def count(self) -> int:
        return len(self.requests)

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/token", self._handle)
        return app

    def _client(self, request: web.Request, form: dict[str, str]) -> tuple[str, str]:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return unquote_plus(user), unquote_plus(password)
        return form.get("client_id", ""), form.get("client_secret", "")

    async def _handle(self, request: web.Request) -> web.Response:
        self._handlers.add(asyncio.current_task())
        body = await request.read()
        self.requests.append(Recorded(request.method, request.path_qs, CIMultiDict(request.headers), body))
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.forms.append(form)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_status is not None:
            return web.Response(
                status=self.fail_status, body=self.fail_body, content_type="application/json"
            )
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if self._client(request, form) != (self.client_id, self.client_secret):
            return web.json_response(
                {"error": "invalid_client", "error_description": "bad client credentials"},
                status=401,
            )
        token = f"tok-{len(self.issued) + 1}"
        self.issued.append(token)
        return web.Response(
            text=json.dumps(
                {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
            ),
            content_type="application/json",
        )


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


NEEDS_LINUX_BACKLOG = pytest.mark.skipif(sys.platform != "linux",
                                         reason="relies on Linux dropping SYNs to a full backlog")


@contextlib.contextmanager
def silent_port():
    """A loopback port that never answers a handshake while the block lasts: its listener's accept
    queue is filled, and Linux then drops further SYNs (tests that use it are NEEDS_LINUX_BACKLOG)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):
                filler = socket.socket()
                fillers.append(filler)
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            yield port
        finally:
            for filler in fillers:
                filler.close()
