"""The app's start-up with a database it cannot open: the same words as the CLI in a dialog, and a
way to choose another database (a URL, a SQLite file, the default) and retry, or quit."""

import os
import socket
import subprocess
import sys
import textwrap

from PySide6.QtWidgets import QLineEdit

from emswebhook_gui.gui.shell.database_error_dialog import DatabaseErrorDialog
from emswebhook_gui.store import default_database_path
from tests.conftest import REPO

SECRET = "Pa55-never-shown"


def dialog(qtbot, url, message="cannot connect to db.internal:5432 (host not found)"):
    widget = DatabaseErrorDialog(message, True, url)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_password_stays_masked_and_is_kept_on_retry(qtbot):
    widget = dialog(qtbot, f"postgresql://ems:{SECRET}@db.internal:5432/hooks")
    assert widget.message_label.text() == "Cannot connect to db.internal:5432 (host not found)."
    assert widget.url_edit.text() == "postgresql://ems@db.internal:5432/hooks"
    assert SECRET not in widget.url_edit.text()
    assert widget.password_edit.echoMode() == QLineEdit.EchoMode.Password
    widget.url_edit.setText("postgresql://ems@db2.internal:5432/hooks")
    with qtbot.waitSignal(widget.finished):
        widget.retry_button.click()
    assert widget.chosen_url == f"postgresql://ems:{SECRET}@db2.internal:5432/hooks"


def test_an_unusable_url_is_refused_in_the_dialog(qtbot):
    widget = dialog(qtbot, "sqlite:////tmp/x.db")
    assert not widget.password_edit.isEnabled()  # no password for a file
    widget.url_edit.setText("mysql://root@localhost/db")
    widget.retry_button.click()
    assert widget.isVisible() and widget.chosen_url is None
    assert "is not supported; use sqlite:// or postgresql://" in widget.url_error.text()
    widget.url_edit.setText("")
    assert not widget.retry_button.isEnabled()
    widget.default_button.click()
    assert widget.url_edit.text() == f"sqlite:///{default_database_path()}"
    with qtbot.waitSignal(widget.finished):
        widget.quit_button.click()
    assert widget.chosen_url is None


def test_a_sqlite_file_is_chosen_with_the_file_chooser(qtbot, tmp_path):
    widget = dialog(qtbot, "postgresql://ems@db.internal:5432/hooks")
    widget.choose_button.click()
    chooser = widget.file_dialog
    qtbot.waitUntil(chooser.isVisible)
    chooser.selectFile(str(tmp_path / "chosen.db"))
    chooser.accept()
    assert widget.url_edit.text() == f"sqlite:///{tmp_path / 'chosen.db'}"
    with qtbot.waitSignal(widget.finished):
        widget.retry_button.click()
    assert widget.chosen_url == f"sqlite:///{tmp_path / 'chosen.db'}"


CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from emswebhook_gui.gui.shell import app as gui_app
    from emswebhook_gui.gui.shell.database_error_dialog import DatabaseErrorDialog

    bad, good, then = sys.argv[1:4]

    def find_dialog():
        app = QApplication.instance()
        for widget in app.topLevelWidgets():
            if isinstance(widget, DatabaseErrorDialog) and widget.isVisible():
                print("dialog:", widget.message_label.text(), "|", widget.url_edit.text(), flush=True)
                if then == "quit":
                    widget.quit_button.click()
                else:
                    widget.url_edit.setText(good)
                    widget.retry_button.click()
                    QTimer.singleShot(50, started)
                return
        QTimer.singleShot(50, find_dialog)

    def started():
        app = QApplication.instance()
        if not app.shutdown_hooks:
            QTimer.singleShot(50, started)
            return
        print("started on", app.db_url, flush=True)
        app.quit()

    QTimer.singleShot(0, find_dialog)
    print("exit", gui_app.main(["--db", bad]), flush=True)
    """
)


def run_app(tmp_path, bad, good, then):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.pop("EMSWEBHOOK_DATABASE_URL", None)
    child = subprocess.run([sys.executable, "-c", CHILD, bad, good, then], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    assert SECRET not in child.stdout + child.stderr
    return child.stdout.splitlines()


def test_the_app_asks_for_another_database_and_starts_on_it(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bad = f"postgresql://ems:{SECRET}@127.0.0.1:{port}/hooks"
    good = f"sqlite:///{tmp_path / 'chosen.db'}"
    lines = run_app(tmp_path, bad, good, "retry")
    assert lines == [f"dialog: Cannot connect to 127.0.0.1:{port} (connection refused: no server listens there). | "
                     f"postgresql://ems@127.0.0.1:{port}/hooks",
                     f"started on {good}", "exit 0"]
    assert (tmp_path / "chosen.db").exists()


def test_quit_in_the_dialog_closes_the_app(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    lines = run_app(tmp_path, f"sqlite:///{blocker}/store.db", "", "quit")
    assert lines[0].startswith(f"dialog: Cannot create {blocker}/store.db: ")
    assert lines[1:] == ["exit 0"]
