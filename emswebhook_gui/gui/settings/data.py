"""The Settings page's "Data" group: the facts of ``emswebhook db info`` and its actions
(Back up..., Compact, Purge now...), through the same service methods as the CLI.

Back up... asks for a file with a non-modal dialog (no nested event loop under qasync) that
starts in the folder used last (QSettings). Compact is for SQLite only; on PostgreSQL it is
disabled and says that autovacuum reuses the space. Purge now applies the retention properties
at once, after a confirmation naming them; it is what every engine does hourly anyway.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from emswebhook_gui.gui.widgets.actions import alive, confirm
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SPACING, hint_label

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

FOLDER_KEY = "data/backupFolder"
NOTE = ("Retention: set retentionSuccessfulDays / retentionFailedDays (0 keeps forever) with "
        "'emswebhook config set'; IN_PROGRESS notifications are always kept.")


def _size(n: int | None) -> str:
    value = float(n or 0)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _days(n: int) -> str:
    return "forever" if not n else f"{n} days"


class DataSettings(QGroupBox):
    def __init__(self, bridge: "ServiceBridge", parent=None) -> None:
        super().__init__("Data", parent)
        self.setObjectName("dataGroup")
        self._bridge = bridge
        self.facts_label = QLabel("Reading…")
        self.facts_label.setObjectName("dataFacts")
        self.facts_label.setWordWrap(True)
        self.message = QLabel("")
        self.message.setObjectName("dataMessage")
        self.message.setWordWrap(True)
        self.backup_button = QPushButton(icon("copy"), "Back up…")
        self.compact_button = QPushButton(icon("check"), "Compact")
        self.purge_button = QPushButton(icon("retry"), "Purge now…")
        self.backup_button.setToolTip("A consistent copy of the SQLite store, taken while deliveries go on")
        self.compact_button.setToolTip("Give the space of purged notifications back to the file system")
        self.purge_button.setToolTip("Apply the retention now (every delivery service also does it hourly)")
        buttons = QHBoxLayout()
        for button in (self.backup_button, self.compact_button, self.purge_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(SPACING)
        layout.addWidget(self.facts_label)
        layout.addLayout(buttons)
        layout.addWidget(hint_label(NOTE))
        layout.addWidget(self.message)
        self.file_dialog: QFileDialog | None = None
        self.backup_button.clicked.connect(self._on_backup_button_clicked)
        self.compact_button.clicked.connect(self._on_compact_button_clicked)
        self.purge_button.clicked.connect(self._on_purge_button_clicked)
        bridge.sig_properties_changed.connect(self.refresh)
        sqlite = bridge.service.db.is_sqlite
        self.backup_button.setEnabled(sqlite)
        self.compact_button.setEnabled(sqlite)
        if not sqlite:
            self.backup_button.setToolTip("PostgreSQL: back it up with pg_dump")
            self.compact_button.setToolTip("PostgreSQL: autovacuum reuses the space of purged rows")
        self.refresh()

    def refresh(self) -> None:
        self._bridge.run(self._bridge.service.database_info, alive(self, self._show_facts),
                         alive(self, lambda exc: self.facts_label.setText(f"Cannot read the facts: {exc}")))

    def _show_facts(self, info: dict) -> None:
        counts = info["notifications"]
        last = info["lastPurge"]
        retention = info["retention"]
        lines = [
            f"<b>{info['total']:,}</b> notifications ({', '.join(f'{n:,} {s}' for s, n in counts.items())}), "
            f"{_size(info.get('sizeBytes'))} on disk",
            f"Oldest: {info['oldestNotification'] or '-'}",
            f"Retention: SUCCESSFUL {_days(retention['successfulDays'])}, FAILED {_days(retention['failedDays'])}",
            "Last purge: " + (f"{last['finishedAt']} ({last['purged']:,} removed)" if last else "never"),
        ]
        if "freeBytes" in info:
            lines.append(f"Free space in the file: {_size(info['freeBytes'])}")
        self.facts_label.setText("<br>".join(lines))

    # -- actions ----------------------------------------------------------------------------------

    def _on_backup_button_clicked(self) -> None:
        folder = QSettings().value(FOLDER_KEY, str(Path.home()))
        self.file_dialog = dialog = QFileDialog(self, "Back up the database", str(folder), "SQLite (*.db)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("db")
        dialog.selectFile("emswebhook-backup.db")
        dialog.fileSelected.connect(alive(self, self.backup_to))
        dialog.open()

    def backup_to(self, path: str) -> None:
        QSettings().setValue(FOLDER_KEY, str(Path(path).parent))
        self.message.setText("Backing up…")
        self._bridge.run(functools.partial(self._bridge.service.backup_database, path),
                         alive(self, lambda r: self.message.setText(
                             f"Backed up {r['notifications']:,} notifications to {r['file']} ({_size(r['bytes'])}).")),
                         alive(self, lambda exc: self.message.setText(str(exc))))

    def _on_compact_button_clicked(self) -> None:
        self.message.setText("Compacting…")
        self._bridge.run(self._bridge.service.compact_database, alive(self, self._on_compacted),
                         alive(self, lambda exc: self.message.setText(str(exc))))

    def _on_compacted(self, result: dict) -> None:
        self.message.setText(f"Compacted: {_size(result['bytesFreed'])} freed.")
        self.refresh()

    def _on_purge_button_clicked(self) -> None:
        self.confirm_box = confirm(
            self, "Purge now?", "Notifications older than the retention are deleted with their bodies and "
            "attempts (IN_PROGRESS ones are kept). This cannot be undone.", "Purge", self._purge)

    def _purge(self) -> None:
        self.message.setText("Purging…")
        self._bridge.run(self._bridge.service.purge_expired, alive(self, self._on_purged),
                         alive(self, lambda exc: self.message.setText(str(exc))))

    def _on_purged(self, result: dict) -> None:
        self.message.setText(f"Purged {result['purged']:,} notifications.")
        self.refresh()
