"""The main window: a navigation list on the left, one page per area of the product on the right.

The pages are placeholders until their own issues fill them; :data:`PAGES` is the one list of
areas (the nav, the stack and the Ctrl+1..4 shortcuts are all built from it), so adding a page
means adding a row there and a widget in :meth:`MainWindow._create_page`.

Closing the window is not quitting while a tray icon exists: deliveries continue in the
background (DESIGN.md section 5), so the window hides and says so once. Without a tray (headless
Linux, some desktops) a hidden window would be unreachable, so closing asks the app to quit, and
first asks the user while notifications are waiting: that question is only for the user's own
close. A quit the app is already carrying out (a signal, the end of the session, Quit in a menu:
:attr:`MainWindow.quitting`) closes without a word. The question says "stops deliveries" only
when no other live delivery service on the database carries on with them.

Above the pages, a persistent banner (:mod:`~emswebhook_gui.gui.shell.banner`) says when no keyring can
keep secrets.

The window is the one owner of the user's own settings (QSettings): geometry, the page, and the
theme (:mod:`~emswebhook_gui.gui.shell.theme`), which it applies before anything is shown and hands to
the Settings page. Nothing in it sets a minimum width of its own beyond the navigation's, so it
fits a 1,024 × 700 screen, and 1,600 px at 1.5x scaling: wide content (the deliveries' filter
bar) wraps, and tables scroll.

The Help menu: About (version, database, data and log folders), Keyboard Shortcuts (read from the
actions, :mod:`~emswebhook_gui.gui.shell.help`), and Open Log Folder, enabled once the folder exists.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui.desktop_integration import log_directory
from emswebhook_gui.gui.shell.banner import SecretStoreBanner
from emswebhook_gui.gui.shell.pages import PAGES, Page, PlaceholderPage, nav_style_sheet
from emswebhook_gui.gui.shell.quit_question import quit_question
from emswebhook_gui.gui.shell.theme import ThemeController
from emswebhook_gui.gui.widgets.actions import alive
from emswebhook_gui.gui.widgets.icons import icon
from emswebhook_gui.wording import plural

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge


_log = logging.getLogger(__name__)


WINDOW_TITLE = "EMS Webhooks"


DEFAULT_SIZE = QSize(1200, 760)


NAV_WIDTH = 230


SETTINGS_GEOMETRY = "main_window/geometry"


SETTINGS_SPLITTER = "main_window/splitter"


SETTINGS_PAGE = "main_window/page"


TRAY_HINT_TITLE = "Still delivering"


TRAY_HINT_TEXT = (
    "EMS Webhooks is still delivering in the tray. Use Quit in the tray menu to stop deliveries."
)


class MainWindow(QMainWindow):
    sig_quit_requested = Signal(str)
    """The application should quit, and why (for the log): File ▸ Quit (Ctrl+Q), with or without
    a tray, or the window closed with no tray to keep running in."""

    sig_page_changed = Signal(str)
    """The visible page changed; carries the page key from :data:`PAGES` (e.g. ``"profiles"``)."""

    def __init__(
        self,
        tray: QSystemTrayIcon | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``settings`` defaults to the application's QSettings; tests pass a throwaway file."""
        super().__init__(parent)
        self._tray = tray
        self._settings = settings if settings is not None else QSettings()
        self._tray_hint_shown = False
        self._quit_confirmed = False
        self.quitting = False
        """The app is quitting already (signal, Quit in a menu): a close asks nothing."""
        self.session_ending = False
        """The session asked the app to save its data (logout): a close asks nothing and does not
        hide in the tray, which would cancel the logout. Cleared when the window is brought back,
        since the session then went on (a logout cancelled elsewhere)."""
        self.pending_deliveries = 0
        self.bridge: "ServiceBridge | None" = None
        self.confirm_quit_box = None

        self.theme = ThemeController(self._settings, parent=self)
        self.theme.apply()
        self.about_dialog = None
        self.shortcuts_dialog = None

        self.setWindowTitle(WINDOW_TITLE)
        self.setWindowIcon(icon("app"))

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.nav.setViewMode(QListView.ViewMode.ListMode)
        self.nav.setSpacing(2)
        self.nav.setMinimumWidth(180)
        self.nav.setStyleSheet(nav_style_sheet(self.palette()))
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        for number, page in enumerate(PAGES, start=1):
            item = QListWidgetItem(icon(page.icon), page.title)
            item.setData(Qt.ItemDataRole.UserRole, page.key)
            item.setToolTip(f"{page.description} (Ctrl+{number})")
            item.setSizeHint(QSize(0, 36))
            self.nav.addItem(item)
            self.stack.addWidget(self._create_page(page))
        self.nav.currentRowChanged.connect(self._on_nav_current_row_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([NAV_WIDTH, DEFAULT_SIZE.width() - NAV_WIDTH])
        self.secret_store_banner = SecretStoreBanner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        banner_row = QVBoxLayout()
        banner_row.setContentsMargins(10, 8, 10, 4)
        banner_row.addWidget(self.secret_store_banner)
        self._banner_row = QWidget()
        self._banner_row.setLayout(banner_row)
        self._banner_row.setVisible(False)
        column.addWidget(self._banner_row)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self._create_actions()
        self.statusBar().showMessage("Ready")
        # the health is a permanent widget: showMessage() texts vanish when a menu item's
        # status tip passes over them, and the counts are what the status bar is for
        self.health_label = QLabel()
        self.health_label.setObjectName("healthStatus")
        self.statusBar().addPermanentWidget(self.health_label)
        self._health: tuple[int, int] | None = None
        self._paused = False

        self.resize(DEFAULT_SIZE)
        self._restore_settings()

    @property
    def current_page(self) -> Page:
        return PAGES[self.stack.currentIndex()]

    def show_page(self, key: str) -> None:
        """Switch to the page with this key from :data:`PAGES`; unknown keys raise KeyError."""
        for row, page in enumerate(PAGES):
            if page.key == key:
                self.nav.setCurrentRow(row)
                return
        raise KeyError(key)

    def show_deliveries(self, search: dict) -> None:
        """Event Deliveries, searching for ``search`` (``status``, ``webhook``, ``since``,
        ``until``; what the Overview's clicks ask for)."""
        self.show_page("deliveries")
        page = self.page_widget("deliveries")
        if hasattr(page, "filters"):
            page.filters.show_search(**search)

    def page_widget(self, key: str) -> QWidget:
        return self.stack.widget([page.key for page in PAGES].index(key))

    def show_and_raise(self) -> None:
        """Bring the window back from the tray (or from behind other windows)."""
        self.session_ending = False
        if self.isMinimized():
            self.showNormal()
        else:
            self.show()
        self.raise_()
        self.activateWindow()

    @property
    def tray(self) -> QSystemTrayIcon | None:
        return self._tray

    def set_tray(self, tray: QSystemTrayIcon) -> None:
        """A tray that appeared after the window (at login the panel may start after the app)."""
        self._tray = tray

    def set_deliveries_paused(self, paused: bool) -> None:
        """Pause or resume the engine (what is in flight completes; nothing is lost)."""
        engine = self.bridge.engine if self.bridge is not None else None
        if engine is not None:
            engine.pause() if paused else engine.resume()
        self._paused = paused
        self._show_health()
        self.statusBar().showMessage("Deliveries paused" if paused else "Deliveries resumed", 5000)

    def install_pages(self, bridge: "ServiceBridge") -> None:
        """Replace each placeholder by its real page once the service is up.

        Pages are found by convention (:attr:`Page.module`, :attr:`Page.class_name`) and built
        with the bridge; an area whose module does not exist keeps its placeholder.
        """
        self.bridge = bridge
        current = self.stack.currentIndex()
        for index, page in enumerate(PAGES):
            try:
                module = importlib.import_module(page.module)
            except ModuleNotFoundError as exc:
                if exc.name != page.module:
                    raise
                continue
            page_class = getattr(module, page.class_name)
            # the Settings page shows the theme choice, which is this window's (its QSettings)
            widget = page_class(bridge, theme=self.theme) if page.key == "settings" else page_class(bridge)
            widget.setObjectName(f"page_{page.key}")
            if hasattr(widget, "sig_show_deliveries"):
                widget.sig_show_deliveries.connect(self.show_deliveries)
            old = self.stack.widget(index)
            self.stack.insertWidget(index, widget)
            self.stack.removeWidget(old)
            old.deleteLater()
        self.stack.setCurrentIndex(current)
        bridge.sig_error.connect(self._on_bridge_error)
        bridge.sig_health_changed.connect(self.show_health)
        bridge.sig_secret_store_unavailable.connect(self.show_secret_store_banner)

    def show_secret_store_banner(self, detail: str) -> None:
        self.secret_store_banner.show_for(detail)
        self._banner_row.setVisible(True)

    def open_log_folder(self) -> None:
        """Help > Open Log Folder: the folder the rotating logs are written to, in the desktop's
        file manager (the action is enabled only while the folder exists)."""
        folder = log_directory()
        if not folder.is_dir():
            self.statusBar().showMessage(f"No log was written yet; logs go to {folder}", 20000)
            self._update_help_menu()
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.statusBar().showMessage(f"No file manager could be started; the logs are in {folder}", 30000)

    def show_about(self) -> None:
        """Help > About: version, database (password masked), data folder, log folder."""
        from emswebhook_gui.gui.shell.help import AboutDialog, AboutFacts

        url = self.bridge.service.db.url if self.bridge is not None else None
        if url is None:
            from PySide6.QtWidgets import QApplication

            app_url = getattr(QApplication.instance(), "db_url", None)
            url = app_url if isinstance(app_url, str) else None
        self.about_dialog = AboutDialog(AboutFacts.gather(url), self)
        self.about_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.about_dialog.open()

    def show_shortcuts(self) -> None:
        """Help > Keyboard Shortcuts: every action's shortcut, read from the actions."""
        from emswebhook_gui.gui.shell.help import ShortcutsDialog, collect_shortcuts

        pages = {self.stack.widget(index): page.title for index, page in enumerate(PAGES)}
        self.shortcuts_dialog = ShortcutsDialog(collect_shortcuts(self, pages), self)
        self.shortcuts_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.shortcuts_dialog.open()

    def _update_help_menu(self) -> None:
        folder = log_directory()
        exists = folder.is_dir()
        self.open_log_folder_action.setEnabled(exists)
        self.open_log_folder_action.setToolTip(
            f"Open {folder} in the file manager" if exists else f"No log yet: logs go to {folder}")
        self.open_log_folder_action.setStatusTip(self.open_log_folder_action.toolTip())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "nav"):
            style = nav_style_sheet(self.palette())
            if style != self.nav.styleSheet():
                self.nav.setStyleSheet(style)
        super().changeEvent(event)

    def _on_bridge_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    def show_health(self, pending: int, failed: int) -> None:
        """The bridge's queue depth and FAILED count, in words, in the status bar."""
        self.pending_deliveries = pending
        self._health = (pending, failed)
        self._show_health()

    def _show_health(self) -> None:
        text = ""
        if self._health is not None:
            pending, failed = self._health
            text = f"{plural(pending, 'delivery', 'deliveries')} pending, {failed:,} failed"
        if self._paused:
            text = f"Deliveries paused · {text}" if text else "Deliveries paused"
        self.health_label.setText(text)

    def _create_page(self, page: Page) -> QWidget:
        return PlaceholderPage(page)

    def _create_actions(self) -> None:
        """Menu actions carry the Ctrl+N page shortcuts, so they also show in the Go menu."""
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("quitAction")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setToolTip("Stop deliveries in this app and quit (closing the window only hides it while a tray icon exists)")
        quit_action.triggered.connect(lambda: self.sig_quit_requested.emit("Quit in the File menu"))
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu("&Go")
        self.page_actions: list[QAction] = []
        for number, page in enumerate(PAGES, start=1):
            action = QAction(icon(page.icon), page.title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, key=page.key: self.show_page(key))
            go_menu.addAction(action)
            self.page_actions.append(action)

        help_menu = self.menuBar().addMenu("&Help")
        self.help_menu = help_menu
        self.shortcuts_action = QAction("&Keyboard Shortcuts", self)
        self.shortcuts_action.setObjectName("shortcutsAction")
        self.shortcuts_action.setShortcut(QKeySequence("Ctrl+/"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)
        self.open_log_folder_action = QAction("Open &Log Folder", self)
        self.open_log_folder_action.setObjectName("openLogFolderAction")
        self.open_log_folder_action.triggered.connect(self.open_log_folder)
        help_menu.addAction(self.open_log_folder_action)
        help_menu.addSeparator()
        self.about_action = QAction(f"&About {WINDOW_TITLE}", self)
        self.about_action.setObjectName("aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)
        help_menu.aboutToShow.connect(self._update_help_menu)
        self._update_help_menu()

    def _restore_settings(self) -> None:
        geometry = self._settings.value(SETTINGS_GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        splitter = self._settings.value(SETTINGS_SPLITTER)
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        key = self._settings.value(SETTINGS_PAGE, PAGES[0].key)
        try:
            self.show_page(str(key))
        except KeyError:
            self.show_page(PAGES[0].key)

    def save_settings(self) -> None:
        """Remember geometry and page; also called on quit, which may come without a close."""
        self._settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        self._settings.setValue(SETTINGS_SPLITTER, self.splitter.saveState())
        self._settings.setValue(SETTINGS_PAGE, self.current_page.key)
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.save_settings()
        if self.quitting or self.session_ending:
            event.accept()
            return
        if self._tray is not None and self._tray.isVisible():
            event.ignore()
            self.hide()
            if not self._tray_hint_shown:
                self._tray_hint_shown = True
                self._tray.showMessage(
                    TRAY_HINT_TITLE, TRAY_HINT_TEXT, QSystemTrayIcon.MessageIcon.Information, 6000
                )
            return
        if self.pending_deliveries > 0 and not self._quit_confirmed:
            # No tray: quitting may stop deliveries. Ask, without a nested event loop (qasync).
            event.ignore()
            self._ask_before_quitting()
            return
        event.accept()
        self.sig_quit_requested.emit("the window was closed")

    def _ask_before_quitting(self) -> None:
        """Find out whether another live delivery service carries on, then ask in those words."""
        if self.confirm_quit_box is not None and self.confirm_quit_box.isVisible():
            self.confirm_quit_box.raise_()
            return
        if self.bridge is None:
            self._show_quit_question([])
            return
        engine = self.bridge.engine
        own = getattr(engine, "owner", None)
        self.bridge.run(
            self.bridge.service.delivery_status,
            alive(self, lambda status: self._show_quit_question([s for s in status["services"] if s["id"] != own])),
            alive(self, lambda _exc: self._show_quit_question([])),
        )

    def _show_quit_question(self, others: list[dict]) -> None:
        if self.quitting or self.pending_deliveries <= 0:
            self.close()  # the answer came after the reason to ask went away
            return
        box = quit_question(self, self.pending_deliveries, others)
        box.finished.connect(lambda result: self._on_confirm_quit_finished(result))
        self.confirm_quit_box = box
        box.open()

    def _on_confirm_quit_finished(self, result: int) -> None:
        from PySide6.QtWidgets import QMessageBox

        if result == QMessageBox.StandardButton.Yes:
            self._quit_confirmed = True
            self.close()

    def _on_nav_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.sig_page_changed.emit(PAGES[row].key)
