"""The question asked before the window quits with deliveries pending (no tray to go on in):
whether anyone carries on with them, in words a user can act on."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from emswebhook_gui.wording import plural


def quit_question(parent: QWidget, pending: int, others: list[dict]) -> QMessageBox:
    """The Quit? box (not yet open): ``others`` are the other live delivery services."""
    waiting = f"{plural(pending)} {'is' if pending == 1 else 'are'} still waiting to be delivered."
    if others:
        kinds = {"serve": "emswebhook serve", "gui": "the app"}
        names = ", ".join(f"{kinds.get(s['kind'], s['kind'])} on {s['host']} (process {s['pid']})"
                          for s in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        text = (f"{waiting} The delivery services {names}{more} on this database carry on with "
                "them after this app quits." if len(others) > 1 else
                f"{waiting} The delivery service {names} on this database carries on with them "
                "after this app quits.")
    else:
        text = (f"{waiting} Quitting stops deliveries until the app (or 'emswebhook serve') runs "
                "again; nothing is lost.")
    box = QMessageBox(
        QMessageBox.Icon.Question, "Quit EMS Webhooks?", text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.button(QMessageBox.StandardButton.Yes).setText("Quit")
    box.setObjectName("confirmQuit")
    return box
