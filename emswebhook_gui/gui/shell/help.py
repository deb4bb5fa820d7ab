"""The Help menu's dialogs: About (version, database, data and log folders) and Keyboard Shortcuts.

The shortcuts are read from the window's actions when the dialog opens, never kept as a list of
their own here: a page that adds an action with a shortcut shows up without anyone editing this
file. The condition builder is a dialog of its own, opened on demand, so its keys cannot be read
from the main window: they come from the keys it binds itself, stated once as data in
``gui/conditions/shortcuts.py`` (``CONDITION_SHORTCUTS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.gui.conditions.shortcuts import CONDITION_SHORTCUTS

from emswebhook_gui import __version__
from emswebhook_gui.desktop_integration import APP_TITLE, default_database_path, log_directory, plain_database_url

CONDITION_BUILDER_TITLE = "Manage Trigger Conditions"

WINDOW_GROUP = "Everywhere"


@dataclass(frozen=True)
class Shortcut:
    group: str
    text: str
    keys: str


def _plain(text: str) -> str:
    """An action's text as a person reads it: no mnemonic ampersands, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def _keys(action: QAction) -> str:
    native = QKeySequence.SequenceFormat.NativeText
    return ", ".join(sequence.toString(native) for sequence in action.shortcuts() if not sequence.isEmpty())


def _group_of(action: QAction, window: QWidget, pages: dict[QWidget, str]) -> str | None:
    """The page an action belongs to (the page that owns it or its widget), "Everywhere" for
    the window's own, None for one of another window (a dialog the window keeps)."""
    owner = action.parent()
    while owner is not None and owner is not window:
        if owner in pages:
            return pages[owner]
        if isinstance(owner, QWidget) and owner.isWindow():
            return None
        owner = owner.parent()
    return WINDOW_GROUP


def collect_shortcuts(window: QWidget, pages: dict[QWidget, str]) -> list[Shortcut]:
    """Every action under ``window`` that has a shortcut, grouped by page (``pages`` maps each
    page widget to its title), in the window's order, plus the condition builder's keys."""
    found: list[Shortcut] = []
    seen: set[tuple[str, str, str]] = set()
    for action in window.findChildren(QAction):
        keys = _keys(action)
        if not keys or action.isSeparator():
            continue
        group = _group_of(action, window, pages)
        if group is None:
            continue
        entry = Shortcut(group, _plain(action.text()) or action.toolTip(), keys)
        if (entry.group, entry.text, entry.keys) not in seen:
            seen.add((entry.group, entry.text, entry.keys))
            found.append(entry)
    native = QKeySequence.SequenceFormat.NativeText
    found.extend(Shortcut(CONDITION_BUILDER_TITLE, what, ", ".join(QKeySequence(key).toString(native) for key in keys))
                 for keys, what in CONDITION_SHORTCUTS)
    order = [WINDOW_GROUP, *pages.values(), CONDITION_BUILDER_TITLE]
    return sorted(found, key=lambda s: order.index(s.group) if s.group in order else len(order))


class ShortcutsDialog(QDialog):
    """Help ▸ Keyboard Shortcuts: a two-column list, grouped by page."""

    def __init__(self, shortcuts: list[Shortcut], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutsList")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        groups: dict[str, QTreeWidgetItem] = {}
        for shortcut in shortcuts:
            group = groups.get(shortcut.group)
            if group is None:
                group = groups[shortcut.group] = QTreeWidgetItem(self.tree, [shortcut.group])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFirstColumnSpanned(True)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            QTreeWidgetItem(group, [shortcut.text, shortcut.keys])
        self.tree.expandAll()
        self.shortcuts = shortcuts
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.resize(560, 600)

    def rows(self) -> list[tuple[str, str, str]]:
        """(group, action, keys) as shown."""
        rows = []
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            rows.extend((group.text(0), group.child(i).text(0), group.child(i).text(1)) for i in range(group.childCount()))
        return rows


def masked_database_url(url: str) -> str:
    """The URL with any password shown as ``***``."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot read is shown without its userinfo
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class AboutFacts:
    version: str
    database: str
    data_folder: Path
    log_folder: Path

    @classmethod
    def gather(cls, database_url: str | None) -> "AboutFacts":
        url = masked_database_url(database_url) if database_url else plain_database_url(None)
        return cls(__version__, url, default_database_path().parent, log_directory())

    def text(self) -> str:
        return (f"{APP_TITLE} {self.version}\nDatabase: {self.database}\nData folder: {self.data_folder}\n"
                f"Log folder: {self.log_folder}")


class AboutDialog(QDialog):
    """Help ▸ About: what is running, on which database, and where its files are."""

    def __init__(self, facts: AboutFacts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_TITLE}")
        self.facts = facts
        from PySide6 import __version__ as pyside_version

        title = QLabel(f"<b>{APP_TITLE}</b> {facts.version}")
        title.setObjectName("aboutTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        title.setFont(font)
        blurb = QLabel("Webhook administration and delivery for Sentinel EMS style licensing events.")
        blurb.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, caption, value in (
            ("version", "Version", f"{facts.version} (Qt {pyside_version})"),
            ("database", "Database", facts.database),
            ("data", "Data folder", str(facts.data_folder)),
            ("logs", "Log folder", str(facts.log_folder) + ("" if facts.log_folder.is_dir() else " (no logs yet)")),
        ):
            label = QLabel(value)
            label.setObjectName(f"about_{key}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            form.addRow(caption, label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setToolTip("Copy the version, the database and the folders, e.g. for a bug report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(facts.text()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(blurb)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addStretch(1)  # a taller dialog (a window manager's) keeps the text together
        layout.addWidget(buttons)
        self.setMinimumWidth(min(560, max(360, QApplication.primaryScreen().availableGeometry().width() // 2)))
