"""The delivery engine: claims due notifications from the outbox, sends them, records attempts.

Plain asyncio, so it runs the same under ``asyncio.run`` (``emswebhook serve``) and under the
qasync loop (the tray app). Three kinds of task cooperate:

- the claim loop takes batches of due notifications (a lease each), bounded by ``max_in_flight``
  so 100,000 due notifications are never all in memory, and queues each behind its endpoint;
- per endpoint, up to the Sender's per-endpoint limit of worker coroutines send one request at
  a time each (the ``Sender`` adds the global limit and the timeouts), so a slow endpoint only
  ever occupies its own workers; an endpoint's lane (``lanes.py``) runs fewer while it fails,
  and past its claim budget its webhooks are left out of claims, so one broken or hostile
  endpoint neither takes the engine's time nor fills its window;
- the recorder writes outcomes in batches (one transaction per batch), which is what lets the
  single SQLite writer keep up with thousands of deliveries per second.

Credentials are read from the keyring at send time and kept in memory for at most
``SECRET_TTL`` seconds (a keyring round trip per delivery would cap throughput; the cache is
dropped at once when a profile changes in this process). Webhook definitions are read fresh at
claim time, so a corrected endpoint URL applies to the next retry. A notification whose webhook
was deleted or disabled is not sent: it becomes FAILED with that reason, to be retried by hand
once the webhook is back.

Wake-ups: what a publish in this process makes due is claimed in the publish's own transaction
(the engine is the publish queue's ``Dispatcher``: ``offer``, then ``accept`` after the commit), and
the publish wakes the claim loop only when that claim could not take all of it; a retry in this process wakes it
directly; on PostgreSQL other processes' publishes arrive by LISTEN/NOTIFY (``wakeup.py``);
otherwise (SQLite, several processes) the engine looks for due work every ``poll_interval``
seconds. After a claim that found work, the time of the next due notification is not looked up
(the loop claims again within ``poll_interval``), so a retry falling due meanwhile waits at most
that long.

Several services (issue 16). Leases are taken, renewed and judged by the database's clock in SQL
(``store.clock``); the times the engine writes (the retry schedule, attempts, endpoint pauses)
come from the service's clock (``Collaborators.clock``), which is the database's time as measured
at every heartbeat (tests inject theirs). A claim is sent only while this engine surely still holds its lease
(``Claimed.held_until``, on the monotonic clock): a service that was stopped (SIGSTOP, a
suspended VM) or cut off past its lease drops what it had queued instead of sending it again,
and what was on the wire meanwhile is not recorded over the new owner's (fencing, ``outbox``).

The per-endpoint limit (8 requests in flight) is per service, by decision: a service is the
unit an operator adds for throughput, and to a slow subscriber (200 ms an answer) three
services drain a backlog about three times as fast as one (``bench_scaleout.py``, slow-subscriber
case) where a global limit would have made scaling out useless. A subscriber that wants fewer
requests says so with 429 or 503 and ``Retry-After``: every service then holds back
(``politeness``): claims skip the endpoint's webhooks, and engines give back the claims they had
queued for it (each re-reads the pauses within ``poll_interval``; the one that got the answer at
once).

``EMSWEBHOOK_LEASE_SECONDS`` sets the lease (default 60 s; heartbeats and renewals every third
of it, a service is stale after 1.5 of it). It is for tests, which need a lease to run out in
seconds; every service sharing a database should use the same value.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Callable

from ..rules import properties
from ..secrets import profile_secret_key, signing_secret_key
from ..threads import run_blocking
from ..waiting import wait_for_wake
from . import outbox, politeness
from .auth import BasicAuth, OAuthClientCredentials
from .collaborators import NO_OBSERVER, Collaborators
from .http import AttemptResult, DeliveryRequest, Sender
from .lanes import Lane
from .transport import TransportSettings, read_settings
from .wakeup import PgListener

log = logging.getLogger(__name__)

SECRET_TTL = 30.0
LOOKAHEAD = 0.5
"""Seconds of its recent sending rate an engine claims ahead (see ``DeliveryEngine._window``)."""
MIN_WINDOW = 64


def default_lease() -> timedelta:
    """60 s, or ``EMSWEBHOOK_LEASE_SECONDS`` (for tests: see the module's docstring)."""
    value = os.environ.get("EMSWEBHOOK_LEASE_SECONDS", "")
    try:
        seconds = float(value) if value else 60.0
    except ValueError:
        seconds = 60.0
    return timedelta(seconds=seconds if seconds >= 0.5 else 60.0)


class DeliveryEngine:
    """Made by ``WebhookService.delivery_engine``, which composes its ``Collaborators``."""

    def __init__(
        self,
        parts: Collaborators,
        *,
        kind: str = "serve",
        sender: Sender | None = None,
        max_in_flight: int = 512,
        batch_size: int = 256,
        poll_interval: float = 1.0,
        lease: timedelta | None = None,
        record_batch: int = 256,
        record_delay: float = 0.01,
        observe: bool = True,
    ) -> None:
        self.parts = parts
        self.kind = kind
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._sender = sender
        self._owns_sender = sender is None
        self.max_in_flight = max_in_flight
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.lease = lease if lease is not None else default_lease()
        self._lease_seconds = self.lease.total_seconds()
        self.record_batch = record_batch
        self.record_delay = record_delay
        self._in_flight: dict[int, outbox.Claimed] = {}
        """Claimed and not yet recorded (queued, sending, or waiting to be recorded), by seq."""
        self._pauses: dict[str, datetime] = {}
        """webhook id -> end of the pause its endpoint asked for (``politeness``)."""
        self._pauses_read = float("-inf")
        self._lanes: dict[tuple, Lane] = {}
        """Endpoint key (``Sender.endpoint_of``) -> its queue, workers and share (``lanes``)."""
        self._excluded: frozenset[str] = frozenset()
        """Webhooks whose endpoint holds its claim budget: claims and publishes leave them out."""
        self._worker_tasks: set[asyncio.Task] = set()
        self._outcomes: asyncio.Queue[outbox.Outcome] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._running = False
        self._paused = False
        self._tasks: list[asyncio.Task] = []
        self._secrets: dict[str, tuple[float, str | None]] = {}
        self._auths: dict[tuple, tuple[float, BasicAuth | OAuthClientCredentials]] = {}
        self._allow_private = False
        self._transport_settings = TransportSettings()
        self._unsubscribe: Callable[[], None] | None = None
        self._listener: PgListener | None = None
        self._properties_stale = False
        self._detach: Callable[[], None] | None = None
        self._backlog = True
        """Whether due notifications may be waiting unclaimed: a publish then wakes the claim
        loop. False once the claim loop found less than a full batch, or a publish's own
        transaction claimed everything the publish made (see ``offer``)."""
        self.delivered = 0
        self.failed_attempts = 0
        self.observer = parts.make_observer(self) if observe else NO_OBSERVER
        """Logs, metrics and alerts of this engine (``observer.py``)."""
        self.retention = parts.make_retention(self.owner)
        """The hourly purge (``lifecycle.retention``), started and stopped with the engine."""
        self._rate = 0.0
        self._rate_mark = (time.monotonic(), 0)
        self.claim_rounds = 0
        """Claims made by the claim loop (tests wait on it to know the engine looked)."""
        self.lost_leases = 0
        """Claims dropped unsent, or outcomes not recorded, because the lease had been taken over."""

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        self._allow_private = bool(await self.parts.get_property(properties.ALLOW_PRIVATE_ENDPOINTS))
        self._transport_settings = await read_settings(self.parts.get_property, self.parts.secrets)
        if self._sender is None:
            # attempts are stamped with the service's clock, like every other time it records; the
            # sender makes a new session when the proxy, CA or private-endpoint settings change
            self._sender = Sender(allow_private=lambda: self._allow_private,
                                  settings=lambda: self._transport_settings, clock=self.parts.clock)
        await self.parts.instances.register(self.owner, self.kind, lease_seconds=self._lease_seconds)
        self._unsubscribe = self.parts.subscribe(self._on_service_change)
        if not self.parts.db.is_sqlite:
            self._listener = PgListener(self.parts.db.url, asyncio.get_running_loop(), self.wake)
            self._listener.start()
        self._running = True
        self._detach = self.parts.attach_dispatcher(self)
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name="emswebhook-claim"),
            asyncio.create_task(self._record_loop(), name="emswebhook-record"),
            asyncio.create_task(self._housekeeping_loop(), name="emswebhook-housekeeping"),
        ]
        await self.observer.start()
        self.retention.start()

    async def stop(self, grace: float = 5.0) -> None:
        """Finish in-flight requests within ``grace`` seconds, record them, release the rest."""
        if not self._running:
            return
        self._running = False
        if self._detach is not None:
            self._detach()
            self._detach = None
        self._wake.set()
        await self.retention.stop()
        claim, recorder, housekeeping = self._tasks
        housekeeping.cancel()
        await asyncio.gather(claim, housekeeping, return_exceptions=True)
        for lane in self._lanes.values():
            lane.queue.clear()  # not started: released below, due again for whoever runs next
        pending = list(self._worker_tasks)
        if pending:
            _done, still = await asyncio.wait(pending, timeout=grace)
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
        await self._outcomes.put(None)  # type: ignore[arg-type]  # the recorder's stop mark
        await recorder
        await self.observer.stop()
        unsent = [seq for seq, c in self._in_flight.items() if c.held_until > time.monotonic()]
        self._in_flight.clear()
        await self.parts.db.run(lambda s: outbox.release(s, self.owner, unsent))
        await self.parts.instances.unregister(self.owner)
        if self._listener is not None:
            await run_blocking(self._listener.stop)
            self._listener = None
        if self._unsubscribe:
            self._unsubscribe()
        if self._owns_sender and self._sender is not None:
            await self._sender.aclose()
            self._sender = None
        self._tasks = []

    @property
    def running(self) -> bool:
        return self._running

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def backlog(self) -> bool:
        """Whether due notifications may be waiting unclaimed, so that a publish wakes the claim
        loop; False after a claim found less than a full batch, or when a publish's own
        transaction handed this engine everything it made (``offer``)."""
        return self._backlog

    def pause(self) -> None:
        """Stop claiming and sending; requests already on the wire complete. Claimed notifications
        not yet sent are given back at once, so they stay due (for another service too)."""
        self._paused = True
        queued = [claimed.seq for lane in self._lanes.values() for claimed, _target in lane.queue]
        for lane in self._lanes.values():
            lane.queue.clear()
        if queued:
            for seq in queued:
                self._in_flight.pop(seq, None)
            self._release_later(queued)

    def _release_later(self, seqs: list[int]) -> None:
        """Give claims back (due again for anyone) in a side task; stop() waits for it."""
        task = asyncio.ensure_future(self.parts.db.run(lambda s: outbox.release(s, self.owner, seqs)))
        self._worker_tasks.add(task)
        task.add_done_callback(self._worker_tasks.discard)

    def resume(self) -> None:
        self._paused = False
        self.wake()

    def wake(self) -> None:
        """Look for due work now (after a publish, a retry, or a test advancing its clock)."""
        self._wake.set()

    def _on_service_change(self, kind: str, _ids: list[str]) -> None:
        if kind == "retried" or (kind == "published" and self._backlog):
            self.wake()
        elif kind == "profiles" or kind == "webhooks":
            self._secrets.clear()
            self._auths.clear()
        elif kind == "properties":
            # re-read before the next claim (not in a side task that a claim could overtake)
            self._secrets.clear()
            self._auths.clear()
            self._properties_stale = True
            self.wake()

    # -- claims made by publishes (collaborators.Dispatcher) ----------------------------------------------

    def offer(self) -> outbox.Lease | None:
        """The lease under which a publish writes its notifications already claimed by this
        engine, and how many it has room for (called on the database worker, inside the
        publish's transaction). None when it takes nothing now (stopped, paused, full, or
        allow-private re-reading pending); the claim loop then finds the work as it would have
        without this."""
        if not self._running or self._paused or self._properties_stale:
            self._backlog = True
            return None
        limit = min(self.max_in_flight - len(self._in_flight), self.batch_size)
        if limit < 1:
            self._backlog = True
            return None
        # a bind parameter of the publish's INSERT: the database's time as last measured
        return outbox.Lease(self.owner, self.parts.db_clock() + self.lease, limit, self._excluded)

    def accept(self, handoff: outbox.Handoff) -> None:
        """Take what a publish wrote under this engine's lease (``offer``), once its
        transaction has committed (on the loop)."""
        claimed, targets, complete = handoff
        if not self._running or self._paused:  # stopped or paused meanwhile: give the leases back
            seqs = [c.seq for c in claimed]
            if seqs:
                self._release_later(seqs)
            self._backlog = True
            return
        self._backlog = not complete
        # counted from now, a little after the lease was written: on the safe side
        held_until = time.monotonic() + self._lease_seconds - 1.0
        for c in claimed:
            c.held_until = held_until
            self._in_flight[c.seq] = c
            self._enqueue(c, targets.get(c.webhook_id))
        if claimed:  # the next publish leaves out what filled its endpoint's budget now
            self._excluded = self._full_lanes()

    async def _refresh_properties(self) -> None:
        try:
            self._allow_private = bool(await self.parts.get_property(properties.ALLOW_PRIVATE_ENDPOINTS))
            self._transport_settings = await read_settings(self.parts.get_property, self.parts.secrets)
        except Exception:  # a transient database error: keep the previous value
            log.warning("could not refresh application properties", exc_info=True)

    # -- claiming -------------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        db = self.parts.db
        while self._running:
            try:
                window = self._window()
                capacity = window - len(self._in_flight)
                # claim in batches: topping up a few freed slots at a time costs a transaction each
                if self._paused or capacity < min(self.batch_size, window) // 2:
                    self._slot_free.clear()
                    await self._wait(self._wake if self._paused else self._slot_free, self.poll_interval)
                    continue
                if self._properties_stale:
                    self._properties_stale = False
                    await self._refresh_properties()
                now = self.parts.clock()
                limit = min(capacity, self.batch_size)
                read_pauses = time.monotonic() >= self._pauses_read + self.poll_interval
                started = time.monotonic()
                excluded = self._excluded = self._full_lanes()
                claimed, targets, next_due, pauses = await db.run(
                    lambda s: self._claim(s, now, limit, read_pauses, excluded))
                self.claim_rounds += 1
                if pauses is not None:
                    self._pauses, self._pauses_read = pauses, started
                held_until = started + self._lease_seconds
                for c in claimed:
                    c.held_until = held_until
                    self._in_flight[c.seq] = c
                    self._enqueue(c, targets.get(c.webhook_id))
                if len(claimed) == limit:
                    continue  # more may be due right now
                if excluded:  # what was left out is due: look again when a full lane drains
                    self._backlog = True
                    await self._wait(self._wake, self.poll_interval)
                    continue
                self._backlog = False
                timeout = self.poll_interval
                if next_due is not None:
                    timeout = min(timeout, max(0.0, (next_due - self.parts.clock()).total_seconds()))
                await self._wait(self._wake, timeout)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claiming due notifications failed; trying again shortly")
                await self._wait(self._wake, self.poll_interval)

    def _window(self) -> int:
        """How many claims to hold: ``max_in_flight``, or, if less, what is being sent plus about
        ``LOOKAHEAD`` seconds of what this engine has been sending. To slow subscribers a service
        sends a few hundred a second; holding 512 claims then kept the last of a backlog queued
        behind one service for 2 s while the others had nothing left to claim (bench_scaleout,
        slow-subscriber case: the last service's backlog at the end went from ~500 to ~60)."""
        now = time.monotonic()
        mark_time, mark_done = self._rate_mark
        if now - mark_time >= 0.5:
            done = self.delivered + self.failed_attempts
            self._rate = (done - mark_done) / (now - mark_time)
            self._rate_mark = (now, done)
        if self._rate <= 0:  # idle, or starting: no measure yet
            return self.max_in_flight
        # what is on the wire, and a queue of LOOKAHEAD seconds behind it
        sending = sum(lane.workers for lane in self._lanes.values())
        return min(self.max_in_flight, sending + max(MIN_WINDOW, int(self._rate * LOOKAHEAD)))

    def _full_lanes(self) -> frozenset[str]:
        """The webhooks to leave out of the next claim: those of endpoints holding their budget."""
        full = [lane for lane in self._lanes.values() if lane.full(LOOKAHEAD, MIN_WINDOW)]
        for lane in full:
            lane.excluded = True
        return frozenset(webhook for lane in full for webhook in lane.webhooks)

    def _claim(self, session, now, limit, read_pauses, excluded=frozenset()):
        """(claimed, their targets, when the next claimable one falls due, the pauses in force
        or None). The due time is looked up only when nothing was due: after a claim that found
        work, the loop runs again within ``poll_interval`` anyway, and the lookup cost as much as
        the claim. The pauses are read at most once per ``poll_interval``."""
        pauses = politeness.active_pauses(session, now) if read_pauses else None
        claimed = outbox.claim_due(session, self.owner, now, self._lease_seconds, limit, excluded)
        if not claimed:
            return claimed, {}, outbox.next_due(session, now), pauses
        return claimed, outbox.targets(session, {c.webhook_id for c in claimed}), None, pauses

    async def _wait(self, event: asyncio.Event, timeout: float) -> None:
        await wait_for_wake(event, timeout)
        event.clear()

    # -- sending --------------------------------------------------------------------------------

    def _enqueue(self, claimed: outbox.Claimed, target: outbox.Target | None) -> None:
        """Queue a claimed notification behind its endpoint; start workers up to the endpoint's
        limit. Workers per endpoint, not a task per notification: each worker sends one request
        at a time, so an endpoint never has more than its limit in flight and nothing waits on a
        semaphore (waking hundreds of waiting tasks cost more than the sends themselves)."""
        if target is None or not target.enabled:
            self._outcomes.put_nowait(self._not_sent(claimed, target))
            return
        try:
            key = self._sender.endpoint_of(target.endpoint_url)
        except ValueError:  # not a usable URL: the sender records why, in a queue of its own
            key = ("", target.endpoint_url, None)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = Lane(self._sender.max_per_endpoint if self._sender is not None else 8)
        lane.queue.append((claimed, target))
        lane.webhooks.add(target.webhook_id)
        lane.idle_since = None
        self._staff(lane)

    def _staff(self, lane: Lane) -> None:
        for _ in range(lane.workers_wanted()):
            lane.workers += 1
            task = asyncio.create_task(self._endpoint_worker(lane))
            self._worker_tasks.add(task)
            task.add_done_callback(self._worker_tasks.discard)

    async def _endpoint_worker(self, lane: Lane) -> None:
        queue = lane.queue
        try:
            while queue and not lane.surplus():
                claimed, target = queue.popleft()
                if lane.excluded and len(queue) < lane.budget(LOOKAHEAD, MIN_WINDOW) // 2:
                    lane.excluded = False
                    self._wake.set()  # its webhooks may be claimed again
                if claimed.held_until <= time.monotonic():
                    self._drop_lost(claimed)
                    continue
                if self._pauses:
                    until = self._pauses.get(target.webhook_id)
                    if until is not None and until > self.parts.clock():
                        self._in_flight.pop(claimed.seq, None)
                        self._release_later([claimed.seq])  # claimed again when the pause ends
                        self._slot_free.set()
                        continue
                outcome = await self._deliver(claimed, target)
                result = outcome.result
                spacing = lane.settled(result is not None and result.ok,
                                       result.duration_ms / 1000.0 if result is not None else 0.0)
                self._staff(lane)  # a delivery may have raised the lane's limit
                self._note_pause(target, result)
                self._outcomes.put_nowait(outcome)
                if spacing:
                    await asyncio.sleep(spacing)
        finally:
            lane.workers -= 1
            if not lane.workers and not queue:
                lane.webhooks.clear()
                lane.idle_since = time.monotonic()

    def _drop_lost(self, claimed: outbox.Claimed) -> None:
        """A queued claim whose lease may have run out (this service could not renew it in
        time): not sent, since another service may hold it now."""
        self._in_flight.pop(claimed.seq, None)
        self.lost_leases += 1
        self._slot_free.set()
        log.warning("notification %s not sent: its lease may have run out while this service could not "
                    "renew it (stopped, suspended or cut off); it is left to whichever service holds it now",
                    claimed.event_id)

    def _note_pause(self, target: outbox.Target, result: AttemptResult | None) -> None:
        """Hold back this endpoint's queue at once after a 429/503 with Retry-After (the record
        writes the pause for every service)."""
        if result is None or result.ok or result.status_code not in politeness.PAUSING_STATUSES:
            return
        now = self.parts.clock()
        delay = politeness.retry_after_delay(result.retry_after, now)
        if delay is not None:
            self._pauses[target.webhook_id] = max(self._pauses.get(target.webhook_id, now), now + delay)

    def _not_sent(self, claimed: outbox.Claimed, target: outbox.Target | None) -> outbox.Outcome:
        if target is None:
            return outbox.Outcome(claimed, None, "webhook was deleted; the notification was not sent")
        return outbox.Outcome(claimed, None, f"webhook '{target.name}' is disabled; the notification was "
                              "not sent (enable the webhook, then retry)")

    async def _deliver(self, claimed: outbox.Claimed, target: outbox.Target) -> outbox.Outcome:
        try:
            request = await self._request(claimed, target)
            result = await self._sender.send(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a keyring failure, say: recorded as a failed attempt, never lost
            result = AttemptResult(False, None, f"not sent: {exc}", 0.0, "", self.parts.clock())
        if result.ok:
            self.delivered += 1
        else:
            self.failed_attempts += 1
        self.observer.attempted(claimed, target, result)
        return outbox.Outcome(claimed, result)

    async def _request(self, claimed: outbox.Claimed, target: outbox.Target) -> DeliveryRequest:
        # the credentials object is kept with the secret it was made from (same lifetime), keyed by
        # every profile field it holds, so a profile edited in another process applies at once
        key = (target.profile_id, target.profile_type, target.username, target.token_url, target.client_id,
               target.scope, target.audience)
        cached = self._auths.get(key)
        if cached is None or cached[0] <= time.monotonic():
            cached = self._auths[key] = (time.monotonic() + SECRET_TTL, await self._auth(target))
        signing = await self._secret(signing_secret_key(target.webhook_id)) if target.signing else None
        return DeliveryRequest(target.endpoint_url, claimed.payload.encode("utf-8"), claimed.event_id,
                               cached[1], signing)

    async def _auth(self, target: outbox.Target) -> BasicAuth | OAuthClientCredentials:
        secret = await self._secret(profile_secret_key(target.profile_id))
        if secret is None:
            raise RuntimeError(f"the secret of authentication profile for webhook '{target.name}' "
                               "is missing from the keyring; edit the profile and enter it again")
        if target.profile_type == "basic":
            return BasicAuth(target.username or "", secret)
        return OAuthClientCredentials(target.token_url, target.client_id, secret, target.scope,
                                      target.audience, profile_key=target.profile_id)

    async def _secret(self, key: str) -> str | None:
        cached = self._secrets.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        value = await run_blocking(self.parts.secrets.get, key)
        self._secrets[key] = (time.monotonic() + SECRET_TTL, value)
        return value

    # -- recording ------------------------------------------------------------------------------

    async def _record_loop(self) -> None:
        """Write outcomes in batches: wait for one, give the others ``record_delay`` to arrive,
        then take everything queued (one sleep per batch, not a timer per outcome)."""
        stopping = False
        while not stopping:
            first = await self._outcomes.get()
            batch = [] if first is None else [first]
            stopping = first is None
            if not stopping and self._running:
                await asyncio.sleep(self.record_delay)
            while not self._outcomes.empty():
                item = self._outcomes.get_nowait()
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            for start in range(0, len(batch), self.record_batch):
                await self._record(batch[start:start + self.record_batch])

    async def _record(self, batch: list[outbox.Outcome]) -> None:
        now = self.parts.clock()
        for attempt in range(5):
            try:
                finished, lost, pauses = await self.parts.db.run(lambda s: outbox.record(s, self.owner, batch, now))
                break
            except Exception:
                log.exception("recording %d delivery outcomes failed (try %d)", len(batch), attempt + 1)
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            finished, lost, pauses = [], [], {}  # leases run out; delivered again (at-least-once)
        for outcome in lost:
            self.lost_leases += 1
            result = outcome.result
            answer = "not sent" if result is None else (
                f"HTTP {result.status_code}" if result.status_code is not None else result.error)
            log.warning("late outcome of notification %s not recorded (%s): its lease was taken over while this "
                        "service could not renew it; the notification's state is its new owner's",
                        outcome.claimed.event_id, answer)
        for webhook_id, until in pauses.items():
            self._pauses[webhook_id] = max(self._pauses.get(webhook_id, until), until)
        for outcome in batch:
            self._in_flight.pop(outcome.claimed.seq, None)
        self._slot_free.set()
        self.observer.recorded(batch, finished)
        self.parts.delivered([o.claimed.event_id for o in batch], finished)

    # -- housekeeping ---------------------------------------------------------------------------

    async def _housekeeping_loop(self) -> None:
        """Renew leases of what is in flight (by the database's clock), keep this service's
        heartbeat and clock offset fresh, reap the dead."""
        interval = max(0.2, self._lease_seconds / 3)
        while self._running:
            await asyncio.sleep(interval)
            try:
                self._prune_lanes()
                await self._renew()
                if not await self.parts.instances.heartbeat(self.owner, self.kind,
                                                            lease_seconds=self._lease_seconds):
                    log.warning("this service had been declared dead (no heartbeat for %.0f s) and its leases "
                                "released; it registered again", 1.5 * self._lease_seconds)
                await self._refresh_properties()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("lease renewal failed; will try again", exc_info=True)

    def _prune_lanes(self) -> None:
        """Forget endpoints idle for a minute (a lane keeps its pace and health between claims)."""
        horizon = time.monotonic() - 60.0
        for key in [k for k, lane in self._lanes.items() if lane.idle_since is not None and lane.idle_since < horizon]:
            del self._lanes[key]

    async def _renew(self) -> None:
        claims = list(self._in_flight.values())
        if not claims:
            return
        started = time.monotonic()
        renewed = await self.parts.db.run(
            lambda s: outbox.renew(s, self.owner, [c.seq for c in claims], self._lease_seconds))
        held_until = started + self._lease_seconds
        for c in claims:
            # not renewed: recorded meanwhile, or taken over (then a worker must not send it)
            c.held_until = max(c.held_until, held_until) if c.seq in renewed else 0.0
