"""How fast Event Deliveries shows its rows over a large store, and how fast the app starts.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_browser.py [--rows 1000000]

One run:
1. fills a fresh SQLite store in a temp directory with ``--rows`` notifications (Core executemany
   in big transactions; 5 webhooks, a mix of statuses: mostly SUCCESSFUL, some FAILED, a few
   IN_PROGRESS; created over the last 30 days);
2. opens the service and the bridge (no delivery engine: nothing may change under the timing),
   then times navigating to a ``DeliveriesPage`` built beforehand (as the main window builds it at
   start-up; its first search runs when first shown) until its table has painted rows, and each
   filter change until the new rows are painted; building the page is printed apart. "Painted"
   is a Paint event on the table's viewport, after the model has the answer, once that paint
   has completed;
3. times the bare SELECT the service runs for the same page (same filters, same engine, median of
   5 after a warm-up), and prints the ratio. Targets: within 3x of the bare query and under 300 ms;
4. starts ``emswebhook-gui`` (``app.main``) in a subprocess on a fresh temp store and prints the
   time from spawning it to the main window's first paint (and to the real pages being installed).

Nothing here touches the user's settings, data or keyring: XDG directories point into the temp
directory and the keyring is the null backend.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

TARGET_RATIO = 3.0
TARGET_MS = 300.0
BATCH = 100_000
WEBHOOKS = ("CRM sync", "Billing", "Provisioning", "Data warehouse", "Audit log")


# -- filling the store ---------------------------------------------------------------------------------


NOTIFICATION_COLUMNS = (
    "event_id", "occurrence_id", "webhook_id", "webhook_name", "event_name", "activity_name", "entity_id",
    "endpoint_url", "status", "round_kind", "round_attempts", "attempts", "next_attempt_at",
    "last_status_code", "last_error", "created_at", "updated_at",
)
OCCURRENCE_COLUMNS = (
    "id", "event_name", "entity_name", "activity_name", "entity_id", "url", "request_id", "op_datetime", "created_at",
)
PAYLOAD = ('{"eventName":"Entitlement Updated","entityName":"Entitlement","webhookId":"%s","webhookName":"%s",'
           '"activityName":"Update Entitlement","requestId":"%s","eventId":"%s","url":"","entityId":"%s",'
           '"opDatetime":"%s.000"}')


def fill(url: str, rows: int) -> dict:
    """Write ``rows`` notifications (and the occurrences, profile and webhooks their keys need).

    Rows go in as tuples through one ``executemany`` per table and batch, in transactions of
    ``BATCH`` rows, with the INSERT built from the store's own tables (SQLAlchemy Core), so the
    columns are the real ones. Timestamps are written in the store's column format, checked
    against the column type's own bind processor first, so searches compare them correctly.
    """
    from sqlalchemy import insert, text

    from emswebhook_gui.store import Database
    from emswebhook_gui.store.models import AuthProfile, Notification, NotificationPayload, Occurrence, Webhook

    db = Database(url)
    dialect = db.engine.dialect
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=30)
    step = timedelta(days=30) / max(rows, 1)

    column_type = Notification.__table__.c.created_at.type
    bind = column_type.dialect_impl(dialect).bind_processor(dialect)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    assert bind(start + step * 7) == stamp(start + step * 7), "the store's datetime format changed"

    def statement(table, columns) -> str:
        return str(insert(table).values({name: None for name in columns}).compile(dialect=dialect))

    insert_notification = statement(Notification.__table__, NOTIFICATION_COLUMNS)
    insert_payload = statement(NotificationPayload.__table__, ("event_id", "payload"))
    insert_occurrence = statement(Occurrence.__table__, OCCURRENCE_COLUMNS)
    profile_id = str(uuid.uuid4())
    webhooks = [{"id": str(uuid.uuid4()), "name": name, "name_key": name.casefold(),
                 "event_name": "Entitlement Updated", "endpoint_url": f"https://hooks.example.com/{n}",
                 "auth_profile_id": profile_id, "activities": [], "trigger_condition": None,
                 "description": None, "include_data": True, "enabled": True, "signing_enabled": False,
                 "created_at": start, "updated_at": start} for n, name in enumerate(WEBHOOKS)]
    errors = ("HTTP 500 Internal Server Error", "HTTP 401 Unauthorized", "connection refused (10.1.2.3:443)",
              "timed out after 30 s", "HTTP 404 Not Found")
    codes = (500, 401, None, None, 404)
    due = stamp(now + timedelta(days=1))
    per_occurrence = 10
    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA synchronous=OFF"))
        conn.execute(insert(AuthProfile), [{"id": profile_id, "name": "Basic", "name_key": "basic", "type": "basic",
                                            "username": "ems", "created_at": start, "updated_at": start}])
        conn.execute(insert(Webhook), webhooks)
    written = 0
    while written < rows:
        count = min(BATCH, rows - written)
        occurrences, notifications, payloads = [], [], []
        for offset in range(0, count, per_occurrence):
            first = written + offset
            occurrence_id = str(uuid.uuid4())
            when = stamp(start + step * first)
            entity = f"ENT-{first}"
            occurrences.append((occurrence_id, "Entitlement Updated", "Entitlement", "Update Entitlement",
                                entity, "", occurrence_id, when, when))
            op_datetime = when[:19]
            for seq in range(first, min(first + per_occurrence, written + count)):
                webhook = webhooks[seq % len(webhooks)]
                kind = seq % 100
                status = "FAILED" if kind < 10 else "IN_PROGRESS" if kind < 12 else "SUCCESSFUL"
                event_id = str(uuid.uuid4())
                moment = stamp(start + step * seq)
                failed = status != "SUCCESSFUL"
                payloads.append((event_id, PAYLOAD % (webhook["id"], webhook["name"], occurrence_id, event_id,
                                                      entity, op_datetime)))
                notifications.append((
                    event_id, occurrence_id, webhook["id"], webhook["name"], "Entitlement Updated",
                    "Update Entitlement", entity, webhook["endpoint_url"], status, "auto",
                    4 if status == "FAILED" else 1, 4 if status == "FAILED" else 1,
                    due if status == "IN_PROGRESS" else None,
                    codes[seq % 5] if failed else 200, errors[seq % 5] if failed else None, moment, moment,
                ))
        with db.engine.begin() as conn:
            conn.execute(text("PRAGMA synchronous=OFF"))
            conn.execute(text("PRAGMA cache_size=-262144"))  # 256 MiB: the random eventId index stays cached
            conn.exec_driver_sql(insert_occurrence, occurrences)
            conn.exec_driver_sql(insert_notification, notifications)
            conn.exec_driver_sql(insert_payload, payloads)
        written += count
    db.close()
    return {"webhooks": webhooks, "now": now}


# -- the page ---------------------------------------------------------------------------------------------


class PaintProbe:
    """Resolves a future once the table's viewport has painted while ``ready()`` holds."""

    def __init__(self, viewport) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer

        self.ready = lambda: False
        self.future: asyncio.Future | None = None
        probe = self

        class Filter(QObject):
            def eventFilter(self, watched, event):  # noqa: N802
                if event.type() == QEvent.Type.Paint and probe.future is not None and probe.ready():
                    future, probe.future = probe.future, None
                    # resolve after the paint itself has run (filters see the event first)
                    QTimer.singleShot(0, lambda: future.done() or future.set_result(time.perf_counter()))
                return False

        self.filter = Filter()
        viewport.installEventFilter(self.filter)

    def arm(self, ready) -> asyncio.Future:
        self.ready = ready
        self.future = asyncio.get_running_loop().create_future()
        return self.future


