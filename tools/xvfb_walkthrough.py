"""Walk through the real app on a real X server: every page, in both themes, on a small screen and
at 1.5x scaling, with seeded data, real deliveries and one real drag and drop.

What it does:

1. Seeds a temporary SQLite database the way ``tools/screenshots.py`` does (profiles, webhooks,
   notifications that ended FAILED after the whole retry schedule, on a test clock set ten hours
   back), with a local receiver on 127.0.0.1 answering 200 as the subscriber.
2. For each screen (1,024 × 700 at 1x; 1,600 × 1,000 with ``QT_SCALE_FACTOR=1.5``) starts
   ``Xvfb`` and, when installed, ``openbox``, then the app itself (``emswebhook_gui.gui.shell.app.main``,
   ``--db`` on that database, the xcb platform, a plain-text keyring in the temporary home). Once
   its services are up the app publishes events that its own engine delivers to the receiver.
3. Maximises the window and saves a screenshot of the whole X screen (window manager frame
   included) of every page, the Event Deliveries custom range, the condition builder, About and
   Keyboard Shortcuts, first in the Light theme and then in the Dark one, into
   ``OUT/<screen>/<theme>/``. In the first run, when ``xdotool`` is installed, it drags a condition
   row by its grip into the other group with the X server's own mouse and checks the expression.
4. Writes ``OUT/report.json``: per run, the window's minimum size against the screen, whether the
   window fits, the deliveries made, the drag's outcome and the theme the app started in (the
   second run starts in the theme the first one left: the choice is kept per user).

Run:   .venv/bin/python tools/xvfb_walkthrough.py OUT
Needs: Debian/Ubuntu ``apt-get install -y xvfb xdotool openbox libxcb-cursor0 libxcb-icccm4
       libxcb-keysyms1`` (xdotool and openbox are optional). Nothing here is committed; look at
       the PNGs (and the report) before calling a UI change done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCREENS: tuple[tuple[str, int, int, str], ...] = (
    ("1024x700", 1024, 700, "1"),
    ("1600x1000-1.5x", 1600, 1000, "1.5"),
)
"""(folder name, screen width, screen height, QT_SCALE_FACTOR)."""

THEMES = ("light", "dark")

INSTALL_HINT = "apt-get install -y xvfb xdotool openbox libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"

WALKTHROUGH = ("((entitlement.customer.name == 'Sam Smith' && entitlement.state == 'ENABLE') || "
               "(entitlement.contact.externalId == '617AWUD'))")
DRAGGED = ("((entitlement.customer.name == 'Sam Smith') || "
           "(entitlement.contact.externalId == '617AWUD' && entitlement.state == 'ENABLE'))")
"""The expression once the second condition of the first group is dropped onto the second group."""


# -- the subscriber -------------------------------------------------------------------------------


class LocalReceiver:
    """A webhook receiver on 127.0.0.1 in a thread of its own, answering 200 to every POST, so
    the app's engine (another process) makes real deliveries to it."""

    def __init__(self) -> None:
        self.port = 0
        self.received: Counter[str] = Counter()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="walkthrough-receiver", daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "LocalReceiver":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the local receiver did not start")
        return self

    def __exit__(self, *_exc) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        from aiohttp import web

        async def handle(request: web.Request) -> web.Response:
            await request.read()
            self.received[request.path] += 1
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - aiohttp has no public getter
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()


async def seed(db_url: str, receiver: LocalReceiver) -> None:
    """The screenshots' data, on a test clock ten hours back (so it falls in the Overview's last
    24 hours): FAILED notifications with every attempt recorded, delivered ones, a disabled hook."""
    import importlib.util

    from emswebhook_gui.service import WebhookService
    from tests.support.clock import FakeClock

    spec = importlib.util.spec_from_file_location("screenshots", REPO / "tools" / "screenshots.py")
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10))
    service = await WebhookService.open(db_url, clock=clock)
    engine = service.delivery_engine(kind="serve", poll_interval=0.05)
    await engine.start()
    try:
        await screenshots.populate(SimpleNamespace(service=service, engine=engine), clock, receiver)
    finally:
        await engine.stop()
        await service.close()


