"""The webhook form's catalogue-aware pickers: the grouped event combo and the checkable
activity list."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QCompleter, QListWidget, QListWidgetItem, QWidget

from emswebhook_gui import catalog

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
