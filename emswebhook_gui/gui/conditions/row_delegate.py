"""How a builder row's background is painted: a band for groups, a tint for the current row, and
the guides in the indentation that tie each group to its rows."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate

from emswebhook_gui.gui.conditions.tree_model import KIND_ROLE
from emswebhook_gui.gui.widgets.colors import with_alpha


class RowBackgroundDelegate(QStyledItemDelegate):
    """Paints only a row's background; the editor widget on top shows the row's content.

    Group headers get a faint band so the structure reads at a glance; the current row gets a
    light tint, light enough that the controls on it stay readable.
    """

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        highlight = option.palette.color(QPalette.ColorRole.Highlight)
        rect = option.rect.adjusted(0, 1, -1, -1)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        if index.data(KIND_ROLE) == "group":
            painter.setBrush(with_alpha(highlight, 0.08))
            painter.drawRoundedRect(rect, 5, 5)
        view = self.parent()
        if isinstance(view, QAbstractItemView) and view.selectionModel().isSelected(index):
            painter.setBrush(with_alpha(highlight, 0.16))
            painter.drawRoundedRect(rect, 5, 5)
        painter.restore()


def draw_guides(painter: QPainter, rect, index: QModelIndex, indentation: int, color) -> None:
    """Guides instead of expand arrows, in a row's indentation: a line from each group down
    along its rows, and a short tick into the row itself."""
    path = []
    while index.isValid():
        path.append(index)
        index = index.parent()
    levels = len(path) - 1  # path[-1] is the root row, which has no branch area
    if levels <= 0:
        return
    painter.save()
    painter.setPen(color)
    top, bottom, middle = rect.top(), rect.bottom(), rect.center().y()
    for level in range(levels):
        step = path[levels - 1 - level]  # the ancestor (or the row itself) one level in
        last = step.row() == step.model().rowCount(step.parent()) - 1
        x = rect.left() + level * indentation + indentation // 2
        if level == levels - 1:
            painter.drawLine(x, top, x, middle if last else bottom)
            painter.drawLine(x, middle, x + indentation // 2 - 3, middle)
        elif not last:
            painter.drawLine(x, top, x, bottom)
    painter.restore()
