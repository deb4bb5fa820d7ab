"""Soak: the real GUI process (offscreen, qasync loop, engine inside) delivers 200,000
notifications to a loopback receiver; prints resident memory after warm-up and at the end
(target: growth under 50 MB), open file descriptors before delivering, after warm-up and at
the end (target: warm-up equals end; the endpoint's kept-alive connections open during
warm-up), and
whether the process survived (DESIGN section 7: PySide6 6.12 + Python 3.11 + qasync dies after
a few hundred thousand timers).

Notifications are inserted as due rows in chunks by this process, into the GUI's SQLite file;
the GUI's engine finds them by polling (another process's writes) and delivers them.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_soak.py [--count 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psutil
from sqlalchemy import func, insert, select

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from bench_delivery import start_receiver  # noqa: E402
from emswebhook_gui.secrets import SecretStore  # noqa: E402
from emswebhook_gui.service import WebhookService  # noqa: E402
from emswebhook_gui.store.models import (  # noqa: E402
    IN_PROGRESS,
    SUCCESSFUL,
    Notification,
    NotificationPayload,
    Occurrence,
)
from tests.support.keyrings import FileKeyring  # noqa: E402

CHUNK = 10_000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--warmup", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {"PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
               "EMSWEBHOOK_TEST_KEYRING_FILE": str(tmp / "keyring.json"), "PYTHONPATH": str(REPO),
               "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp / "config")}
        os.environ.update(env)
        db_url = f"sqlite:///{tmp / 'soak.db'}"
        receiver, url = start_receiver(tmp)
        service = await WebhookService.open(db_url, secrets=SecretStore(FileKeyring()))
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "p"})
        webhook = await service.create_webhook({"name": "Soak", "event": "Entitlement Added",
                                                "endpointUrl": url + "/hook", "authProfile": "Basic"})
        gui = subprocess.Popen([sys.executable, "-m", "emswebhook_gui", "--db", db_url],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        process = psutil.Process(gui.pid)
        payload = json.dumps({"eventName": "Entitlement Added", "entityName": "Entitlement",
                              "currentState": json.dumps({"entitlement": {"id": "x" * 40, "state": "ENABLE"}})})

        def add_chunk(session, start: int) -> None:
            now = datetime.now(UTC)
            occurrence = str(uuid.uuid4())
            session.execute(insert(Occurrence), [{
                "id": occurrence, "event_name": "Entitlement Added", "entity_name": "Entitlement",
                "activity_name": "Add Entitlement", "entity_id": "e", "url": "", "request_id": "r",
                "current_state": None, "previous_state": None, "op_datetime": now, "created_at": now}])
            rows = [{
                "event_id": str(uuid.uuid4()), "occurrence_id": occurrence, "webhook_id": webhook["id"],
                "webhook_name": "Soak", "event_name": "Entitlement Added", "activity_name": "Add Entitlement",
                "entity_id": f"e{n}", "endpoint_url": url, "status": IN_PROGRESS,
                "round_kind": "auto", "round_attempts": 0, "attempts": 0, "next_attempt_at": now,
                "created_at": now, "updated_at": now} for n in range(start, start + CHUNK)]
            session.execute(insert(Notification), rows)
            session.execute(insert(NotificationPayload), [{"event_id": r["event_id"], "payload": payload}
                                                          for r in rows])

        def successful(session) -> int:
            return session.scalar(select(func.count()).select_from(Notification).where(
                Notification.status == SUCCESSFUL))

        time.sleep(3)  # let the window come up
        fds_start = process.num_fds()
        started = time.perf_counter()
        inserted = 0
        warm_rss = None
        fds_warm = files_warm = sockets_warm = -1
        done = 0
        while done < args.count:
            if gui.poll() is not None:
                break
            if inserted < args.count and inserted - done < 3 * CHUNK:
                await service.db.run(lambda s, start=inserted: add_chunk(s, start))
                inserted += CHUNK
            done = await service.db.run(successful)
            if warm_rss is None and done >= args.warmup:
                warm_rss = process.memory_info().rss / 2**20
                fds_warm = process.num_fds()
                files_warm, sockets_warm = len(process.open_files()), len(process.net_connections())
            await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - started
        survived = gui.poll() is None
        end_rss = process.memory_info().rss / 2**20 if survived else float("nan")
        fds_end = process.num_fds() if survived else -1
        files_end, sockets_end = (len(process.open_files()), len(process.net_connections())) if survived else (-1, -1)
        if survived:
            gui.terminate()
            gui.wait(30)
        stderr = gui.stderr.read().decode(errors="replace") if gui.stderr else ""
        receiver.terminate()
        receiver.wait()
        await service.close()
    print(f"GUI process delivered {done:,} notifications in {elapsed:.0f} s ({done / elapsed:,.0f}/s)")
    print(f"resident memory: {warm_rss:.1f} MiB after {args.warmup:,} (warm-up), {end_rss:.1f} MiB at the end "
          f"(growth {end_rss - warm_rss:+.1f} MiB; target < 50 MB)")
    print(f"open file descriptors: {fds_start} before delivering, {fds_warm} after warm-up, {fds_end} at the end; "
          f"of those, files {files_warm} -> {files_end} (target: equal) and sockets {sockets_warm} -> {sockets_end} "
          "(kept-alive connections to the endpoint: they come and go with the pool, bounded by its limit)")
    print(f"process survived: {'yes' if survived else 'NO'}; exit status on SIGTERM: {gui.returncode}")
    if not survived:
        print(stderr[-2000:])


if __name__ == "__main__":
    asyncio.run(main())
