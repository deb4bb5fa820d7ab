"""The app as a citizen of the desktop: one app per database, start at login, the menu launcher,
quitting on SIGTERM without a question, the keyring banner, the log folder.

The single-instance and SIGTERM tests run the real ``python -m emswebhook_gui`` (offscreen) as
child processes; ``TMPDIR`` points Qt's local sockets into the test's folder, so the children and
the test agree on where the sockets are and nothing is left in the machine's /tmp.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import plistlib
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QObject, QSettings, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from xdg.DesktopEntry import DesktopEntry

from emswebhook_gui import desktop_integration as desktop
from emswebhook_gui.gui.profiles.form import ProfileForm
from emswebhook_gui.gui.settings.page import SettingsPage
from emswebhook_gui.gui.shell.banner import HEADLESS_BACKEND_SETTING
from emswebhook_gui.gui.shell.main_window import TRAY_HINT_TITLE, MainWindow
from emswebhook_gui.gui.shell.single_instance import server_name
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from emswebhook_gui.store import database as store_database
from tests.support.gui import GuiEnv, shown
from tests.support.keyrings import FileKeyring
from tests.support.receiver import Receiver
from tests.support.waiting import until

REPO = Path(__file__).resolve().parents[1]
HANDOVER_LIMIT_S = 2.0
"""Issue 14: a second start on the same database exits 0 within 2 s."""
SIGTERM_LIMIT_S = 10.0


def _child_env(tmp_path: Path, **extra: str) -> dict:
    env = dict(os.environ)
    for key in ("EMSWEBHOOK_DATABASE_URL", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(key, None)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        TMPDIR=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PYTHON_KEYRING_BACKEND="tests.support.keyrings.FileKeyring",
        EMSWEBHOOK_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _prepare_database(url: str) -> None:
    """Schema made, and the REST API on a port of its own (two apps, and other tests, run at once)."""
    service = await WebhookService.open(url, secrets=SecretStore(fail.Keyring()))
    try:
        await service.set_property("apiPort", _free_port())
    finally:
        await service.close()


def _listening(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _start_app(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "emswebhook_gui", *args], env=env, cwd=env["TMPDIR"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _hand_over(env: dict, *args: str, timeout: float = HANDOVER_LIMIT_S) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-m", "emswebhook_gui", *args], env=env, cwd=env["TMPDIR"],
                           capture_output=True, text=True, timeout=timeout)
    return child, time.monotonic() - started


def _stop(app: subprocess.Popen) -> str:
    if app.poll() is None:
        app.terminate()
    try:
        _out, err = app.communicate(timeout=SIGTERM_LIMIT_S)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0, err
    return err


# -- one app per database -----------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets: the stale-socket case is Unix's")
@pytest.mark.timeout(90)
def test_a_second_start_on_the_same_database_hands_over_and_another_database_runs_beside(tmp_path):
    env = _child_env(tmp_path)
    first_db = f"sqlite:///{tmp_path / 'first.db'}"
    other_db = f"sqlite:///{tmp_path / 'other.db'}"
    asyncio.run(_prepare_database(first_db))
    asyncio.run(_prepare_database(other_db))
    first_socket = tmp_path / server_name(first_db)
    other_socket = tmp_path / server_name(other_db)
    assert first_socket != other_socket

    # a crashed instance's socket: the file is there, nobody listens
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(first_socket))
    stale.close()
    assert first_socket.exists() and not _listening(first_socket)

    first = _start_app(env, "--db", first_db, "--minimized")
    other = None
    try:
        asyncio.run(until(_async(lambda: _listening(first_socket) or first.poll() is not None), timeout=30))
        assert first.poll() is None, first.communicate()[1]
        asyncio.run(_until_delivering(first_db))  # started up: the hand-over is timed against a running app

        # the same database, spelled differently (relative to the children's folder); this first
        # hand-over is not timed (it also warms the file cache), the raise below is
        quiet, _ = _hand_over(env, "--db", "sqlite:///first.db", "--minimized", timeout=SIGTERM_LIMIT_S)
        assert quiet.returncode == 0, quiet.stderr
        assert "already running on this database" in quiet.stdout
        assert "window minimized" in quiet.stdout  # --minimized without a tray: minimized

        raised, seconds = _hand_over(env, "--db", first_db)
        assert raised.returncode == 0, raised.stderr
        assert "its window is in front" in raised.stdout, raised.stdout  # the first one's answer
        print(f"hand-over took {seconds:.2f} s")

        again, _ = _hand_over(env, "--db", first_db, "--minimized", timeout=SIGTERM_LIMIT_S)
        assert "window shown" in again.stdout  # the raise really took it out of minimized

        other = _start_app(env, "--db", other_db)
        asyncio.run(until(_async(lambda: _listening(other_socket) or other.poll() is not None), timeout=30))
        assert other.poll() is None and first.poll() is None  # two databases, two apps
    finally:
        for app in (first, other):
            if app is not None:
                _stop(app)


async def _until_delivering(url: str, count: int = 1) -> None:
    service = await WebhookService.open(url, secrets=SecretStore(fail.Keyring()))
    try:
        async def registered():
            return len((await service.delivery_status())["services"]) >= count

        await until(registered, timeout=30, interval=0.1)
    finally:
        await service.close()


def _async(predicate):
    async def check():
        return predicate()

    return check


def test_the_light_database_identity_agrees_with_the_service(tmp_path, monkeypatch):
    """The single-instance key and ``--db`` of login entries restate the service's resolution
    without importing the store; they must name the same database the service opens."""
    from sqlalchemy.engine import make_url

    monkeypatch.chdir(tmp_path)
    assert desktop.default_database_path() == store_database.default_database_path()
    assert desktop._ENV_DATABASE_URL == store_database.ENV_DATABASE_URL  # noqa: SLF001
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    spellings = [
        None, "sqlite:///a.db", f"sqlite:///{tmp_path}/a.db", "sqlite:///link/b%20c.db", "sqlite:///x.db?mode=ro",
        "postgresql://u:p%40ss@DB.example:5432/emswebhooks?options=-csearch_path%3Dx",
        "postgres://u@h/db", "postgresql+psycopg://u@[::1]:5433/db",
    ]
    for url in spellings:
        service = make_url(store_database.normalise_url(store_database.resolve_database_url(url)))
        ours = make_url(store_database.normalise_url(desktop.plain_database_url(url)))
        if service.get_backend_name() == "sqlite":
            assert ours.database == str(Path(service.database).resolve()), url
        else:
            assert (ours.username, ours.host.lower(), ours.port, ours.database) == (
                service.username, service.host.lower(), service.port, service.database), url
        assert ours.query == service.query and ours.password is None, url
    assert desktop.plain_database_url("sqlite:///link/b%20c.db") == desktop.plain_database_url(
        f"sqlite:///{tmp_path}/real/b c.db")
    monkeypatch.setenv(store_database.ENV_DATABASE_URL, "sqlite:///from-env.db")
    assert desktop.database_option(None) == ["--db", f"sqlite:///{tmp_path}/from-env.db"]
    monkeypatch.delenv(store_database.ENV_DATABASE_URL)
    assert desktop.database_option(None) == []
    assert desktop.database_option("postgresql://u:secret@h/db") == ["--db", "postgresql://u@h/db"]


# -- start at login ------------------------------------------------------------------------------


def _exec_arguments(entry: DesktopEntry) -> list[str]:
    """The Exec key as a desktop runs it (Desktop Entry Specification, "The Exec key"): the
    string escapes first (pyxdg returns the raw value), then the quoting (double quotes, inside
    which a backslash escapes ``"`` `` ` `` ``$`` and itself), then ``%%`` is a literal ``%``."""
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), entry.getExec())
    arguments, current, quoted, started, chars = [], [], False, False, iter(value)
    for char in chars:
        if quoted and char == "\\":
            escaped = next(chars)
            assert escaped in '"`$\\', f"a backslash before {escaped!r} is not allowed in a quoted argument"
            current.append(escaped)
        elif char == '"':
            quoted, started = not quoted, True
        elif char == " " and not quoted:
            if current or started:
                arguments.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
    assert not quoted, "unbalanced quotes"
    if current or started:
        arguments.append("".join(current))
    return [argument.replace("%%", "%") for argument in arguments]