def bare_query(db, filters: dict, repeat: int = 5, pause: float = 0.0) -> float:
    """Milliseconds for the SELECT ``search_notifications`` runs (first page, newest first):
    the same columns and WHERE clauses (the service's own), ORDER BY seq DESC, LIMIT 201, rows
    fetched; without what the service adds (its session, the rows turned into dicts).

    Back to back it runs on warm CPU caches. ``pause`` seconds before each run show what it
    costs after the idle moment that precedes every user action; the ratio still uses the
    back-to-back figure."""
    from sqlalchemy import select

    from emswebhook_gui import notifications
    from emswebhook_gui.store.models import Notification

    flt = notifications.parse_filter(filters)

    def once() -> float:
        with db.session() as session:
            began = time.perf_counter()
            query = select(*notifications.LISTED_COLUMNS).where(*notifications._where(session, flt))
            session.execute(query.order_by(Notification.seq.desc()).limit(201)).all()
            return (time.perf_counter() - began) * 1000

    once()
    times = []
    for _ in range(repeat):
        time.sleep(pause)
        times.append(once())
    return statistics.median(times)


REPEAT = 5


async def settle(page) -> None:
    """Wait for the page's count of matches: it runs on the same database worker after a pause,
    and would otherwise delay the next measured search (its own cost is printed separately)."""
    deadline = time.perf_counter() + 10
    while page.count_label.text().endswith("…") and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)


