"""Where the PostgreSQL tests find a server, in this order:

1. ``EMSWEBHOOK_TEST_PG``: a URL of a server someone runs for us (CI sets it);
2. PostgreSQL's server binaries (``initdb``/``pg_ctl`` on PATH or under ``/usr/lib/postgresql``):
   a throw-away cluster in a temporary folder, on a free port, for the test session;
3. neither: the PostgreSQL tests are skipped, with one line in the summary saying how to run them.

``EMSWEBHOOK_REQUIRE_PG=1`` (set by ``.ci/run``) turns that skip into a failure, so CI can never
skip them silently. A throw-away cluster is preferred to guessing at 127.0.0.1:5432, because a
server a user happens to run there is theirs, not ours to fill with schemas.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg

from tests.support.receiver import closed_port

ENV_URL = "EMSWEBHOOK_TEST_PG"
ENV_REQUIRE = "EMSWEBHOOK_REQUIRE_PG"
HOW_TO = (
    f"set {ENV_URL}=postgresql://user@host:5432/db, or install PostgreSQL's server "
    "(initdb, pg_ctl) so the tests start a throw-away cluster"
)


@dataclass
class Server:
    url: str | None
    """The admin URL tests create their schemas in; None when no server could be had."""
    why_not: str = ""
    stop: object = None


def _binaries() -> tuple[str, str] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        initdb, pg_ctl = Path(folder, "initdb"), Path(folder, "pg_ctl")
        if initdb.exists() and pg_ctl.exists():
            return str(initdb), str(pg_ctl)
    return None


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    """PostgreSQL refuses to run as root: run it as an ordinary account when we are root."""
    return ["runuser", "-u", owner, "--", *command] if owner else command


def _reap_abandoned(pg_ctl: str) -> None:
    """Stop clusters whose test run died without cleaning up (a crash cannot run its finalisers)."""
    for folder in Path(tempfile.gettempdir()).glob("emswebhook-pg-*"):
        try:
            owner_pid = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue  # not ours to judge (being created, or unreadable)
        if psutil.pid_exists(owner_pid):  # not os.kill(pid, 0): on Windows that sends CTRL_C_EVENT
            continue  # its run is still going
        data = folder / "data"
        owner = data.owner() if data.exists() else None
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                                 owner if os.geteuid() == 0 and owner != "root" else None),
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def _throwaway_cluster(initdb: str, pg_ctl: str, password: str | None = None) -> Server:
    """A cluster of our own; with ``password``, TCP connections need it (scram-sha-256) as the
    ``postgres`` user, which the URL then carries (tests of authentication failures)."""
    _reap_abandoned(pg_ctl)
    owner = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            owner = name
            break
        if owner is None or not shutil.which("runuser"):
            return Server(None, "running as root, and no account to run PostgreSQL as")
    folder = Path(tempfile.mkdtemp(prefix="emswebhook-pg-"))
    data = folder / "data"
    (folder / "owner.pid").write_text(str(os.getpid()))
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    port = closed_port()
    auth = ["-A", "trust"]
    if password is not None:
        pwfile = folder / "pwfile"
        pwfile.write_text(password + "\n")
        if owner:
            os.chown(pwfile, pwd.getpwnam(owner).pw_uid, -1)
        auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
    try:
        subprocess.run(
            _as_owner([initdb, "-D", str(data), "-U", "postgres", *auth, "--no-sync", "-E", "UTF8"], owner),
            check=True, capture_output=True, timeout=120,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"], owner),
            check=True, capture_output=True, timeout=120,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return Server(None, f"could not start a throw-away cluster ({exc})")
    url = f"postgresql://postgres{'' if password is None else ':' + password}@127.0.0.1:{port}/postgres"

    def stop() -> None:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], owner),
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)

    return Server(url, stop=stop)


def _reachable(url: str) -> str:
    try:
        with psycopg.connect(url, connect_timeout=5):
            return ""
    except psycopg.Error as exc:
        return f"{ENV_URL}={url} is not reachable ({str(exc).strip().splitlines()[0]})"


def password_cluster(password: str) -> Server:
    """A throw-away cluster that checks passwords (``Server.url`` None with the reason if not)."""
    binaries = _binaries()
    if binaries is None:
        return Server(None, "no PostgreSQL server binaries found")
    return _throwaway_cluster(*binaries, password=password)


def find_server() -> Server:
    url = os.environ.get(ENV_URL)
    if url:
        problem = _reachable(url)
        return Server(None if problem else url, problem)
    binaries = _binaries()
    if binaries is None:
        return Server(None, "no PostgreSQL server binaries found")
    return _throwaway_cluster(*binaries)


def required() -> bool:
    return os.environ.get(ENV_REQUIRE, "").strip().lower() not in ("", "0", "no", "false")
