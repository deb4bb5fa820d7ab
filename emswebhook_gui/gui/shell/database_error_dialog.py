"""The start-up dialog for a database the app cannot open: the words the CLI prints
(``store.errors.explain``), and a way to choose another database and try again.

Why a dialog, not a status-bar line: without a database nothing in the window works, and the cure
(another URL, the right password, a file that can be written) is the user's to choose. The choice
is a URL field (any ``sqlite://`` or ``postgresql://`` URL), a file chooser for a SQLite file
(existing or new), and "Use the default" (SQLite in the user data folder). The URL field never
shows the password of the URL it started from: that goes into a masked password field, which is
put back into the URL on Retry, so a user correcting a host name keeps the password, and a
screenshot of the dialog carries no secret. A URL the app cannot use at all (another scheme) is
refused inside the dialog, which stays open. Quit closes the app.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from emswebhook_gui.gui.widgets.fields import FieldErrorLabel, field_box
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.gui.widgets.layout import SPACING, hint_label
from emswebhook_gui.store import DatabaseURLError, default_database_path, explain, normalise_url, resolve_database_url

CONNECTION_HINT = "Choose another database below, or correct this one, then Retry."
OTHER_HINT = "Fix the cause (or choose another database below), then Retry."


def database_problem(exc: BaseException, url: str | None) -> tuple[str, bool] | None:
    """(the words, whether the cure is another URL) when ``exc`` is about the database; None
    otherwise (the app then reports it as any other start-up failure)."""
    if isinstance(exc, DatabaseURLError):
        return str(exc), True
    try:
        resolved = resolve_database_url(url)
    except Exception:
        resolved = url
    problem = explain(exc, resolved)
    if problem is None:
        return None
    return problem.message, problem.connection


def _split_password(url: str) -> tuple[str, str]:
    """(the URL without its password, the password) for the two fields."""
    try:
        parsed = make_url(url)
    except Exception:
        return url, ""
    if not parsed.password:
        return url, ""
    return parsed.set(password="").render_as_string(hide_password=False).replace(":@", "@", 1), str(parsed.password)


class DatabaseErrorDialog(QDialog):
    """Modal over the main window; ``chosen_url`` holds the URL to retry with after Retry."""

    def __init__(self, message: str, connection: bool, url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("databaseErrorDialog")
        self.setWindowTitle("Cannot open the database")
        self.setModal(True)
        self.chosen_url: str | None = None

        heading = QLabel("<b>The database cannot be used</b>")
        # the CLI's words, as a sentence: "Cannot connect to db.internal:5432 (host not found)."
        self.message_label = QLabel(message[:1].upper() + message[1:] + ("" if message.endswith(".") else "."))
        self.message_label.setObjectName("databaseErrorMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        advice = hint_label(CONNECTION_HINT if connection else OTHER_HINT)

        shown_url, password = _split_password(resolve_database_url(url))
        self.url_edit = QLineEdit(shown_url)
        self.url_edit.setObjectName("databaseUrl")
        self.url_edit.setPlaceholderText("sqlite:///path/file.db or postgresql://user@host:5432/db")
        self.url_edit.setClearButtonEnabled(True)
        self.password_edit = QLineEdit(password)
        self.password_edit.setObjectName("databasePassword")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("only for PostgreSQL URLs that need one")
        self.url_error = FieldErrorLabel()
        self.choose_button = QPushButton("Choose SQLite file…")
        self.choose_button.setObjectName("chooseSqliteFile")
        self.default_button = QPushButton("Use the default")
        self.default_button.setToolTip(f"SQLite in the user data folder: {default_database_path()}")
        self.choose_button.clicked.connect(self._choose_file)
        self.default_button.clicked.connect(self._use_default)
        self.url_edit.textChanged.connect(self._url_changed)
        self.file_dialog: QFileDialog | None = None

        choosers = QHBoxLayout()
        choosers.addWidget(self.choose_button)
        choosers.addWidget(self.default_button)
        choosers.addStretch(1)
        form = QFormLayout()
        form.setSpacing(SPACING)
        form.addRow("Database URL:", field_box(self.url_edit, self.url_error))
        form.addRow("Password:", self.password_edit)
        form.addRow("", choosers)

        buttons = QDialogButtonBox()
        self.retry_button = buttons.addButton("Retry", QDialogButtonBox.ButtonRole.AcceptRole)
        self.retry_button.setIcon(icon("retry"))
        self.retry_button.setObjectName("retryDatabase")
        self.retry_button.setDefault(True)
        self.quit_button = buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        self.quit_button.setObjectName("quitApp")
        self.retry_button.clicked.connect(self._retry)
        self.quit_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING)
        layout.addWidget(heading)
        layout.addWidget(self.message_label)
        layout.addWidget(advice)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(640, self.sizeHint().height())
        self._url_changed(self.url_edit.text())

    def _url_changed(self, text: str) -> None:
        self.url_error.show_error(None)
        self.retry_button.setEnabled(bool(text.strip()))
        try:
            postgres = make_url(text.strip()).get_backend_name() in ("postgresql", "postgres")
        except Exception:
            postgres = False
        self.password_edit.setEnabled(postgres)

    def _choose_file(self) -> None:
        """A non-native chooser opened without blocking the loop (qasync keeps delivering)."""
        current = self.url_edit.text().strip()
        start = str(default_database_path().parent)
        if current.startswith("sqlite:///"):
            start = current.removeprefix("sqlite:///")
        chooser = QFileDialog(self, "Choose a SQLite database file", start, "SQLite databases (*.db *.sqlite);;"
                              "All files (*)")
        chooser.setObjectName("sqliteFileChooser")
        chooser.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        chooser.setOption(QFileDialog.Option.DontConfirmOverwrite, True)  # an existing file is opened, not replaced
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)  # so a new file may be named too
        chooser.setFileMode(QFileDialog.FileMode.AnyFile)
        chooser.fileSelected.connect(lambda path: self.url_edit.setText(f"sqlite:///{path}"))
        self.file_dialog = chooser
        chooser.open()

    def _use_default(self) -> None:
        self.url_edit.setText(f"sqlite:///{default_database_path()}")

    def _retry(self) -> None:
        text = self.url_edit.text().strip()
        try:
            normalise_url(text)
            parsed = make_url(text)
        except DatabaseURLError as exc:
            self.url_error.show_error(str(exc))
            return
        password = self.password_edit.text()
        if password and self.password_edit.isEnabled() and not parsed.password:
            text = parsed.set(password=password).render_as_string(hide_password=False)
        self.chosen_url = text
        self.accept()


async def choose_database(parent: QWidget, message: str, connection: bool, url: str | None) -> str | None:
    """Show the dialog and wait (without a nested event loop) for the URL to retry with; None
    when the user chose Quit."""
    dialog = DatabaseErrorDialog(message, connection, url, parent)
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda result: finished.done() or finished.set_result(result))
    dialog.open()
    try:
        result = await finished
    finally:
        dialog.deleteLater()
    return dialog.chosen_url if result == QDialog.DialogCode.Accepted else None
