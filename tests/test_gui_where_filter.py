"""Event Deliveries' Where field: live validation with the language's column, and a valid
expression narrowing the real table to the notifications whose state matches."""

from __future__ import annotations

from PySide6.QtCore import Qt

from emswebhook_gui.gui.deliveries.page import DeliveriesPage
from tests.support.clock import FakeClock
from tests.support.gui import GuiEnv, shown


async def add_hook(service) -> None:
    """The webhook the published events of these tests are for (no engine runs: nothing is sent)."""
    await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "p"})
    await service.create_webhook({"name": "Hook", "event": "Entitlement Added", "authProfile": "Basic",
                                  "endpointUrl": "https://hooks.example.com/a"})


def test_where_is_validated_as_typed_and_narrows_the_table(qapp, qtbot, sqlite_url, memory_keyring):
    env = GuiEnv(qapp, sqlite_url, memory_keyring, clock=FakeClock(), engine=False)
    try:
        async def seed():
            await add_hook(env.service)
            made = {}
            for name in ("Sam Smith", "Jo Doe", "Sam Smith"):
                [event_id] = await env.service.publish({
                    "event": "Entitlement Added", "activity": "Add Entitlement", "entityId": name,
                    "currentState": {"entitlement": {"customer": {"name": name}}}})
                made.setdefault(name, []).append(event_id)
            return made

        made = env.run(seed())
        page = shown(DeliveriesPage(env.bridge), qtbot, 1400, 700)
        where = page.filters.where_edit

        async def body():
            page.filters.set_status(None)
            await env.until(lambda: page.model.rowCount() == 3)

            qtbot.keyClicks(where, "entitlement.customer.name = 'Sam Smith'")
            assert where.error is not None and where.toolTip().startswith("column 27: ")
            assert "where" not in page.filters.filters()
            qtbot.keyClick(where, Qt.Key.Key_Return)
            assert where.cursorPosition() == 26

            where.clear()
            qtbot.keyClicks(where, "entitlement.customer.name == 'Sam Smith'")
            assert where.error is None
            await env.until(lambda: page.model.rowCount() == 2)
            assert {page.model.event_id(row) for row in range(2)} == set(made["Sam Smith"])

            page.filters.reset()
            assert where.text() == "" and "where" not in page.filters.filters()

        env.run(body())
    finally:
        env.close()


def test_export_writes_the_current_filter_and_can_be_cancelled(qapp, qtbot, sqlite_url, memory_keyring, tmp_path):
    import csv
    import json

    env = GuiEnv(qapp, sqlite_url, memory_keyring, clock=FakeClock(), engine=False)
    try:
        async def seed():
            await add_hook(env.service)
            return [e for n in range(30) for e in await env.service.publish(
                {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": f"E-{n % 3}"})]

        made = env.run(seed())
        page = shown(DeliveriesPage(env.bridge), qtbot, 1400, 700)

        async def body():
            page.filters.set_status(None)
            await env.until(lambda: page.model.rowCount() == 30)
            page.filters.event_id_edit.setText("")
            run = page.export_to(str(tmp_path / "all.csv"))
            await env.until(lambda: run.done)
            with (tmp_path / "all.csv").open(encoding="utf-8", newline="") as exported:
                rows = list(csv.DictReader(exported))
            assert [r["eventId"] for r in rows] == made[::-1] and run.rows == 30

            run = page.export_to(str(tmp_path / "some.ndjson"))
            await env.until(lambda: run.done)
            lines = (tmp_path / "some.ndjson").read_text(encoding="utf-8").splitlines()
            assert len(lines) == 30 and "payload" in json.loads(lines[0])

            run = page.export_to(str(tmp_path / "cancelled.csv"))
            from PySide6.QtWidgets import QPushButton

            [cancel] = [b for b in run.progress.findChildren(QPushButton) if b.text() == "Cancel"]
            qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
            await env.until(lambda: run.task.done())
            assert run.cancelled and not run.done and not (tmp_path / "cancelled.csv").exists()
            assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

        env.run(body())
    finally:
        env.close()
