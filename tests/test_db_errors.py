"""Database failures in words, through the real entry points: the `emswebhook` command (exit 1,
one line on stderr, never SQLAlchemy's text or a password from the URL) and the REST API (503
problems naming a full or read-only database).

What each case really exercises:
- a closed port: a port on 127.0.0.1 that was free a moment ago (connection refused);
- a wrong password: a throw-away PostgreSQL cluster of the test's own with scram-sha-256 on TCP
  (the shared test server trusts 127.0.0.1, so no password can be wrong there);
- a missing database: a database name that does not exist on the shared test server;
- a read-only SQLite file: ``chattr +i`` on the file (tests run as root, and root ignores file
  modes; an immutable file refuses even root, so SQLite opens it read-only, exactly as for a
  user without write permission);
- a full disk: a 1 MiB tmpfs mounted for the test (needs root; skipped with the reason if refused).
"""

import asyncio
import json
import shutil
import socket
import subprocess
import sys

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from emswebhook_gui import cli
from emswebhook_gui.api import start_api
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from emswebhook_gui.store import Database
from tests.conftest import REPO
from tests.support import postgres

SECRET = "Pa55-never-shown"
OCCURRENCE = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "E-1"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_worded(err: str, expected: str) -> None:
    assert err.strip() == expected, err
    for noise in ("sqlalche.me", "Traceback", "OperationalError", "[SQL", SECRET):
        assert noise not in err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_closed_port_is_named_with_what_to_check(tmp_path):
    """The installed command, as a user runs it."""
    port = closed_port()
    result = subprocess.run(
        [sys.executable, "-m", "emswebhook_gui.cli", "--db", f"postgresql://ems:{SECRET}@127.0.0.1:{port}/ems",
         "webhook", "list"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)})
    assert result.returncode == 1
    assert_worded(result.stderr, f"emswebhook: database: cannot connect to 127.0.0.1:{port} (connection refused: "
                                 "no server listens there); check --db or EMSWEBHOOK_DATABASE_URL")


