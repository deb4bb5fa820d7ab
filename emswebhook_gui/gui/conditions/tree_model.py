"""A Qt item model over the condition builder's plain tree (:mod:`emswebhook_gui.conditions`).

The ``Group``/``Condition`` tree is the source of truth; this model only translates it for a view
(napari's layer list, react-querybuilder's rule tree): every edit goes through a method here that
mutates the plain tree between the matching ``begin*``/``end*`` calls, so views and persistent
indexes follow. Moves, drag and drop included, start from :func:`conditions.tree.plan_move`, which owns
the rules (no cycles, at most :data:`~emswebhook_gui.conditions.MAX_NESTING` levels) and where a
node lands; the model only wraps the tree's change in ``beginMoveRows``/``endMoveRows``.

Layout: one column. The root group is the single top-level row (so it gets its own And/Or
header like every other group); a group's children are its rows. An index's ``internalId`` is
the ``id()`` of the group that holds it (0 for the root row), looked up in a map this model
keeps current, so a stale index resolves to nothing instead of to a freed object.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from emswebhook_gui import conditions
from emswebhook_gui.conditions import Condition, Group
from emswebhook_gui.conditions.tree import apply_move, nesting_refusal, plan_move
from emswebhook_gui.gui.conditions import tree_drops
from emswebhook_gui.gui.conditions.tree_drops import RowDragAndDrop
from emswebhook_gui.wording import plural

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
"""The plain node (``Group`` or ``Condition``) behind an index; read-only."""
KIND_ROLE = Qt.ItemDataRole.UserRole + 2
"""``'group'`` or ``'condition'``."""
COMBINATOR_ROLE = Qt.ItemDataRole.UserRole + 3
"""A group's ``'and'`` / ``'or'``; editable."""
PATH_ROLE = Qt.ItemDataRole.UserRole + 4
"""A condition's attribute path (``''`` while no attribute is chosen); editable."""
OPERATOR_ROLE = Qt.ItemDataRole.UserRole + 5
"""A condition's ``'=='`` / ``'!='``; editable."""
VALUE_ROLE = Qt.ItemDataRole.UserRole + 6
"""A condition's literal: text from the builder, any literal type when loaded; editable."""

MIME_TYPE = tree_drops.MIME_TYPE
"""What a dragged row travels as (see :mod:`.tree_drops`)."""

OPERATOR_LABELS = {"==": "Is equal to", "!=": "Is not equal to"}
COMBINATORS = ("and", "or")

_Index = QModelIndex | QPersistentModelIndex
_ROOT_KEY = 0


