"""Small widgets the pages and forms share: page header, banners, field errors, copy button,
the grouped event picker and the checkable activity list, and a few helpers.

Nothing here knows a business rule. Field errors come from the service's ``ValidationError``
(attribute names of the contract), and :class:`FieldErrors` only puts each message next to the
widget registered for that attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import shiboken6
from PySide6.QtCore import (
    QObject,
    QSortFilterProxyModel,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QFont,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPalette,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui import catalog
from emswebhook_gui.errors import ValidationError
from emswebhook_gui.gui.widgets.icons import icon

PAGE_MARGIN = 24
SECTION_SPACING = 16
SPACING = 8

ERROR_COLOR = "#c62828"
SUCCESS_COLOR = "#2e7d32"
INVALID_STYLE = f"border: 1px solid {ERROR_COLOR}; border-radius: 3px;"

SORT_ROLE = Qt.ItemDataRole.UserRole + 50
"""Models give a sortable key under this role (lower-case text, booleans as 0/1)."""

_BANNER_STYLES = {
    "info": ("rgba(25, 118, 210, 28)", "rgba(25, 118, 210, 90)"),
    "success": ("rgba(46, 125, 50, 28)", "rgba(46, 125, 50, 110)"),
    "error": ("rgba(198, 40, 40, 26)", "rgba(198, 40, 40, 110)"),
}


def alive(widget: QWidget, callback: Callable) -> Callable:
    """``callback`` that does nothing once ``widget`` is deleted: a service call may finish after
    its page or dialog closed, and touching a deleted C++ object raises."""

    def call(*args):
        if shiboken6.isValid(widget):
            callback(*args)

    return call


class PageHeader(QWidget):
    """Bold title and a one-line description, as at the top of every page."""

    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("pageTitle")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title_label.setFont(font)
        self.description_label = QLabel(description)
        self.description_label.setObjectName("pageDescription")
        self.description_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.description_label)

    @classmethod
    def for_page(cls, key: str) -> "PageHeader":
        """Title and description from the main window's list of pages, so they never drift."""
        from emswebhook_gui.gui.shell.main_window import PAGES

        page = next(p for p in PAGES if p.key == key)
        return cls(page.title, page.description)


def page_layout(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
    layout.setSpacing(SECTION_SPACING)
    return layout


class Banner(QFrame):
    """A dismissable one-paragraph message (outcome of an action, a refused request)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 6, 8)
        layout.setSpacing(SPACING)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        background, border = _BANNER_STYLES[kind]
        self.kind = kind
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; border: 1px solid {border}; border-radius: 6px; }}"
        )
        self.label.setText(text[:1].upper() + text[1:] if kind == "error" else text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class FieldErrorLabel(QLabel):
    """Red text under a field; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {ERROR_COLOR};")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, message: str | None) -> None:
        self.setText(message or "")
        self.setVisible(bool(message))


def hint_label(text: str) -> QLabel:
    """Secondary text: the palette's placeholder colour (legible, unlike disabled text)."""
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(palette)
    return label


def field_box(field: QWidget, error: FieldErrorLabel, hint: str | QLabel | None = None) -> QWidget:
    """The field, an optional hint (text or a label kept up to date by the caller), and its
    (hidden) error under it: one form row."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(3)
    layout.addWidget(field)
    if hint:
        layout.addWidget(hint if isinstance(hint, QLabel) else hint_label(hint))
    layout.addWidget(error)
    return box


def control_box(controls: Sequence[QWidget], *below: QWidget, fill: bool = True) -> QVBoxLayout:
    """One settings row: ``controls`` side by side, hints and messages stacked under them.

    With ``fill`` the first control takes the spare width (a path, a token); without it the
    controls keep their size and the row ends in space (a port number)."""
    row = QHBoxLayout()
    row.setSpacing(SPACING)
    for index, control in enumerate(controls):
        row.addWidget(control, 1 if fill and index == 0 else 0)
    if not fill:
        row.addStretch(1)
    box = QVBoxLayout()
    box.setSpacing(3)
    box.addLayout(row)
    for widget in below:
        box.addWidget(widget)
    return box


_PREDICATE_WORDS = {"is", "must", "applies", "has", "does", "contains", "cannot", "should"}


def field_message(title: str, message: str) -> str:
    """The service's message as a sentence under the field: "Name is required", "An ... exists"."""
    first = message.split(" ", 1)[0]
    if first in _PREDICATE_WORDS:
        return f"{title} {message}"
    return message[:1].upper() + message[1:]


class FieldErrors:
    """Maps the service's attribute names to the widgets that show them."""

    def __init__(self, form_error: Banner) -> None:
        self._fields: dict[str, tuple[QWidget, FieldErrorLabel, str]] = {}
        self._form_error = form_error

    def register(self, attribute: str, widget: QWidget, label: FieldErrorLabel, title: str) -> None:
        self._fields[attribute] = (widget, label, title)

    def clear(self) -> None:
        for widget, label, _ in self._fields.values():
            label.show_error(None)
            widget.setStyleSheet("")
        self._form_error.hide()

    def show(self, exc: Exception) -> None:
        """Each field's message under it; anything without a field goes to the form's banner."""
        self.clear()
        if not isinstance(exc, ValidationError):
            self._form_error.show_message(str(exc), "error")
            return
        unplaced: list[str] = []
        for error in exc.errors:
            entry = self._fields.get(error.field)
            if entry is None:
                unplaced.append(str(error))
                continue
            widget, label, title = entry
            label.show_error(field_message(title, error.message))
            widget.setStyleSheet(f"{type(widget).__name__} {{ {INVALID_STYLE} }}")
        if unplaced:
            self._form_error.show_message("; ".join(unplaced), "error")

    def message(self, attribute: str) -> str:
        label = self._fields[attribute][1]
        return label.text() if not label.isHidden() else ""


class CopyButton(QPushButton):
    """Copies the text ``source()`` returns; says "Copied" for a moment."""

    def __init__(self, source: Callable[[], str], text: str = "Copy to Clipboard",
                 parent: QWidget | None = None) -> None:
        super().__init__(icon("copy"), text, parent)
        self._source = source
        self._text = text
        self.setToolTip("Copy the text to the clipboard")
        self._reset = QTimer(self)
        self._reset.setSingleShot(True)
        self._reset.setInterval(1500)
        self._reset.timeout.connect(self._on_reset_timeout)
        self.clicked.connect(self._on_self_clicked)

    def _on_self_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._source())
        self.setText("Copied")
        self._reset.start()

    def _on_reset_timeout(self) -> None:
        self.setText(self._text)


