"""Storage: URL handling, WAL, the user-data default, and Alembic upgrades of older databases."""

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from emswebhook_gui.store import Database, DatabaseURLError, default_database_path, normalise_url
from emswebhook_gui.store.migrations_runner import current_revision, head_revision, upgrade_to_head
from emswebhook_gui.store.models import Base

HEAD = head_revision()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///x.db", "sqlite+pysqlite:///x.db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_plain_urls_get_our_drivers(given, expected):
    assert normalise_url(given) == expected


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url", "redis://h"])
def test_unsupported_urls_are_refused_clearly(bad):
    with pytest.raises(DatabaseURLError) as info:
        normalise_url(bad)
    assert "sqlite://" in str(info.value) and "postgresql://" in str(info.value)


def test_a_sqlite_library_without_returning_is_refused_clearly(monkeypatch, tmp_path):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(DatabaseURLError, match=r"SQLite 3\.34\.1 is too old: this app needs 3\.35\.0 or newer"):
        Database(f"sqlite:///{tmp_path / 'old.db'}")
    assert not (tmp_path / "old.db").exists()


def test_default_is_sqlite_in_the_user_data_directory_in_wal_mode(isolated_environment):
    db = Database()
    try:
        path = default_database_path()
        assert str(path).startswith(str(isolated_environment / "data"))
        assert path.exists() and db.display_location == str(path)
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.close()


def test_environment_variable_selects_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("EMSWEBHOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    db = Database()
    db.close()
    assert (tmp_path / "env.db").exists()


def test_migrations_create_exactly_the_models(db_url):
    db = Database(db_url)
    try:
        assert current_revision(db.engine) == HEAD
        with db.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            indexes = {ix["name"] for ix in inspect(connection).get_indexes("notifications")}
        assert {"ix_notifications_due", "ix_notifications_status_seq", "ix_notifications_webhook_seq",
                "ix_notifications_created"} <= indexes
    finally:
        db.close()


def test_an_older_database_is_upgraded_on_open_and_keeps_its_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    upgrade_to_head(engine, "0001")  # what version 0001 of the app left behind
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO auth_profiles (id, name, name_key, type, username, created_at, updated_at) "
            "VALUES ('p1', 'Old', 'old', 'basic', 'u', :now, :now)"), {"now": now})
    engine.dispose()
    with closing(sqlite3.connect(tmp_path / "old.db")) as old:
        tables = old.execute("SELECT group_concat(name) FROM sqlite_master WHERE type='table'").fetchone()[0]
    assert "auth_profiles" in tables and "service_instances" not in tables
    db = Database(url)
    try:
        assert current_revision(db.engine) == HEAD
        assert "service_instances" in inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM auth_profiles")).scalar() == "Old"
    finally:
        db.close()


def test_payloads_move_to_their_own_table_on_upgrade(tmp_path):
    """0003 moved notification bodies out of the notifications row; existing bodies survive."""
    url = f"sqlite:///{tmp_path / 'v2.db'}"
    engine = create_engine(url)
    upgrade_to_head(engine, "0002")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO occurrences (id, event_name, entity_name, activity_name, entity_id, request_id, "
            "op_datetime, created_at) VALUES ('o1', 'Namespace Added', 'Namespace', 'Add Namespace', 'e', 'r', "
            ":now, :now)"), {"now": now})
        connection.execute(text(
            "INSERT INTO notifications (event_id, occurrence_id, webhook_id, webhook_name, event_name, "
            "activity_name, entity_id, endpoint_url, payload, status, round_kind, round_attempts, attempts, "
            "created_at, updated_at) VALUES ('ev1', 'o1', 'w', 'W', 'Namespace Added', 'Add Namespace', 'e', "
            "'https://h.example.com/', '{\"eventId\":\"ev1\"}', 'FAILED', 'auto', 4, 4, :now, :now)"),
            {"now": now})
        connection.execute(text(
            "INSERT INTO delivery_attempts (notification_seq, number, kind, started_at, duration_ms) "
            "SELECT seq, 1, 'auto', :now, 1.5 FROM notifications"), {"now": now})
    engine.dispose()
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT payload FROM notification_payloads WHERE event_id = 'ev1'")
                                      ).scalar() == '{"eventId":"ev1"}'
            columns = {c["name"] for c in inspect(connection).get_columns("notifications")}
            attempts = connection.execute(text("SELECT count(*) FROM delivery_attempts")).scalar()
            foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
        assert "payload" not in columns
        assert attempts == 1  # the table rebuild must not cascade-delete the history
        assert foreign_keys == 1
    finally:
        db.close()


