"""Throughput of ``POST /api/v1/events`` against a bare aiohttp "hello" handler, in one run.

Each server runs in its own process (so neither shares a core or a GIL with the client), the
client in this one: an aiohttp ClientSession with a keep-alive pool, ``-c`` requests in flight.

- hello: ``GET /hello`` answered by a bare aiohttp handler, the ceiling for a Python HTTP server
  on this machine;
- the API's own cost: an authenticated ``GET`` that needs no database (an event's condition
  attributes), which separates the adapter (auth, routing, problem middleware, JSON) from the
  publish path;
- API, engine off: ``POST /api/v1/events`` (bearer token checked, ~1 KiB entity state validated,
  one matching webhook, so each request stores an occurrence and a notification and answers 201
  with its eventId) with SQLite in a temporary directory and no delivery engine: the API and the
  publish path alone;
- API, engine on: the same with the delivery engine running in the API's process, delivering
  every notification to a loopback receiver (its own process) that answers 200, as ``emswebhook
  serve`` does. Deliveries share the API's loop and database worker, so this one is lower.

Each measurement follows a warm-up round; rounds alternate between the three servers and the
median of each is printed, with the server process's CPU time per request (all its threads), a
figure that stays meaningful on a busy machine where requests/s do not. The target is API (engine
off) / hello >= 0.3.

Run: .venv/bin/python tests/benchmarks/bench_api.py [-n 5000] [-c 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from _rate import concurrent_rate  # noqa: E402 (tests/benchmarks/ is on sys.path when run)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token-4b1f0c"
STATE = {"entitlement": {"id": "e-1", "state": "ENABLE", "customer": {"name": "Sam Smith"},
                         "notes": "x" * 900}}
TARGET = 0.3
FIGURES = [  # (label, server, request)
    ("bare aiohttp GET /hello", "hello", "hello"),
    ("API GET catalog attributes (auth, no database)", "off", "attributes"),
    ("API POST /events (engine off)", "off", "publish"),
    ("API POST /events (engine on)", "on", "publish"),
]


# -- the server processes -------------------------------------------------------------------------


async def child_api(db: str, receiver_url: str, port_file: str, engine_on: bool) -> None:
    from emswebhook_gui.api import start_api
    from emswebhook_gui.secrets import SecretStore
    from emswebhook_gui.service import WebhookService
    from tests.support.keyrings import MemoryKeyring

    service = await WebhookService.open(f"sqlite:///{db}", secrets=SecretStore(MemoryKeyring()))
    await service.set_property("allowPrivateEndpoints", True)
    await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "p"})
    await service.create_webhook({"name": "Hook", "event": "Entitlement Added", "endpointUrl": receiver_url + "/hook",
                                  "authProfile": "Basic"})
    engine = service.delivery_engine() if engine_on else None
    if engine is not None:
        await engine.start()
    server = await start_api(service, port=0, token=TOKEN)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    Path(port_file).write_text(str(server.port))
    await stop.wait()
    await server.stop()
    if engine is not None:
        await engine.stop()
    await service.close()


async def child_hello(port_file: str) -> None:
    from aiohttp import web

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/hello", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    Path(port_file).write_text(str(site._server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a server process, all threads: unlike requests/s, it barely
    moves when other processes compete for the machine's cores."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def spawn(args: list[str], port_file: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, *args])
    for _ in range(400):
        if port_file.exists() and port_file.read_text():
            return proc, int(port_file.read_text())
        if proc.poll() is not None:
            raise RuntimeError(f"{args} exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"{args} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- the client ------------------------------------------------------------------------------------


async def rate(request, n: int, c: int) -> float:
    """Requests/s of ``n`` calls of ``request()``, ``c`` at a time, after a warm-up round."""
    return await concurrent_rate(request, n, c, warmup=min(n, c * 50))


async def measure(port: int, kind: str, n: int, c: int) -> float:
    import aiohttp

    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    body = json.dumps({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e-1",
                       "currentState": STATE}).encode()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as session:

        async def hello() -> None:
            async with session.get(f"{base}/hello") as response:
                await response.read()
                assert response.status == 200

        async def attributes() -> None:
            async with session.get(f"{base}/api/v1/catalog/events/Entitlement%20Added/condition-attributes",
                                   headers=headers) as response:
                await response.read()
                assert response.status == 200

        async def publish() -> None:
            async with session.post(f"{base}/api/v1/events", data=body, headers=headers) as response:
                answer = await response.json()
                assert response.status == 201 and len(answer["eventIds"]) == 1, answer

        return await rate({"hello": hello, "attributes": attributes, "publish": publish}[kind], n, c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="requests per measurement")
    parser.add_argument("-c", type=int, default=16, help="requests in flight (keep-alive pool size)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per figure (median)")
    parser.add_argument("--child", choices=["api", "hello"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--receiver", help=argparse.SUPPRESS)
    parser.add_argument("--port-file", help=argparse.SUPPRESS)
    parser.add_argument("--engine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "api":
        asyncio.run(child_api(args.db, args.receiver, args.port_file, args.engine))
        return
    if args.child == "hello":
        asyncio.run(child_hello(args.port_file))
        return

    me = str(Path(__file__).resolve())
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        receiver_port_file = tmp / "receiver.port"
        receiver = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_receiver.py")),
                                     str(receiver_port_file)])
        try:
            for _ in range(200):
                if receiver_port_file.exists() and receiver_port_file.read_text():
                    break
                time.sleep(0.05)
            receiver_url = f"http://127.0.0.1:{receiver_port_file.read_text()}"
            print(f"{args.n} requests per figure, {args.c} in flight, keep-alive, median of {args.rounds} "
                  f"alternating rounds; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)

            hello, hello_port = spawn([me, "--child", "hello", "--port-file", str(tmp / "hello.port")],
                                      tmp / "hello.port")
            apis = {}
            try:
                for engine in (False, True):
                    port_file = tmp / f"api-{engine}.port"
                    apis[engine] = spawn([me, "--child", "api", "--db", str(tmp / f"api-{engine}.db"), "--receiver",
                                          receiver_url, "--port-file", str(port_file)]
                                         + (["--engine"] if engine else []), port_file)
                # Rounds alternate between the servers so that load from elsewhere on the machine
                # hits all of them alike; the median of each is reported.
                figures: dict[str, list[float]] = {label: [] for label, *_ in FIGURES}
                cpu: dict[str, list[float]] = {label: [] for label, *_ in FIGURES}
                servers = {"hello": (hello, hello_port), "off": apis[False], "on": apis[True]}
                for _ in range(args.rounds):
                    for label, server, kind in FIGURES:
                        proc, port = servers[server]
                        before = _cpu_seconds(proc.pid)
                        figures[label].append(asyncio.run(measure(port, kind, args.n, args.c)))
                        # Includes the warm-up round's requests, hence the correction.
                        requests = args.n + min(args.n, args.c * 50)
                        cpu[label].append((_cpu_seconds(proc.pid) - before) / requests * 1e6)
            finally:
                stop(hello)
                for proc, _port in apis.values():
                    stop(proc)
            results = {label: statistics.median(values) for label, values in figures.items()}
            hello_rate = results[FIGURES[0][0]]
            for label, *_ in FIGURES:
                ratio = "" if label == FIGURES[0][0] else f"ratio {results[label] / hello_rate:.2f}"
                print(f"{label:<50} {results[label]:>7,.0f} req/s  {ratio:<10}  "
                      f"server CPU {statistics.median(cpu[label]):>4,.0f} us/req  "
                      f"(rounds: {', '.join(f'{v:,.0f}' for v in figures[label])})")
        finally:
            receiver.terminate()
            receiver.wait()
    ratio = results[FIGURES[2][0]] / hello_rate
    print(f"ratio POST /events (engine off) / hello = {ratio:.2f} (target >= {TARGET}): "
          f"{'met' if ratio >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
