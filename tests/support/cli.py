"""The `emswebhook` command run inside the test process (``cli.main``), as the tests of its wording
and options call it: faster than a child, and what it prints is read back through ``capsys``."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

from emswebhook_gui import cli
from emswebhook_gui.store import Database

Run = Callable[..., tuple[int, str, str]]
"""``run(*argv, stdin="")``: the exit code, standard output and standard error of one command."""


def runner(monkeypatch, capsys) -> Run:
    """Commands on the database the environment names, with ``stdin`` as their standard input."""

    def invoke(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def runner_on(url: str, monkeypatch, capsys) -> Run:
    """Commands on the database at ``url``, its schema created first (as `serve` or `db upgrade`
    would have; read-only commands never create it)."""
    monkeypatch.setenv("EMSWEBHOOK_DATABASE_URL", url)
    Database(url).close()
    return runner(monkeypatch, capsys)