async def service_search(service, filters: dict) -> float:
    """Milliseconds for ``search_notifications`` as the page calls it (first page), awaited on
    the GUI's loop: the bare query plus the service's session, its dicts and the hops to the
    database worker and back; what is left of the page figure is the GUI's (median of 5, warm)."""
    from emswebhook_gui.gui.deliveries.table_model import PAGE_SIZE

    times = []
    for _ in range(6):
        began = time.perf_counter()
        await service.search_notifications(filters, limit=PAGE_SIZE)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times[1:])


def bare_count(db, filters: dict) -> float:
    """Milliseconds for ``count_notifications`` with these filters (median of 3, warm)."""
    from sqlalchemy import func, select

    from emswebhook_gui import notifications
    from emswebhook_gui.store.models import Notification

    flt = notifications.parse_filter(filters)

    def once() -> float:
        with db.session() as session:
            began = time.perf_counter()
            session.scalar(select(func.count()).select_from(Notification).where(*notifications._where(session, flt)))
            return (time.perf_counter() - began) * 1000

    once()
    return statistics.median(once() for _ in range(3))


async def measure_page(bridge, webhooks: list[dict]) -> tuple[list[tuple[str, dict, list[float]]], list[float]]:
    """Open the page (the first time, then on fresh pages a few times), then walk through filter
    changes ``REPEAT`` times; returns (label, filters, [ms, ...]) with the first sample first,
    and the times taken to build each page.

    Opening is what the user does in the app: the main window builds its pages at start-up, in
    a stack, and the user navigates to Event Deliveries, which runs its first search when first
    shown. So each page is built and put behind another page first (built, not timed), then the
    time runs from switching to it to its rows painted."""
    from PySide6.QtWidgets import QStackedWidget, QWidget

    from emswebhook_gui.gui.deliveries.page import DeliveriesPage

    async def open_page() -> tuple[QStackedWidget, DeliveriesPage, PaintProbe, float, float]:
        stack = QStackedWidget()
        stack.addWidget(QWidget())
        stack.resize(1200, 800)
        stack.show()
        began = time.perf_counter()
        page = DeliveriesPage(bridge)
        stack.addWidget(page)
        built = (time.perf_counter() - began) * 1000
        await asyncio.sleep(0.1)  # the stack's first paint, and anything start-up queued, are done
        probe = PaintProbe(page.table.viewport())
        painted = probe.arm(lambda: page.model.rowCount() > 0)
        began = time.perf_counter()
        stack.setCurrentWidget(page)
        elapsed = (await painted - began) * 1000
        await settle(page)
        return stack, page, probe, elapsed, built

    opens, builds = [], []
    for _ in range(REPEAT):
        stack, page, probe, elapsed, built = await open_page()
        opens.append(elapsed)
        builds.append(built)
        stack.close()
        stack.deleteLater()
        await asyncio.sleep(0.05)
    stack, page, probe, _, _ = await open_page()
    samples: dict[str, tuple[dict, list[float]]] = {"open (Failed preselected)": (page.filters.filters(), opens)}
    model, filters = page.model, page.filters

    async def change(label: str, apply) -> None:
        searched = []
        slot = lambda: searched.append(1)  # noqa: E731
        model.sig_search_finished.connect(slot)
        painted = probe.arm(lambda: bool(searched) and model.rowCount() > 0)
        began = time.perf_counter()
        apply()
        elapsed = (await painted - began) * 1000
        model.sig_search_finished.disconnect(slot)
        samples.setdefault(label, (model.filters, []))[1].append(elapsed)
        await settle(page)

    combo, time_combo = filters.webhook_combo, filters.time_combo
    target = webhooks[2]
    for _ in range(REPEAT):
        await change(f"webhook '{target['name']}' (Failed)", lambda: combo.setCurrentIndex(combo.findData(target["id"])))
        await change("all statuses, that webhook", lambda: filters.set_status(None))
        await change("all statuses, all webhooks", lambda: combo.setCurrentIndex(0))
        await change("Failed again", lambda: filters.set_status("FAILED"))
        await change("Failed, last 24 hours", lambda: time_combo.setCurrentIndex(time_combo.findText("Last 24 hours")))
        await change("Failed, last 7 days", lambda: time_combo.setCurrentIndex(time_combo.findText("Last 7 days")))
        await change("Failed, any time", lambda: time_combo.setCurrentIndex(0))
        some = model.event_id(model.rowCount() // 2)
        await change("one eventId", lambda: filters.set_event_id(some))
        await change("eventId cleared", lambda: filters.set_event_id(""))
    stack.close()
    stack.deleteLater()
    return [(label, flt, values) for label, (flt, values) in samples.items()], builds


# -- cold start -------------------------------------------------------------------------------------------

COLD_START = textwrap.dedent("""
    import os, sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from emswebhook_gui.gui.shell import app as gui_app

    class TimedWindow(gui_app.MainWindow):
        painted = False

        def paintEvent(self, event):
            super().paintEvent(event)
            if not TimedWindow.painted:
                TimedWindow.painted = True
                print("PAINT", time.monotonic(), flush=True)

        def install_pages(self, bridge):
            super().install_pages(bridge)
            print("PAGES", time.monotonic(), flush=True)
            QTimer.singleShot(0, QApplication.instance().quit)

    gui_app.MainWindow = TimedWindow
    sys.exit(gui_app.main(["--db", sys.argv[1]]))
""")


def cold_start(tmp: Path) -> tuple[float, float | None, float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"),
               XDG_STATE_HOME=str(tmp / "state"), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
               PYTHONPATH=str(REPO))
    url = f"sqlite:///{tmp / 'cold.db'}"
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", COLD_START, url], env=env, capture_output=True, text=True,
                          timeout=120)
    ended = time.monotonic()
    marks = dict(line.split() for line in done.stdout.splitlines() if line.startswith(("PAINT", "PAGES")))
    if "PAINT" not in marks:
        raise RuntimeError(f"the app never painted (exit {done.returncode}):\n{done.stderr[-2000:]}")
    pages = (float(marks["PAGES"]) - began) * 1000 if "PAGES" in marks else None
    return (float(marks["PAINT"]) - began) * 1000, pages, (ended - began) * 1000