class ConditionTreeModel(RowDragAndDrop, QAbstractItemModel):
    """Adapts a ``conditions.Group`` root; ``root()`` is always the live plain tree."""

    sig_tree_changed = Signal()
    """The tree changed (structure or a field of a node): re-render the expression."""

    sig_move_refused = Signal(str)
    """A move or drop was refused and nothing changed; the argument says why."""

    def __init__(self, root: Group | None = None, event_name: str = "", parent=None) -> None:
        super().__init__(parent)
        self._root = root if root is not None else Group()
        self._event_name = event_name
        self._token = uuid.uuid4().hex  # a drop must come from this model, not another dialog's
        self._drop_handler = self.move_node
        self._groups: dict[int, Group] = {}
        self._parents: dict[int, Group | None] = {}
        self._reindex()
        for signal in (self.rowsInserted, self.rowsRemoved, self.rowsMoved, self.modelReset):
            signal.connect(self.sig_tree_changed)
        self.dataChanged.connect(self.sig_tree_changed)

    # ---- the plain tree -------------------------------------------------------------------

    def root(self) -> Group:
        return self._root

    def set_root(self, root: Group) -> None:
        self.beginResetModel()
        self._root = root
        self._reindex()
        self.endResetModel()

    def event_name(self) -> str:
        return self._event_name

    def node(self, index: _Index) -> Group | Condition | None:
        """The node behind ``index``; None for the invisible root or a stale index."""
        if not index.isValid():
            return None
        key = index.internalId()
        if key == _ROOT_KEY:
            return self._root if index.row() == 0 else None
        group = self._groups.get(key)
        if group is None or not 0 <= index.row() < len(group.children):
            return None
        return group.children[index.row()]

    def index_for(self, node: Group | Condition) -> QModelIndex:
        """The index of a node of this tree (invalid when it is not in the tree)."""
        if node is self._root:
            return self.createIndex(0, 0, _ROOT_KEY)
        parent = self._parents.get(id(node))
        if parent is None:
            return QModelIndex()
        try:
            row = parent.index_of(node)
        except ValueError:
            return QModelIndex()
        return self.createIndex(row, 0, id(parent))

    def can_add_group(self, group: Group) -> bool:
        """Whether a new sub-group in ``group`` stays within the nesting limit (the tree's rule)."""
        return nesting_refusal(Group(), group, self._root) is None

    # ---- edits ------------------------------------------------------------------------------

    def insert_node(self, group: Group, row: int, node: Group | Condition) -> QModelIndex:
        """Insert a new node (with any children) into ``group`` at ``row`` (clamped)."""
        reason = nesting_refusal(node, group, self._root)
        if reason is not None:
            raise ValueError(reason)
        row = max(0, min(row, len(group.children)))
        self.beginInsertRows(self.index_for(group), row, row)
        group.insert(row, node)
        self._reindex()
        self.endInsertRows()
        return self.index_for(node)

    def add_condition(self, group: Group, condition: Condition | None = None) -> QModelIndex:
        """Append a condition (an empty row by default: no attribute chosen yet)."""
        return self.insert_node(group, len(group.children), condition or Condition(""))

    def add_group(self, group: Group, new: Group | None = None) -> QModelIndex:
        return self.insert_node(group, len(group.children), new or Group())

    def remove_node(self, node: Group | Condition) -> None:
        """Remove a node and everything under it; the root cannot be removed (only emptied)."""
        if node is self._root:
            raise ValueError("the root group cannot be removed")
        parent = self._parents.get(id(node))
        if parent is None:
            raise ValueError("the node is not in this tree")
        row = parent.index_of(node)
        self.beginRemoveRows(self.index_for(parent), row, row)
        parent.remove(node)
        self._reindex()
        self.endRemoveRows()

    def move_refusal(self, node: Group | Condition, group: Group, row: int) -> str | None:
        """Why ``move_node(node, group, row)`` would be refused, or None: the tree's own rules
        (:func:`conditions.move_refusal`), never a copy of them."""
        return conditions.move_refusal(node, group, self._root)

    def move_node(self, node: Group | Condition, group: Group, row: int) -> bool:
        """Move ``node`` into ``group`` before the child now at ``row`` (-1: at the end).

        ``row`` counts positions before the move, as a view's drop row does. Returns False (and
        emits :attr:`sig_move_refused`) when the move is refused; nothing changes then. The
        rules and the arithmetic are the tree's (:func:`conditions.tree.plan_move`); this only
        tells the views.
        """
        try:
            planned = plan_move(node, group, len(group.children) if row < 0 else row, self._root)
        except ValueError as exc:
            self.sig_move_refused.emit(str(exc))
            return False
        if planned.changes_nothing:
            return True
        if not self.beginMoveRows(self.index_for(planned.old_parent), planned.old_index, planned.old_index,
                                  self.index_for(group), planned.index):
            self.sig_move_refused.emit("the view cannot move a row there")
            return False
        apply_move(planned)
        self._reindex()
        self.endMoveRows()
        return True

    def set_field(self, node: Group | Condition, role: int, value) -> bool:
        return self.setData(self.index_for(node), value, role)

    # ---- QAbstractItemModel -----------------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(0, 0, _ROOT_KEY) if row == 0 else QModelIndex()
        group = self.node(parent)
        if not isinstance(group, Group) or row >= len(group.children):
            return QModelIndex()
        return self.createIndex(row, 0, id(group))

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == _ROOT_KEY:
            return QModelIndex()
        group = self._groups.get(index.internalId())
        return QModelIndex() if group is None else self.index_for(group)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        if not parent.isValid():
            return 1
        if parent.column() != 0:
            return 0
        node = self.node(parent)
        return len(node.children) if isinstance(node, Group) else 0

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 1

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:
        return self.rowCount(parent) > 0

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # drops below the last row go into the root
        node = self.node(index)
        if node is None:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if node is not self._root:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        if isinstance(node, Group):
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        else:
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        node = self.node(index)
        if node is None:
            return None
        if role == NODE_ROLE:
            return node
        if role == KIND_ROLE:
            return "group" if isinstance(node, Group) else "condition"
        if isinstance(node, Group):
            if role == COMBINATOR_ROLE:
                return node.combinator
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return describe(self._event_name, node)
            return None
        if role == PATH_ROLE:
            return node.path
        if role == OPERATOR_ROLE:
            return node.operator
        if role == VALUE_ROLE:
            return node.value
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return describe(self._event_name, node)
        return None

    def setData(self, index: _Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        node = self.node(index)
        if isinstance(node, Group):
            if role != COMBINATOR_ROLE or value not in COMBINATORS:
                return False
            if node.combinator == value:
                return True
            node.combinator = value
        elif isinstance(node, Condition):
            if role == PATH_ROLE and isinstance(value, str):
                attribute = "path"
            elif role == OPERATOR_ROLE and value in tuple(OPERATOR_LABELS):
                attribute = "operator"
            elif role == VALUE_ROLE and (value is None or isinstance(value, (str, int, float, bool))):
                attribute = "value"
            else:
                return False
            old = getattr(node, attribute)
            if type(old) is type(value) and old == value:
                return True
            setattr(node, attribute, value)
        else:
            return False
        self.dataChanged.emit(
            index, index, [role, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole]
        )
        return True

    # ---- helpers ----------------------------------------------------------------------------

    def _reindex(self) -> None:
        groups: dict[int, Group] = {}
        parents: dict[int, Group | None] = {}
        for parent, node in conditions.walk(self._root):
            parents[id(node)] = parent
            if isinstance(node, Group):
                groups[id(node)] = node
        self._groups, self._parents = groups, parents



def describe(event_name: str, node: Group | Condition) -> str:
    """A row in words, as the builder's accessible text: "Customer Name is equal to 'Sam Smith'",
    "Any of 2 items"."""
    if isinstance(node, Group):
        word = "All" if node.combinator == "and" else "Any"
        return f"{word} of {plural(len(node.children), 'item')}"
    attribute = "(no attribute)"
    if node.path:
        attribute = conditions.label_for(event_name, node.path)
    operator = OPERATOR_LABELS.get(node.operator, node.operator)
    try:
        value = conditions.format_literal(node.value)
    except (TypeError, ValueError):
        value = repr(node.value)
    return f"{attribute} {operator.lower()} {value}"