class Throttle(QObject):
    """Coalesces bursts of signals into one call at most every ``interval_ms`` (trailing).

    A QObject child of its widget, so connections to :meth:`trigger` die with the widget.
    """

    def __init__(self, parent: QWidget, interval_ms: int, callback: Callable[[], None]) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(callback)

    def trigger(self, *_args) -> None:
        if not self._timer.isActive():
            self._timer.start()


def configure_table(view: QTableView) -> None:
    """The house style of tables: whole rows, alternating, sortable, read-only, last column wide."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def grow_to_fit(window: QWidget) -> None:
    """Make a window tall enough for its content after messages appeared or lists grew.

    A top-level window's minimum size ignores height-for-width (wrapped labels), so a long
    error under a field would otherwise overlap the next row.
    """
    layout = window.layout()
    layout.activate()
    height = max(layout.totalHeightForWidth(window.width()), layout.totalMinimumSize().height())
    if height > window.height():
        window.resize(window.width(), height)


def make_action(parent: QWidget, icon_name: str, text: str, tip: str, slot: Callable,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None) -> QAction:
    """A toolbar action whose tooltip names its shortcut."""
    action = QAction(icon(icon_name), text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def table_shortcuts(table: QTableView, on_edit: Callable, on_delete: Callable) -> None:
    """Enter edits and Del deletes the selected row, while the table has focus."""
    for key, slot in ((Qt.Key.Key_Return, on_edit), (Qt.Key.Key_Enter, on_edit), (Qt.Key.Key_Delete, on_delete)):
        shortcut = QShortcut(QKeySequence(key), table)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(slot)
    table.doubleClicked.connect(lambda _index: on_edit())


def confirm(parent: QWidget, title: str, text: str, action: str, on_confirm: Callable[[], None]) -> QMessageBox:
    """A non-blocking question (``open()`` + ``finished``: no nested loop under qasync)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.button(QMessageBox.StandardButton.Yes).setText(action)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            on_confirm()

    box.finished.connect(alive(parent, finished))
    box.open()
    return box


# -- the event picker ---------------------------------------------------------------------------

