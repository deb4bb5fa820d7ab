"""Service calls run from slots: Anki's ``aqt.operations`` shape on the qasync loop.

A slot never awaits and never blocks: it builds an :class:`Operation` from a coroutine
*factory*, chains ``.success()`` / ``.failure()`` and calls ``.run()``. The factory is called
inside the operation's task, so no coroutine exists before its task runs it: cancelling a task
that never started (the bridge closing at quit) leaves nothing unawaited, nothing to close, and
nothing that half-runs later. Every task is kept by the bridge, so quitting can cancel it.

What changed is broadcast once, by the service itself (``WebhookService.subscribe``), which the
bridge turns into one ``sig_*`` signal per kind: an operation's callbacks deal with their own
widget and never tell other views to refresh (Anki's ``operation_did_execute``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from emswebhook_gui.errors import ServiceError
from emswebhook_gui.secrets import SecretStoreUnavailable

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

_log = logging.getLogger(__name__)

T = TypeVar("T")


class UnexpectedFailure(Exception):
    """A failure nobody wrote a message for, worded for the place that shows it; the traceback
    is in the log."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"Unexpected error: {type(cause).__name__}: {cause} (details in the log)")
        self.cause = cause


class Operation(Generic[T]):
    """One service call: what to run, what to do with its result, what to do when it fails.

    Every failure ends in the failure callback (else the bridge's ``sig_error``), not only a
    refused request (``ServiceError``): a missing keyring, a lost database, a bug. A dialog that
    greyed itself out while saving learns this way that the save is over, re-enables and says
    why; nothing is left waiting on a task that has gone. The callback receives the
    ``ServiceError`` or ``SecretStoreUnavailable`` as raised (their messages are written for
    people), and anything else as :class:`UnexpectedFailure`.
    """

    def __init__(self, bridge: "ServiceBridge", factory: Callable[[], Awaitable[T]]) -> None:
        self._bridge = bridge
        self._factory = factory
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[Exception], None] | None = None

    def success(self, callback: Callable[[T], None] | None) -> "Operation[T]":
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[Exception], None] | None) -> "Operation[T]":
        self._on_failure = callback
        return self

    def run(self, *, eager: bool = False) -> asyncio.Task:
        """Start it as a task the bridge keeps until it ends.

        ``eager`` runs it up to its first suspension now, in the caller, instead of on the
        loop's next turn. Qt paints before that turn, so a query started from a slot would wait
        for the repaint the slot caused, a whole page's on its first show; started now, it runs
        on the database worker while Qt paints. Only for work whose start needs no running task
        (no timeouts) and whose callbacks may run at once.
        """
        task = eager_task(self._run()) if eager else asyncio.ensure_future(self._run())
        self._bridge.track(task)
        return task

    async def _run(self) -> None:
        try:
            result = await self._factory()
        except asyncio.CancelledError:
            raise
        except ServiceError as exc:
            self._fail(exc)
            return
        except SecretStoreUnavailable as exc:
            _log.warning("no usable keyring: %s", exc)
            self._bridge.sig_secret_store_unavailable.emit(str(exc))
            self._fail(exc)
            return
        except Exception as exc:  # never let a background failure vanish silently
            _log.exception("background operation failed")
            self._fail(UnexpectedFailure(exc))
            return
        if self._on_success is None:
            return
        try:
            self._on_success(result)
        except Exception as exc:
            _log.exception("success callback failed")
            self._bridge.sig_error.emit(str(UnexpectedFailure(exc)))

    def _fail(self, exc: Exception) -> None:
        if self._on_failure is None:
            self._bridge.sig_error.emit(str(exc))
            return
        try:
            self._on_failure(exc)
        except Exception:  # a broken failure path must not hide the failure itself
            _log.exception("failure callback failed")
            self._bridge.sig_error.emit(str(exc))


def eager_task(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """A task whose first step has run already: Python 3.12's ``eager_start``, or its backport."""
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, eager_start=True)
    return asyncio.ensure_future(_EagerStart(coro))


class _EagerStart:
    """Python 3.11's stand-in for ``Task(eager_start=True)``: the coroutine runs up to its first
    suspension on creation; awaiting this hands the task what the coroutine waits on (a future),
    then relays each resumption (a value, or an exception such as the task's cancellation)."""

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._coro = coro
        self._first = self._step(functools.partial(coro.send, None))

    @staticmethod
    def _step(step: Callable[[], Any]) -> tuple[bool, Any]:
        """(True, what it awaits) while the coroutine runs, (False, its result) once returned."""
        try:
            return True, step()
        except StopIteration as stop:
            return False, stop.value

    def __await__(self):
        running, value = self._first
        while running:
            try:
                sent = yield value
            except BaseException as exc:  # noqa: BLE001 - relayed to the coroutine, which decides
                running, value = self._step(functools.partial(self._coro.throw, exc))
            else:
                running, value = self._step(functools.partial(self._coro.send, sent))
        return value
