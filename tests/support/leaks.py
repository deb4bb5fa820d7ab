"""Find what a test left running: a QThread, an active QTimer, a pending asyncio task.

napari's conftest does the same for QThreads and QTimers: ``start`` is wrapped for the test's
duration, so every thread and timer a test (or the code it drives) started is known, with the
stack that started it; what is still running once the test and its fixtures are torn down
leaked. A leak outlives its test and fires in the next one, where the failure makes no sense.

Asyncio tasks are found where their loop lets go of them: a :class:`~tests.support.gui.GuiEnv`
reports the tasks it had to cancel on close (:func:`report_tasks`), and ``asyncio.Runner`` (what
pytest-asyncio runs each async test's loop with) is watched as it cancels what is left before it
closes its loop. Both still cancel the task, as before; the test fails and names it.
"""

from __future__ import annotations

import asyncio
import asyncio.runners
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

_tasks: list[str] = []


def report_tasks(tasks: Iterable[asyncio.Task]) -> None:
    """Tasks a loop's owner found still pending when it closed: leaked by the test."""
    _tasks.extend(_describe(task) for task in tasks if not task.done())


def _describe(task: asyncio.Task) -> str:
    coro = task.get_coro()
    where = getattr(coro, "__qualname__", None) or repr(coro)
    frames = task.get_stack(limit=1)
    line = f" at {frames[0].f_code.co_filename}:{frames[0].f_lineno}" if frames else ""
    return f"task {task.get_name()} running {where}{line}"


@contextmanager
def watch() -> Iterator[list[str]]:
    """Record what starts meanwhile; yields a list that names, on exit, whatever still runs."""
    from PySide6.QtCore import QThread, QTimer

    threads: WeakKeyDictionary = WeakKeyDictionary()
    timers: WeakKeyDictionary = WeakKeyDictionary()
    thread_start, timer_start = QThread.start, QTimer.start
    cancel_all_tasks = asyncio.runners._cancel_all_tasks

    def start_thread(self, *args):
        threads[self] = "".join(traceback.format_stack(limit=8)[:-1])
        return thread_start(self, *args)

    def start_timer(self, *args):
        timers[self] = "".join(traceback.format_stack(limit=8)[:-1])
        return timer_start(self, *args)

    def cancel_all(loop):
        report_tasks(asyncio.all_tasks(loop))
        return cancel_all_tasks(loop)

    found: list[str] = []
    _tasks.clear()
    QThread.start, QTimer.start = start_thread, start_timer
    asyncio.runners._cancel_all_tasks = cancel_all
    try:
        yield found
    finally:
        QThread.start, QTimer.start = thread_start, timer_start
        asyncio.runners._cancel_all_tasks = cancel_all_tasks
        found.extend(f"a running QThread, started at\n{stack}" for thread, stack in list(threads.items())
                     if _alive(thread.isRunning))
        found.extend(f"an active QTimer, started at\n{stack}" for timer, stack in list(timers.items())
                     if _alive(timer.isActive))
        found.extend(_tasks)
        _tasks.clear()


def _alive(probe) -> bool:
    try:
        return bool(probe())
    except RuntimeError:  # its C++ object is gone: deleted with its parent, so not running
        return False
