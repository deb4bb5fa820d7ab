"""WebhookService: the single facade over every business rule.

GUI, CLI and REST are thin adapters over this class; none of them re-implements a rule. All methods
are coroutines: blocking work (database, keyring) runs on the database worker thread, so the
service behaves the same under ``asyncio.run`` (CLI, ``serve``) and under the qasync loop (GUI).

Objects cross this boundary as plain dicts with the contract's attribute names (DESIGN section 2),
so every adapter shows the same thing. A refused change raises a ``ServiceError`` and changes
nothing: validation happens before any write, and writes (including the keyring's) happen inside
one database transaction that is rolled back on any failure.

Below it (and never importing it): the rules (``definitions``, ``validation``, ``publishing``,
``properties``, ``notifications``), delivery (``delivery``, handed only what it needs through
``delivery.collaborators``), storage (``store``) and the data lifecycle (``lifecycle``).
"""

from __future__ import annotations

import functools
import getpass
import uuid
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import catalog, logs, notifications
from .delivery.collaborators import ChangeListener, Collaborators, Dispatcher
from .delivery.engine import DeliveryEngine
from .delivery.wakeup import notify_due
from .errors import FieldError, NotFound, ValidationError
from .instances import InstanceRegistry
from .lifecycle import backup, export, retention, scans
from .observer import EngineObserver
from .publish_queue import PublishQueue
from .secrets import SecretStore
from .service_definitions import DefinitionMethods
from .service_secrets import SecretMethods
from .store import Database
from .store.clock import DatabaseClock
from .store.models import AppProperty, AuthProfile, Notification, Webhook
from .rules import occurrences, properties
from .rules.checks import unstorable
from .threads import run_blocking

Clock = Callable[[], datetime]