def _log_copied(path) -> bool:
    """Copy what the write-ahead log holds into the database file (a passive checkpoint from a
    connection of the test's own); whether all of it is there now."""
    with closing(sqlite3.connect(path)) as connection:
        busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return busy == 0 and frames == copied


def test_the_log_is_copied_into_the_database_file_by_a_thread_of_its_own(tmp_path):
    """A commit leaves its pages in the write-ahead log; the checkpoint thread copies them into
    the database file soon after, although the log is far below the point where a commit would
    checkpoint by itself (``wal_autocheckpoint``). Closing the database stops the thread."""
    import threading
    import time

    from emswebhook_gui.store.models import AppProperty

    path = tmp_path / "store.db"
    earlier = set(threading.enumerate())  # an earlier test's database may still be closing
    db = Database(f"sqlite:///{path}")
    try:
        # whatever opening wrote is copied first (here, if the thread has not done it yet), so that
        # only the commit below can change the file
        deadline = time.monotonic() + 5
        while not _log_copied(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        before = path.stat().st_mtime_ns
        with db.session() as session:
            session.add(AppProperty(key="probe", value="x" * 20_000, updated_at=datetime.now(UTC)))
        deadline = time.monotonic() + 5
        while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_mtime_ns != before, "the committed pages never reached the database file"
        with closing(sqlite3.connect(path)) as reader:  # and what is there reads back from the file alone
            assert reader.execute("SELECT length(value) FROM app_properties WHERE key = 'probe'").fetchone() == (20_000,)
    finally:
        db.close()
    ours = [t for t in threading.enumerate() if t.name == "emswebhook-checkpoint" and t not in earlier]
    assert not [t for t in ours if t.is_alive()]


def test_a_long_writer_settles_the_log_so_its_next_commit_starts_it_anew(tmp_path, monkeypatch):
    """A purge writes without pause; past ``SETTLE_PAGES`` of log it waits, off the worker,
    for the checkpoint thread to copy the whole log, and the commit after that begins the log
    at its start again (else the log grows until a commit checkpoints 64 MB inside itself)."""
    import asyncio

    from emswebhook_gui.store import database
    from emswebhook_gui.store.models import AppProperty

    monkeypatch.setattr(database, "SETTLE_PAGES", 50)
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")

    def write(n: int) -> None:
        with db.session() as session:
            session.merge(AppProperty(key=f"k{n % 20}", value=str(n) * 4000, updated_at=datetime.now(UTC)))

    async def long_writer() -> int:
        for n in range(200):  # about 1,000 pages of log, no pause long enough for a checkpoint to finish
            await db.run_raw(lambda n=n: write(n))
        for _ in range(100):  # the checkpoint thread has looked at the log since
            if db.checkpointer.log_pages >= 50:
                break
            await asyncio.sleep(0.05)
        settled_at = db.checkpointer.log_pages
        await db.settle_log()
        await db.run_raw(lambda: write(0))  # starts the log anew
        return settled_at

    try:
        before = asyncio.run(long_writer())
        assert before >= 50
        assert db.checkpointer.settle(timeout=5)  # what the last commit wrote, copied
        assert db.checkpointer.log_pages < 20, "the log was not started anew after it settled"
    finally:
        db.close()


def test_escaped_states_of_older_notifications_are_copied_onto_their_occurrence_on_upgrade(tmp_path):
    """0010: a ``--where`` scan looks for ``\\u`` escapes on occurrences only, so a state that
    only a body held (as every version before kept it) is copied back, and is found."""
    from sqlalchemy.orm import Session

    from emswebhook_gui import notifications

    url = f"sqlite:///{tmp_path / 'v9.db'}"
    engine = create_engine(url)
    upgrade_to_head(engine, "0009")
    now = datetime.now(UTC).replace(tzinfo=None)
    escaped = '{"entitlement":{"customer":{"name":"\\u0053am"}}}'  # "Sam", its S escaped
    plain = '{"entitlement":{"customer":{"name":"Jo"}}}'
    with engine.begin() as connection:
        for n, state in enumerate((escaped, plain)):
            connection.execute(text(
                "INSERT INTO occurrences (id, event_name, entity_name, activity_name, entity_id, request_id, "
                "op_datetime, created_at) VALUES (:id, 'Entitlement Added', 'Entitlement', 'Add Entitlement', "
                "'e', 'r', :now, :now)"), {"id": f"o{n}", "now": now})
            connection.execute(text(
                "INSERT INTO notifications (event_id, occurrence_id, webhook_id, webhook_name, event_name, "
                "activity_name, entity_id, endpoint_url, status, round_kind, round_attempts, attempts, "
                "created_at, updated_at) VALUES (:ev, :id, 'w', 'W', 'Entitlement Added', 'Add Entitlement', "
                "'e', 'https://h.example.com/', 'SUCCESSFUL', 'auto', 1, 1, :now, :now)"),
                {"ev": f"ev{n}", "id": f"o{n}", "now": now})
            body = '{"eventName":"Entitlement Added","currentState":' + json.dumps(state) + "}"
            connection.execute(text("INSERT INTO notification_payloads (event_id, payload) VALUES (:ev, :body)"),
                               {"ev": f"ev{n}", "body": body})
    engine.dispose()
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            states = dict(connection.execute(text("SELECT id, current_state FROM occurrences")).all())
        assert states == {"o0": escaped, "o1": None}  # the plain state stays in its body alone
        with Session(db.engine) as session:
            rows, _ = notifications.scan(
                session, notifications.parse_filter({"where": "entitlement.customer.name == 'Sam'"}), None, 10)
        assert [row[1] for row in rows] == ["ev0"]  # (seq, eventId, ...)
    finally:
        db.close()


def test_the_worker_knows_how_many_jobs_wait_for_it_cancelled_ones_included(tmp_path):
    """``Database.waiting``: what a long writer (a purge) asks between slices to commit early."""
    import asyncio
    import threading

    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    held, release = threading.Event(), threading.Event()

    def hold(_session):
        held.set()
        release.wait(10)

    async def scenario():
        holder = asyncio.ensure_future(database.run(hold))
        await asyncio.get_running_loop().run_in_executor(None, held.wait, 10)
        assert database.waiting() == 0  # the running job is not waiting
        queued = [asyncio.ensure_future(database.run(lambda s: 1)) for _ in range(3)]
        await asyncio.sleep(0)
        assert database.waiting() == 3
        queued[0].cancel()  # given up before it started: it waits no more
        await asyncio.gather(queued[0], return_exceptions=True)
        assert database.waiting() == 2
        release.set()
        assert await asyncio.gather(holder, *queued[1:]) == [None, 1, 1]
        assert database.waiting() == 0

    try:
        asyncio.run(scenario())
    finally:
        release.set()
        database.close()


def test_a_log_grown_by_one_large_transaction_is_cut_back_when_it_starts_anew(tmp_path):
    """A bulk write grows the log file far past its usual size; once the checkpoint thread has
    copied it, the next commit starts the log anew and cuts the file back to ``LOG_SIZE_LIMIT``
    (SQLite would otherwise keep the file at its largest size while the store is open)."""
    from emswebhook_gui.store.checkpoint import LOG_SIZE_LIMIT
    from emswebhook_gui.store.models import AppProperty

    path = tmp_path / "store.db"
    wal = tmp_path / "store.db-wal"
    db = Database(f"sqlite:///{path}")
    try:
        with db.session() as session:
            session.add_all(AppProperty(key=f"bulk{n}", value="x" * 100_000, updated_at=datetime.now(UTC))
                            for n in range(800))  # about 80 MB in one transaction
        assert wal.stat().st_size > LOG_SIZE_LIMIT
        assert db.checkpointer.settle(timeout=10)
        with db.session() as session:
            session.merge(AppProperty(key="small", value="y", updated_at=datetime.now(UTC)))
        assert wal.stat().st_size <= LOG_SIZE_LIMIT
    finally:
        db.close()
