"""The registry of live delivery services (``service_instances``), and when one is dead.

A service that is declared dead loses its leases at once, and another service sends its
notifications again. Declaring a live one dead sent 168 of 200 notifications twice (issue 16),
so a service is reaped only when that is proven:

- by its PID, only when its record proves the PID means the same process here: same host name,
  same boot (``/proc/sys/kernel/random/boot_id``) and same PID namespace (the inode of
  ``/proc/self/ns/pid``). Containers with host networking, Kubernetes ``hostNetwork`` pods and
  systemd's ``PrivatePIDs`` share the host name but not the PID namespace: there a PID says
  nothing about the other side. Where a platform has no such identifiers (macOS, Windows),
  they are unknown and a service is never judged by PID there. The probe is ``psutil`` (a zombie
  counts as gone);
- otherwise only when its heartbeat is older than ``STALE_LEASES`` of its own lease, judged by
  the database's clock (``store.clock``), so a skewed clock on either side changes nothing.

The record also keeps each service's clock offset from the database, measured at every
heartbeat, for ``emswebhook status`` and the Settings page (``CLOCK_WARNING``).

:class:`InstanceRegistry` is the registry as a running engine and the facade use it (on the
database worker, the clock offset measured on the way); the functions below it are the rules,
run inside a session.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psutil
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import notifications
from .delivery.outbox import release_owner
from .store import Database
from .store.clock import DatabaseClock, db_now
from .store.models import Notification, ServiceInstance, iso

__all__ = ["CLOCK_WARNING", "STALE_LEASES", "Identity", "InstanceRegistry", "heartbeat", "reap", "register",
           "this_process", "unregister"]

STALE_LEASES = 1.5
"""A heartbeat older than this many of the service's leases (90 s for the 60 s default) is stale;
heartbeats come every third of a lease."""
DEFAULT_LEASE = 60.0
CLOCK_WARNING = 5.0
"""Seconds of clock offset from the database past which status and Settings warn."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Where a PID means something: host name, boot, PID namespace (None: unknown)."""

    host: str
    pid: int
    boot_id: str | None
    pid_namespace: str | None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


@functools.cache
def _boot_and_namespace(pid: int) -> tuple[str | None, str | None]:
    """Read once per process (keyed by PID, so a forked child reads its own)."""
    if not sys.platform.startswith("linux"):
        return None, None
    boot_id = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = None
    return boot_id, namespace


def this_process() -> Identity:
    pid = os.getpid()
    return Identity(socket.gethostname(), pid, *_boot_and_namespace(pid))


def _pid_alive(pid: int) -> bool:
    """``psutil.pid_exists``, not ``os.kill(pid, 0)``: on Windows that sends CTRL_C_EVENT."""
    if not psutil.pid_exists(pid):
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # access denied and the like: it exists
        return True


def provably_gone(instance: ServiceInstance, me: Identity) -> bool:
    """Whether the record's process is gone, judged by PID (only where the PID is comparable)."""
    comparable = (instance.host == me.host and instance.boot_id is not None and instance.boot_id == me.boot_id
                  and instance.pid_namespace is not None and instance.pid_namespace == me.pid_namespace)
    # this PID is this process (another engine in it, in tests): never judged by it
    return comparable and instance.pid != me.pid and not _pid_alive(instance.pid)


def reap(session: Session, me: Identity | None = None) -> list[str]:
    """Forget services proven dead and release their leases at once (so a restart after a crash
    resumes without waiting them out); returns their ids."""
    me = me or this_process()
    reaped = []
    for instance, now in session.execute(select(ServiceInstance, db_now())).all():
        lease = instance.lease_seconds or DEFAULT_LEASE
        stale = instance.heartbeat_at < now - timedelta(seconds=STALE_LEASES * lease)
        if stale or provably_gone(instance, me):
            release_owner(session, instance.id)
            session.delete(instance)
            reaped.append(instance.id)
    return reaped


def register(session: Session, owner: str, kind: str, lease_seconds: float, clock_offset: float | None) -> None:
    """Record a live service (its times on the database's clock), after reaping the dead."""
    me = this_process()
    reap(session, me)
    now = session.execute(select(db_now())).scalar_one()
    session.add(ServiceInstance(id=owner, host=me.host, pid=me.pid, kind=kind, started_at=now, heartbeat_at=now,
                                boot_id=me.boot_id, pid_namespace=me.pid_namespace, clock_offset=clock_offset,
                                lease_seconds=lease_seconds))


