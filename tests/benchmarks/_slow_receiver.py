"""Webhook endpoints that answer slowly, for the slow-subscriber scale-out benchmark.

Runs as ``python _slow_receiver.py PORT_FILE ENDPOINTS DELAY``: listens on ENDPOINTS loopback
ports (each an endpoint of its own for the per-endpoint limit, which counts by scheme, host and
port), answers every POST after DELAY seconds, and writes the ports, comma-separated, to
PORT_FILE. ``GET /stats`` on any port answers ``{port: most requests in flight at once}``, so the
benchmark can show what the per-endpoint limit amounts to with several services.
"""

import asyncio
import json
import sys
from pathlib import Path

from aiohttp import web


async def main(port_file: str, endpoints: int, delay: float) -> None:
    inflight: dict[int, int] = {}
    peak: dict[int, int] = {}

    async def handle(request: web.Request) -> web.Response:
        port = request.url.port
        await request.read()
        inflight[port] = inflight.get(port, 0) + 1
        peak[port] = max(peak.get(port, 0), inflight[port])
        try:
            await asyncio.sleep(delay)
        finally:
            inflight[port] -= 1
        return web.Response(text="ok")

    async def stats(_request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(peak))

    async def reset(_request: web.Request) -> web.Response:
        peak.clear()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    app.router.add_get("/stats", stats)
    app.router.add_get("/reset", reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ports = []
    for _ in range(endpoints):
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        ports.append(site._server.sockets[0].getsockname()[1])
    Path(port_file).write_text(",".join(map(str, ports)))
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