# -- the X server ---------------------------------------------------------------------------------


class XServer:
    """Xvfb on a free display, and openbox on it when installed."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.display = ""
        self._processes: list[subprocess.Popen] = []
        self.window_manager = False

    def __enter__(self) -> "XServer":
        number = next(n for n in range(90, 400)
                      if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists())
        self.display = f":{number}"
        xvfb = subprocess.Popen(["Xvfb", self.display, "-screen", "0", f"{self.width}x{self.height}x24",
                                 "-nolisten", "tcp", "-dpi", "96"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._processes.append(xvfb)
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if xvfb.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb did not start on {self.display}")
            time.sleep(0.05)
        if shutil.which("openbox"):
            env = dict(os.environ, DISPLAY=self.display)
            self._processes.append(subprocess.Popen(["openbox", "--sm-disable"], env=env,
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.window_manager = True
            time.sleep(0.5)
        return self

    def __exit__(self, *_exc) -> None:
        for process in reversed(self._processes):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- the orchestrator -----------------------------------------------------------------------------


def orchestrate(out: Path) -> int:
    if shutil.which("Xvfb") is None:
        print(f"xvfb_walkthrough: Xvfb is not installed; as root: {INSTALL_HINT}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"screens": [], "xdotool": bool(shutil.which("xdotool")), "openbox": bool(shutil.which("openbox"))}
    with tempfile.TemporaryDirectory(prefix="emswebhook-walkthrough-") as tmp:
        home = Path(tmp)
        runtime = home / "runtime"
        runtime.mkdir(mode=0o700)
        os.environ.update({
            "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_RUNTIME_DIR": str(runtime),
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        })
        os.environ.pop("EMSWEBHOOK_DATABASE_URL", None)
        db_url = f"sqlite:///{home / 'walkthrough.db'}"
        with LocalReceiver() as receiver:
            asyncio.run(seed(db_url, receiver))
            seeded = sum(receiver.received.values())
            print(f"seeded {db_url}; the receiver got {seeded} deliveries while seeding", flush=True)
            for first, (name, width, height, scale) in enumerate(SCREENS):
                with XServer(width, height) as x:
                    env = dict(os.environ, DISPLAY=x.display, QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=scale,
                               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
                    env.pop("WAYLAND_DISPLAY", None)
                    before = sum(receiver.received.values())
                    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--db", db_url,
                               "--out", str(out / name), "--drag" if first == 0 else "--no-drag"]
                    print(f"{name}: the app on {x.display} ({width}x{height}, QT_SCALE_FACTOR={scale})", flush=True)
                    child = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
                    facts = _child_report(child)
                    facts.update(screen=name, width=width, height=height, scale=float(scale),
                                 window_manager=x.window_manager,
                                 deliveries_received=sum(receiver.received.values()) - before)
                    report["screens"].append(facts)
                    print(json.dumps(facts, indent=2), flush=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    problems = [f"{s['screen']}: {p}" for s in report["screens"] for p in s.get("problems", [])]
    shots = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    print(f"wrote {len(shots)} screenshots and report.json to {out}")
    for problem in problems:
        print(f"PROBLEM {problem}")
    return 1 if problems else 0


def _child_report(child: subprocess.CompletedProcess) -> dict:
    for line in reversed(child.stdout.splitlines()):
        if line.startswith("WALKTHROUGH "):
            facts = json.loads(line.removeprefix("WALKTHROUGH "))
            if child.returncode != 0:
                facts.setdefault("problems", []).append(f"the app exited {child.returncode}")
            return facts
    tail = "\n".join((child.stderr or "").splitlines()[-25:])
    if "xcb" in tail and "plugin" in tail:
        tail += f"\n(Qt's xcb platform needs: {INSTALL_HINT})"
    return {"problems": [f"the app exited {child.returncode} without a report:\n{tail}"]}


# -- inside the app -------------------------------------------------------------------------------


def child_main(options: argparse.Namespace) -> int:
    from emswebhook_gui.gui.shell import app as gui_app

    real_start_services = gui_app.start_services
    tasks = []

    async def start_services(window, db_url):
        hooks = await real_start_services(window, db_url)
        tasks.append(asyncio.get_running_loop().create_task(_walk(window, options)))
        return hooks

    gui_app.start_services = start_services
    return gui_app.main(["--db", options.db])


async def _walk(window, options: argparse.Namespace) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    facts: dict = {"problems": [], "shots": 0, "started_in_theme": window.theme.choice}
    try:
        await _walk_through(window, options, facts)
    except Exception as exc:  # noqa: BLE001 - reported, and the app still quits
        import traceback

        facts["problems"].append(f"walkthrough failed: {exc!r}\n{traceback.format_exc()}")
    print("WALKTHROUGH " + json.dumps(facts), flush=True)
    app.quit_now("the walkthrough is done")


async def _settle(seconds: float = 0.6) -> None:
    """Let Qt paint and the services answer. Never ``processEvents()`` from a coroutine: it would
    step the engine's tasks inside this one, which asyncio refuses (and the wake-up is lost)."""
    await asyncio.sleep(seconds)