class WebhookService(DefinitionMethods, SecretMethods):
    """Open with ``await WebhookService.open(db_url)``; close with ``await service.close()``.

    The profiles and webhooks (``service_definitions``) and the keyring's operations
    (``service_secrets``) are written in modules of their own and inherited; what happens on a
    publish is ``publish_queue``'s, which services are alive ``instances``'."""

    def __init__(self, db: Database, secrets: SecretStore | None = None, clock: Clock | None = None) -> None:
        self.db = db
        self.secrets = secrets or SecretStore()
        self.db_clock = DatabaseClock()
        """The database's time, measured at open and at every heartbeat (``store.clock``)."""
        self.clock: Clock = clock or self.db_clock
        """The time the service writes (publication, the retry schedule, attempts, pauses): the
        database's, so every service schedules on one clock whatever its host's says; tests
        inject their own. Leases do not use it: they are judged in SQL by the database's clock."""
        self._listeners: list[ChangeListener] = []
        self.publishes = PublishQueue(db, self.clock, self.get_property)
        """The group commit behind ``publish`` (``publish_queue``)."""
        self.instances = InstanceRegistry(db, self.db_clock)
        """Live delivery services (``instances``)."""

    @classmethod
    async def open(
        cls, db_url: str | None = None, *, secrets: SecretStore | None = None, clock: Clock | None = None,
        require_schema: bool = False,
    ) -> "WebhookService":
        """Connect and upgrade the schema (off the event loop: migrations may take a moment);
        ``require_schema`` (read-only commands) creates nothing and refuses a database without it."""
        db = await run_blocking(functools.partial(Database, db_url, require_schema=require_schema))
        service = cls(db, secrets, clock)
        await db.run(service.db_clock.measure)
        return service

    async def close(self) -> None:
        await run_blocking(self.db.close)

    # -- change broadcast -------------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(kind, ids)`` after each committed change ('webhooks', 'profiles', ...).

        Returns an unsubscribe function. Views refresh themselves from these broadcasts and never
        call each other.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, kind: str, ids: list[str]) -> None:
        for listener in list(self._listeners):
            listener(kind, ids)

    def attach_dispatcher(self, dispatcher: Dispatcher) -> Callable[[], None]:
        """Let this process's delivery engine claim what a publish makes due in the publish's own
        transaction (``delivery.collaborators.Dispatcher``); returns the detach function."""
        return self.publishes.attach(dispatcher)

    def delivery_engine(self, *, kind: str = "serve", **options: Any) -> DeliveryEngine:
        """A delivery engine on this service (``DeliveryEngine``'s options); start it with
        ``await engine.start()``.

        The service composes what the engine works with (``delivery.collaborators``), so that
        the engine knows none of the facade: it gets the database, keyring, clocks, property
        reader, instance registry, change broadcast and publish hook, and factories for its logs,
        metrics and alerts (``observer``) and its retention run (``lifecycle.retention``), which
        read properties and secrets through this facade."""
        parts = Collaborators(
            db=self.db, secrets=self.secrets, clock=self.clock, db_clock=self.db_clock,
            get_property=self.get_property, instances=self.instances, subscribe=self.subscribe,
            attach_dispatcher=self.attach_dispatcher, delivered=self.notify_delivered,
            observer=lambda engine: EngineObserver(engine, self),
            retention=lambda owner: retention.RetentionSchedule(self, owner))
        return DeliveryEngine(parts, kind=kind, **options)

    # -- application properties -----------------------------------------------------------------

    async def get_property(self, key: str) -> Any:
        properties.require_known(key)

        def work(session: Session) -> Any:
            row = session.get(AppProperty, key)
            return properties.decode(key, row.value if row else None)

        return await self.db.run(work)

    async def list_properties(self) -> dict[str, Any]:
        def work(session: Session) -> dict[str, Any]:
            stored = {row.key: row.value for row in session.scalars(select(AppProperty))}
            return {key: properties.decode(key, stored.get(key)) for key in properties.PROPERTIES}

        return await self.db.run(work)

    async def set_property(self, key: str, value: Any) -> Any:
        parsed = properties.parse_property(key, value)

        def work(session: Session) -> None:
            row = session.get(AppProperty, key)
            if row is None:
                session.add(AppProperty(key=key, value=properties.encode(parsed), updated_at=self.clock()))
            else:
                row.value = properties.encode(parsed)
                row.updated_at = self.clock()

        await self.db.run(work)
        self.publishes.forget_zone()
        self._emit("properties", [key])
        logs.property_changed(key, parsed)
        return parsed

    # -- publishing and notifications ------------------------------------------------------------

    async def publish(self, data: dict, *, only_webhook: str | None = None) -> list[str]:
        """Store an occurrence and one notification per matching webhook; returns the eventIds.

        Validated against the catalogue first (an unknown event or an activity not of that event
        stores nothing). ``only_webhook`` restricts matching to one webhook ("Send test event").

        Concurrent publishes are group-committed (``publish_queue``): each caller gets its own
        eventIds once the transaction that holds them has committed.
        """
        occurrence = occurrences.validate_occurrence(data, self.clock())
        event_ids = await self.publishes.submit(occurrence, only_webhook)
        if event_ids:
            self._emit("published", event_ids)
        return event_ids

    async def send_test_event(self, ref: str, state: Any = None, *, activity: str | None = None) -> list[str]:
        """Publish a realistic sample occurrence to this one webhook ("Send test event").

        ``state`` replaces the catalogue's sample state (a dict, or JSON text as edited; judged
        by the publish rules, so invalid JSON is a ``currentState`` field error naming its line
        and column); ``activity`` replaces the webhook's first selected activity. Returns the
        eventIds (empty when the webhook is disabled, or its activity filter or trigger
        condition does not admit the occurrence; the caller says so).
        """
        from .samples import sample_occurrence

        webhook = await self.get_webhook(ref)
        event = catalog.get_event(webhook["event"])
        activity = activity or (webhook["activities"][0] if webhook["activities"] else None)
        occurrence = sample_occurrence(event, activity, state)
        occurrence["requestId"] = f"test-{uuid.uuid4()}"
        return await self.publish(occurrence, only_webhook=webhook["id"])

    async def search_notifications(self, filters: dict | None = None, *, limit: int | None = None,
                                   cursor: str | None = None) -> dict:
        """Newest first; ``{"items": [...], "nextCursor": str | None}``."""
        flt = notifications.parse_filter(filters or {})
        if flt.where is not None:
            return await scans.search(self.db, flt, limit, cursor)
        return await self.db.run(lambda s: notifications.search(s, flt, limit, cursor))

    async def count_notifications(self, filters: dict | None = None) -> int:
        flt = notifications.parse_filter(filters or {})
        if flt.where is not None:
            return await scans.count(self.db, flt)
        return await self.db.run(lambda s: notifications.count(s, flt))

    async def get_notification(self, event_id: str) -> dict:
        """One notification with its payload and every attempt (time, duration, status, error, answer)."""
        return await self.db.run(lambda s: notifications.details(s, event_id))

    async def retry_notifications(self, *, event_id: str | None = None, filters: dict | None = None) -> int:
        """Manual retry of one FAILED notification or of every FAILED one matching ``filters``:
        a new round of up to three attempts. IN_PROGRESS ones are refused (Conflict)."""
        flt = None if event_id is not None else notifications.parse_filter(filters or {})
        now = self.clock()
        if flt is not None and flt.where is not None:
            flt = notifications.failed_only(flt, "retried")
            changed = await scans.change_failed(self.db, flt, notifications.retry_values(now))
            if changed:
                await self.db.run(notify_due)
        else:
            changed = await self.db.run(lambda s: notifications.retry(s, event_id, flt, now))
        if changed:
            self._emit("retried", [event_id] if event_id else [])
        logs.notifications_retried(changed, event_id, filters)
        return changed

    async def mark_successful(self, *, event_id: str | None = None, filters: dict | None = None,
                              by: str | None = None) -> int:
        """FAILED -> SUCCESSFUL by hand, recording who and when."""
        flt = None if event_id is not None else notifications.parse_filter(filters or {})
        now = self.clock()
        who = by or _current_user()
        problem = unstorable(who)
        if problem:
            raise ValidationError(FieldError("by", problem))
        if flt is not None and flt.where is not None:
            flt = notifications.failed_only(flt, "marked successful")
            changed = await scans.change_failed(self.db, flt, notifications.mark_values(now, who))
        else:
            changed = await self.db.run(lambda s: notifications.mark_successful(s, event_id, flt, now, who))
        if changed:
            self._emit("notifications", [event_id] if event_id else [])
        logs.notifications_marked_successful(changed, event_id, filters, who)
        return changed

    async def stats(self, hours: int = 24) -> dict:
        """Delivery health of the last ``hours`` (1-168), from the hourly rollups (``stats.py``)."""
        from . import stats

        hours = stats.check_hours(hours)
        now = self.clock()
        return await self.db.run(lambda s: stats.compute(s, hours, now))

    async def notification_counts(self) -> dict[str, int]:
        return await self.db.run(notifications.counts_by_status)

    async def failing_counts(self) -> dict[str, int]:
        """Per webhook id, its notifications needing attention (``notifications.failing_by_webhook``)."""
        return await self.db.run(notifications.failing_by_webhook)

    # -- data lifecycle (emswebhook_gui.lifecycle): retention, purge, export, backup, facts ------

    async def purge_notifications(self, *, event_id: str | None = None, filters: dict | None = None) -> dict:
        """Delete one notification, or every one matching ``filters``, with body and attempts;
        IN_PROGRESS ones are kept. ``{"purged": N, "skippedInProgress": M}``."""
        if event_id is not None:
            if unstorable(event_id):
                raise NotFound(f"no notification with eventId {event_id!r}")
            flt = notifications.Filter(event_id=event_id)
            if not await self.db.run(lambda s: notifications.count(s, flt)):
                raise NotFound(f"no notification with eventId '{event_id}'")
        else:
            flt = notifications.parse_filter(filters or {})
        result = (await retention.purge_matching(self, flt, _current_user())).as_dict()
        if result["purged"]:
            self._emit("notifications", [event_id] if event_id else [])  # views refresh
        return result

    async def purge_expired(self, owner: str = "manual") -> dict:
        """Apply the retention properties now (the engines also do it hourly)."""
        result = await retention.purge_expired(self, owner)
        if result.purged:
            self._emit("notifications", [])
        return {"purged": result.purged, "byStatus": result.by_status, "occurrences": result.occurrences,
                "freedBytes": result.freed_bytes, "lockedOut": result.locked_out}

    def export_notifications(self, filters: dict | None, fmt: str):
        """An async iterator of text chunks (CSV or NDJSON), streamed batch by batch."""
        fmt = export.check_format(fmt)
        return export.export(self.db, notifications.parse_filter(filters or {}), fmt)

    async def backup_database(self, file: str) -> dict:
        return await backup.backup(self, file)

    async def compact_database(self) -> dict:
        return await backup.compact(self)

    async def database_info(self) -> dict:
        return await backup.info(self)

    def notify_delivered(self, event_ids: list[str], finished: list[tuple[str, str]]) -> None:
        """Called by the engine after recording outcomes: one broadcast per batch."""
        self._emit("notifications", event_ids)
        failed = [event_id for event_id, status in finished if status == "FAILED"]
        if failed:
            self._emit("failed", failed)

    async def change_fingerprint(self, *, counts: bool = True) -> tuple:
        """A cheap summary that changes whenever webhooks, profiles, properties or notification
        states change, in any process; the GUI polls it to stay live.

        ``counts=False`` leaves out the IN_PROGRESS/FAILED counts (``None`` in their place):
        with a million notifications they are the only part that costs (tens of ms), so a
        poller asks for them less often than for the rest."""

        def work(session: Session) -> tuple:
            webhooks = session.execute(select(func.count(), func.max(Webhook.updated_at))).one()
            profiles = session.execute(select(func.count(), func.max(AuthProfile.updated_at))).one()
            props = session.execute(select(func.count(), func.max(AppProperty.updated_at))).one()
            latest = session.scalar(select(func.max(Notification.seq)))
            state = None
            if counts:
                state = tuple(sorted(notifications.open_counts(session).items())) + (("latest", latest),)
            return (tuple(webhooks), tuple(profiles), tuple(props), state, latest)

        return await self.db.run(work)

    # -- delivery services ----------------------------------------------------------------------

    async def register_instance(self, owner: str, kind: str, *, lease_seconds: float = 60.0) -> None:
        """Record a live delivery service; leases of services proven dead are released."""
        await self.instances.register(owner, kind, lease_seconds=lease_seconds)

    async def heartbeat_instance(self, owner: str, kind: str = "serve", *, lease_seconds: float = 60.0) -> bool:
        """Refresh a service's heartbeat and clock offset, reap the dead; False when the service
        had been declared dead meanwhile (it is registered again, its leases were released)."""
        return await self.instances.heartbeat(owner, kind, lease_seconds=lease_seconds)

    async def unregister_instance(self, owner: str) -> None:
        await self.instances.unregister(owner)

    async def delivery_status(self) -> dict:
        """Live delivery services and the queue depth, for ``emswebhook status`` and Settings."""
        return await self.instances.status(self.clock)

# -- module-private rules and mappers (used only by the facade above) ----------------------------


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