def test_a_server_that_never_answers_is_named_after_the_timeout(capsys):
    """A socket that takes connections and never speaks: libpq gives up after connect_timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        code, _, err = run(capsys, "--db", f"postgresql://ems:{SECRET}@127.0.0.1:{port}/ems?connect_timeout=1",
                           "status")
    assert code == 1
    assert_worded(err, f"emswebhook: database: cannot connect to 127.0.0.1:{port} (no answer: timed out); "
                       "check --db or EMSWEBHOOK_DATABASE_URL")


@pytest.mark.parametrize(("driver_text", "words"), [
    ('connection failed: could not translate host name "db.internal" to address: Name or service not known',
     "cannot connect to db.internal:5432 (host not found)"),
    ("connection failed: failed to resolve host 'db.internal': [Errno -2] Name or service not known",
     "cannot connect to db.internal:5432 (host not found)"),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf entry for '
     'host "10.0.0.9", user "ems", database "hooks", no encryption',
     "cannot connect to db.internal:5432: the server does not let user 'ems' connect to database 'hooks' from "
     "this host (pg_hba.conf)"),
])
def test_failures_a_test_cannot_cause_offline_are_worded_too(driver_text, words):
    """A name that does not resolve (a real lookup would leave the machine, which tests may not do)
    and a pg_hba refusal (the shared server trusts everyone): psycopg's own exception type with
    the texts libpq and psycopg write, through the same wording as above."""
    import psycopg

    from emswebhook_gui.store import explain

    problem = explain(psycopg.OperationalError(driver_text), f"postgresql://ems:{SECRET}@db.internal/hooks")
    assert (problem.message, problem.connection) == (words, True)


@pytest.fixture(scope="module")
def password_server():
    server = postgres.password_cluster("right-Pa55")
    if server.url is None:
        pytest.skip(f"no PostgreSQL cluster of our own to check passwords: {server.why_not}")
    yield server.url
    server.stop()


def test_a_wrong_password_is_named(password_server, capsys):
    wrong = make_url(password_server).set(password=SECRET).render_as_string(hide_password=False)
    port = make_url(password_server).port
    code, _, err = run(capsys, "--db", wrong, "status")
    assert code == 1
    assert_worded(err, f"emswebhook: database: cannot connect to 127.0.0.1:{port}: authentication failed for user "
                       "'postgres' (wrong password?); check --db or EMSWEBHOOK_DATABASE_URL")
    none = password_server.replace(":right-Pa55@", "@")
    code, _, err = run(capsys, "--db", none, "db", "upgrade")
    assert code == 1
    assert_worded(err, f"emswebhook: database: cannot connect to 127.0.0.1:{port}: the server wants a password "
                       "for user 'postgres' and none was given; check --db or EMSWEBHOOK_DATABASE_URL")
    # the right one works, and creates the schema explicitly
    assert run(capsys, "--db", password_server, "db", "upgrade")[0] == 0


@pytest.mark.postgres
def test_a_missing_database_is_named(pg_admin_url, capsys):
    url = make_url(pg_admin_url).set(database="emswebhook_no_such_db", password=SECRET)
    code, _, err = run(capsys, "--db", url.render_as_string(hide_password=False), "events", "search")
    assert code == 1
    assert_worded(err, f"emswebhook: database: cannot connect to {url.host}:{url.port or 5432}: there is no database "
                       "'emswebhook_no_such_db' (create it with: createdb emswebhook_no_such_db); "
                       "check --db or EMSWEBHOOK_DATABASE_URL")


def test_a_folder_that_cannot_be_made_is_named(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "--db", f"sqlite:///{blocker}/sub/store.db", "serve", "--no-api")
    assert code == 1
    assert err.startswith(f"emswebhook: database: cannot create {blocker}/sub/store.db: ")
    assert "check --db or EMSWEBHOOK_DATABASE_URL" in err and "Traceback" not in err


@pytest.fixture
def immutable(tmp_path):
    """A database with a webhook, then made immutable (root cannot write it either)."""
    if not shutil.which("chattr"):
        pytest.skip("chattr is not installed: no way to make a file read-only for root")
    path = tmp_path / "store.db"

    async def seed():
        service = await WebhookService.open(f"sqlite:///{path}", secrets=SecretStore(None))
        await service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
        await service.create_webhook({"name": "W", "event": "Entitlement Added",
                                      "endpointUrl": "https://hooks.example.com/x", "authProfile": "P"})
        await service.close()

    asyncio.run(seed())
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"chattr +i refused ({done.stderr.strip()}): the file system or the user does not allow it")
    yield path
    subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_file_is_named_by_the_cli(immutable, capsys):
    url = f"sqlite:///{immutable}"
    code, out, err = run(capsys, "--db", url, "webhook", "list", "--json")
    assert code == 0 and json.loads(out)[0]["name"] == "W", err  # reading still works
    code, _, err = run(capsys, "--db", url, "webhook", "disable", "W")
    assert code == 1
    assert_worded(err, f"emswebhook: database: {immutable} is read-only: this user may not write to the file or "
                       "its folder, or it is on a read-only file system")
    assert run(capsys, "--db", url, "webhook", "show", "W", "--json")[1].count('"enabled": true') == 1


@pytest.mark.asyncio
async def test_a_read_only_file_is_a_503_problem(immutable, memory_keyring):
    service = await WebhookService.open(f"sqlite:///{immutable}", secrets=SecretStore(memory_keyring))
    server = await start_api(service, port=0, token="t-ro", access_log_enabled=False)
    try:
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer t-ro"}) as session:
            async with session.post(f"{server.url}/events", json=OCCURRENCE) as response:
                body = await response.json(content_type=None)
                assert response.status == 503 and response.content_type == "application/problem+json"
            assert body["title"] == "Database read-only"
            assert body["type"] == "urn:emswebhook:problem:database-read-only"
            assert body["detail"].startswith(f"{immutable} is read-only")
            async with session.get(f"{server.url}/webhooks") as response:
                assert response.status == 200  # the API stays up for reads
    finally:
        await server.stop()
        await service.close()


@pytest.fixture
def tiny_disk(tmp_path):
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a 1 MiB tmpfs to fill ({done.stderr.strip() or 'refused'}); needs root")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], check=True)


@pytest.mark.asyncio
async def test_a_full_disk_is_named_by_the_api_and_the_cli(tiny_disk, memory_keyring, capsys):
    url = f"sqlite:///{tiny_disk / 'store.db'}"
    service = await WebhookService.open(url, secrets=SecretStore(memory_keyring))
    await service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
    await service.create_webhook({"name": "W", "event": "Entitlement Added", "endpointUrl": "https://h.example.com/x",
                                  "authProfile": "P"})
    server = await start_api(service, port=0, token="t-full", access_log_enabled=False)
    big = {**OCCURRENCE, "currentState": {"entitlement": {"notes": "x" * 200_000}}}
    try:
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer t-full"}) as session:
            statuses = []
            for _ in range(20):
                async with session.post(f"{server.url}/events", json=big) as response:
                    statuses.append(response.status)
                    body = await response.json(content_type=None)
                if response.status != 201:
                    break
            assert statuses[0] == 201 and statuses[-1] == 503, statuses
            assert body["title"] == "Database full" and body["type"] == "urn:emswebhook:problem:database-full"
            assert body["detail"] == f"the database is full: the disk holding {tiny_disk / 'store.db'} has no space left"
        state = tiny_disk.parent / "state.json"
        state.write_text(json.dumps(big["currentState"]))
        code, _, err = await asyncio.to_thread(run, capsys, "--db", url, "publish", "--event", "Entitlement Added",
                                               "--activity", "Add Entitlement", "--entity-id", "E-2",
                                               "--current-state", str(state))
        assert code == 1
        assert_worded(err, f"emswebhook: database: the database is full: the disk holding {tiny_disk / 'store.db'} "
                           "has no space left")
    finally:
        await server.stop()
        await service.close()


def test_the_app_and_serve_still_create_the_schema_and_a_newer_one_is_refused(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Database(url).close()  # what serve and the app do on start
    assert run(capsys, "--db", url, "status")[0] == 0
    db = Database(url)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    db.close()
    for argv in (("status",), ("db", "upgrade")):
        code, _, err = run(capsys, "--db", url, *argv)
        assert code == 1
        assert_worded(err, "emswebhook: database: this database was written by a newer version of emswebhook "
                           "(schema revision 9999); upgrade emswebhook-gui to use it")
