"""Hot-path statements on the driver cursor store exactly what SQLAlchemy Core would store."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.sqlite import base as sqlite_base
from sqlalchemy.dialects.sqlite import pysqlite

from emswebhook_gui.store import Database
from emswebhook_gui.store.bulk import Prepared, prepared_insert
from emswebhook_gui.store.models import AuthProfile, UTCDateTime, Webhook, new_id

_COLUMNS = ("id", "name", "name_key", "event_name", "endpoint_url", "auth_profile_id", "activities",
            "trigger_condition", "include_data", "enabled", "signing_enabled", "created_at", "updated_at")


def _row(name: str, moment: datetime) -> dict:
    return {"id": new_id(), "name": name, "name_key": name.casefold(), "event_name": "Entitlement Added",
            "endpoint_url": "https://example.com/hook", "auth_profile_id": "p", "activities": ["Add Entitlement"],
            "trigger_condition": None, "include_data": False, "enabled": True, "signing_enabled": False,
            "created_at": moment, "updated_at": moment}


def test_inserts_and_updates_round_trip_like_core(db_url):
    db = Database(db_url)
    try:
        # a zone other than UTC: the column type must convert it, as Core does
        moment = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
        with db.session() as session:
            session.execute(insert(AuthProfile.__table__), [{
                "id": "p", "name": "P", "name_key": "p", "type": "basic", "username": "u",
                "created_at": moment, "updated_at": moment}])
            prepared_insert(Webhook.__table__, _COLUMNS).execute(session.connection(), [
                _row("Raw One", moment), _row("Raw Two", moment)])
            session.execute(insert(Webhook.__table__), [_row("Core", moment)])
        with db.session() as session:
            rows = {r.name: r for r in session.execute(select(Webhook.__table__))}
        assert set(rows) == {"Raw One", "Raw Two", "Core"}
        for name in ("Raw One", "Raw Two"):
            for column in ("activities", "include_data", "enabled", "created_at"):
                assert getattr(rows[name], column) == getattr(rows["Core"], column), column
        assert rows["Raw One"].created_at == moment.astimezone(UTC)

        rename = Prepared(update(Webhook.__table__).where(Webhook.id == bindparam("key"))
                          .values(name=bindparam("new_name"), updated_at=bindparam("when")))
        later = moment + timedelta(minutes=5)
        with db.session() as session:
            changed = rename.execute(session.connection(), [
                {"key": rows["Raw One"].id, "new_name": "Renamed", "when": later},
                {"key": "no such id", "new_name": "Ghost", "when": later}])
        with db.session() as session:
            names = {r.name: r.updated_at for r in session.execute(select(Webhook.name, Webhook.updated_at))}
        assert changed >= 1 and "Renamed" in names and "Ghost" not in names
        assert names["Renamed"] == later.astimezone(UTC)
        with db.engine.connect() as connection:
            assert rename.execute(connection, []) == 0  # nothing to run, no statement sent
    finally:
        db.close()


def test_insert_returning_gives_back_every_row_across_statement_boundaries(db_url):
    """70 rows: more than one multi-row statement on SQLite (32 a statement), one pipelined
    executemany on PostgreSQL. Every row is stored as Core would, and each one's RETURNING values
    come back once, matched by key."""
    db = Database(db_url)
    try:
        moment = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
        rows = [_row(f"Hook {n:02}", moment) for n in range(70)]
        with db.session() as session:
            session.execute(insert(AuthProfile.__table__), [{
                "id": "p", "name": "P", "name_key": "p", "type": "basic", "username": "u",
                "created_at": moment, "updated_at": moment}])
            returned = prepared_insert(Webhook.__table__, _COLUMNS, returning=("id", "name")).insert_returning(
                session.connection(), rows)
            assert prepared_insert(Webhook.__table__, _COLUMNS, returning=("id",)).insert_returning(
                session.connection(), []) == []
        assert sorted(returned) == sorted((row["id"], row["name"]) for row in rows)
        with db.session() as session:
            stored = {r.id: r for r in session.execute(select(Webhook.__table__))}
        assert set(stored) == {row["id"] for row in rows}
        assert all(r.created_at == moment and r.activities == ["Add Entitlement"] for r in stored.values())
    finally:
        db.close()


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(timezones=st.timezones()))
def test_sqlite_timestamps_are_stored_as_sqlalchemy_would_store_them(moment):
    """UTC columns format SQLite's text in one step of their own; it must be the text of
    SQLAlchemy's DATETIME, which every stored row and every query bound to it was written with."""
    dialect = pysqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    try:
        naive_utc = moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # the first and last hours of the calendar have no UTC time
        return
    assert ours(moment) == sqlite_base.DATETIME().bind_processor(dialect)(naive_utc)
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        ours(naive_utc)


def test_new_ids_are_uuids_in_creation_order():
    ids = [new_id() for _ in range(1000)]
    assert all(UUID(value).version == 7 for value in ids)
    assert ids == sorted(ids) and len(set(ids)) == 1000
