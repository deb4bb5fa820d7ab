"""The keys of Manage Trigger Conditions, as data: the dialog and the builder bind these, and the
Help ▸ Keyboard Shortcuts dialog lists :data:`CONDITION_SHORTCUTS`. Light on purpose (no Qt): the
shell imports it without loading the builder.

Keys are Qt's portable key-sequence strings (``QKeySequence(keys, PortableText)``); a help dialog
shows them with ``QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)``.
Every row move has two bindings: Ctrl+arrows, which window managers leave alone, and the older
Alt+Shift+arrows, which some take for themselves.
"""

from __future__ import annotations

UNDO = ("Ctrl+Z",)
REDO = ("Ctrl+Shift+Z", "Ctrl+Y")
MOVE_UP = ("Ctrl+Up", "Alt+Shift+Up")
MOVE_DOWN = ("Ctrl+Down", "Alt+Shift+Down")
INDENT = ("Ctrl+Right", "Alt+Shift+Right")
OUTDENT = ("Ctrl+Left", "Alt+Shift+Left")
COPY = ("Ctrl+Shift+C",)
SAVE = ("Ctrl+Return", "Ctrl+Enter")

CONDITION_SHORTCUTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (UNDO, "Undo the last change to the rows (add, delete, move, edit)"),
    (REDO, "Redo the change last undone"),
    (MOVE_UP, "Move the current row up (out of its group at the top)"),
    (MOVE_DOWN, "Move the current row down (out of its group at the bottom)"),
    (INDENT, "Move the current row into the group just above it (in a value field, Ctrl+Right "
              "moves the cursor by word)"),
    (OUTDENT, "Move the current row out of its group (in a value field, Ctrl+Left moves the "
               "cursor by word)"),
    (COPY, "Copy the expression to the clipboard"),
    (SAVE, "Save the condition"),
    (("Esc",), "Close; asks before discarding changes"),
)
"""``(keys, what they do)`` for each shortcut of the dialog, in the order a help dialog lists them."""


def hint(keys: tuple[str, ...]) -> str:
    """Keys for a tooltip: "Ctrl+Up or Alt+Shift+Up"."""
    return " or ".join(keys)