def _valid_entry(path: Path) -> DesktopEntry:
    entry = DesktopEntry(str(path))
    entry.validate()  # raises on errors
    assert not entry.errors, entry.errors
    return entry


def test_the_start_at_login_toggle_writes_and_removes_the_autostart_entry(gui_env, qtbot, isolated_environment):
    page = shown(SettingsPage(gui_env.bridge), qtbot, 900, 700)
    path = isolated_environment / "config" / "autostart" / "emswebhook-gui.desktop"
    assert not page.login_check.isChecked()

    page.login_check.click()  # the clicked signal a user's click gives (the box may be scrolled away)
    assert path.is_file()
    entry = _valid_entry(path)
    assert entry.getType() == "Application" and entry.getName() == "EMS Webhooks"
    arguments = _exec_arguments(entry)
    database = gui_env.service.db.display_location
    assert arguments[1:] == ["--minimized", "--db", f"sqlite:///{database}"]
    assert "starts in the tray when you log in" in page.banner.text()
    # the command is this installation's, and it runs (--version answers without opening the app)
    version = subprocess.run([*arguments[:1], "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("emswebhook-gui ")

    page.login_check.click()  # the clicked signal a user's click gives (the box may be scrolled away)
    assert not path.exists() and not page.login_check.isChecked()

    # turned off in the desktop's own settings: the page shows it off
    page.login_check.click()
    path.write_text(path.read_text() + "Hidden=true\n")
    page.hide()
    page.show()
    assert not page.login_check.isChecked()


def test_start_at_login_says_why_when_the_entry_cannot_be_written(gui_env, qtbot, isolated_environment):
    (isolated_environment / "config").mkdir(parents=True, exist_ok=True)
    (isolated_environment / "config" / "autostart").write_text("a file where the folder should be")
    page = shown(SettingsPage(gui_env.bridge), qtbot, 900, 700)
    page.login_check.click()  # the clicked signal a user's click gives (the box may be scrolled away)
    assert not page.login_check.isChecked()
    assert page.login_error.isVisible() and "Start at login: cannot write" in page.login_error.text()


def test_the_launch_agent_runs_the_app_minimized_at_login(tmp_path):
    agent = desktop.LaunchAgentAutostart(home=tmp_path)
    assert not agent.is_enabled()
    agent.enable(["/opt/ems/bin/emswebhook-gui", "--minimized"])
    plist = plistlib.loads((tmp_path / "Library" / "LaunchAgents" / "org.emswebhook.gui.plist").read_bytes())
    assert plist["ProgramArguments"] == ["/opt/ems/bin/emswebhook-gui", "--minimized"]
    assert plist["RunAtLoad"] is True and plist["Label"] == "org.emswebhook.gui"
    assert agent.is_enabled()
    agent.disable()
    assert not agent.is_enabled()


def test_exec_keeps_every_argument_whole(tmp_path):
    odd = ["/opt/my apps/bin/emswebhook-gui", "--db", 'sqlite:////home/$USER/100% "ems"/a`b\\c.db', "--minimized"]
    path = tmp_path / "odd.desktop"
    path.write_text(desktop.launcher_entry(odd, "emswebhook-gui"))
    assert _exec_arguments(_valid_entry(path)) == odd


def test_install_desktop_entry_writes_the_launcher_and_icon_and_opens_nothing(tmp_path):
    env = _child_env(tmp_path)
    del env["QT_QPA_PLATFORM"]  # with no display either, a QApplication would abort the process
    installed = subprocess.run([sys.executable, "-m", "emswebhook_gui", "--install-desktop-entry"],
                               env=env, capture_output=True, text=True, timeout=30)
    assert installed.returncode == 0, installed.stderr
    launcher = tmp_path / "data" / "applications" / "emswebhook-gui.desktop"
    icon = tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "emswebhook-gui.svg"
    assert installed.stdout.splitlines() == [f"wrote {launcher}", f"wrote {icon}"]
    entry = _valid_entry(launcher)
    assert entry.getIcon() == "emswebhook-gui" and "Network" in entry.getCategories()
    assert _exec_arguments(entry) == desktop.app_command()  # the default database: no --db
    assert icon.read_bytes() == (REPO / "resources" / "icons" / "app.svg").read_bytes()

    removed = subprocess.run([sys.executable, "-m", "emswebhook_gui", "--remove-desktop-entry"],
                             env=env, capture_output=True, text=True, timeout=30)
    assert removed.returncode == 0 and not launcher.exists() and not icon.exists()


# -- quitting --------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.timeout(90)
@pytest.mark.asyncio
async def test_sigterm_with_deliveries_in_flight_quits_without_a_question_and_finishes_them(tmp_path, monkeypatch):
    env = _child_env(tmp_path)
    monkeypatch.setenv("EMSWEBHOOK_TEST_KEYRING_FILE", env["EMSWEBHOOK_TEST_KEYRING_FILE"])  # shared with the app
    url = f"sqlite:///{tmp_path / 'store.db'}"
    await _prepare_database(url)
    async with Receiver() as slow, Receiver() as stuck:
        slow.answer(sleep=1.5)  # finishes within the engine's grace period
        stuck.answer(sleep=60)  # does not: given back, still due
        service = await WebhookService.open(url, secrets=SecretStore(FileKeyring()))
        stack = contextlib.ExitStack()
        try:
            await service.set_property("allowPrivateEndpoints", True)
            await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
            for name, receiver in (("Slow", slow), ("Stuck", stuck)):
                await service.create_webhook({"name": name, "event": "Namespace Added", "authProfile": "Basic",
                                              "endpointUrl": receiver.url()})
            # published before the app starts, so its first look at the queue finds them pending:
            # a close would ask "Quit?" now (the old SIGTERM path waited for that answer forever)
            await service.publish({"event": "Namespace Added", "activity": "Add Namespace", "entityId": "N-1"})
            app = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "emswebhook_gui", "--db", url, env=env, cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            stack.callback(lambda: app.returncode is None and app.kill())
            try:
                await until(_async(lambda: app.returncode is not None or (slow.requests and stuck.requests)),
                            timeout=40)
            except AssertionError:  # say what the app said (it failed once in a full run, never alone)
                app.kill()
                _out, err = await app.communicate()
                raise AssertionError(f"the app did not send both within 40 s (slow: {len(slow.requests)}, "
                                     f"stuck: {len(stuck.requests)}); its stderr ends:\n{err.decode()[-4000:]}") from None
            assert app.returncode is None

            signalled = time.monotonic()
            app.terminate()
            _out, err = await asyncio.wait_for(app.communicate(), SIGTERM_LIMIT_S)
            took = time.monotonic() - signalled
            assert app.returncode == 0, err.decode()
            print(f"SIGTERM to exit: {took:.1f} s")
            assert b"Traceback" not in err, err.decode()

            by_webhook = {item["webhookName"]: item for item in (await service.search_notifications({}))["items"]}
            assert by_webhook["Slow"]["status"] == "SUCCESSFUL"  # the request in flight finished
            assert by_webhook["Stuck"]["status"] == "IN_PROGRESS"  # given back, nothing lost
            assert (await service.delivery_status())["services"] == []  # the app unregistered itself
        finally:
            stack.close()
            await service.close()


@pytest.fixture
def engineless_env(qapp, sqlite_url, memory_keyring):
    """No engine in this process: what is published stays pending."""
    env = GuiEnv(qapp, sqlite_url, memory_keyring, engine=False)
    yield env
    env.close()


def test_the_quit_question_says_stops_deliveries_only_when_nobody_carries_on(engineless_env, qtbot, tmp_path, host):
    gui_env = engineless_env
    window = MainWindow(settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.install_pages(gui_env.bridge)
    window.show()
    quits = []
    window.sig_quit_requested.connect(lambda: quits.append(True))

    async def body():
        service = gui_env.service
        await service.create_profile({"name": "P", "type": "basic", "username": "u", "password": "p"})
        await service.create_webhook({"name": "W", "event": "Namespace Added", "authProfile": "P",
                                      "endpointUrl": "https://hooks.example.com/x"})
        for number in range(3):
            await service.publish({"event": "Namespace Added", "activity": "Add Namespace", "entityId": f"N-{number}"})
        await gui_env.until(lambda: window.pending_deliveries == 3)
        window.close()
        await gui_env.until(lambda: window.confirm_quit_box is not None and window.confirm_quit_box.isVisible())
        text = window.confirm_quit_box.text()
        assert "3 notifications are still waiting" in text and "stops deliveries" in text
        window.confirm_quit_box.reject()

        await gui_env.service.register_instance("db-host-b:4242:0a1b2c3d", "serve")
        window.close()
        await gui_env.until(lambda: window.confirm_quit_box.isVisible()
                            and "carries on" in window.confirm_quit_box.text())
        text = window.confirm_quit_box.text()
        assert "stops deliveries" not in text
        # the registry records the registering process's own host and PID (instances.register)
        assert f"emswebhook serve on {socket.gethostname()} (process {os.getpid()})" in text
        window.confirm_quit_box.reject()
        assert quits == [] and window.isVisible()

        window.quitting = True  # SIGTERM, logout, Quit in a menu: no question
        window.close()
        assert quits == [] and not window.isVisible()

    gui_env.run(body())


# -- without a keyring -----------------------------------------------------------------------------


@pytest.fixture
def no_keyring_env(qapp, sqlite_url):
    env = GuiEnv(qapp, sqlite_url, fail.Keyring())
    yield env
    env.close()


def test_without_a_keyring_the_profile_dialog_says_why_and_the_banner_says_what_to_set(
        no_keyring_env, qtbot, tmp_path):
    env = no_keyring_env
    window = MainWindow(settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.install_pages(env.bridge)
    window.show()

    async def body():
        env.bridge.check_secret_store()
        await env.until(window.secret_store_banner.isVisible)
        assert HEADLESS_BACKEND_SETTING in window.secret_store_banner.text()
        assert window.secret_store_banner.mapTo(window, window.secret_store_banner.rect().topLeft()).y() < \
            window.stack.mapTo(window, window.stack.rect().topLeft()).y()  # above the pages

        form = ProfileForm(env.bridge, None, window)
        form.open()
        qtbot.keyClicks(form.name_edit, "ERP")
        qtbot.keyClicks(form.username_edit, "ems")
        qtbot.keyClicks(form.password_edit, "pa55word")
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        await env.until(form.form_error.isVisible)
        assert "keyring" in form.form_error.text() and "Nothing was saved" in form.form_error.text()
        assert form.isVisible() and form.name_edit.isEnabled() and form.save_button.isEnabled()
        assert await env.service.list_profiles() == []
        form.reject()

    env.run(body())


def test_an_unexpected_failure_ends_the_operation_that_caused_it(gui_env):
    failures, errors = [], []
    gui_env.bridge.sig_error.connect(errors.append)

    async def broken():
        raise KeyError("lost")

    async def body():
        gui_env.bridge.run(broken, lambda _result: None, failures.append)
        await gui_env.until(lambda: failures)
        assert "Unexpected error: KeyError" in str(failures[0]) and errors == []

    gui_env.run(body())


# -- help ------------------------------------------------------------------------------------------


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_help_opens_the_log_folder_once_it_exists(qtbot, tmp_path, isolated_environment):
    """Help ▸ Open Log Folder is enabled once there is a folder of logs (the app's logging makes
    it at start-up), and opens it in the file manager."""
    window = MainWindow(settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    folder = isolated_environment / "state" / "emswebhook-gui" / "log"
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")  # Qt's own hook in place of a file manager
    try:
        help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
        action = window.open_log_folder_action
        assert action in help_menu.actions()
        help_menu.aboutToShow.emit()
        assert not folder.exists() and not action.isEnabled() and str(folder) in action.toolTip()
        action.trigger()  # disabled: nothing happens
        assert catcher.urls == [] and not folder.exists()

        folder.mkdir(parents=True)
        help_menu.aboutToShow.emit()
        assert action.isEnabled()
        action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(url.toLocalFile()) for url in catcher.urls] == [folder]


def test_a_quit_in_progress_closes_the_window_even_with_a_tray(qtbot, tmp_path, monkeypatch):
    """The end of the session closes every window: with a tray, the window must not hide itself
    (refusing the close would cancel the logout)."""
    from emswebhook_gui.gui.shell.tray import TrayIcon

    tray = TrayIcon()
    hints = []
    monkeypatch.setattr(tray, "isVisible", lambda: True)  # offscreen has no tray to show it in
    monkeypatch.setattr(tray, "showMessage", lambda title, *args: hints.append(title))
    window = MainWindow(tray=tray, settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.session_ending = True  # what the app sets on commitDataRequest
    assert window.close()  # accepted, not ignored-and-hidden
    assert hints == []

    window.show_and_raise()  # the logout was cancelled and the user opened the window again
    window.close()
    assert hints == [TRAY_HINT_TITLE]  # back to hiding in the tray
