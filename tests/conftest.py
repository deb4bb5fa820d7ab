"""Shared fixtures: every test runs against real parts (a real SQLite file, the real PostgreSQL)
and never touches the user's keyring, data directory or Qt settings."""

from __future__ import annotations

import uuid
from pathlib import Path

import keyring
import psycopg
import pytest
import pytest_asyncio

from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support import leaks, postgres
from tests.support.keyrings import MemoryKeyring
from tests.support.receiver import Receiver

pytest_plugins = ["tests.support.deliveries_page"]  # the Event Deliveries fixtures (env, make_page)

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
"""Test data vendored in the repository: a user's clone has nothing beside it."""
SAMPLE_STATES = REPO / "resources" / "sample-states"

_pg_server: postgres.Server | None = None


def pytest_collection_modifyitems(config, items):
    """Find (or start) a PostgreSQL server once, and only when PostgreSQL tests were collected."""
    global _pg_server
    wanted = [item for item in items if item.get_closest_marker("postgres")]
    if not wanted:
        return
    _pg_server = postgres.find_server()
    if _pg_server.url is not None:
        return
    if postgres.required():
        raise pytest.UsageError(
            f"{postgres.ENV_REQUIRE} is set but PostgreSQL is not available: {_pg_server.why_not}"
        )
    skip = pytest.mark.skip(reason=f"no PostgreSQL: {_pg_server.why_not}")
    for item in wanted:
        item.add_marker(skip)
    config._emswebhook_pg_skipped = len(wanted)


def pytest_terminal_summary(terminalreporter, config):
    skipped = getattr(config, "_emswebhook_pg_skipped", 0)
    if skipped:
        terminalreporter.write_line(
            f"{skipped} PostgreSQL test{'s' if skipped != 1 else ''} skipped ({_pg_server.why_not}); to run them, {postgres.HOW_TO}",
            yellow=True,
        )


def pytest_unconfigure(config):
    if _pg_server is not None and _pg_server.stop is not None:
        _pg_server.stop()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    if _pg_server is None or _pg_server.url is None:
        pytest.skip(f"no PostgreSQL; to run this test, {postgres.HOW_TO}")
    return _pg_server.url


@pytest.fixture(autouse=True)
def no_leaks(request):
    """Fail a test that leaves a QThread running, a QTimer active or an asyncio task pending once
    it and its fixtures are torn down (napari's guard; see tests/support/leaks.py). First of the
    autouse fixtures, so it looks last."""
    with leaks.watch() as found:
        yield
    if found:
        pytest.fail(f"{request.node.nodeid} left {len(found)} thing(s) running:\n" + "\n".join(found),
                    pytrace=False)


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
def pg_url(pg_admin_url):
    """A fresh schema in the test database, dropped afterwards (fast isolation)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in pg_admin_url else "?"
    yield f"{pg_admin_url}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Run the test on the embedded SQLite default and on the real PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


@pytest_asyncio.fixture
async def receiver():
    """A webhook endpoint on loopback that records what it is sent (tests/support/receiver.py)."""
    async with Receiver() as server:
        yield server


@pytest_asyncio.fixture
async def service(db_url, memory_keyring):
    svc = await WebhookService.open(db_url, secrets=SecretStore(memory_keyring))
    yield svc
    await svc.close()


@pytest.fixture
def sample_state():
    def load(name: str) -> dict:
        import json

        return json.loads((SAMPLE_STATES / f"{name}.json").read_text(encoding="utf-8"))

    return load


@pytest.fixture(scope="session")
def qapp(qapp):
    """pytest-qt's one QApplication, kept from quitting when a test closes its last window.
    Such a quit is only posted; the qasync loop of whichever GUI test runs next would take it
    and stop before its coroutine finished ("Event loop stopped before Future completed").
    Quitting is tested in child processes, on the app's own QApplication (test_gui_shell)."""
    qapp.setQuitOnLastWindowClosed(False)
    return qapp


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