def heartbeat(session: Session, owner: str, kind: str, lease_seconds: float, clock_offset: float | None) -> bool:
    """Refresh this service's heartbeat and reap the dead. False when its record was gone (it
    was declared dead while it could not heart-beat, and its leases released): it is then
    registered again."""
    instance = session.get(ServiceInstance, owner)
    if instance is None:
        register(session, owner, kind, lease_seconds, clock_offset)
        return False
    instance.heartbeat_at = session.execute(select(db_now())).scalar_one()
    instance.clock_offset = clock_offset
    instance.lease_seconds = lease_seconds
    reap(session)
    return True


def unregister(session: Session, owner: str) -> None:
    instance = session.get(ServiceInstance, owner)
    if instance is not None:
        session.delete(instance)


def status(session: Session, now: datetime) -> dict:
    """Live services (after reaping the dead), what each holds, and the queue's depth."""
    reap(session)
    services = session.scalars(select(ServiceInstance).order_by(ServiceInstance.started_at)).all()
    in_flight = dict(session.execute(
        select(Notification.lease_owner, func.count()).where(
            Notification.status == "IN_PROGRESS", Notification.lease_owner.is_not(None))
        .group_by(Notification.lease_owner)).all())
    counts = notifications.counts_by_status(session)
    due = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.status == "IN_PROGRESS", Notification.next_attempt_at <= now))
    return {
        "services": [{"id": i.id, "host": i.host, "pid": i.pid, "kind": i.kind,
                      "startedAt": iso(i.started_at), "heartbeatAt": iso(i.heartbeat_at),
                      "inFlight": in_flight.get(i.id, 0),
                      "clockOffset": None if i.clock_offset is None else round(i.clock_offset, 3)}
                     for i in services],
        "queueDepth": counts["IN_PROGRESS"],
        "due": due,
        "failed": counts["FAILED"],
        "successful": counts["SUCCESSFUL"],
    }


class InstanceRegistry:
    """The registry over one database; each call measures the database's clock on the way
    (``store.clock``), so a heartbeat also refreshes the service's clock offset."""

    def __init__(self, db: Database, db_clock: DatabaseClock) -> None:
        self.db = db
        self.db_clock = db_clock

    async def register(self, owner: str, kind: str, *, lease_seconds: float = DEFAULT_LEASE) -> None:
        await self.db.run(lambda s: register(s, owner, kind, lease_seconds, self.db_clock.measure(s)))

    async def heartbeat(self, owner: str, kind: str = "serve", *, lease_seconds: float = DEFAULT_LEASE) -> bool:
        return await self.db.run(lambda s: heartbeat(s, owner, kind, lease_seconds, self.db_clock.measure(s)))

    async def unregister(self, owner: str) -> None:
        await self.db.run(lambda s: unregister(s, owner))

    async def status(self, clock: Callable[[], datetime]) -> dict:
        """``status`` by ``clock``'s time of what is due (the service's clock)."""
        return await self.db.run(lambda s: status(s, clock()))


def offset_text(offset: float | None) -> str:
    """A service's clock offset for people: ``+70.0 s`` (ahead of the database), ``-0.002 s``."""
    if offset is None:
        return "unknown"
    return f"{offset:+.1f} s" if abs(offset) >= CLOCK_WARNING else f"{offset:+.3f} s"


def offset_warning(service: dict) -> str | None:
    """The warning for a service (a ``delivery_status`` entry) whose clock is more than
    ``CLOCK_WARNING`` off the database's; None when it is within it or unknown."""
    offset = service.get("clockOffset")
    if offset is None or abs(offset) <= CLOCK_WARNING:
        return None
    side = "ahead of" if offset > 0 else "behind"
    return (f"the clock of service {service['id']} is {abs(offset):.1f} s {side} the database's (more than "
            f"{CLOCK_WARNING:.0f} s): leases and retries do not depend on it, but the times it logs are off; "
            "synchronise its clock (NTP)")
