"""What a delivery engine needs from the program around it, and nothing more.

The engine sits below the facade (``WebhookService``): it must not import it, and it is given
only the parts it uses. Knowing the whole service let the engine reach for anything (its
database, its keyring, its publish path, its instance registry), so nothing said which of those
delivery depends on; this dataclass says it, and a test or a benchmark can hand the engine
parts of its own.

Whoever owns these parts composes them: ``WebhookService.delivery_engine`` (the service owns the
database, the keyring, the clocks, the change broadcast and the publish queue). The logs, metrics
and alerts (``observer.py``) and the hourly retention run (``lifecycle.retention``) are
composed there too and handed over as factories, because they are facade-side: alerts read the
application properties and the keyring through the service, retention deletes through the same
rules as ``purge_expired``; the engine only starts and stops them with itself, and tells the
observer what it attempted and recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..secrets import SecretStore
from ..store import Database
from .outbox import Claimed, Handoff, Lease, Outcome, Target

if TYPE_CHECKING:
    from .engine import DeliveryEngine
    from .http import AttemptResult

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


class InstanceRegistry(Protocol):
    """Where a running engine says it is alive (``instances.InstanceRegistry``)."""

    async def register(self, owner: str, kind: str, *, lease_seconds: float) -> None: ...

    async def heartbeat(self, owner: str, kind: str, *, lease_seconds: float) -> bool: ...

    async def unregister(self, owner: str) -> None: ...


class Observer(Protocol):
    """What the engine reports as it goes (``observer.EngineObserver``)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def attempted(self, claimed: Claimed, target: Target, result: "AttemptResult") -> None: ...

    def recorded(self, batch: list[Outcome], finished: list[tuple[str, str]]) -> None: ...


class Job(Protocol):
    """A background run started and stopped with the engine (the retention schedule)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


class _NoObserver:
    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def attempted(self, claimed, target, result) -> None:
        pass

    def recorded(self, batch, finished) -> None:
        pass


NO_OBSERVER: Observer = _NoObserver()
"""What an engine made with ``observe=False`` uses (the benchmark's "off" figure)."""


class _NoJob:
    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Collaborators:
    db: Database
    secrets: SecretStore
    """Read at send time (credentials, signing secrets, proxy credentials)."""
    clock: Callable[[], datetime]
    """The time the engine writes (retry schedule, attempts, pauses): the service's clock."""
    db_clock: Callable[[], datetime]
    """The database's time as last measured, for the lease a publish writes (``Dispatcher``)."""
    get_property: Callable[[str], Awaitable[Any]]
    instances: InstanceRegistry
    subscribe: Callable[[ChangeListener], Callable[[], None]]
    """Committed changes in this process ('published', 'retried', 'profiles', ...); returns the
    unsubscribe function."""
    attach_dispatcher: Callable[[Dispatcher], Callable[[], None]]
    """Offer this engine to the publish path; returns the detach function."""
    delivered: Callable[[list[str], list[tuple[str, str]]], None]
    """Told after each recorded batch: its eventIds and the (eventId, final state) of those done."""
    observer: Callable[["DeliveryEngine"], Observer] | None = None
    retention: Callable[[str], Job] | None = None
    """Makes the retention run of the engine with this owner id."""

    def make_observer(self, engine: "DeliveryEngine") -> Observer:
        return self.observer(engine) if self.observer is not None else NO_OBSERVER

    def make_retention(self, owner: str) -> Job:
        return self.retention(owner) if self.retention is not None else _NoJob()
