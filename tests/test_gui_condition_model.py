"""ConditionTreeModel: a thin Qt adapter over the plain ``conditions.Group`` tree.

Every operation is checked twice: on the Qt side (model tester, signals, the view's row widgets)
and on the plain side (``render`` of the tree the model adapts).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, Qt

from emswebhook_gui.conditions import MAX_NESTING, Condition, Group, render, to_tree, walk
from emswebhook_gui.gui.conditions.tree_model import (
    COMBINATOR_ROLE,
    KIND_ROLE,
    MIME_TYPE,
    NODE_ROLE,
    OPERATOR_ROLE,
    PATH_ROLE,
    VALUE_ROLE,
    ConditionTreeModel,
)
from emswebhook_gui.gui.conditions.tree_view import ConditionTreeView

MOVE = Qt.DropAction.MoveAction
TEXT = "((a.x == '1' && (b.y == '2' || b.z == 3)) || c.w != true || (d.v == null))"


@pytest.fixture
def model(qapp):
    model = ConditionTreeModel(to_tree(TEXT), event_name="Entitlement Updated")
    yield model
    model.deleteLater()


def parts(model):
    """The nodes of TEXT by name: groups g1 (a.x ...), inner (b.y || b.z), g3 (d.v); conditions."""
    root = model.root()
    g1, cw, g3 = root.children
    ax, inner = g1.children
    by, bz = inner.children
    return dict(root=root, g1=g1, inner=inner, g3=g3, ax=ax, by=by, bz=bz, cw=cw, dv=g3.children[0])


def drop(model, node, parent_node, row):
    """Drag ``node`` and drop it on ``parent_node`` (None: the empty space) at view row ``row``."""
    mime = model.mimeData([model.index_for(node)])
    parent = QModelIndex() if parent_node is None else model.index_for(parent_node)
    allowed = model.canDropMimeData(mime, MOVE, row, 0, parent)
    assert model.dropMimeData(mime, MOVE, row, 0, parent) is allowed
    return allowed


def exercise(model):
    """Inserts, removes, moves, edits and a reset: everything a model tester should watch."""
    p = parts(model)
    model.add_condition(p["g3"], Condition("e.u", "==", "x"))
    model.add_group(p["inner"])
    model.remove_node(p["bz"])
    model.move_node(p["cw"], p["inner"], 0)
    model.move_node(p["g3"], p["g1"], 0)
    model.move_node(p["ax"], p["root"], -1)
    model.set_field(p["by"], PATH_ROLE, "b.q")
    model.set_field(p["inner"], COMBINATOR_ROLE, "and")
    model.set_root(to_tree("x.y == 'z'"))


def test_model_tester_on_a_nested_tree_through_every_operation(qtmodeltester, model):
    qtmodeltester.check(model, force_py=True)  # asserts, and re-checks on every signal below
    exercise(model)
    assert render(model.root()) == "(x.y == 'z')"


@pytest.mark.qt_log_level_fail("WARNING")
def test_qt_model_tester_reports_nothing(qtmodeltester, model):
    qtmodeltester.check(model)  # Qt's C++ tester reports by warning; any warning fails here
    exercise(model)


def test_layout_one_column_root_row_on_top(model):
    assert model.rowCount() == 1 and model.columnCount() == 1
    top = model.index(0, 0)
    assert model.node(top) is model.root()
    assert not model.parent(top).isValid()
    assert model.rowCount(top) == 3
    p = parts(model)
    inner = model.index_for(p["inner"])
    assert (inner.row(), model.node(inner.parent())) == (1, p["g1"])
    assert model.data(inner, KIND_ROLE) == "group" and model.data(inner, COMBINATOR_ROLE) == "or"
    bz = model.index_for(p["bz"])
    assert model.data(bz, NODE_ROLE) is p["bz"]
    assert (model.data(bz, PATH_ROLE), model.data(bz, OPERATOR_ROLE), model.data(bz, VALUE_ROLE)) == ("b.z", "==", 3)
    assert model.data(bz) == "b.z is equal to 3"
    assert not model.flags(top) & Qt.ItemFlag.ItemIsDragEnabled  # the root stays put
    assert model.flags(bz) & Qt.ItemFlag.ItemIsDragEnabled and not model.flags(bz) & Qt.ItemFlag.ItemIsDropEnabled
    assert model.flags(inner) & Qt.ItemFlag.ItemIsDropEnabled


def test_drop_moves_a_condition_into_a_nested_group(model):
    p = parts(model)
    assert drop(model, p["cw"], p["inner"], 1)
    assert render(model.root()) == "((a.x == '1' && (b.y == '2' || c.w != true || b.z == 3)) || (d.v == null))"
    assert model.index_for(p["cw"]).parent() == model.index_for(p["inner"])


def test_drop_on_a_group_appends_and_below_the_tree_goes_to_the_root(model):
    p = parts(model)
    assert drop(model, p["dv"], p["g1"], -1)  # dropped onto the group's row
    assert render(model.root()) == "((a.x == '1' && (b.y == '2' || b.z == 3) && d.v == null) || c.w != true)"
    assert drop(model, p["by"], None, -1)  # the empty space below the last row
    assert render(model.root()) == "((a.x == '1' && (b.z == 3) && d.v == null) || c.w != true || b.y == '2')"


def test_drop_reorders_within_a_group(model):
    p = parts(model)
    assert drop(model, p["ax"], p["g1"], 2)  # below the sub-group: row counted before the move
    assert render(model.root()) == "(((b.y == '2' || b.z == 3) && a.x == '1') || c.w != true || (d.v == null))"
    assert drop(model, p["bz"], p["inner"], 0)
    assert render(model.root()) == "(((b.z == 3 || b.y == '2') && a.x == '1') || c.w != true || (d.v == null))"
    assert drop(model, p["bz"], p["inner"], 1)  # just below itself: no change
    assert render(model.root()) == "(((b.z == 3 || b.y == '2') && a.x == '1') || c.w != true || (d.v == null))"


def test_a_group_cannot_be_dropped_into_itself_or_a_descendant(qtbot, model):
    p = parts(model)
    before = render(model.root())
    for target in (p["g1"], p["inner"]):
        with qtbot.waitSignal(model.sig_move_refused) as refused, qtbot.assertNotEmitted(model.rowsMoved):
            assert not drop(model, p["g1"], target, 0)
        assert "itself" in refused.args[0]
        assert render(model.root()) == before
    assert not drop(model, p["ax"], p["bz"], -1)  # a condition row is not a drop target
    assert render(model.root()) == before


def test_drop_refusal_says_why_without_changing_anything(qtbot, model):
    p = parts(model)
    before = render(model.root())
    mine = model.mimeData([model.index_for(p["g1"])])
    with qtbot.assertNotEmitted(model.sig_move_refused):
        assert "inside itself" in model.drop_refusal(mine, 0, model.index_for(p["inner"]))
        assert model.drop_refusal(mine, -1, QModelIndex()) is None  # the end of the root: allowed
        other = ConditionTreeModel(to_tree(TEXT))
        foreign = other.mimeData([other.index_for(other.root().children[1])])
        assert model.drop_refusal(foreign, 0, model.index_for(p["inner"])) is None  # not ours to judge
    assert render(model.root()) == before


def test_drops_go_through_the_drop_handler(model):
    p = parts(model)
    calls = []
    model.set_drop_handler(lambda node, group, row: calls.append((node, group, row)) or model.move_node(node, group, row))
    assert drop(model, p["cw"], p["g3"], 0)
    assert calls == [(p["cw"], p["g3"], 0)] and p["g3"].children[0] is p["cw"]


def test_drops_from_elsewhere_are_refused(model):
    p = parts(model)
    other = ConditionTreeModel(to_tree(TEXT))
    foreign = other.mimeData([other.index_for(other.root().children[1])])
    target = model.index_for(p["inner"])
    assert not model.canDropMimeData(foreign, MOVE, 0, 0, target)
    assert not model.dropMimeData(foreign, MOVE, 0, 0, target)
    text = QMimeData()
    text.setText("a == 'b'")
    assert not model.canDropMimeData(text, MOVE, 0, 0, target)
    mine = model.mimeData([model.index_for(p["cw"])])
    assert mine.formats() == [MIME_TYPE]
    assert not model.canDropMimeData(mine, Qt.DropAction.CopyAction, 0, 0, target)  # moves only
    assert model.mimeData([model.index(0, 0)]) is None  # the root is not draggable


def test_moves_that_would_nest_too_deep_are_refused(model):
    deepest = root = Group()
    for _ in range(MAX_NESTING - 1):
        inner = Group("and", [Condition("x.y", "==", "1")])
        deepest.children.append(inner)
        deepest = inner
    pair = Group("and", [Group("and", [Condition("p.q", "==", "1")])])
    root.children.append(pair)
    model.set_root(root)
    assert not model.can_add_group(deepest)
    assert "32 levels" in model.move_refusal(pair, deepest, 0)
    assert not model.move_node(pair, deepest, 0)
    with pytest.raises(ValueError, match="32 levels"):
        model.add_group(deepest)
    assert model.move_node(pair.children[0].children[0], deepest, 0)  # a condition still fits


def test_set_data_names_its_roles_and_refuses_wrong_values(qtbot, model):
    p = parts(model)
    index = model.index_for(p["by"])
    with qtbot.waitSignal(model.dataChanged) as changed:
        assert model.setData(index, "b.q", PATH_ROLE)
    assert changed.args[0] == index and PATH_ROLE in changed.args[2]
    assert Qt.ItemDataRole.DisplayRole in changed.args[2]
    with qtbot.assertNotEmitted(model.dataChanged):
        assert not model.setData(index, "~=", OPERATOR_ROLE)
        assert not model.setData(index, [1], VALUE_ROLE)
        assert not model.setData(model.index_for(p["g1"]), "xor", COMBINATOR_ROLE)
        assert model.setData(index, "b.q", PATH_ROLE)  # unchanged: no signal
    assert model.setData(model.index_for(p["bz"]), "3", VALUE_ROLE)  # 3 -> '3' is a change
    assert render(model.root()) == "((a.x == '1' && (b.q == '2' || b.z == '3')) || c.w != true || (d.v == null))"


def test_data_of_a_stale_index_is_none(model):
    p = parts(model)
    stale = model.index_for(p["by"])
    model.remove_node(p["inner"])
    assert model.node(stale) is None
    assert model.data(stale) is None
    assert model.flags(stale) == Qt.ItemFlag.NoItemFlags
    with pytest.raises(ValueError):
        model.remove_node(model.root())


def test_the_view_follows_inserts_removes_and_moves(qtbot, model):
    view = ConditionTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(760, 480)
    view.show()
    p = parts(model)

    def assert_view_matches_tree():
        nodes = [node for _, node in walk(model.root())]
        editors = [view.editor_for(node) for node in nodes]
        assert all(editor is not None and editor.node is node for editor, node in zip(editors, nodes))
        view.executeDelayedItemsLayout()
        tops = [view.visualRect(model.index_for(node)).top() for node in nodes]
        assert tops == sorted(tops) and len(set(tops)) == len(tops)  # display order, all shown
        assert all(editor.geometry().top() == top for editor, top in zip(editors, tops))

    assert_view_matches_tree()
    model.add_condition(p["inner"], Condition("n.m", "==", "1"))
    assert_view_matches_tree()
    with qtbot.waitSignal(model.rowsMoved) as moved:
        model.move_node(p["inner"], p["root"], 0)
    source_parent, first, last, destination, row = moved.args
    assert (model.node(source_parent), first, last, model.node(destination), row) == (p["g1"], 1, 1, p["root"], 0)
    assert_view_matches_tree()
    with qtbot.waitSignal(model.rowsRemoved):
        model.remove_node(p["g1"])
    assert_view_matches_tree()
    assert render(model.root()) == "((b.y == '2' || b.z == 3 || n.m == '1') || c.w != true || (d.v == null))"