# -- main -------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="notifications in the store (default 1,000,000)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp_name:
        tmp = Path(tmp_name)
        for name in ("config", "data", "state"):
            os.environ[f"XDG_{name.upper()}_HOME"] = str(tmp / name)
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
        url = f"sqlite:///{tmp / 'store.db'}"
        began = time.perf_counter()
        seeded = fill(url, args.rows)
        size = (tmp / "store.db").stat().st_size / 1e6
        print(f"filled {args.rows:,} notifications in {time.perf_counter() - began:.1f} s ({size:,.0f} MB)")

        import qasync
        import shiboken6
        from PySide6.QtCore import qInstallMessageHandler
        from PySide6.QtWidgets import QApplication

        def quiet(_mode, _context, message: str) -> None:  # the offscreen platform's notices
            if "propagateSizeHints" not in message:
                print(message, file=sys.stderr)

        qInstallMessageHandler(quiet)

        from emswebhook_gui.gui.shell.bridge import ServiceBridge
        from emswebhook_gui.service import WebhookService

        app = QApplication([sys.argv[0]])
        app.setQuitOnLastWindowClosed(False)  # pages are opened and closed several times
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        service = loop.run_until_complete(WebhookService.open(url))
        bridge = ServiceBridge(service, None)

        async def run() -> list:
            await asyncio.sleep(1.0)  # the bridge's first poll (counts over the whole store) is done
            async def timed(counts: bool) -> tuple[float, tuple]:
                times = []
                for _ in range(5):
                    began = time.perf_counter()
                    result = await service.change_fingerprint(counts=counts)
                    times.append((time.perf_counter() - began) * 1000)
                return statistics.median(times), result

            light_ms, _ = await timed(False)
            poll_ms, fingerprint = await timed(True)
            print(f"bridge poll on the DB worker: {light_ms:.1f} ms every 2 s, with the counts "
                  f"{poll_ms:.1f} ms every 10 s  {fingerprint[3]}")
            return await measure_page(bridge, seeded["webhooks"])

        results, builds = loop.run_until_complete(run())
        print(f"building the page (at start-up, not part of 'open'): median {statistics.median(builds):.1f} ms")
        print()
        print(f"{'rows painted after':<30} {'first ms':>9} {'median ms':>10} {'service ms':>11} {'bare SQL ms':>12} "
              f"{'ratio':>6}  {'verdict':<13}{'count ms':>9} {'paused SQL ms':>14}")
        worst = True
        for label, filters, values in results:
            sql_ms = bare_query(service.db, filters)
            search_ms = loop.run_until_complete(service_search(service, filters))
            paused_ms = bare_query(service.db, filters, pause=0.3)
            count_ms = bare_count(service.db, filters)
            median = statistics.median(values)
            ratio = median / sql_ms if sql_ms else float("inf")
            ok = median <= TARGET_MS and ratio <= TARGET_RATIO
            worst = worst and ok
            verdict = "ok" if ok else ("MISSED ratio" if median <= TARGET_MS else "MISSED")
            print(f"{label:<30} {values[0]:>9.1f} {median:>10.1f} {search_ms:>11.2f} {sql_ms:>12.2f} {ratio:>6.1f}  "
                  f"{verdict:<13}{count_ms:>9.1f} {paused_ms:>14.2f}")
        print(f"target: <= {TARGET_RATIO:g}x the bare query and <= {TARGET_MS:g} ms. first = the first time (cold for "
              f"'open'); median of {REPEAT}; bare SQL = the service's SELECT for that page, median of 5 warm;\n"
              "service = search_notifications for that page awaited on the loop (bare SQL + session, dicts, "
              "worker hops);\ncount = the COUNT the page runs afterwards for its status line (not part of the page "
              "figure); paused SQL = the bare SQL, each run after 0.3 s idle")
        # the bridge cancels its not-yet-started poll task, whose coroutine it made up front
        warnings.filterwarnings("ignore", message="coroutine 'ServiceBridge._poll' was never awaited")
        loop.run_until_complete(bridge.close())
        shiboken6.delete(bridge)  # no late poll timer may fire into the closed loop
        loop.run_until_complete(service.close())
        loop.close()
        asyncio.set_event_loop(None)

        paint_ms, pages_ms, total_ms = cold_start(tmp)
        print()
        print(f"cold start of emswebhook-gui to the first painted window: {paint_ms:.0f} ms")
        if pages_ms is not None:
            print(f"  ... to services started and real pages installed:    {pages_ms:.0f} ms")
        print(f"  ... whole process including quit:                       {total_ms:.0f} ms")
    return 0 if worst else 1


if __name__ == "__main__":
    sys.exit(main())
