"""How the desktop app fits into the user's session, without Qt: start at login, the menu
launcher, the log folder, and the key that makes one app per database.

Decisions:
- Start at login is the platform's own per-user mechanism, so the user sees and manages it where
  they manage every other program: an XDG autostart entry (Linux and other freedesktop
  desktops), the per-user ``Run`` key (Windows), a LaunchAgent (macOS). Nothing runs as a
  service, nothing needs administrator rights.
- The entry starts the app with ``--minimized`` (in the tray) and on the database this app was
  started on: ``--db`` is written whenever that is not the default SQLite file, also when it came
  from ``EMSWEBHOOK_DATABASE_URL``, since a login session need not have the variable. A password
  in the URL is never written to the entry (secrets live only in the keyring); PostgreSQL then
  takes it from ``~/.pgpass`` or ``PGPASSWORD``, and the Settings page says so.
- The command is the ``emswebhook-gui`` script of the Python environment the app runs from (its
  absolute path), else ``python -m emswebhook_gui`` of that environment: the entry starts this
  installation, not whatever a login shell's PATH finds first.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import subprocess
import sys
from configparser import ConfigParser, Error as ConfigError
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import platformdirs

APP_ID = "emswebhook-gui"
"""The desktop file name, icon name, Wayland app id and Windows Run value name."""

APP_TITLE = "EMS Webhooks"
MINIMIZED_OPTION = "--minimized"
LAUNCH_AGENT_LABEL = "org.emswebhook.gui"

# The service's own rules (store/database.py), restated here without importing it: a second
# start must hand over to the running app within 2 s, and importing the store (SQLAlchemy,
# Alembic) takes more than a second of that. tests/test_gui_desktop.py holds both to the same
# answers.
_DATA_DIR_NAME = "emswebhook-gui"
_ENV_DATABASE_URL = "EMSWEBHOOK_DATABASE_URL"


def log_directory() -> Path:
    """Where the app and ``serve`` write their rotating log files."""
    return Path(platformdirs.user_log_dir(_DATA_DIR_NAME))


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(_DATA_DIR_NAME, appauthor=False)) / "emswebhook.db"


# -- which database, in words a command line takes ------------------------------------------------


def plain_database_url(url: str | None) -> str:
    """The database the app opens for ``--db url`` (None: ``EMSWEBHOOK_DATABASE_URL``, else the
    default file) as a plain URL without password: SQLite with its absolute, symlink-free path,
    PostgreSQL as ``postgresql://user@host:port/db?...``. Two spellings of one database give the
    same string. A URL the service would refuse comes back as given (it says why on open)."""
    url = url or os.environ.get(_ENV_DATABASE_URL) or None
    if url is None:
        return _sqlite_url(default_database_path())
    parts = urlsplit(url)
    backend = parts.scheme.split("+")[0].lower()
    if backend == "sqlite":
        database = unquote(parts.path[1:])
        if database in ("", ":memory:"):
            return "sqlite:///:memory:"
        return _sqlite_url(Path(database)) + (f"?{parts.query}" if parts.query else "")
    if backend in ("postgresql", "postgres"):
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        if parts.username is not None:
            netloc = f"{parts.username}@{netloc}"
        return urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))
    return url


def _sqlite_url(path: Path) -> str:
    return "sqlite:///" + quote(str(path.expanduser().resolve()), safe="/")


def has_password(url: str | None) -> bool:
    """Whether the database URL carries a password (which no file of ours may hold)."""
    url = url or os.environ.get(_ENV_DATABASE_URL) or ""
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False


def database_option(url: str | None) -> list[str]:
    """``["--db", URL]`` to reopen this database from a login entry; empty for the default one."""
    plain = plain_database_url(url)
    return [] if plain == _sqlite_url(default_database_path()) else ["--db", plain]


def instance_key(url: str | None) -> str | None:
    """A short stable name for "this user's app on this database", for the single-instance
    socket; None for an in-memory database, which no other process can share."""
    canonical = plain_database_url(url)
    if canonical == "sqlite:///:memory:":
        return None
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    return hashlib.sha256(f"{user}\0{canonical}".encode()).hexdigest()[:20]


def app_command() -> list[str]:
    """The command that starts this installation of the app (see the module's decisions)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    bindir = Path(sys.executable).parent  # not resolved: a venv's python is a symlink out of it
    names = (f"{APP_ID}.exe", APP_ID) if sys.platform == "win32" else (APP_ID,)
    for name in names:
        if (bindir / name).is_file():
            return [str(bindir / name)]
    python = Path(sys.executable)
    if sys.platform == "win32" and (python.parent / "pythonw.exe").is_file():
        python = python.parent / "pythonw.exe"  # no console window at login
    return [str(python), "-m", "emswebhook_gui"]


def login_command(database_url: str | None) -> list[str]:
    return [*app_command(), MINIMIZED_OPTION, *database_option(database_url)]


# -- desktop entries (freedesktop.org Desktop Entry Specification 1.5) ----------------------------

_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _exec_argument(argument: str) -> str:
    """One argument of an ``Exec`` key: quoted when it holds a reserved character, ``%`` doubled
    (a lone ``%`` would start a field code)."""
    argument = argument.replace("%", "%%")
    if argument and not _EXEC_RESERVED.intersection(argument):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def _string_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def exec_line(command: list[str]) -> str:
    return " ".join(_exec_argument(argument) for argument in command)


def desktop_entry(keys: dict[str, str]) -> str:
    return "[Desktop Entry]\n" + "".join(f"{key}={_string_value(value)}\n" for key, value in keys.items())


def launcher_entry(command: list[str], icon: str, *, autostart: bool = False) -> str:
    keys = {
        "Type": "Application",
        "Version": "1.5",
        "Name": APP_TITLE,
        "GenericName": "Webhook Administration",
        "Comment": "Subscribe, deliver and follow Sentinel EMS licensing webhooks",
        "Exec": exec_line(command),
        "Icon": icon,
        "Terminal": "false",
        # false: a second start hands over and exits without a window, which would leave the
        # desktop's "starting" cursor spinning until it times out
        "StartupNotify": "false",
        "StartupWMClass": APP_ID,
        "Categories": "Network;Utility;",
        "Keywords": "webhook;EMS;licensing;delivery;",
    }
    if autostart:
        keys["X-GNOME-Autostart-enabled"] = "true"
    return desktop_entry(keys)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _read_desktop_entry(path: Path) -> dict[str, str] | None:
    parser = ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys are case-sensitive
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ConfigError):
        return None
    return dict(parser["Desktop Entry"]) if parser.has_section("Desktop Entry") else None


