"""The webhook form's catalogue-aware pickers: the grouped event combo and the activity picker
(a filter field, Select all / Select none, the checkable list and its hint below it).

Both searches match words in any order, ignoring case ("activ upd" finds Activation Updated):
names are short and users remember words, not their order. With a filter typed, Select all and
Select none act on the activities shown, and checked ones that are filtered out stay checked.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emswebhook_gui import catalog
from emswebhook_gui.gui.widgets.layout import SPACING, hint_label

EVENT_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
ALL_ACTIVITIES_HINT = "None checked: every activity of the event triggers the webhook."


def words_match(query: str, text: str) -> bool:
    """Every word of ``query`` is somewhere in ``text``, in any order, ignoring case."""
    haystack = text.casefold()
    return all(word in haystack for word in query.casefold().split())


class EventCombo(QComboBox):
    """Every catalogue event under a disabled header per entity; type to search by words of
    the name in any order ("expired", "activ upd")."""

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
        self._matches = QStringListModel(catalog.event_names(), self)
        completer = QCompleter(self._matches, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)  # filtered here
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

    def matching_events(self) -> list[str]:
        """The names the completer offers for the typed text."""
        return self._matches.stringList()

    def _on_line_edit_text_edited(self, text: str) -> None:
        """Runs before the line edit asks its completer to show the popup."""
        self._matches.setStringList([n for n in catalog.event_names() if words_match(text, n)])
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
        self._pressed: tuple[QListWidgetItem, Qt.CheckState] | None = None
        self.itemChanged.connect(self._on_self_item_changed)
        self.itemPressed.connect(self._on_self_item_pressed)
        self.itemClicked.connect(self._on_self_item_clicked)

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
        """Check or uncheck the activities shown (all of them without a filter)."""
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.blockSignals(True)
        for row in range(self.count()):
            if not self.isRowHidden(row):
                self.item(row).setCheckState(state)
        self.blockSignals(False)
        self.sig_selection_changed.emit()

    def set_filter(self, text: str) -> int:
        """Show only the activities matching ``text``; returns how many are shown."""
        shown = 0
        for row in range(self.count()):
            match = words_match(text, self.item(row).text())
            self.setRowHidden(row, not match)
            shown += match
        return shown

    def _on_self_item_changed(self, _item: QListWidgetItem) -> None:
        self.sig_selection_changed.emit()

    def _on_self_item_pressed(self, item: QListWidgetItem) -> None:
        self._pressed = (item, item.checkState())

    def _on_self_item_clicked(self, item: QListWidgetItem) -> None:
        """A click on the label ticks the box too (Qt toggles only on the box itself, before
        this runs: a state that did not change was a click beside the box)."""
        pressed, self._pressed = self._pressed, None
        if pressed is not None and pressed[0] is item and item.checkState() == pressed[1]:
            checked = item.checkState() == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)


class ActivityPicker(QWidget):
    """The filter field and Select all / Select none over the :class:`ActivityList`, and the
    hint under it (a label of its own below the list, so it never covers the last row)."""

    sig_selection_changed = Signal()
    """An activity was checked or unchecked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("activityFilter")
        self.filter_edit.setPlaceholderText("Filter activities")
        self.filter_edit.setClearButtonEnabled(True)
        self.select_all_button = QPushButton("Select all")
        self.select_all_button.setToolTip("Check every activity shown")
        self.select_none_button = QPushButton("Select none")
        self.select_none_button.setToolTip("Uncheck every activity shown")
        for button in (self.select_all_button, self.select_none_button):
            button.setAutoDefault(False)  # Enter means Save
        self.list = ActivityList()
        self.hint_label = hint_label(ALL_ACTIVITIES_HINT)
        self.hint_label.setObjectName("activitiesHint")
        tools = QHBoxLayout()
        tools.setSpacing(SPACING)
        tools.addWidget(self.filter_edit, 1)
        tools.addWidget(self.select_all_button)
        tools.addWidget(self.select_none_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(tools)
        layout.addWidget(self.list)
        layout.addWidget(self.hint_label)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.select_all_button.clicked.connect(lambda: self.list.set_all_checked(True))
        self.select_none_button.clicked.connect(lambda: self.list.set_all_checked(False))
        self.list.sig_selection_changed.connect(self._on_list_selection_changed)

    def set_activities(self, activities: Iterable[str], checked: Iterable[str] = ()) -> None:
        self.filter_edit.blockSignals(True)
        self.filter_edit.clear()
        self.filter_edit.blockSignals(False)
        self.list.set_activities(activities, checked)
        self._update()

    def _on_filter_edit_text_changed(self, text: str) -> None:
        self.list.set_filter(text)
        self._update()

    def _on_list_selection_changed(self) -> None:
        self._update()
        self.sig_selection_changed.emit()

    def _update(self) -> None:
        checked, total = len(self.list.checked()), self.list.count()
        shown = sum(not self.list.isRowHidden(row) for row in range(total))
        for widget in (self.filter_edit, self.select_all_button, self.select_none_button):
            widget.setVisible(total > 1)
        self.select_all_button.setEnabled(shown > 0)
        self.select_none_button.setEnabled(shown > 0)
        text = (f"{checked} of {total} activities checked: only these trigger the webhook." if checked
                else ALL_ACTIVITIES_HINT if total else "Choose an event to see its activities.")
        if total and not shown:
            text = f"No activity matches “{self.filter_edit.text().strip()}”. " + text
        self.hint_label.setText(text)
