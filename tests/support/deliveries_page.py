"""Event Deliveries pages on a real service, engine and test clock: the fixtures and row helpers
shared by the page's test modules (registered as a pytest plugin in tests/conftest.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from emswebhook_gui.gui.deliveries.page import DeliveriesPage
from emswebhook_gui.store.models import Notification, NotificationPayload, Occurrence
from tests.support.clock import FakeClock
from tests.support.gui import GuiEnv, shown

ENTITLEMENT = {"entitlement": {"id": "e-1", "state": "ENABLE", "customer": {"name": "Sam Smith"}}}


@pytest.fixture
def env(qapp, sqlite_url, memory_keyring):
    """Service + engine + bridge on a test clock; loopback endpoints allowed; a Basic profile."""
    clock = FakeClock()
    gui = GuiEnv(qapp, sqlite_url, memory_keyring, clock=clock)
    gui.clock = clock

    async def setup() -> None:
        await gui.service.set_property("allowPrivateEndpoints", True)
        await gui.service.create_profile({"name": "Basic", "type": "basic", "username": "ems", "password": "pw"})

    gui.run(setup())
    yield gui
    gui.close()


@pytest.fixture
def make_page(env, qtbot):
    pages = []

    def make() -> DeliveriesPage:
        page = shown(DeliveriesPage(env.bridge), qtbot, 1200, 800)
        pages.append(page)
        return page

    yield make
    for page in pages:
        if page.confirm_box is not None:
            page.confirm_box.close()


async def add_webhook(env, name: str, url: str = "https://hooks.example.com/x") -> dict:
    return await env.service.create_webhook(
        {"name": name, "event": "Entitlement Added", "endpointUrl": url, "authProfile": "Basic"})


async def insert_rows(env, webhook: dict | None, statuses: list[str]) -> list[str]:
    """Notifications written straight to the store (fast: no publish, no delivery); oldest first.
    IN_PROGRESS ones are due in a day, so the engine leaves them alone."""
    now = env.clock()
    webhook = webhook or {"id": str(uuid.uuid4()), "name": "Gone"}

    def work(session) -> list[str]:
        occurrence = str(uuid.uuid4())
        session.execute(insert(Occurrence), [{
            "id": occurrence, "event_name": "Entitlement Added", "entity_name": "Entitlement",
            "activity_name": "Add Entitlement", "entity_id": "e", "url": "", "request_id": "r",
            "current_state": None, "previous_state": None, "op_datetime": now, "created_at": now}])
        rows = []
        for number, status in enumerate(statuses):
            failed = status == "FAILED"
            rows.append({
                "event_id": str(uuid.uuid4()), "occurrence_id": occurrence, "webhook_id": webhook["id"],
                "webhook_name": webhook["name"], "event_name": "Entitlement Added",
                "activity_name": "Add Entitlement", "entity_id": f"ENT-{number}",
                "endpoint_url": "https://hooks.example.com/x", "payload": '{"eventName":"Entitlement Added"}',
                "status": status, "round_kind": "auto", "round_attempts": 4 if failed else 1,
                "attempts": 4 if failed else 1,
                "next_attempt_at": now + timedelta(days=1) if status == "IN_PROGRESS" else None,
                "last_status_code": 503 if failed else 200, "last_error": "HTTP 503 Service Unavailable" if failed else None,
                "created_at": now + timedelta(seconds=number), "updated_at": now,
            })
        payloads = [{"event_id": row["event_id"], "payload": row.pop("payload")} for row in rows]
        session.execute(insert(Notification), rows)
        session.execute(insert(NotificationPayload), payloads)
        return [row["event_id"] for row in rows]

    return await env.service.db.run(work)
