"""The GUI's icons, looked up by name so a missing file is one test failure, not a blank button.

The SVGs live in the repository's top-level ``resources/icons/``. An installed package may carry
them as package data in ``emswebhook_gui/resources/icons/`` instead, so that directory is searched
first and the checkout's second. Every name the code passes to :func:`icon` must be listed in
:data:`ICON_NAMES`; ``tests/test_gui_shell.py`` checks both that and that each file exists.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QIcon

_log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parents[2]
ICON_DIRS: tuple[Path, ...] = (
    _PACKAGE_DIR / "resources" / "icons",
    _PACKAGE_DIR.parent / "resources" / "icons",
)
"""Where icons are searched, in order: installed package data, then the source checkout."""

ICON_NAMES: tuple[str, ...] = (
    "app",
    "overview",
    "webhooks",
    "profiles",
    "deliveries",
    "settings",
    "tray-ok",
    "tray-warning",
    "tray-paused",
    "add",
    "edit",
    "delete",
    "retry",
    "copy",
    "check",
    "send",
    "power",
)


def icon_path(name: str) -> Path | None:
    """The SVG file for ``name``, or None when no search directory holds it."""
    for directory in ICON_DIRS:
        candidate = directory / f"{name}.svg"
        if candidate.is_file():
            return candidate
    return None


def icon(name: str) -> QIcon:
    """The icon called ``name``; an empty icon (and a logged error) when its file is missing.

    A missing icon must not stop the app from starting, so this does not raise; the shell test is
    what keeps the set complete. QIcon renders the SVG lazily, so building one is cheap.
    """
    path = icon_path(name)
    if path is None:
        _log.error("icon %r not found in %s", name, ", ".join(map(str, ICON_DIRS)))
        return QIcon()
    return QIcon(str(path))
