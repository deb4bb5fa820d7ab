"""Several `emswebhook serve` processes sharing one PostgreSQL store (issue: scale out).

Three services deliver 10,000 notifications to one loopback receiver: every eventId arrives and,
while all stay alive, none twice (leases with FOR UPDATE SKIP LOCKED). Then one service is killed
with SIGKILL midway: everything still ends SUCCESSFUL and duplicates stay within what the killed
process had in flight.
"""

import asyncio
import collections
import json
import signal

import pytest
from sqlalchemy import create_engine, inspect, text

from emswebhook_gui.store import Database
from emswebhook_gui.store.database import normalise_url
from emswebhook_gui.store.migrations_runner import current_revision, head_revision, upgrade_to_head
from tests.support.processes import start_serve
from tests.support.receiver import Answer, Receiver
from tests.support.serve import service, shared_env  # noqa: F401  (fixtures)
from tests.support.waiting import until

pytestmark = pytest.mark.postgres


@pytest.fixture
def store_url(pg_url) -> str:
    return pg_url


async def publish_many(service, count):
    numbers = iter(range(count))
    ids = []

    async def publisher():
        for n in numbers:
            ids.extend(await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                              "entityId": f"e{n}"}))

    await asyncio.gather(*(publisher() for _ in range(32)))
    return ids


async def stop_all(procs):
    for proc in procs:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode in (0, -signal.SIGKILL), err.decode()


@pytest.mark.asyncio
async def test_three_services_share_the_work_without_double_delivery(service, shared_env):
    async with Receiver() as receiver:
        await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                      "endpointUrl": receiver.url(), "authProfile": "Basic"})
        procs = [await start_serve(shared_env, stdout=asyncio.subprocess.DEVNULL) for _ in range(3)]

        async def three_live():
            return len((await service.delivery_status())["services"]) == 3

        await until(three_live, 30, interval=0.1)
        event_ids = await publish_many(service, 10_000)

        async def all_done():
            return await service.count_notifications({"status": "SUCCESSFUL"}) == 10_000

        await until(all_done, 180, interval=0.1)
        status = await service.delivery_status()
        await stop_all(procs)
    seen = collections.Counter(json.loads(r.body)["eventId"] for r in receiver.requests)
    assert set(seen) == set(event_ids)
    assert max(seen.values()) == 1, "a notification was delivered twice while every service was alive"
    assert status["queueDepth"] == 0 and len(status["services"]) == 3


@pytest.mark.asyncio
async def test_a_killed_service_is_taken_over(service, shared_env):
    async with Receiver() as receiver:
        receiver.answer(Answer(sleep=0.02))
        await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                      "endpointUrl": receiver.url(), "authProfile": "Basic"})
        event_ids = await publish_many(service, 3_000)
        procs = [await start_serve(shared_env, stdout=asyncio.subprocess.DEVNULL) for _ in range(3)]

        async def some():
            return len(receiver.requests) >= 600

        await until(some, 60, interval=0.1)
        victim = procs[0]
        victim.kill()
        await victim.wait()

        async def all_done():
            return await service.count_notifications({"status": "SUCCESSFUL"}) == 3_000

        await until(all_done, 180, interval=0.1)
        await stop_all(procs)
    seen = collections.Counter(json.loads(r.body)["eventId"] for r in receiver.requests)
    assert set(seen) == set(event_ids)
    duplicates = sum(n - 1 for n in seen.values())
    assert duplicates <= 512, duplicates  # at most the killed service's in-flight window


def test_previous_schema_version_is_upgraded_on_postgres(pg_url):
    engine = create_engine(normalise_url(pg_url))
    upgrade_to_head(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO auth_profiles (id, name, name_key, type, username, created_at, updated_at) "
            "VALUES ('p1', 'Old', 'old', 'basic', 'u', now(), now())"))
    assert "service_instances" not in inspect(engine).get_table_names()
    engine.dispose()
    db = Database(pg_url)
    try:
        assert current_revision(db.engine) == head_revision()
        assert "service_instances" in inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM auth_profiles")).scalar() == "Old"
    finally:
        db.close()