# -- start at login ---------------------------------------------------------------------------------


class Autostart(Protocol):
    location: str
    """Where the entry lives, for people (a path, or the registry key)."""

    def is_enabled(self) -> bool: ...

    def enable(self, command: list[str]) -> None: ...

    def disable(self) -> None: ...


class XdgAutostart:
    """``$XDG_CONFIG_HOME/autostart/emswebhook-gui.desktop``. An entry the user turned off in
    their desktop's own settings (``Hidden=true``, GNOME's ``X-GNOME-Autostart-enabled=false``)
    counts as off."""

    def __init__(self, config_home: Path | None = None) -> None:
        self.path = (config_home or platformdirs.user_config_path()) / "autostart" / f"{APP_ID}.desktop"
        self.location = str(self.path)

    def is_enabled(self) -> bool:
        keys = _read_desktop_entry(self.path)
        if keys is None:
            return False
        return keys.get("Hidden", "false") != "true" and keys.get("X-GNOME-Autostart-enabled", "true") != "false"

    def enable(self, command: list[str]) -> None:
        icon = _package_icon()
        _write_atomically(self.path, launcher_entry(command, str(icon) if icon else APP_ID, autostart=True).encode())

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class LaunchAgentAutostart:
    """``~/Library/LaunchAgents/org.emswebhook.gui.plist``, loaded by launchd at the next login."""

    def __init__(self, home: Path | None = None) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        self.location = str(self.path)

    def is_enabled(self) -> bool:
        try:
            agent = plistlib.loads(self.path.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return isinstance(agent, dict) and not agent.get("Disabled", False)

    def enable(self, command: list[str]) -> None:
        agent = {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
        }
        _write_atomically(self.path, plistlib.dumps(agent))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class WindowsRunKeyAutostart:
    """The ``emswebhook-gui`` value of ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``."""

    KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

    def __init__(self) -> None:
        self.location = rf"HKEY_CURRENT_USER\{self.KEY} ({APP_ID})"

    def is_enabled(self) -> bool:
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.KEY) as key:
                winreg.QueryValueEx(key, APP_ID)
        except FileNotFoundError:
            return False
        return True

    def enable(self, command: list[str]) -> None:
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, self.KEY) as key:
            winreg.SetValueEx(key, APP_ID, 0, winreg.REG_SZ, subprocess.list2cmdline(command))

    def disable(self) -> None:
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, APP_ID)
        except FileNotFoundError:
            pass


def autostart() -> Autostart:
    """This platform's start-at-login mechanism."""
    if sys.platform == "win32":
        return WindowsRunKeyAutostart()
    if sys.platform == "darwin":
        return LaunchAgentAutostart()
    return XdgAutostart()


# -- the menu launcher (for installs that no package manager made) -------------------------------


def _package_icon() -> Path | None:
    """``app.svg``: package data when installed, the checkout's ``resources/`` otherwise (the
    same two places ``gui/widgets/icons.py`` searches)."""
    package = Path(__file__).resolve().parent
    for folder in (package / "resources" / "icons", package.parent / "resources" / "icons"):
        if (folder / "app.svg").is_file():
            return folder / "app.svg"
    return None


def launcher_paths(data_home: Path | None = None) -> tuple[Path, Path]:
    """The launcher and its icon under ``$XDG_DATA_HOME``, where desktops look for them."""
    base = data_home or platformdirs.user_data_path()
    return (base / "applications" / f"{APP_ID}.desktop",
            base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")


def install_launcher(command: list[str], data_home: Path | None = None) -> list[Path]:
    """Write the launcher and its icon; returns what was written. Raises OSError."""
    entry, icon_path = launcher_paths(data_home)
    icon = _package_icon()
    if icon is None:
        raise FileNotFoundError("the app icon (resources/icons/app.svg) is missing from this installation")
    _write_atomically(icon_path, icon.read_bytes())
    _write_atomically(entry, launcher_entry(command, APP_ID).encode())
    return [entry, icon_path]


def remove_launcher(data_home: Path | None = None) -> list[Path]:
    """Remove what :func:`install_launcher` wrote; returns what was there."""
    removed = []
    for path in launcher_paths(data_home):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
