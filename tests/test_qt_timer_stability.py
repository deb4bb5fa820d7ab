"""Regression test for the Qt binding's timer refcount bug (DESIGN.md section 7).

Why this exists: PySide6-Essentials 6.12.0 under Python 3.11 drops one reference to ``None`` every
time a qasync timer fires (qasync implements ``call_later``, ``call_soon``, ``asyncio.sleep`` and
every timeout with ``QObject.startTimer`` / ``timerEvent``). Python 3.11's ``None`` is an ordinary
object, so once its refcount reaches zero the interpreter aborts with
``Fatal Python error: none_dealloc: deallocating None``. The tray-resident delivery service sleeps
and times out constantly, so it would die within hours of a routine upgrade. ``pyproject.toml``
pins ``PySide6-Essentials<6.12`` where ``python_version < '3.12'``; this test is what fails if the
pin is dropped or a future release regresses the same way, instead of a user's tray app aborting.

How: the timers run in a child interpreter (a real ``QApplication`` + ``qasync.QEventLoop``), so an
abort is observed as an exit status rather than taking pytest down with it. The child fires
300,000 timers in concurrent batches: ``await asyncio.sleep(...)``, ``loop.call_later(...)``
callbacks and ``asyncio.wait_for`` timeouts, with 0 ms and 1 ms delays, and reports
``sys.getrefcount(None)`` before and after. The test asserts a clean exit, that every timer fired,
and that ``None``'s refcount has not fallen. From Python 3.12 ``None`` is immortal and its refcount
is a constant, which satisfies the same "has not fallen" check.

Verified on the project machine (2 cores), 2026-11-28, with the child program run alone:
- PySide6-Essentials 6.11.3 / Python 3.11.7 (the pinned project venv): exit 0, about 4.5 s;
  ``None``'s refcount rises by about 200 (ordinary noise) instead of falling.
- PySide6-Essentials 6.12.0 / Python 3.11.7 (a throwaway venv): ``None``'s refcount falls by one
  per timer event and the child aborts with ``none_dealloc`` (exit status 134, SIGABRT) within a
  fraction of a second -- in a process this small ``None`` starts near 8,000 references, so the
  crash comes long before 300,000 timers; a large application just lasts longer.
- PySide6-Essentials 6.12.0 / Python 3.12.1: exit 0, refcount constant (4294967295).

Run it by hand under another interpreter with ``python tests/test_qt_timer_stability.py``; the exit
status and output are the child's.
"""

import json
import os
import subprocess
import sys

import pytest

TIMERS = 300_000
"""At least as many timers as the abort was first measured at (DESIGN.md section 7)."""

BATCH = 2_000
"""Timers in flight at once; batching keeps 300,000 timers to a few seconds on two cores."""

REFCOUNT_SLACK = 1_000
"""How far ``None``'s refcount may drift down from ordinary allocation noise (observed: +200).
The 6.12.0 bug removes one reference per timer event, hundreds of thousands in this run, and
even a leak on one timer in a hundred would exceed this."""

CHILD_TIMEOUT_S = 150

CHILD_PROGRAM = r"""
import asyncio
import gc
import json
import sys
import time

import PySide6
import qasync
from PySide6 import QtWidgets

TIMERS = int(sys.argv[1])
BATCH = int(sys.argv[2])
DELAYS = (1e-6, 1e-3)  # a 0 ms Qt timer and a real 1 ms one


def main():
    app = QtWidgets.QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    fired = {"sleep": 0, "call_later": 0, "wait_for_timeout": 0}

    async def sleeper(delay):
        await asyncio.sleep(delay)
        fired["sleep"] += 1

    async def timed_out(delay):
        try:
            await asyncio.wait_for(loop.create_future(), delay)
        except asyncio.TimeoutError:
            fired["wait_for_timeout"] += 1

    async def batch(number):
        delay = DELAYS[number % len(DELAYS)]
        callbacks = BATCH // 2
        sleeps = BATCH * 2 // 5
        timeouts = BATCH - callbacks - sleeps
        all_called = loop.create_future()
        remaining = [callbacks]

        def callback():
            fired["call_later"] += 1
            remaining[0] -= 1
            if remaining[0] == 0:
                all_called.set_result(None)

        for _ in range(callbacks):
            loop.call_later(delay, callback)
        await asyncio.gather(
            *(sleeper(delay) for _ in range(sleeps)),
            *(timed_out(delay) for _ in range(timeouts)),
        )
        await all_called

    async def run():
        number = 0
        next_report = 0
        while sum(fired.values()) < TIMERS:
            if sum(fired.values()) >= next_report:
                print("progress", sum(fired.values()), "None refcount", sys.getrefcount(None),
                      flush=True)
                next_report += 50_000
            await batch(number)
            number += 1

    gc.collect()
    before = sys.getrefcount(None)
    started = time.perf_counter()
    with loop:
        loop.run_until_complete(run())
    seconds = time.perf_counter() - started
    gc.collect()
    after = sys.getrefcount(None)
    print("RESULT " + json.dumps({
        "fired": fired,
        "none_refcount_before": before,
        "none_refcount_after": after,
        "seconds": round(seconds, 2),
        "python": sys.version.split()[0],
        "qt_binding": PySide6.__version__,
    }), flush=True)


main()
"""


def _run_child() -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-c", CHILD_PROGRAM, str(TIMERS), str(BATCH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )


@pytest.mark.timeout(CHILD_TIMEOUT_S + 30)
def test_qasync_timers_do_not_drain_none_refcount():
    child = _run_child()
    output = f"--- child stdout ---\n{child.stdout[-3000:]}\n--- child stderr ---\n{child.stderr[-3000:]}"

    assert child.returncode == 0, (
        f"the qasync timer child exited with {child.returncode} (negative = killed by signal; "
        f"'none_dealloc' below means the Qt binding drops references to None: check the "
        f"PySide6-Essentials pin in pyproject.toml)\n{output}"
    )
    result_lines = [line for line in child.stdout.splitlines() if line.startswith("RESULT ")]
    assert result_lines, f"the child exited 0 without reporting a result\n{output}"
    result = json.loads(result_lines[-1].removeprefix("RESULT "))

    fired = result["fired"]
    assert sum(fired.values()) >= TIMERS, f"not every timer fired: {fired}\n{output}"
    assert all(count > 0 for count in fired.values()), f"a timer kind never fired: {fired}"

    before, after = result["none_refcount_before"], result["none_refcount_after"]
    assert after >= before - REFCOUNT_SLACK, (
        f"None's refcount fell from {before} to {after} over {sum(fired.values())} timers on "
        f"Python {result['python']} / Qt binding {result['qt_binding']}: the binding leaks "
        f"(drops) references to None and will abort a long-running app\n{output}"
    )


if __name__ == "__main__":
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.argv[1:] = [str(TIMERS), str(BATCH)]
    exec(compile(CHILD_PROGRAM, "<qt timer child>", "exec"), {"__name__": "__main__"})
