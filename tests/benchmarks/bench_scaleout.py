"""Scale-out on PostgreSQL: what 1 and 3 `emswebhook serve` processes sharing one database
achieve, in two cases, all measured in one run on this machine.

Slow subscribers (issue 16): 6 endpoints (loopback ports) answering each request after 200 ms,
and 3,000 due notifications (500 occurrences, each to a webhook on every endpoint). The
notifications are published not yet due, the N services are started and registered, then one
UPDATE makes all of them due at once (and NOTIFY wakes the services); timed from there until all
are SUCCESSFUL. This is the case scaling out is for: a service is bound by 8 requests in flight
per endpoint (the limit is per service, see delivery/engine.py), not by CPU, so 3 services should
drain it about 3 times as fast (target: at least 2.5x). It also prints the most requests each
endpoint had in flight at once: 8 with one service, up to 24 with three.

Loopback, CPU-bound:

Each round: N services started and registered (start-up is not measured), then 10,000
notifications published from this process (32 concurrent publishers), timed from the first
publish until every notification is SUCCESSFUL at a loopback receiver in its own process. Note that
this machine has 2 cores shared by the services, the receiver and PostgreSQL, so the 3-service
figure shows contention as much as scaling; on separate hosts each service brings its own CPU.

Run: .venv/bin/python tests/benchmarks/bench_scaleout.py [--count 10000] [--case slow|loopback|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from bench_delivery import start_receiver  # noqa: E402
from emswebhook_gui.secrets import SecretStore  # noqa: E402
from emswebhook_gui.service import WebhookService  # noqa: E402
from tests.support.keyrings import FileKeyring  # noqa: E402

PG = os.environ.get("EMSWEBHOOK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def round_trip(db_url: str, env: dict, receiver_url: str, count: int, services: int) -> float:
    os.environ.update(env)
    service = await WebhookService.open(db_url, secrets=SecretStore(FileKeyring()))
    await service.set_property("allowPrivateEndpoints", True)
    await service.create_profile({"name": f"P{uuid.uuid4().hex[:6]}", "type": "basic", "username": "u",
                                  "password": "p"})
    profile = (await service.list_profiles())[-1]["name"]
    hook = await service.create_webhook({"name": f"H{uuid.uuid4().hex[:6]}", "event": "Entitlement Added",
                                         "endpointUrl": receiver_url + "/hook", "authProfile": profile})
    exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
    procs = [await asyncio.create_subprocess_exec(exe, "--db", db_url, "serve", env={**os.environ, **env},
                                                  stdout=asyncio.subprocess.DEVNULL,
                                                  stderr=asyncio.subprocess.DEVNULL) for _ in range(services)]
    while len((await service.delivery_status())["services"]) < services:  # start-up is not measured
        await asyncio.sleep(0.05)
    numbers = iter(range(count))

    async def publisher() -> None:
        for n in numbers:
            await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": str(n)})

    start = time.perf_counter()
    await asyncio.gather(*(publisher() for _ in range(32)))
    filters = {"status": "SUCCESSFUL", "webhook": hook["id"]}
    while await service.count_notifications(filters) < count:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        await proc.wait()
    await service.delete_webhook(hook["id"])
    await service.close()
    return count / elapsed


SLOW_ENDPOINTS = 6
SLOW_DELAY = 0.2
SLOW_OCCURRENCES = 500  # x 6 webhooks = 3,000 notifications


def start_slow_receivers(tmp: Path) -> tuple[list[subprocess.Popen], list[int]]:
    """One process per endpoint: subscribers are other machines, so on this shared 2-core
    machine each gets its own share of CPU rather than one process answering for all six."""
    procs, ports = [], []
    for n in range(SLOW_ENDPOINTS):
        port_file = tmp / f"slow-port-{n}"
        procs.append(subprocess.Popen([sys.executable, str(Path(__file__).with_name("_slow_receiver.py")),
                                       str(port_file), "1", str(SLOW_DELAY)]))
        for _ in range(400):
            if port_file.exists() and port_file.read_text():
                ports.append(int(port_file.read_text()))
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("slow receiver did not start")
    return procs, ports


def _get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        return answer.read().decode()


async def slow_round(env: dict, ports: list[int], services: int) -> tuple[float, int]:
    """(seconds to drain the 3,000 due notifications, most requests one endpoint had in flight)."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db_url = f"{PG}?options=-csearch_path%3D{schema}"
    os.environ.update(env)
    procs = []
    try:
        # published an hour ahead, so nothing is due until the UPDATE below
        service = await WebhookService.open(db_url, secrets=SecretStore(FileKeyring()),
                                            clock=lambda: datetime.now(UTC) + timedelta(hours=1))
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
        for n, port in enumerate(ports):
            await service.create_webhook({"name": f"H{n}", "event": "Entitlement Added", "authProfile": "P",
                                          "endpointUrl": f"http://127.0.0.1:{port}/hook"})
        numbers = iter(range(SLOW_OCCURRENCES))

        async def publisher() -> None:
            for n in numbers:
                await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                       "entityId": str(n)})

        await asyncio.gather(*(publisher() for _ in range(16)))
        total = SLOW_OCCURRENCES * len(ports)
        exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
        procs = [await asyncio.create_subprocess_exec(exe, "--db", db_url, "serve", "--no-api",
                                                      env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL,
                                                      stderr=asyncio.subprocess.DEVNULL) for _ in range(services)]
        while len((await service.delivery_status())["services"]) < services:  # start-up is not measured
            await asyncio.sleep(0.05)
        for port in ports:
            _get(port, "/reset")
        with psycopg.connect(db_url, autocommit=True) as conn:
            start = time.perf_counter()
            conn.execute("UPDATE notifications SET next_attempt_at = now() AT TIME ZONE 'UTC'")
            conn.execute("NOTIFY emswebhook_due")
        while await service.count_notifications({"status": "SUCCESSFUL"}) < total:
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        peak = max(max(json.loads(_get(port, "/stats")).values()) for port in ports)
        await service.close()
        return elapsed, peak
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            await proc.wait()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def slow_case(tmp: Path, env: dict) -> None:
    receivers, ports = start_slow_receivers(tmp)
    try:
        one, peak_one = await slow_round(env, ports, 1)
        three, peak_three = await slow_round(env, ports, 3)
    finally:
        for receiver in receivers:
            receiver.terminate()
            receiver.wait()
    total = SLOW_OCCURRENCES * len(ports)
    print(f"{total:,} due notifications, {len(ports)} endpoints answering after {SLOW_DELAY * 1000:.0f} ms, "
          f"PostgreSQL, {os.cpu_count()} cores")
    print(f"1 service    drained in {one:6.2f} s   ({total / one:6.0f}/s)   most in flight per endpoint {peak_one}")
    print(f"3 services   drained in {three:6.2f} s   ({total / three:6.0f}/s)   most in flight per endpoint "
          f"{peak_three}")
    print(f"3 services are {one / three:.2f}x as fast as 1 (target: at least 2.5x)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--case", choices=("slow", "loopback", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        env = {"PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
               "EMSWEBHOOK_TEST_KEYRING_FILE": str(Path(tmp_name) / "keyring.json"), "PYTHONPATH": str(REPO)}
        if args.case in ("slow", "both"):
            await slow_case(Path(tmp_name), env)
        if args.case in ("loopback", "both"):
            await loopback_case(Path(tmp_name), env, args.count)


async def loopback_case(tmp: Path, env: dict, count: int) -> None:
    receiver, url = start_receiver(tmp)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    pg_url = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        sqlite_rate = await round_trip(f"sqlite:///{tmp / 'single.db'}", env, url, count, 1)
        pg_one = await round_trip(pg_url, env, url, count, 1)
        pg_three = await round_trip(pg_url, env, url, count, 3)
    finally:
        receiver.terminate()
        receiver.wait()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(f"{count:,} due notifications, one loopback endpoint, {os.cpu_count()} cores (2 cores cannot show "
          "CPU scaling: the services, the receiver and PostgreSQL share them)")
    print(f"PostgreSQL, 1 service    {pg_one:9,.0f} deliveries/s")
    print(f"PostgreSQL, 3 services   {pg_three:9,.0f} deliveries/s   scaling ratio {pg_three / pg_one:.2f}")
    print(f"SQLite, 1 service        {sqlite_rate:9,.0f} deliveries/s   PostgreSQL/SQLite {pg_one / sqlite_rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
