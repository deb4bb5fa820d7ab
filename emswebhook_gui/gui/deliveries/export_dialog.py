"""Event Deliveries' "Export...": the current filter's notifications written to a file, with a
progress dialog that can be cancelled.

The file chooser is non-modal (no nested event loop under qasync) and starts in the folder used
last (QSettings); the format follows the chosen name (``.ndjson`` / ``.jsonl``: NDJSON with the
payload and attempts; anything else: CSV). The export streams from the service batch by batch,
into a file beside the target that is renamed only when complete, so a cancelled or failed
export never leaves a truncated file under the chosen name.
"""

from __future__ import annotations

import asyncio
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

FOLDER_KEY = "export/folder"


def format_for(path: str) -> str:
    return "ndjson" if Path(path).suffix.lower() in (".ndjson", ".jsonl") else "csv"


def choose_file(parent: QWidget, on_chosen) -> QFileDialog:
    folder = QSettings().value(FOLDER_KEY, str(Path.home()))
    dialog = QFileDialog(parent, "Export notifications", str(folder),
                         "CSV (*.csv);;NDJSON with payloads and attempts (*.ndjson)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile("notifications.csv")
    dialog.fileSelected.connect(on_chosen)
    dialog.open()
    return dialog


class ExportRun:
    """One export: the task, its progress dialog, and the outcome (``done``, ``cancelled``, ``error``)."""

    def __init__(self, bridge: "ServiceBridge", parent: QWidget, filters: dict, path: str) -> None:
        QSettings().setValue(FOLDER_KEY, str(Path(path).parent))
        self.path = Path(path)
        self.filters = dict(filters)
        self.format = format_for(path)
        self.rows = 0
        self.done = self.cancelled = False
        self.error: str | None = None
        self.progress = QProgressDialog("Exporting notifications…", "Cancel", 0, 0, parent)
        self.progress.setWindowTitle("Export")
        self.progress.setMinimumDuration(0)
        self.progress.canceled.connect(self.cancel)
        self.progress.show()
        self.task = bridge.run(functools.partial(self._export, bridge), None, self._failed)

    async def _export(self, bridge: "ServiceBridge") -> None:
        service = bridge.service
        total = await service.count_notifications(self.filters)
        self.progress.setMaximum(max(total, 1))
        partial = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        try:
            with open(partial, "w", encoding="utf-8", newline="") as out:
                async for chunk in service.export_notifications(self.filters, self.format):
                    out.write(chunk)
                    self.rows += chunk.count("\n") if self.format == "ndjson" else chunk.count("\r\n")
                    self.progress.setValue(min(self.rows, self.progress.maximum()))
            if self.format == "csv":
                self.rows -= 1  # the header
            os.replace(partial, self.path)
            self.done = True
            self.progress.setLabelText(f"Exported {self.rows:,} notifications to {self.path}.")
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        except OSError as exc:
            self._failed(exc)
        finally:
            partial.unlink(missing_ok=True)
            self.progress.reset()

    def cancel(self) -> None:
        if not self.task.done():
            self.cancelled = True
            self.task.cancel()

    def _failed(self, exc: Exception) -> None:
        self.error = f"cannot export to {self.path}: {getattr(exc, 'strerror', None) or exc}"
        self.progress.reset()
