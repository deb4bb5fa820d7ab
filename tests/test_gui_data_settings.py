"""Settings > Data: the facts of `db info`, Purge now (after a confirmation), Back up and Compact,
driven through the real widgets over a real SQLite store."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import update

from emswebhook_gui.gui.settings.data import DataSettings
from emswebhook_gui.store.models import Notification
from tests.support.gui import shown


def test_facts_purge_now_backup_and_compact(gui_env, qtbot, tmp_path):
    service = gui_env.service

    async def seed():
        await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
        await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                      "endpointUrl": "https://hooks.example.com/a", "authProfile": "Basic"})
        made = []
        for n in range(5):
            made += await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                           "entityId": f"E-{n}"})
        # the first attempts fail at once (no such host here); the retries are minutes away
        from tests.support.waiting import until

        async def attempted():
            return all([(await service.get_notification(e))["attempts"] >= 1 for e in made])

        await until(attempted, 20)
        old = service.clock() - timedelta(days=45)
        await service.db.run(lambda s: s.execute(update(Notification).where(Notification.event_id.in_(made[:3]))
                                                 .values(status="SUCCESSFUL", created_at=old)))
        return made

    made = gui_env.run(seed())
    group = shown(DataSettings(gui_env.bridge), qtbot, 800, 300)

    async def body():
        await gui_env.until(lambda: "Last purge: never" in group.facts_label.text())
        assert "<b>5</b> notifications" in group.facts_label.text()
        assert "SUCCESSFUL 30 days, FAILED 90 days" in group.facts_label.text()

        qtbot.mouseClick(group.purge_button, Qt.MouseButton.LeftButton)
        box = group.confirm_box
        assert box.isVisible() and "cannot be undone" in box.text()
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: group.message.text() == "Purged 3 notifications.")
        await gui_env.until(lambda: "3 removed" in group.facts_label.text())
        assert await service.count_notifications() == 2

        target = tmp_path / "copy.db"
        group.backup_to(str(target))  # what the file dialog's fileSelected calls
        await gui_env.until(lambda: group.message.text().startswith("Backed up 2 notifications"))
        with sqlite3.connect(target) as copy:
            assert {r[0] for r in copy.execute("SELECT event_id FROM notifications")} == set(made[3:])

        qtbot.mouseClick(group.compact_button, Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: group.message.text().startswith("Compacted: "))

    gui_env.run(body())
