"""When a delivery service is declared dead (``emswebhook_gui.instances``): by its PID only
when its record proves the PID is comparable here (same host, boot and PID namespace), else
only when its heartbeat is stale by the database's clock. Declared dead, its leases are
released at once; a live one keeps them."""

import subprocess
import uuid
import sys
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select

from emswebhook_gui.instances import offset_text, offset_warning, this_process
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from emswebhook_gui.store.clock import db_now
from emswebhook_gui.store.models import Notification, ServiceInstance

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def service(db_url, memory_keyring):
    svc = await WebhookService.open(db_url, secrets=SecretStore(memory_keyring))
    await svc.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
    await svc.create_webhook({"name": "Hook", "event": "Entitlement Added", "endpointUrl": "https://example.com/h",
                              "authProfile": "Basic"})
    yield svc
    await svc.close()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def other_service(service, *, pid, heartbeat_ago=0.0, lease=60.0, **identity):
    """A record of another service holding the lease on one new notification; returns its id."""
    me = this_process()
    fields = {"host": me.host, "boot_id": me.boot_id, "pid_namespace": me.pid_namespace, **identity}
    owner = f"{fields['host']}:{pid}:{uuid.uuid4().hex[:8]}"
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                        "entityId": "e"})

    def work(session):
        now = session.execute(select(db_now())).scalar_one()
        session.add(ServiceInstance(id=owner, pid=pid, kind="serve", started_at=now, lease_seconds=lease,
                                    heartbeat_at=now - timedelta(seconds=heartbeat_ago), **fields))
        row = session.scalars(select(Notification).where(Notification.event_id == event_id)).one()
        row.lease_owner, row.lease_expires_at = owner, now + timedelta(seconds=lease)

    await service.db.run(work)
    return owner


async def alive_and_leasing(service, owner):
    """(whether status lists the service, whether it still holds its lease)."""
    status = await service.delivery_status()
    live = owner in [s["id"] for s in status["services"]]

    def leased(session):
        return session.scalars(select(Notification.lease_owner)).all()

    return live, owner in await service.db.run(leased)


async def test_a_service_whose_process_is_gone_here_is_reaped_at_once(service):
    if this_process().pid_namespace is None:
        pytest.skip("this platform has no PID namespace to compare: services are judged by heartbeat only")
    owner = await other_service(service, pid=dead_pid())
    assert await alive_and_leasing(service, owner) == (False, False)


async def test_a_pid_from_another_pid_namespace_boot_or_host_proves_nothing(service):
    pid = dead_pid()
    for identity in ({"pid_namespace": "4026599999"}, {"boot_id": "another-boot"}, {"host": "other-host"},
                     {"pid_namespace": None, "boot_id": None}):
        owner = await other_service(service, pid=pid, **identity)
        assert await alive_and_leasing(service, owner) == (True, True), identity


async def test_a_live_process_is_not_reaped(service):
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            owner = await other_service(service, pid=child.pid)
            assert await alive_and_leasing(service, owner) == (True, True)
        finally:
            child.kill()


async def test_a_heartbeat_is_stale_after_one_and_a_half_leases_by_the_database_clock(service):
    recent = await other_service(service, pid=dead_pid(), pid_namespace="elsewhere", heartbeat_ago=80, lease=60)
    assert await alive_and_leasing(service, recent) == (True, True)
    stale = await other_service(service, pid=dead_pid(), pid_namespace="elsewhere", heartbeat_ago=4, lease=2)
    assert await alive_and_leasing(service, stale) == (False, False)


async def test_this_process_knows_where_its_pid_means_something():
    me = this_process()
    if sys.platform.startswith("linux"):
        with open("/proc/sys/kernel/random/boot_id") as handle:
            assert me.boot_id == handle.read().strip()
        assert me.pid_namespace is not None and me.pid_namespace.isdigit()
    else:
        assert me.boot_id is None and me.pid_namespace is None


async def test_clock_offsets_are_shown_and_warned_past_five_seconds():
    assert offset_text(0.0021) == "+0.002 s" and offset_text(-70.04) == "-70.0 s" and offset_text(None) == "unknown"
    assert offset_warning({"id": "a", "clockOffset": 4.9}) is None
    assert offset_warning({"id": "a", "clockOffset": None}) is None
    assert "5.1 s ahead of the database's" in offset_warning({"id": "a", "clockOffset": 5.1})
    assert "70.0 s behind" in offset_warning({"id": "a", "clockOffset": -70.0})