async def _walk_through(window, options: argparse.Namespace, facts: dict) -> None:
    from emswebhook_gui.gui.shell.pages import PAGES

    out: Path = options.out
    service = window.bridge.service
    window.showMaximized()
    await _settle(1.5)
    screen = window.screen()
    available = screen.availableGeometry()
    facts["screen_dip"] = [screen.geometry().width(), screen.geometry().height()]
    facts["device_pixel_ratio"] = window.devicePixelRatioF()

    # real deliveries, by the app's own engine, to the receiver
    before = await service.count_notifications({"status": "SUCCESSFUL"})
    entitlement = (REPO / "resources" / "sample-states" / "entitlement.json").read_text()
    for n in range(3):
        await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                               "entityId": f"WALK-{os.getpid()}-{n}", "currentState": entitlement})
    deadline = time.monotonic() + 30
    while await service.count_notifications({"status": "SUCCESSFUL"}) < before + 3:
        if time.monotonic() > deadline:
            facts["problems"].append("the app's engine did not deliver the 3 published events in 30 s")
            break
        await asyncio.sleep(0.2)
    facts["delivered_by_the_app"] = await service.count_notifications({"status": "SUCCESSFUL"}) - before

    def shot(theme: str, name: str) -> None:
        folder = out / theme
        folder.mkdir(parents=True, exist_ok=True)
        screen.grabWindow(0).save(str(folder / f"{name}.png"))
        facts["shots"] += 1

    def check_fit(where: str) -> None:
        hint = window.minimumSizeHint()
        frame = window.frameGeometry()
        if hint.width() > available.width() or hint.height() > available.height():
            facts["problems"].append(f"{where}: minimum size {hint.width()}x{hint.height()} exceeds the "
                                     f"screen's {available.width()}x{available.height()} (device-independent)")
        if frame.width() > available.width() + 2:
            facts["problems"].append(f"{where}: the window is {frame.width()} wide on a {available.width()} screen")
        facts.setdefault("minimum_sizes", {})[where] = [hint.width(), hint.height()]

    for theme in THEMES:
        window.theme.set_choice(theme)
        await _settle()
        for number, page in enumerate(PAGES, start=1):
            window.show_page(page.key)
            widget = window.page_widget(page.key)
            if page.key == "webhooks" and hasattr(widget, "select"):
                webhooks = await service.list_webhooks()
                conditioned = [w["id"] for w in webhooks if w.get("triggerCondition")]
                if conditioned:
                    widget.select(conditioned[0])
            if page.key == "deliveries" and hasattr(widget, "select_event"):
                widget.filters.reset()
                found = await service.search_notifications({"status": "FAILED"}, limit=1)
                await _settle(0.8)
                if found["items"]:
                    widget.select_event(found["items"][0]["eventId"])
            await _settle(1.0)
            check_fit(page.key)
            shot(theme, f"{number:02d}-{page.key}")
        deliveries = window.page_widget("deliveries")
        window.show_page("deliveries")
        filters = deliveries.filters
        filters.time_combo.setCurrentIndex(filters.time_combo.findData("custom"))
        await _settle(1.0)
        check_fit("deliveries, custom range")
        shot(theme, "04b-deliveries-custom-range")
        filters.reset()
        await _conditions(window, theme, options, facts, shot)
        window.show_page("overview")
        for name, show in (("about", window.show_about), ("shortcuts", window.show_shortcuts)):
            show()
            await _settle(0.8)
            dialog = window.about_dialog if name == "about" else window.shortcuts_dialog
            shot(theme, f"{7 if name == 'about' else 8:02d}-{name}")
            dialog.reject()
            await _settle(0.3)
    facts["ended_in_theme"] = window.theme.choice


