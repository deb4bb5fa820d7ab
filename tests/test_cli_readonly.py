"""Read-only commands never create a schema: on an empty SQLite file, a path with no file and an
empty PostgreSQL schema they say what to run and exit 1, and the database stays as it was;
`emswebhook db upgrade` creates the schema and upgrades an older one."""

import sqlite3

import psycopg
import pytest
from sqlalchemy.engine import make_url

from emswebhook_gui import cli
from emswebhook_gui.store import Database
from emswebhook_gui.store.migrations_runner import current_revision, head_revision, upgrade_to_head

READ_ONLY_COMMANDS = [("status",), ("events", "search"), ("webhook", "list"), ("webhook", "show", "W"),
                      ("profile", "list"), ("config", "get")]
NO_SCHEMA = ("emswebhook: database: no emswebhook schema in this database; run `emswebhook db upgrade` or "
             "start `serve` to create it")


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sqlite_tables(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]


def test_on_an_empty_sqlite_file_nothing_is_created(tmp_path, capsys):
    path = tmp_path / "empty.db"
    path.touch()
    for argv in READ_ONLY_COMMANDS:
        code, out, err = run(capsys, "--db", f"sqlite:///{path}", *argv)
        assert (code, out, err.strip()) == (1, "", NO_SCHEMA), argv
    assert sqlite_tables(path) == []
    assert path.stat().st_size == 0


def test_on_a_path_without_a_file_no_file_is_created(tmp_path, capsys):
    path = tmp_path / "not" / "there.db"
    code, _, err = run(capsys, "--db", f"sqlite:///{path}", "status")
    assert code == 1
    assert err.strip() == (f"emswebhook: database: there is no emswebhook database at {path}; run `emswebhook db "
                           "upgrade` or start `serve` to create it; check --db or EMSWEBHOOK_DATABASE_URL")
    assert not path.parent.exists()


@pytest.mark.postgres
def test_on_an_empty_postgresql_schema_nothing_is_created(pg_url, capsys):
    for argv in READ_ONLY_COMMANDS:
        code, _, err = run(capsys, "--db", pg_url, *argv)
        assert (code, err.strip()) == (1, NO_SCHEMA), argv
    schema = make_url(pg_url).query["options"].split("=", 1)[1]
    admin = make_url(pg_url).difference_update_query(["options"]).render_as_string(hide_password=False)
    with psycopg.connect(admin) as connection:
        tables = connection.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                                    (schema,)).fetchall()
    assert tables == []
    code, out, _ = run(capsys, "--db", pg_url, "db", "upgrade")
    assert code == 0 and out.startswith("created the emswebhook schema in ")
    assert run(capsys, "--db", pg_url, "webhook", "list", "--json")[:2] == (0, "[]\n")


def test_db_upgrade_creates_and_upgrades_explicitly(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db = Database(url, migrate=False)
    upgrade_to_head(db.engine, "0003")  # a database made by an older version
    db.close()
    code, _, err = run(capsys, "--db", url, "webhook", "list")
    assert code == 1
    assert err.strip() == ("emswebhook: database: the emswebhook schema in this database is from an older version "
                           "(revision 0003); run `emswebhook db upgrade` or start `serve` to upgrade it")
    db = Database(url, migrate=False)
    assert current_revision(db.engine) == "0003"  # the read-only command left it alone
    db.close()
    code, out, _ = run(capsys, "--db", url, "db", "upgrade")
    assert code == 0
    assert out.strip() == f"upgraded the emswebhook schema in {tmp_path / 'store.db'} from revision 0003 to {head_revision()}"
    code, out, _ = run(capsys, "--db", url, "db", "upgrade")
    assert out.strip() == f"the emswebhook schema in {tmp_path / 'store.db'} is up to date (revision {head_revision()})"
    assert run(capsys, "--db", url, "webhook", "list")[:2] == (0, "(none)\n")
    fresh = tmp_path / "fresh" / "new.db"
    code, out, _ = run(capsys, "--db", f"sqlite:///{fresh}", "db", "upgrade")
    assert code == 0 and out.strip() == f"created the emswebhook schema in {fresh} (revision {head_revision()})"
    assert "webhooks" in sqlite_tables(fresh)
