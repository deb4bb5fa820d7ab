"""`emswebhook-gui --version` and `--help` answer and exit without opening a window."""

from __future__ import annotations

import os
import subprocess
import sys

from emswebhook_gui import __version__


def run_gui(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    # No display and no platform plugin chosen: if a QApplication were made, Qt would abort.
    return subprocess.run([sys.executable, "-m", "emswebhook_gui", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_version_prints_and_exits():
    done = run_gui("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"emswebhook-gui {__version__}"


def test_help_prints_the_options_and_exits():
    done = run_gui("--help")
    assert done.returncode == 0, done.stderr
    assert "usage: emswebhook-gui" in done.stdout and "--db URL" in done.stdout
