"""The bridge turns service changes (here and in other processes) into Qt signals."""

import asyncio
import functools

from emswebhook_gui.gui.shell.main_window import MainWindow
from emswebhook_gui.gui.shell.pages import PAGES
from emswebhook_gui.service import WebhookService


def test_changes_arrive_as_signals_and_health_follows(gui_env, qtbot):
    seen = []
    gui_env.bridge.sig_webhooks_changed.connect(lambda: seen.append("webhooks"))
    gui_env.bridge.sig_profiles_changed.connect(lambda: seen.append("profiles"))
    health = []
    gui_env.bridge.sig_health_changed.connect(lambda pending, failed: health.append((pending, failed)))

    async def body():
        service = gui_env.service
        await service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
        await service.create_webhook({"name": "W", "event": "Namespace Added", "authProfile": "P",
                                      "endpointUrl": "https://hooks.example.com/x", "enabled": False})
        await gui_env.until(lambda: "webhooks" in seen and "profiles" in seen)

    gui_env.run(body())


def test_a_change_from_another_process_reaches_the_window(gui_env, qtbot, sqlite_url, memory_keyring):
    seen, health = [], []
    gui_env.bridge.sig_webhooks_changed.connect(lambda: seen.append(1))
    gui_env.bridge.sig_health_changed.connect(lambda *figures: health.append(figures))

    async def body():
        await gui_env.until(lambda: health)  # the first poll has taken its fingerprint
        other = await WebhookService.open(sqlite_url)  # another process's view: no shared listeners
        try:
            await gui_env.service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
            seen.clear()
            other.secrets = gui_env.service.secrets
            await other.create_webhook({"name": "From CLI", "event": "Namespace Added", "authProfile": "P",
                                        "endpointUrl": "https://hooks.example.com/x"})
        finally:
            await other.close()
        await gui_env.until(lambda: seen, timeout=6)

    gui_env.run(body())


def test_an_eager_call_starts_before_the_caller_returns_and_ends_as_any_task(gui_env):
    started, results = [], []

    async def query(name: str) -> int:
        started.append(name)
        return await gui_env.service.count_notifications()

    async def body():
        gui_env.bridge.run(functools.partial(query, "eager"), results.append, eager=True)
        gui_env.bridge.run(functools.partial(query, "lazy"), results.append)
        assert started == ["eager"]  # the other one waits for the loop's next turn
        await gui_env.until(lambda: len(results) == 2)
        assert results == [0, 0]
        cancelled = gui_env.bridge.run(functools.partial(query, "cancelled"), results.append, eager=True)
        assert started[-1] == "cancelled"
        await asyncio.sleep(0)  # the task has taken the call over: the cancellation is relayed to it
        cancelled.cancel()
        await asyncio.wait([cancelled])
        assert cancelled.cancelled() and len(results) == 2

    gui_env.run(body())


def test_a_change_just_before_quitting_starts_no_poll_after_the_bridge_closed(gui_env, qtbot):
    """The coalesced refresh is a timer of the bridge: closing stops it, so no task is made for
    a loop that has gone (Python would warn that its coroutine was never awaited)."""
    bridge = gui_env.bridge
    gui_env.service.notify_delivered([], [])  # the broadcast after the engine recorded a batch
    gui_env.run(bridge.close())
    with qtbot.assertNotEmitted(bridge.sig_notifications_changed, wait=400):
        pass


def test_install_pages_keeps_navigation_working(gui_env, qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.install_pages(gui_env.bridge)
    window.show_page("deliveries")
    assert window.current_page.key == "deliveries"
    assert window.stack.count() == len(PAGES) == 5


def test_closing_to_the_tray_keeps_the_engine_delivering(gui_env, qtbot, tmp_path, monkeypatch):
    """The window hides into the tray; the engine inside the app goes on delivering, and the tray
    shows the health the bridge reports."""
    import json

    from PySide6.QtCore import QSettings

    from emswebhook_gui.gui.shell.tray import TrayIcon
    from tests.support.receiver import Receiver

    tray = TrayIcon()
    monkeypatch.setattr(tray, "isVisible", lambda: True)  # offscreen has no tray to show it in
    monkeypatch.setattr(tray, "showMessage", lambda *args: None)
    window = MainWindow(tray=tray, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.install_pages(gui_env.bridge)
    gui_env.bridge.sig_health_changed.connect(tray.set_health)
    quits = []
    window.sig_quit_requested.connect(lambda: quits.append(True))

    async def body():
        service = gui_env.service
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
        async with Receiver() as receiver:
            await service.create_webhook({"name": "W", "event": "Namespace Added", "authProfile": "P",
                                          "endpointUrl": receiver.url()})
            window.show()
            window.close()
            await gui_env.until(lambda: not window.isVisible())
            assert quits == [] and gui_env.engine.running
            [event_id] = await service.publish({"event": "Namespace Added", "activity": "Add Namespace",
                                                "entityId": "ns-1"})
            await gui_env.until(lambda: receiver.requests)
            assert json.loads(receiver.requests[0].body)["eventId"] == event_id
            await gui_env.until(lambda: "0 pending, 0 failed" in tray.toolTip(), timeout=6)
            assert not tray.warning

    gui_env.run(body())
