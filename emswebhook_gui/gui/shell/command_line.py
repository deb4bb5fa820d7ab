"""The app's command line: its options (the rest goes to Qt) and the desktop-entry commands that
run instead of the app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

APPLICATION_NAME = "emswebhook-gui"


def desktop_entry_command(options: argparse.Namespace) -> int:
    """``--install-desktop-entry`` / ``--remove-desktop-entry``: the menu launcher for installs no
    package manager made (``make run``, ``pip install``); prints what it did, opens nothing."""
    from emswebhook_gui import desktop_integration as desktop
    from emswebhook_gui.store.database import DatabaseURLError

    if sys.platform in ("win32", "darwin"):
        print(f"{APPLICATION_NAME}: desktop entries are for Linux and other freedesktop.org desktops",
              file=sys.stderr)
        return 2
    try:
        if options.remove_desktop_entry:
            removed = desktop.remove_launcher()
            for path in removed:
                print(f"removed {path}")
            if not removed:
                print("no desktop entry was installed")
            return 0
        command = [*desktop.app_command(), *desktop.database_option(options.db)]
        for path in desktop.install_launcher(command):
            print(f"wrote {path}")
    except DatabaseURLError as exc:
        print(f"{APPLICATION_NAME}: --db: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{APPLICATION_NAME}: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if desktop.has_password(options.db):
        print("note: the database password was not written; PostgreSQL reads it from ~/.pgpass")
    return 0


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything unrecognised (``-platform offscreen``, ``-style``) goes to Qt."""
    from emswebhook_gui import __version__

    parser = argparse.ArgumentParser(prog=APPLICATION_NAME, description="EMS webhook administration")
    parser.add_argument("--version", action="version", version=f"{APPLICATION_NAME} {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL, e.g. sqlite:///path/file.db or postgresql://user@host:5432/db "
        "(default: EMSWEBHOOK_DATABASE_URL, else SQLite in the user data directory)",
    )
    parser.add_argument(
        "--minimized", action="store_true",
        help="start in the tray (or minimized where there is no tray), as start at login does",
    )
    entry = parser.add_mutually_exclusive_group()
    entry.add_argument(
        "--install-desktop-entry", action="store_true",
        help="add the app to the desktop's menu (a .desktop launcher and its icon under "
        "$XDG_DATA_HOME), print what was written and exit",
    )
    entry.add_argument(
        "--remove-desktop-entry", action="store_true",
        help="remove what --install-desktop-entry wrote and exit",
    )
    return parser.parse_known_args(list(argv))