async def _conditions(window, theme: str, options: argparse.Namespace, facts: dict, shot) -> None:
    from PySide6.QtCore import QPoint

    from emswebhook_gui.gui.conditions.dialog import ConditionDialog

    dialog = ConditionDialog("Entitlement Added", WALKTHROUGH, window)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    await _settle(1.0)
    if options.drag and theme == THEMES[0]:
        if shutil.which("xdotool") is None:
            facts["drag"] = "skipped: xdotool is not installed"
        else:
            first, second = dialog.tree().children
            view = dialog.view
            source = view.visualRect(dialog.model.index_for(first.children[1]))
            target = view.visualRect(dialog.model.index_for(second))
            ratio = dialog.devicePixelRatioF()

            def native(point: QPoint) -> tuple[str, str]:
                spot = view.viewport().mapToGlobal(point)
                return str(round(spot.x() * ratio)), str(round(spot.y() * ratio))

            sx, sy = native(QPoint(source.left() + 8, source.center().y()))  # on the row's grip
            ex, ey = native(QPoint(target.left() + 300, target.center().y()))
            steps = ["mousemove", sx, sy, "sleep", "0.3", "mousedown", "1", "sleep", "0.3"]
            for dy in (6, 14, 24):
                steps += ["mousemove", sx, str(int(sy) + dy), "sleep", "0.15"]
            steps += ["mousemove", ex, ey, "sleep", "0.4", "mousemove", str(int(ex) + 3), ey, "sleep", "0.4",
                      "mouseup", "1"]
            shot(theme, "06a-conditions-before-drag")
            loop = asyncio.get_running_loop()
            # in a thread: the Qt loop (and the drag's own loop) must run while xdotool moves the mouse
            done = await loop.run_in_executor(None, lambda: subprocess.run(["xdotool", *steps], capture_output=True,
                                                                          text=True, timeout=60))
            await _settle(1.0)
            moved = dialog.expression()
            facts["drag"] = {"xdotool": done.returncode, "expression": moved, "as_expected": moved == DRAGGED}
            if moved != DRAGGED:
                facts["problems"].append(f"the drag and drop gave {moved!r}, not {DRAGGED!r}")
    shot(theme, "06-conditions")
    dialog.reject()
    await _settle(0.3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="folder for the screenshots and report.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", dest="child_out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--drag", dest="drag", action="store_true", default=True, help=argparse.SUPPRESS)
    parser.add_argument("--no-drag", dest="drag", action="store_false", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        options.out = options.child_out
        return child_main(options)
    if options.out is None:
        parser.error("the output folder is required")
    return orchestrate(options.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
