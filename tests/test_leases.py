"""Several `emswebhook serve` processes on one PostgreSQL database under the faults operators hit
every day (issue 16): another PID namespace on the same host, clocks 70 s off, a service stopped
past its lease. No notification is sent twice while the services live, and a late answer never
overwrites the new owner's.

Leases are 2 s here (``EMSWEBHOOK_LEASE_SECONDS``, the engine's test-only setting), so what
takes a minute in production takes seconds: heartbeats and reaping run several times a second,
which is what made the old rules go wrong within moments.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import shutil
import signal
import subprocess
from datetime import timedelta

import psutil
import pytest
from sqlalchemy import func, select, text

from emswebhook_gui import cli
from emswebhook_gui.store.clock import db_now
from emswebhook_gui.store.models import DeliveryAttempt, Notification, ServiceInstance
from tests.support.processes import EXE, child_env
from tests.support.receiver import Answer, Receiver
from tests.support.serve import service  # noqa: F401  (fixture)
from tests.support.waiting import until

pytestmark = pytest.mark.postgres

LEASE = "2"


@pytest.fixture
def shared_env(tmp_path, monkeypatch, pg_url):
    """The shared environment of tests.support.serve on PostgreSQL, with short leases on both sides."""
    monkeypatch.setenv("EMSWEBHOOK_LEASE_SECONDS", LEASE)
    return child_env(tmp_path, monkeypatch, pg_url)


class Serve:
    """One `emswebhook serve` child, optionally behind a wrapper (unshare, faketime), whose
    stderr is read as it comes (the tests wait on what it logs)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, env: dict, *wrapper: str) -> "Serve":
        proc = await asyncio.create_subprocess_exec(*wrapper, EXE, "serve", "--no-api", env=env,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
        return cls(proc)

    async def _read(self) -> None:
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode(errors="replace"))

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # harmless when it was not stopped
            # `unshare --fork` ignores SIGTERM while it waits: the service is its child
            for child in psutil.Process(self.proc.pid).children():
                child.send_signal(signal.SIGTERM)
            self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 30)
        await self._reader


async def live_services(service) -> int:
    return len((await service.delivery_status())["services"])


async def publish(service, count: int) -> list[str]:
    ids = []
    for n in range(count):
        ids += await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                      "entityId": f"e{n}"})
    return ids


async def hook(service, receiver) -> None:
    await service.create_webhook({"name": "Hook", "event": "Entitlement Added", "endpointUrl": receiver.url(),
                                  "authProfile": "Basic"})


def deliveries(receiver) -> collections.Counter:
    return collections.Counter(json.loads(r.body)["eventId"] for r in receiver.requests)


async def all_successful(service, count: int, timeout: float) -> None:
    async def done():
        return await service.count_notifications({"status": "SUCCESSFUL"}) == count

    await until(done, timeout, interval=0.1)


def _unshare_refusal() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    try:
        run = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare could not run: {exc}"
    if run.returncode != 0:
        return f"unshare --pid is refused here: {run.stderr.decode(errors='replace').strip()}"
    return None


@pytest.mark.asyncio
async def test_a_service_in_another_pid_namespace_takes_over_nothing_live(service, shared_env):
    """Same host name, another PID namespace (hostNetwork pods, PrivatePIDs): the PID of the other
    service means nothing there, so neither declares the other dead while both heart-beat."""
    refusal = _unshare_refusal()
    if refusal:
        pytest.skip(refusal)
    async with Receiver() as receiver:
        receiver.answer(Answer(sleep=0.2))
        await hook(service, receiver)
        event_ids = await publish(service, 120)
        host_side = await Serve.start(shared_env)
        await until(lambda: _gt(receiver, 16), 30)
        # it registers, reaps and heart-beats while the other holds live leases
        unshared = await Serve.start(shared_env, "unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGTERM")
        try:
            await until(lambda: _eq(live_services(service), 2), 30)

            def namespaces(session):
                return set(session.scalars(select(ServiceInstance.pid_namespace)))

            assert len(await service.db.run(namespaces)) == 2, "the two services should be in two PID namespaces"
            await all_successful(service, 120, 60)
            assert await live_services(service) == 2, "a live service was declared dead"
        finally:
            await unshared.stop()
            await host_side.stop()
    seen = deliveries(receiver)
    assert set(seen) == set(event_ids)
    assert max(seen.values()) == 1, f"{sum(n > 1 for n in seen.values())} notifications delivered twice"


