"""Render each page of the app with realistic data to docs/screenshots/*.png (for the README),
in the light theme, and again in the dark theme to docs/screenshots/dark/*.png.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``, set here) on a temporary SQLite store: real
profiles and webhooks, and real deliveries made by the engine to loopback receivers (one that
answers 200, one that refuses connections), with a test clock advanced through the retry
schedule so some notifications are FAILED with their attempts recorded. The themes are the
app's own Light and Dark choices (Settings ▸ Theme), applied through the window's theme
controller as a user's choice would be.

Run: make screenshots   (or .venv/bin/python tools/screenshots.py [--out DIR] [--themes light,dark])

For the real window system (Xvfb, a window manager, xdotool's drag and drop, 1.5x scaling), see
tools/xvfb_walkthrough.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSettings, QSize  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from emswebhook_gui.gui.shell.main_window import MainWindow  # noqa: E402
from tests.support.clock import FakeClock  # noqa: E402
from tests.support.gui import GuiEnv  # noqa: E402
from tests.support.keyrings import MemoryKeyring  # noqa: E402
from tests.support.receiver import Receiver, closed_port  # noqa: E402

OUT = REPO / "docs" / "screenshots"
WALKTHROUGH = ("((entitlement.customer.name == 'Sam Smith' && entitlement.state == 'ENABLE') || "
               "(entitlement.contact.externalId == '617AWUD'))")
SAMPLE_STATES = REPO / "resources" / "sample-states"
"""The sample states the app ships ("Send test event"): a clone of the repository has them."""


async def populate(env: GuiEnv, clock: FakeClock, receiver: Receiver) -> None:
    service = env.service
    await service.set_property("allowPrivateEndpoints", True)
    await service.set_property("timeZoneForExpirationEvents", "Europe/Berlin")
    await service.create_profile({"name": "ERP Basic", "type": "basic", "username": "ems-webhooks",
                                  "password": "not-shown"})
    await service.create_profile({"name": "CRM OAuth", "type": "oauth",
                                  "tokenUrl": "https://login.example.com/oauth2/token",
                                  "clientId": "ems-crm", "clientSecret": "not-shown", "scope": "webhooks"})
    await service.create_webhook({"name": "New entitlements to ERP", "event": "Entitlement Added",
                                  "endpointUrl": receiver.url("/ems/entitlements"), "authProfile": "ERP Basic",
                                  "activities": ["Add Entitlement", "Bulk Entitlement Upload"],
                                  "triggerCondition": WALKTHROUGH,
                                  "description": "Sam Smith's enabled entitlements"})
    await service.create_webhook({"name": "Activations to CRM", "event": "Activation Added",
                                  "endpointUrl": f"http://127.0.0.1:{closed_port()}/crm/activations",
                                  "authProfile": "ERP Basic"})
    await service.create_webhook({"name": "Customer sync", "event": "Customer Updated",
                                  "endpointUrl": "https://crm.example.com/hooks/customers",
                                  "authProfile": "CRM OAuth", "enabled": False})
    entitlement = (SAMPLE_STATES / "entitlement.json").read_text()
    activation = (SAMPLE_STATES / "activation.json").read_text()
    for n in range(6):
        await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                               "entityId": f"9d03e346-82eb-4059-b95e-1b1e205ca0{n:02d}",
                               "url": "https://ems.example.com/ems/v5/entitlements", "currentState": entitlement})
    for n in range(4):
        await service.publish({"event": "Activation Added", "activity": "Add Activation",
                               "entityId": f"ACT-0001{n:02d}", "currentState": activation})
        clock.advance(minutes=3)
    for _ in range(12):  # through the retry schedule: the activations end FAILED
        await asyncio.sleep(0.3)
        clock.advance(minutes=41)
        env.engine.wake()
    await service.publish({"event": "Activation Added", "activity": "Renew Activation",
                           "entityId": "ACT-000200", "currentState": activation})
    await asyncio.sleep(1.0)


def grab(widget, name: str, out: Path) -> None:
    # no processEvents() here: called from a coroutine, it would step other asyncio tasks (the
    # engine's) inside this one, which asyncio refuses, and the lost wake-up hung the run
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


async def shoot(env: GuiEnv, window: MainWindow, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for key in ("overview", "webhooks", "profiles", "deliveries", "settings"):
        window.show_page(key)
        page = window.page_widget(key)
        if key == "overview":
            await env.until(lambda: page.stats is not None and page.stats["totals"]["attempts"] > 0)
        if key == "webhooks":
            await env.until(lambda: page.model.rowCount() == 3)
            page.select(next(w["id"] for w in await env.service.list_webhooks() if w["triggerCondition"]))
        if key == "deliveries":
            found = await env.service.search_notifications({"status": "FAILED"}, limit=1)
            await env.until(lambda: page.model.rowCount() > 0)
            page.select_event(found["items"][0]["eventId"])
        await asyncio.sleep(1.0)
        grab(window, key, out)
    from emswebhook_gui.gui.conditions.dialog import ConditionDialog

    dialog = ConditionDialog("Entitlement Added", WALKTHROUGH, window)
    dialog.open()
    await asyncio.sleep(0.5)
    grab(dialog, "conditions", out)
    dialog.reject()


THEME_FOLDERS = {"light": "", "dark": "dark"}
"""Where each theme's set goes, under the output folder."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default: docs/screenshots)")
    parser.add_argument("--themes", default="light,dark", help="comma-separated: light, dark (default: both)")
    options = parser.parse_args(argv)
    themes = [name.strip() for name in options.themes.split(",") if name.strip()]
    unknown = set(themes) - set(THEME_FOLDERS)
    if unknown:
        parser.error(f"--themes: unknown {', '.join(sorted(unknown))}; use light and/or dark")
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        clock = FakeClock()
        env = GuiEnv(app, f"sqlite:///{Path(tmp) / 'screens.db'}", MemoryKeyring(), clock=clock)
        try:
            from emswebhook_gui.api.server import start_api

            env.bridge.api_server = env.run(start_api(env.service, "127.0.0.1", 0))
            window = MainWindow(settings=settings)
            window.resize(QSize(1280, 800))
            window.install_pages(env.bridge)
            window.show()

            async def run() -> None:
                async with Receiver() as receiver:
                    await populate(env, clock, receiver)
                    for theme in themes:
                        window.theme.set_choice(theme)
                        await asyncio.sleep(0.3)
                        await shoot(env, window, options.out / THEME_FOLDERS[theme])

            env.run(run(), timeout=120)
            env.run(env.bridge.api_server.stop())
            window.close()
        finally:
            env.close()


if __name__ == "__main__":
    main()
