"""Shared fixtures: every test runs against real parts (a real SQLite file, the real PostgreSQL)
and never touches the user's keyring, data directory or Qt settings."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import keyring
import psycopg
import pytest
import pytest_asyncio

from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.keyrings import MemoryKeyring

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_ADMIN_URL = os.environ.get("EMSWEBHOOK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory, monkeypatch):
    """Point XDG dirs at a temporary home so defaults (database, QSettings) stay in the test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("EMSWEBHOOK_DATABASE_URL", raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring():
    """An in-memory keyring for the whole process, so no test can reach the real one."""
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def pg_url():
    """A fresh schema in the shared test database, dropped afterwards (fast isolation)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Run the test on the embedded SQLite default and on the real PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


@pytest_asyncio.fixture
async def service(db_url, memory_keyring):
    svc = await WebhookService.open(db_url, secrets=SecretStore(memory_keyring))
    yield svc
    await svc.close()


@pytest.fixture
def sample_state():
    def load(name: str) -> dict:
        import json

        return json.loads((SHARED / "reference" / "sample-states" / f"{name}.json").read_text())

    return load


@pytest.fixture
def gui_env(qapp, sqlite_url, memory_keyring):
    """A service + engine + ServiceBridge on a qasync loop (see tests/support/gui.py)."""
    from tests.support.gui import GuiEnv

    env = GuiEnv(qapp, sqlite_url, memory_keyring)
    yield env
    env.close()


@pytest.fixture
def host(qtbot):
    """A visible window to open dialogs over: closing the last window would quit the app, and
    with it the loop. A fixture, not a reference from the dialog, so no cycle owns widgets."""
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget
