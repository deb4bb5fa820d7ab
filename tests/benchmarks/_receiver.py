"""A minimal webhook receiver in its own process for benchmarks: answers 200, counts requests.

Runs as ``python _receiver.py PORT_FILE``; writes its port to PORT_FILE once listening. A separate
process keeps the receiver's CPU off the measured client's core, as a real endpoint would be.
"""

import asyncio
import sys
from pathlib import Path

from aiohttp import web


async def main(port_file: str) -> None:
    count = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal count
        await request.read()
        count += 1
        return web.Response(text="ok")

    async def counter(_request: web.Request) -> web.Response:
        return web.Response(text=str(count))

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    app.router.add_get("/count", counter)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    Path(port_file).write_text(str(port))
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
