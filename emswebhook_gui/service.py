"""WebhookService: the single facade over every business rule.

GUI, CLI and REST are thin adapters over this class; none of them re-implements a rule. All methods
are coroutines: blocking work (database, keyring) runs on the database worker thread, so the
service behaves the same under ``asyncio.run`` (CLI, ``serve``) and under the qasync loop (GUI).

Objects cross this boundary as plain dicts with the contract's attribute names (DESIGN section 2),
so every adapter shows the same thing. A refused change raises a ``ServiceError`` and changes
nothing: validation happens before any write, and writes (including the keyring's) happen inside
one database transaction that is rolled back on any failure.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import time
import uuid
from datetime import datetime
from typing import Any, Callable, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from . import catalog, definitions, instances, logs, notifications, publishing
from .delivery.outbox import Handoff, Lease, targets
from .delivery.signing import generate_secret
from .delivery.wakeup import notify_due
from .lifecycle import backup, export, retention, scans
from .errors import Conflict, FieldError, NotFound, ValidationError
from .secrets import SecretStore, profile_secret_key, signing_secret_key
from .store import Database
from .store.clock import DatabaseClock
from .store.models import AppProperty, AuthProfile, Notification, ServiceInstance, Webhook, iso
from .rules import occurrences, properties
from .rules.checks import Collector, required_text, unstorable
from .rules.urls import check_http_url
from .threads import run_blocking

Clock = Callable[[], datetime]
ChangeListener = Callable[[str, list[str]], None]


class Dispatcher(Protocol):
    """This process's delivery engine, as the publish path sees it.

    A publish commits its notifications due at once. Left alone, the engine would hear of them
    and claim them in a second transaction, rewriting the rows the publish just wrote. Instead,
    ``offer`` (called on the database worker, inside the publish's transaction) says how many
    the engine has room for and under which lease, and the publish inserts that many already
    leased to it; anything else due stays the claim loop's. After the commit, ``accept`` hands
    them to the engine on the loop. The claim is the ordinary lease, so a crash between the two
    loses nothing: the lease runs out and the notifications are claimed again. With
    ``emswebhook serve`` beside a publishing process this changes nothing; when both are in one
    process it saves a transaction per publish batch, and then an UPDATE and a SELECT of the
    rows just written (bench_delivery, end to end).
    """

    def offer(self) -> Lease | None: ...

    def accept(self, handoff: Handoff) -> None: ...

PUBLISH_BATCH = 500
# Under load, how long a group commit may wait for as many publishes as the last one held.
PUBLISH_LINGER = 0.003


def _fail(batch: list, exc: BaseException) -> None:
    for *_rest, future in batch:
        if not future.done():
            future.set_exception(exc)


class WebhookService:
    """Open with ``await WebhookService.open(db_url)``; close with ``await service.close()``."""

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
        self._publish_queue: list[tuple] = []
        self._publish_flusher: asyncio.Task | None = None
        self._last_batch = 1
        self._batch_waiter: asyncio.Future | None = None
        self._zone_cache: tuple[float, str] = (0.0, "UTC")
        self._dispatcher: Dispatcher | None = None

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
        transaction (see :class:`Dispatcher`); returns the detach function."""
        self._dispatcher = dispatcher

        def detach() -> None:
            if self._dispatcher is dispatcher:
                self._dispatcher = None

        return detach

    # -- authentication profiles --------------------------------------------------------------

    async def list_profiles(self) -> list[dict]:
        def work(session: Session) -> list[dict]:
            rows = session.scalars(select(AuthProfile).order_by(AuthProfile.name_key)).all()
            used = definitions.webhook_names_by_profile(session)
            return [definitions.profile_dict(p, used.get(p.id, [])) for p in rows]

        return await self.db.run(work)

    async def get_profile(self, ref: str) -> dict:
        def work(session: Session) -> dict:
            profile = definitions.find_profile(session, ref)
            return definitions.profile_dict(profile, definitions.webhook_names_by_profile(session).get(profile.id, []))

        return await self.db.run(work)

    async def create_profile(self, data: dict) -> dict:
        clean, secret = definitions.validate_profile(data, existing=None)

        def work(session: Session) -> dict:
            definitions.ensure_unique(session, AuthProfile, clean["name"], "name", "an authentication profile")
            now = self.clock()
            profile = AuthProfile(id=str(uuid.uuid4()), created_at=now, updated_at=now, **clean)
            session.add(profile)
            session.flush()
            self.secrets.set(profile_secret_key(profile.id), secret)
            return definitions.profile_dict(profile, [])

        result = await self._write(work, "name")
        self._emit("profiles", [result["id"]])
        logs.definition_changed("authentication profile", "created", result["name"], result["id"])
        return result

    async def update_profile(self, ref: str, data: dict, *, replace: bool = False) -> dict:
        """PATCH semantics by default (omitted fields keep their value, an omitted secret is kept);
        ``replace=True`` is PUT: the body must be complete, the secret included."""

        def work(session: Session) -> dict:
            profile = definitions.find_profile(session, ref)
            clean, secret = definitions.validate_profile(data, existing=None if replace else profile)
            if clean["name_key"] != profile.name_key:
                definitions.ensure_unique(session, AuthProfile, clean["name"], "name", "an authentication profile")
            for key, value in clean.items():
                setattr(profile, key, value)
            profile.updated_at = self.clock()
            session.flush()
            if secret is not None:
                self.secrets.set(profile_secret_key(profile.id), secret)
            return definitions.profile_dict(profile, definitions.webhook_names_by_profile(session).get(profile.id, []))

        result = await self._write(work, "name")
        self._emit("profiles", [result["id"]])
        logs.definition_changed("authentication profile", "updated", result["name"], result["id"])
        return result

    async def delete_profile(self, ref: str) -> None:
        def work(session: Session) -> str:
            profile = definitions.find_profile(session, ref)
            users = definitions.webhook_names_by_profile(session).get(profile.id, [])
            if users:
                raise Conflict(
                    f"authentication profile '{profile.name}' is used by "
                    f"{'webhook' if len(users) == 1 else 'webhooks'} {', '.join(repr(u) for u in users)}; "
                    f"change or delete {'it' if len(users) == 1 else 'them'} first"
                )
            session.delete(profile)
            return profile.id

        profile_id = await self.db.run(work)
        await run_blocking(self.secrets.delete, profile_secret_key(profile_id))
        self._emit("profiles", [profile_id])
        logs.definition_changed("authentication profile", "deleted", ref, profile_id)

    async def test_oauth_profile(self, data: dict) -> dict:
        """Fetch a token with these OAuth settings (the profile form's "Test").

        ``data`` holds the form's fields; an omitted clientSecret with a ``name`` of an existing
        profile uses the stored secret, so testing an unchanged profile needs no retyping.
        Returns ``{"ok": bool, "message": str, "expiresIn": seconds | None}``; the token itself
        is never returned or shown.
        """
        from .delivery.auth import OAuthClientCredentials, TokenError
        from .delivery.http import Sender

        errors = Collector()
        token_url = check_http_url(data.get("tokenUrl"), errors, "tokenUrl")
        client_id = required_text(data.get("clientId"), errors, "clientId", 255)
        secret = data.get("clientSecret") or None
        if secret is None and data.get("name"):
            try:
                existing = await self.get_profile(data["name"])
                secret = await self.profile_secret(existing["id"])
            except NotFound:
                pass
        if not secret:
            errors.add("clientSecret", "is required")
        errors.raise_if_any()
        spec = OAuthClientCredentials(token_url, client_id, secret, data.get("scope") or None,
                                      data.get("audience") or None)
        from .delivery.transport import read_settings

        allow_private = bool(await self.get_property(properties.ALLOW_PRIVATE_ENDPOINTS))
        async with Sender(allow_private=allow_private, settings=await read_settings(self)) as sender:
            try:
                _token, expires_in = await sender.fetch_token(spec)
            except TokenError as exc:
                return {"ok": False, "message": str(exc), "expiresIn": None}
        lifetime = f"; valid for {int(expires_in)} s" if expires_in else ""
        return {"ok": True, "message": f"token endpoint {token_url} issued a token{lifetime}",
                "expiresIn": expires_in}

    async def api_token(self, *, rotate: bool = False) -> str:
        """The local REST API's bearer token (created if absent); ``rotate`` replaces it."""
        from .api import token

        return await run_blocking(token.rotate if rotate else token.load_or_create, self.secrets)

    async def profile_secret(self, profile_id: str) -> str | None:
        """The stored secret, for the delivery engine at send time only."""
        return await run_blocking(self.secrets.get, profile_secret_key(profile_id))

    # -- webhooks -----------------------------------------------------------------------------

    async def list_webhooks(self) -> list[dict]:
        def work(session: Session) -> list[dict]:
            rows = session.execute(
                select(Webhook, AuthProfile.name).join(AuthProfile).order_by(Webhook.name_key)
            ).all()
            return [definitions.webhook_dict(w, profile_name) for w, profile_name in rows]

        return await self.db.run(work)

    async def get_webhook(self, ref: str) -> dict:
        def work(session: Session) -> dict:
            webhook = definitions.find_webhook(session, ref)
            return definitions.webhook_dict(webhook, session.get(AuthProfile, webhook.auth_profile_id).name)

        return await self.db.run(work)

    async def create_webhook(self, data: dict) -> dict:
        def work(session: Session) -> dict:
            clean, profile = definitions.validate_webhook(session, data, existing=None)
            definitions.ensure_unique(session, Webhook, clean["name"], "name", "a webhook")
            now = self.clock()
            webhook = Webhook(id=str(uuid.uuid4()), created_at=now, updated_at=now, **clean)
            session.add(webhook)
            session.flush()
            return definitions.webhook_dict(webhook, profile.name)

        result = await self._write(work, "name")
        self._emit("webhooks", [result["id"]])
        logs.definition_changed("webhook", "created", result["name"], result["id"])
        return result

    async def update_webhook(self, ref: str, data: dict, *, replace: bool = False) -> dict:
        """PATCH by default (omitted attributes keep their value); ``replace=True`` is PUT
        (omitted optional attributes return to their defaults)."""

        def work(session: Session) -> dict:
            webhook = definitions.find_webhook(session, ref)
            clean, profile = definitions.validate_webhook(session, data, existing=None if replace else webhook)
            if clean["name_key"] != webhook.name_key:
                definitions.ensure_unique(session, Webhook, clean["name"], "name", "a webhook")
            for key, value in clean.items():
                setattr(webhook, key, value)
            webhook.updated_at = self.clock()
            session.flush()
            return definitions.webhook_dict(webhook, profile.name)

        result = await self._write(work, "name")
        self._emit("webhooks", [result["id"]])
        logs.definition_changed("webhook", "updated", result["name"], result["id"])
        return result

    async def set_webhook_enabled(self, ref: str, enabled: bool) -> dict:
        return await self.update_webhook(ref, {"enabled": bool(enabled)})

    async def delete_webhook(self, ref: str) -> None:
        """Delete the definition; its delivery history stays searchable under its old name."""

        def work(session: Session) -> str:
            webhook = definitions.find_webhook(session, ref)
            session.delete(webhook)
            return webhook.id

        webhook_id = await self.db.run(work)
        await run_blocking(self.secrets.delete, signing_secret_key(webhook_id))
        self._emit("webhooks", [webhook_id])
        logs.definition_changed("webhook", "deleted", ref, webhook_id)

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

    async def set_proxy_credentials(self, username: str | None, password: str | None = None) -> None:
        """Keep the forward proxy's credentials in the keyring (sent as Proxy-Authorization);
        ``None`` forgets them. The engine picks them up without a restart."""
        from .delivery.transport import encode_credentials
        from .secrets import PROXY_CREDENTIALS_KEY

        if username is None:
            await run_blocking(self.secrets.delete, PROXY_CREDENTIALS_KEY)
        else:
            errors = Collector()
            name = required_text(username, errors, "username", 255)
            if name is not None and (":" in name or any(not ch.isprintable() for ch in name)):
                errors.add("username", "must not contain ':' or control characters")
            errors.raise_if_any()
            await run_blocking(self.secrets.set, PROXY_CREDENTIALS_KEY, encode_credentials(name, password or ""))
        self._emit("properties", ["proxyCredentials"])

    async def proxy_in_effect(self) -> dict[str, Any]:
        """Which proxy deliveries use and where it came from (property or environment), for the
        Settings page: ``{"http": {"url", "source", "authenticated"} | None, "https": ...,
        "noProxy": [...], "noProxySource": ...}``."""
        from .delivery.transport import proxy_plan, read_settings

        return proxy_plan(await read_settings(self)).describe()

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
        self._zone_cache = (0.0, "UTC")
        self._emit("properties", [key])
        logs.property_changed(key, parsed)
        return parsed

    # -- publishing and notifications ------------------------------------------------------------

    async def publish(self, data: dict, *, only_webhook: str | None = None) -> list[str]:
        """Store an occurrence and one notification per matching webhook; returns the eventIds.

        Validated against the catalogue first (an unknown event or an activity not of that event
        stores nothing). ``only_webhook`` restricts matching to one webhook ("Send test event").

        Concurrent publishes are group-committed: those that arrive while a transaction is
        running are written together in the next one. Each caller still gets its own eventIds,
        and only after the transaction that holds them has committed (so a notification is never
        reported before it is durable).

        Under load a transaction may also wait up to ``PUBLISH_LINGER`` for as many publishes as
        the previous one held: clients with N requests in flight send their next ones as the
        answers reach them, and without the wait every round became a transaction of one (the
        first to arrive) and one of N-1, each paying the commit. A lone publisher's last batch
        was one, so it never waits. Measured with ``tests/benchmarks/bench_api.py``: 16 clients,
        CPU per request 305 -> 234 us.
        """
        now = self.clock()
        occurrence = occurrences.validate_occurrence(data, now)
        future = asyncio.get_running_loop().create_future()
        self._publish_queue.append((occurrence, only_webhook, future))
        waiter = self._batch_waiter
        if waiter is not None and len(self._publish_queue) >= self._last_batch and not waiter.done():
            waiter.set_result(None)
        if self._publish_flusher is None or self._publish_flusher.done():
            self._publish_flusher = asyncio.ensure_future(self._flush_publishes())
        event_ids = await future
        if event_ids:
            self._emit("published", event_ids)
        return event_ids

    async def _flush_publishes(self) -> None:
        while self._publish_queue:
            if self._last_batch > 1 and len(self._publish_queue) < self._last_batch:
                await self._linger()
            batch, self._publish_queue = self._publish_queue[:PUBLISH_BATCH], self._publish_queue[PUBLISH_BATCH:]
            self._last_batch = len(batch)
            try:
                written = await self._write_publishes(batch)
            except Exception as exc:
                # The transaction failed, so nothing of it was stored. If the database refused
                # what was written (not an unreachable or locked database, where each retry would
                # wait as long again), write each in a transaction of its own, so that the one it
                # refuses fails alone rather than taking its batch with it.
                if len(batch) == 1 or isinstance(exc, (OperationalError, InterfaceError, TimeoutError)):
                    _fail(batch, exc)
                    continue
                for one in batch:
                    try:
                        self._settle([one], *await self._write_publishes([one]))
                    except Exception as alone:
                        _fail([one], alone)
                continue
            self._settle(batch, *written)

    async def _write_publishes(self, batch: list) -> tuple[list, Handoff | None, Dispatcher | None]:
        """One transaction for a batch of ``(occurrence, only_webhook, future)``: each one's
        eventIds (or the exception for it alone), and what the engine here was handed and by
        whom it is to be accepted (raises when the transaction fails)."""
        zone = await self._expiry_zone()
        # one timestamp for the batch: its rows share it, so it is converted for storage once
        now = self.clock()
        dispatcher = self._dispatcher

        def work(session: Session) -> tuple[list, Any]:
            results: list = [None] * len(batch)
            items, positions = [], []
            for position, (occurrence, only, _future) in enumerate(batch):
                try:
                    only_id = definitions.find_webhook(session, only).id if only else None
                except NotFound as exc:
                    results[position] = exc
                    continue
                items.append((occurrence, only_id, now))
                positions.append(position)
            lease = dispatcher.offer() if dispatcher is not None else None
            event_ids, leased = publishing.publish_batch(session, items, zone, lease)
            for position, ids in zip(positions, event_ids):
                results[position] = ids
            published = sum(len(ids) for ids in event_ids)
            handoff = None
            if lease is not None and published:
                handoff = Handoff(leased, targets(session, {c.webhook_id for c in leased}) if leased else {},
                                  len(leased) == published)
            if published and (handoff is None or not handoff.complete):
                notify_due(session)  # other services: something is due (PostgreSQL)
            return results, handoff

        results, handoff = await self.db.run(work)
        return results, handoff, dispatcher

    @staticmethod
    def _settle(batch: list, results: list, handoff: Handoff | None, dispatcher: Dispatcher | None) -> None:
        """After the commit: the engine takes what it was handed, and each caller its result."""
        if handoff is not None and dispatcher is not None:
            dispatcher.accept(handoff)
        for (*_rest, future), result in zip(batch, results):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _linger(self) -> None:
        """Wait until ``publish`` has queued as many as the last batch, or ``PUBLISH_LINGER``."""
        loop = asyncio.get_running_loop()
        waiter = self._batch_waiter = loop.create_future()
        timer = loop.call_later(PUBLISH_LINGER, lambda: waiter.done() or waiter.set_result(None))
        try:
            await waiter
        finally:
            timer.cancel()
            self._batch_waiter = None

    async def _expiry_zone(self) -> str:
        """The expiration time-zone property, re-read at most once a second (hot path)."""
        expires, value = self._zone_cache
        if time.monotonic() < expires:
            return value
        value = await self.get_property(properties.EXPIRATION_TIME_ZONE)
        self._zone_cache = (time.monotonic() + 1.0, value)
        return value

    async def send_test_event(self, ref: str) -> list[str]:
        """Publish a realistic sample occurrence to this one webhook ("Send test event").

        Returns the eventIds (empty when the webhook is disabled or its trigger condition does
        not admit the sample; the caller says so). The first selected activity is used, so the
        activity filter always passes.
        """
        from .samples import sample_occurrence

        webhook = await self.get_webhook(ref)
        event = catalog.get_event(webhook["event"])
        activity = webhook["activities"][0] if webhook["activities"] else None
        occurrence = sample_occurrence(event, activity)
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

    # -- signing secrets ------------------------------------------------------------------------

    async def signing_secret(self, ref: str, *, rotate: bool = False, remove: bool = False) -> str | None:
        """Turn on Standard Webhooks signing and return the secret (created if absent);
        ``rotate`` replaces it, ``remove`` turns signing off and forgets the secret (returns None)."""
        if rotate and remove:
            raise ValidationError(FieldError("signing", "choose either rotate or remove"))
        webhook = await self.get_webhook(ref)
        key = signing_secret_key(webhook["id"])
        if remove:
            await self.db.run(lambda s: setattr(s.get(Webhook, webhook["id"]), "signing_enabled", False))
            await run_blocking(self.secrets.delete, key)
            self._emit("webhooks", [webhook["id"]])
            logs.definition_changed("webhook", "signing turned off", webhook["name"], webhook["id"])
            return None
        secret = None if rotate else await run_blocking(self.secrets.get, key)
        if secret is None:
            secret = generate_secret()
            await run_blocking(self.secrets.set, key, secret)
            logs.definition_changed("webhook", "given a new signing secret", webhook["name"], webhook["id"])
        if not webhook["signing"]:
            await self.db.run(lambda s: setattr(s.get(Webhook, webhook["id"]), "signing_enabled", True))
        self._emit("webhooks", [webhook["id"]])
        return secret

    # -- delivery services ----------------------------------------------------------------------

    async def register_instance(self, owner: str, kind: str, *, lease_seconds: float = 60.0) -> None:
        """Record a live delivery service; leases of services proven dead are released
        (``instances``). The database's clock is read on the way (``store.clock``)."""

        def work(session: Session) -> None:
            instances.register(session, owner, kind, lease_seconds, self.db_clock.measure(session))

        await self.db.run(work)

    async def heartbeat_instance(self, owner: str, kind: str = "serve", *, lease_seconds: float = 60.0) -> bool:
        """Refresh a service's heartbeat and clock offset, reap the dead; False when the service
        had been declared dead meanwhile (it is registered again, its leases were released)."""
        return await self.db.run(
            lambda s: instances.heartbeat(s, owner, kind, lease_seconds, self.db_clock.measure(s)))

    async def unregister_instance(self, owner: str) -> None:
        await self.db.run(lambda s: instances.unregister(s, owner))

    async def delivery_status(self) -> dict:
        """Live delivery services and the queue depth, for ``emswebhook status`` and Settings."""

        def work(session: Session) -> dict:
            instances.reap(session)
            services = session.scalars(select(ServiceInstance).order_by(ServiceInstance.started_at)).all()
            in_flight = dict(session.execute(
                select(Notification.lease_owner, func.count()).where(
                    Notification.status == "IN_PROGRESS", Notification.lease_owner.is_not(None))
                .group_by(Notification.lease_owner)).all())
            counts = notifications.counts_by_status(session)
            due = session.scalar(select(func.count()).select_from(Notification).where(
                Notification.status == "IN_PROGRESS", Notification.next_attempt_at <= self.clock()))
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

        return await self.db.run(work)

    # -- helpers --------------------------------------------------------------------------------

    async def _write(self, work: Callable[[Session], dict], unique_field: str) -> dict:
        """Run a write; a unique-key race lost at commit becomes the same message as a clash."""
        try:
            return await self.db.run(work)
        except IntegrityError:
            raise ValidationError(
                FieldError(unique_field, "is already taken (names are unique, ignoring case)")
            ) from None


# -- module-private rules and mappers (used only by the facade above) ----------------------------


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