EVENT_NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class EventCombo(QComboBox):
    """Every catalogue event under a disabled header per entity; type to search by any part
    of the name ("expired", "activation")."""

    sig_event_changed = Signal(str)
    """The chosen event changed; carries its name, or '' while the typed text names none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(20)
        self.lineEdit().setPlaceholderText("Type to search, or pick from the list")
        model = QStandardItemModel(self)
        bold = QFont(self.font())
        bold.setBold(True)
        for entity in catalog.entities():
            events = [e for e in catalog.events() if e.entity == entity]
            header = QStandardItem(entity + (" (deprecated)" if events[0].deprecated else ""))
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            header.setFont(bold)
            model.appendRow(header)
            for event in events:
                item = QStandardItem("    " + event.name)
                item.setData(event.name, EVENT_NAME_ROLE)
                item.setToolTip(f"{event.entity}: {', '.join(event.activities)}")
                model.appendRow(item)
        self.setModel(model)
        names = QStringListModel(catalog.event_names(), self)
        completer = QCompleter(names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self._current = ""
        self.setCurrentIndex(-1)
        self.currentIndexChanged.connect(self._on_self_current_index_changed)
        self.activated.connect(self._on_self_current_index_changed)  # re-picking the same row
        self.lineEdit().textEdited.connect(self._on_line_edit_text_edited)
        completer.activated.connect(self.set_event_name)

    def event_name(self) -> str:
        return self._current

    def set_event_name(self, name: str) -> None:
        for row in range(self.model().rowCount()):
            if self.model().item(row).data(EVENT_NAME_ROLE) == name:
                self.setCurrentIndex(row)
                self.setEditText(name)
                self._set_current(name)
                return
        self._set_current("")

    def _on_self_current_index_changed(self, row: int) -> None:
        name = self.itemData(row, EVENT_NAME_ROLE) if row >= 0 else None
        if name:
            self.setEditText(name)
        self._set_current(name or "")

    def _on_line_edit_text_edited(self, text: str) -> None:
        name = text.strip()
        self._set_current(name if catalog.get_event(name) else "")

    def _set_current(self, name: str) -> None:
        if name != self._current:
            self._current = name
            self.sig_event_changed.emit(name)


class ActivityList(QListWidget):
    """The chosen event's activities as check boxes; none checked means all of them."""

    sig_selection_changed = Signal()
    """An activity was checked or unchecked."""

    VISIBLE_ROWS = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setUniformItemSizes(True)
        self.setSpacing(1)
        self.itemChanged.connect(self._on_self_item_changed)

    def set_activities(self, activities: Iterable[str], checked: Iterable[str] = ()) -> None:
        chosen = set(checked)
        self.blockSignals(True)
        self.clear()
        for name in activities:
            item = QListWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.addItem(item)
        self.blockSignals(False)
        self._fit_height()
        self.sig_selection_changed.emit()

    def _fit_height(self) -> None:
        """Tall enough for up to ``VISIBLE_ROWS`` activities, so short lists leave no hole."""
        rows = min(max(self.count(), 2), self.VISIBLE_ROWS)
        row_height = (self.sizeHintForRow(0) if self.count() else self.fontMetrics().height() + 4) + 2 * self.spacing()
        self.setFixedHeight(rows * row_height + 2 * self.frameWidth())

    def activities(self) -> list[str]:
        return [self.item(row).text() for row in range(self.count())]

    def checked(self) -> list[str]:
        return [self.item(row).text() for row in range(self.count())
                if self.item(row).checkState() == Qt.CheckState.Checked]

    def set_all_checked(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.blockSignals(True)
        for row in range(self.count()):
            self.item(row).setCheckState(state)
        self.blockSignals(False)
        self.sig_selection_changed.emit()

    def _on_self_item_changed(self, _item: QListWidgetItem) -> None:
        self.sig_selection_changed.emit()


class EmptyState(QWidget):
    """A muted icon, a centred sentence and one button, in place of an empty table."""

    def __init__(self, text: str, button: QPushButton, icon_name: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Centred in a box layout a wrapped label gets neither width nor height for its text.
        self.label.setFixedWidth(460)
        self.label.setMinimumHeight(self.label.heightForWidth(460))
        self.button = button
        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING)
        layout.addStretch(1)
        if icon_name:
            picture = QLabel()
            picture.setPixmap(icon(icon_name).pixmap(48, 48, QIcon.Mode.Disabled))
            layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
            layout.addSpacing(SPACING)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(SPACING)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


def sort_proxy(parent: QWidget) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setSortRole(SORT_ROLE)
    return proxy

