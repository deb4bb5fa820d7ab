"""Scale-out on PostgreSQL: end-to-end deliveries/s with 1 and with 3 `emswebhook serve`
processes sharing one database, the scaling ratio, and the single-service PostgreSQL rate next
to the single-service SQLite rate, all measured in one run on this machine.

Each round: N services started and registered (start-up is not measured), then 10,000
notifications published from this process (32 concurrent publishers), timed from the first
publish until every notification is SUCCESSFUL at a loopback receiver in its own process. Note that
this machine has 2 cores shared by the services, the receiver and PostgreSQL, so the 3-service
figure shows contention as much as scaling; on separate hosts each service brings its own CPU.

Run: .venv/bin/python tests/benchmarks/bench_scaleout.py [--count 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {"PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
               "EMSWEBHOOK_TEST_KEYRING_FILE": str(tmp / "keyring.json"), "PYTHONPATH": str(REPO)}
        receiver, url = start_receiver(tmp)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        pg_url = f"{PG}?options=-csearch_path%3D{schema}"
        try:
            sqlite_rate = await round_trip(f"sqlite:///{tmp / 'single.db'}", env, url, args.count, 1)
            pg_one = await round_trip(pg_url, env, url, args.count, 1)
            pg_three = await round_trip(pg_url, env, url, args.count, 3)
        finally:
            receiver.terminate()
            receiver.wait()
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(f"{args.count:,} due notifications, one loopback endpoint, {os.cpu_count()} cores")
    print(f"PostgreSQL, 1 service    {pg_one:9,.0f} deliveries/s")
    print(f"PostgreSQL, 3 services   {pg_three:9,.0f} deliveries/s   scaling ratio {pg_three / pg_one:.2f}")
    print(f"SQLite, 1 service        {sqlite_rate:9,.0f} deliveries/s   PostgreSQL/SQLite {pg_one / sqlite_rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