@pytest.mark.asyncio
async def test_services_with_clocks_70_s_off_share_the_work_without_double_delivery(service, shared_env, capsys):
    """One service 70 s ahead, one 70 s behind, one right: leases are judged by the database's
    clock, so none takes another's live leases; what a skewed host publishes is due at once for
    every service (not 70 s late), and status shows and warns about both offsets."""
    if shutil.which("faketime") is None:
        pytest.skip("faketime is not installed (apt-get install faketime)")
    async with Receiver() as receiver:
        receiver.answer(Answer(sleep=0.1))
        await hook(service, receiver)
        event_ids = await publish(service, 200)
        procs = [await Serve.start(shared_env), await Serve.start(shared_env, "faketime", "-f", "+70s"),
                 await Serve.start(shared_env, "faketime", "-f", "-70s")]
        try:
            await until(lambda: _eq(live_services(service), 3), 30)
            # a publish from the host 70 s ahead: stamped on the database's clock
            published = subprocess.run(
                ["faketime", "-f", "+70s", EXE, "publish", "--event", "Entitlement Added",
                 "--activity", "Add Entitlement", "--entity-id", "ahead"],
                env=shared_env, capture_output=True, text=True, timeout=60)
            assert published.returncode == 0, published.stderr
            event_ids.append(published.stdout.split()[0])

            def lag(session):
                return session.execute(select(func.max(Notification.created_at), db_now())).one()

            created, now = await service.db.run(lag)
            assert abs(created - now) < timedelta(seconds=5), (created, now)
            await all_successful(service, 201, 90)
            capsys.readouterr()
            code = await asyncio.to_thread(cli.main, ["status"])
            status = capsys.readouterr().out
            report = (await service.delivery_status())["services"]
            assert len(report) == 3, "a live service was declared dead"
        finally:
            for proc in procs:
                await proc.stop()

        def leased(session):
            return session.scalar(select(func.count()).where(Notification.lease_owner.is_not(None)))

        assert await service.db.run(leased) == 0, "leases were left behind"
    seen = deliveries(receiver)
    assert set(seen) == set(event_ids)
    assert max(seen.values()) == 1, f"{sum(n > 1 for n in seen.values())} notifications delivered twice"
    offsets = sorted(entry["clockOffset"] for entry in report)
    assert offsets[0] == pytest.approx(-70, abs=3) and offsets[1] == pytest.approx(0, abs=1)
    assert offsets[2] == pytest.approx(70, abs=3)
    assert code == 0 and "CLOCK OFFSET" in status, status
    warnings = [line for line in status.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, status
    assert any("ahead of the database" in line for line in warnings)
    assert any("behind the database" in line for line in warnings)


@pytest.mark.asyncio
async def test_a_service_stopped_past_its_lease_does_not_record_over_the_new_owner(service, shared_env):
    """SIGSTOP while 8 requests are on the wire (answered 500 while it is stopped), another
    service takes over and delivers everything; after SIGCONT the late answers are logged, not
    recorded, and what was still queued is not sent again."""
    async with Receiver() as receiver:
        receiver.queue(*[Answer(status=500, sleep=3.0)] * 8)
        await hook(service, receiver)
        first = await Serve.start(shared_env)
        await until(lambda: _eq(live_services(service), 1), 30)
        event_ids = await publish(service, 20)
        await until(lambda: _gt(receiver, 7), 30)
        os.kill(first.proc.pid, signal.SIGSTOP)
        on_the_wire = set(deliveries(receiver))
        second = await Serve.start(shared_env)
        try:
            await all_successful(service, 20, 60)
            await until(lambda: _eq(_inflight(receiver), 0), 30)  # the 500s were answered meanwhile
            os.kill(first.proc.pid, signal.SIGCONT)

            async def logged():
                return first.count("not recorded") == 8

            await until(logged, 30)
            await until(lambda: _eq(live_services(service), 2), 30)  # it registered again
        finally:
            await second.stop()
            await first.stop()

    def states(session):
        rows = session.execute(select(Notification.status, Notification.attempts, Notification.last_status_code))
        codes = session.scalars(select(DeliveryAttempt.status_code))
        return list(rows), list(codes)

    rows, codes = await service.db.run(states)
    assert rows == [("SUCCESSFUL", 1, 200)] * 20, rows
    assert codes == [200] * 20, "a late answer was recorded as an attempt"
    seen = deliveries(receiver)
    assert set(seen) == set(event_ids)
    twice = {event_id for event_id, n in seen.items() if n > 1}
    assert twice == on_the_wire, "only what was on the wire when it stopped may arrive twice"
    assert max(seen.values()) == 2


async def _eq(awaitable, expected):
    return await awaitable == expected


async def _gt(receiver, count):
    return len(receiver.requests) > count


async def _inflight(receiver):
    return receiver.inflight


@pytest.mark.asyncio
async def test_the_server_ends_a_session_left_inside_a_transaction(service):
    """A service stopped in the middle of a transaction (SIGSTOP, a suspended VM) would keep its
    row locks, and the others' claims (SKIP LOCKED) would pass those notifications by for as long
    as its connection lived: its sessions tell the server to end such a wait after 20 s."""
    def setting(session):
        return session.execute(text("SHOW idle_in_transaction_session_timeout")).scalar()

    assert await service.db.run(setting) == "20s"
