"""Throughput of the delivery sender against the HTTP clients it could have been built on.

One run: N POSTs of a ~1 KiB JSON body to an aiohttp receiver on 127.0.0.1, C at a time, through
the Sender, httpx's default transport, httpx over the httpx_aiohttp transport, and a bare aiohttp
ClientSession. The receiver runs in its own process so its CPU time is not billed to the clients.
Each client gets a warm-up round (connections opened) before the timed one.

    .venv/bin/python tests/benchmarks/bench_transport.py [-n 5000] [-c 32] [--repeat 1]

The figures behind the transport decision are in the docstring of emswebhook_gui/delivery/http.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from _rate import concurrent_rate  # noqa: E402 (tests/benchmarks/ is on sys.path when run)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BODY = json.dumps({"eventName": "Entitlement Updated", "currentState": "x" * 950}).encode()


def serve(port: int) -> None:
    from aiohttp import web

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def timed(label: str, post: Callable[[], Awaitable[None]], n: int, c: int) -> float:
    rate = await concurrent_rate(post, n, c, warmup=min(n, c * 20))
    print(f"{label:<34} {rate:>9,.0f} req/s", flush=True)
    return rate


async def bench_round(url: str, n: int, c: int) -> dict[str, float]:
    import aiohttp
    import httpx
    from httpx_aiohttp import AiohttpTransport

    from emswebhook_gui.delivery import DeliveryRequest, Sender

    headers = {"Content-Type": "application/json"}
    rates: dict[str, float] = {}

    async with Sender(allow_private=True, max_concurrency=c, max_per_endpoint=c) as sender:
        request = DeliveryRequest(url=url, body=BODY, event_id="bench")

        async def via_sender() -> None:
            result = await sender.send(request)
            assert result.ok, result.error

        rates["Sender"] = await timed("Sender (emswebhook_gui.delivery)", via_sender, n, c)

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=c)) as client:

        async def via_httpx() -> None:
            (await client.post(url, content=BODY, headers=headers)).raise_for_status()

        rates["httpx"] = await timed("httpx, default transport", via_httpx, n, c)

    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        rates["httpx_aiohttp"] = await timed("httpx + httpx_aiohttp transport", via_httpx, n, c)

    async with aiohttp.ClientSession() as session:

        async def via_aiohttp() -> None:
            async with session.post(url, data=BODY, headers=headers) as resp:
                await resp.read()
                resp.raise_for_status()

        rates["aiohttp"] = await timed("bare aiohttp ClientSession", via_aiohttp, n, c)

    print(f"Sender / bare aiohttp = {rates['Sender'] / rates['aiohttp']:.2f}")
    print(f"httpx+httpx_aiohttp / bare aiohttp = {rates['httpx_aiohttp'] / rates['aiohttp']:.2f}")
    return rates


async def bench(url: str, n: int, c: int, repeat: int) -> None:
    best: dict[str, float] = {}
    for round_no in range(1, repeat + 1):
        if repeat > 1:
            print(f"-- round {round_no}")
        for name, rate in (await bench_round(url, n, c)).items():
            best[name] = max(best.get(name, 0.0), rate)
    if repeat > 1:
        # On a shared machine the best round is the least disturbed one.
        print("-- best of", repeat, ", ".join(f"{k} {v:,.0f}" for k, v in best.items()))
        print(f"Sender / bare aiohttp = {best['Sender'] / best['aiohttp']:.2f}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"receiver did not start on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="POSTs per client (default 5000)")
    parser.add_argument("-c", type=int, default=32, help="concurrency (default 32)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; reports the best of each")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)], env={**os.environ, "PYTHONWARNINGS": ""}
    )
    try:
        wait_listening(port)
        print(f"{args.n} POSTs of {len(BODY)} bytes, concurrency {args.c}, receiver pid {receiver.pid}")
        asyncio.run(bench(f"http://127.0.0.1:{port}/hook", args.n, args.c, args.repeat))
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


if __name__ == "__main__":
    main()
