"""The condition builder's plain model: render, load back, and the editing operations."""

from __future__ import annotations

import pytest

from emswebhook_gui.conditions import (
    STEPS,
    ApiOnlyExpression,
    Condition,
    ConditionSyntaxError,
    Group,
    depth,
    evaluate,
    expression_matches,
    find_parent,
    is_builder_compatible,
    label_for,
    landing_row,
    location,
    move,
    nesting,
    parse,
    plan_step,
    render,
    row_results,
    step_refusal,
    step_target,
    to_tree,
    walk,
)

WALKTHROUGH = (
    "((entitlement.customer.name == 'Sam Smith' && entitlement.state == 'ENABLE') || "
    "(entitlement.contact.externalId == '617AWUD'))"
)


def walkthrough_tree() -> Group:
    return Group(
        "or",
        [
            Group(
                "and",
                [
                    Condition("entitlement.customer.name", "==", "Sam Smith"),
                    Condition("entitlement.state", "==", "ENABLE"),
                ],
            ),
            Group("and", [Condition("entitlement.contact.externalId", "==", "617AWUD")]),
        ],
    )


def test_walkthrough_renders_byte_exact_and_loads_back():
    assert render(walkthrough_tree()) == WALKTHROUGH
    assert to_tree(WALKTHROUGH) == walkthrough_tree()


def test_walkthrough_built_step_by_step_as_in_the_source():
    root = Group()  # the dialog's default row is deleted first (step 1)
    first, second = Group(), Group()
    root.append(first)
    root.append(second)
    root.combinator = "or"
    first.append(Condition("entitlement.customer.name", "==", "Sam Smith"))
    first.append(Condition("entitlement.state", "==", "ENABLE"))
    second.append(Condition("entitlement.contact.externalId", "==", "617AWUD"))
    assert render(root) == WALKTHROUGH


@pytest.mark.parametrize(
    ("tree", "text"),
    [
        (Group(), ""),
        (Group("or", [Group(), Group("and", [Group()])]), ""),
        (Group("and", [Condition("a", "==", 1)]), "(a == 1)"),
        (Group("and", [Condition("a", "==", 1), Group("or", [])]), "(a == 1)"),
        (
            Group("and", [Condition("a", "!=", True), Condition("b", "==", None), Condition("c", "==", 2.5)]),
            "(a != true && b == null && c == 2.5)",
        ),
        (Group("and", [Condition("a", "==", "O'Brien \\ co")]), r"(a == 'O\'Brien \\ co')"),
        (Group("and", [Condition("a.b[*].*")]), "(a.b[*].* == '')"),
        (Group("and", [Group("and", [Condition("a", "==", 1)])]), "((a == 1))"),
    ],
)
def test_render(tree, text):
    assert render(tree) == text


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (Condition(""), "attribute '' is not a valid path"),
        (Condition("a b"), "attribute 'a b' is not a valid path"),
        (Condition("a == 1 || b"), "is not a valid path"),
        (Condition("a[1].b"), "uses the indexed array path 'a[1]', which only the API can edit"),
        (Condition("a", "=", 1), "unknown operator '='"),
        (Condition("a", "==", float("nan")), "value of a: nan cannot be written"),
        (Condition("a", "==", [1]), "value of a: a condition value is text, a number"),
    ],
)
def test_render_refuses_what_text_cannot_express(condition, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        render(Group("and", [condition]))


def test_render_refuses_unknown_combinator():
    with pytest.raises(ValueError, match="unknown combinator 'xor'"):
        render(Group("xor", [Condition("a")]))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a == 1", Group("and", [Condition("a", "==", 1)])),
        ("(a == 1)", Group("and", [Condition("a", "==", 1)])),
        ("((a == 1))", Group("and", [Group("and", [Condition("a", "==", 1)])])),
        (
            "a == 1 && b == 2 && c == 3",
            Group("and", [Condition("a", "==", 1), Condition("b", "==", 2), Condition("c", "==", 3)]),
        ),
        # precedence: the && chain inside an unparenthesised || becomes its own group
        (
            "a == 1 || b == 2 && c == 3",
            Group("or", [Condition("a", "==", 1), Group("and", [Condition("b", "==", 2), Condition("c", "==", 3)])]),
        ),
        # explicit, even redundant, parentheses are kept as groups
        (
            "a == 1 && (b == 2 && c == 3)",
            Group("and", [Condition("a", "==", 1), Group("and", [Condition("b", "==", 2), Condition("c", "==", 3)])]),
        ),
        ('x[*].y != "v"', Group("and", [Condition("x[*].y", "!=", "v")])),
        ("x . * == null", Group("and", [Condition("x.*", "==", None)])),
        ("", Group()),
        ("   ", Group()),
        (None, Group()),
    ],
)
def test_to_tree(text, tree):
    assert to_tree(text) == tree


def test_to_tree_keeps_value_types():
    loaded = to_tree("a == 1 && b == 1.0 && c == true && d == '1'")
    assert [type(c.value) for c in loaded.children] == [int, float, bool, str]
    assert to_tree("a == 1") != to_tree("a == true")


def test_precedence_survives_the_round_trip():
    text = "a == 1 || b == 2 && c == 3"
    rendered = render(to_tree(text))
    assert rendered == "(a == 1 || (b == 2 && c == 3))"
    state = {"a": 0, "b": 2, "c": 0}
    from emswebhook_gui.conditions import evaluate

    assert evaluate(text, state) is evaluate(rendered, state) is False


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            "entitlement.productKeys.productKey[1].item.itemProduct.product.nameVersion.name == 'TestProduct'",
            "entitlement.productKeys.productKey[1]",
        ),
        ("a == 1 || (b[*].c[0][2] == 2)", "b[*].c[0]"),
    ],
)
def test_indexed_paths_are_api_only(text, path):
    with pytest.raises(ApiOnlyExpression) as caught:
        to_tree(text)
    assert caught.value.path == path
    assert str(caught.value) == (
        f"uses the indexed array path '{path}', which only the API can edit; [*] is supported"
    )
    assert is_builder_compatible(text) is False


def test_builder_compatibility():
    assert is_builder_compatible(WALKTHROUGH) is True
    assert is_builder_compatible("a[*].b == 1") is True
    assert is_builder_compatible("") is True
    assert is_builder_compatible("a = 1") is False
    with pytest.raises(ConditionSyntaxError):
        to_tree("a = 1")


def test_single_child_groups_ignore_their_combinator_in_equality():
    # A one-child group has no operator in the text, so 'or' and 'and' render the same.
    assert Group("or", [Condition("a")]) == Group("and", [Condition("a")])
    assert Group("or", [Condition("a"), Condition("b")]) != Group("and", [Condition("a"), Condition("b")])
    assert to_tree(render(Group("or", [Condition("a")]))) == Group("or", [Condition("a")])


def test_nodes_are_not_hashable_and_equal_twins_stay_distinct():
    twin_a, twin_b = Condition("a"), Condition("a")
    group = Group("and", [twin_a, twin_b])
    assert twin_a == twin_b
    with pytest.raises(TypeError):
        hash(twin_a)
    group.remove(twin_b)
    assert group.children[0] is twin_a


def test_insert_refuses_cycles_and_duplicates():
    inner = Group()
    outer = Group("and", [inner])
    with pytest.raises(ValueError, match="inside itself"):
        inner.insert(0, outer)
    with pytest.raises(ValueError, match="inside itself"):
        outer.insert(0, outer)
    with pytest.raises(ValueError, match="already in this group"):
        outer.insert(0, inner)
    with pytest.raises(ValueError, match="not a child"):
        outer.remove(Condition("a"))


def tree_for_moves():
    a, b, c = Condition("a"), Condition("b"), Condition("c")
    inner = Group("or", [c])
    root = Group("and", [a, b, inner])
    return root, a, b, c, inner


def test_move_within_a_group_counts_positions_before_the_move():
    root, a, b, c, inner = tree_for_moves()
    assert move(a, root, 2, root) == 1  # dropped between b and inner
    assert root.children == [b, a, inner]
    assert move(a, root, 2, root) == 1  # dropping just below itself changes nothing
    assert root.children == [b, a, inner]
    assert move(inner, root, 0, root) == 0
    assert [child is expected for child, expected in zip(root.children, [inner, b, a])] == [True] * 3


def test_move_between_groups():
    root, a, b, c, inner = tree_for_moves()
    assert move(a, inner, 99, root) == 1  # clamped to the end
    assert inner.children[1] is a and find_parent(root, a) is inner
    assert render(root) == "(b == '' && (c == '' || a == ''))"


def test_move_refuses_cycles_and_strangers():
    root, a, b, c, inner = tree_for_moves()
    deeper = Group()
    inner.append(deeper)
    with pytest.raises(ValueError, match="inside itself or one of its sub-groups"):
        move(inner, inner, 0, root)
    with pytest.raises(ValueError, match="inside itself or one of its sub-groups"):
        move(inner, deeper, 0, root)
    with pytest.raises(ValueError, match="root group cannot be moved"):
        move(root, inner, 0, root)
    with pytest.raises(ValueError, match="not in this tree"):
        move(Condition("x"), root, 0, root)
    with pytest.raises(ValueError, match="destination group is not in this tree"):
        move(a, Group(), 0, root)
    assert root.children[0] is a and len(inner.children) == 2  # nothing changed


def test_depth_and_nesting_limit():
    root, a, b, c, inner = tree_for_moves()
    assert (depth(root, root), depth(root, a), depth(root, c)) == (0, 1, 2)
    assert (nesting(root), nesting(inner), nesting(a)) == (2, 1, 0)
    assert find_parent(root, root) is None
    with pytest.raises(ValueError, match="not in this tree"):
        depth(root, Condition("x"))

    chain = Group()
    deepest = chain
    for _ in range(31):
        child = Group()
        deepest.append(child)
        deepest = child
    deepest.append(Condition("a", "==", 1))
    assert nesting(chain) == 32
    parse(render(chain))  # 32 levels is exactly the limit
    extra = Group("and", [Condition("b")])
    chain.append(extra)
    with pytest.raises(ValueError, match="deeper than 32 levels"):
        move(extra, deepest, 0, chain)
    move(extra, find_parent(chain, deepest), 0, chain)  # one level up still fits


def test_labels_come_from_the_catalogue_and_unknown_paths_stay_raw():
    assert label_for("Entitlement Added", "entitlement.customer.name") == "Customer Name"
    assert label_for("Entitlement Updated", "entitlement.state") == "Entitlement State"
    assert label_for("Activation Added", "entitlement.state") == "entitlement.state"
    assert label_for("Entitlement Added", "entitlement.unknown[*].x") == "entitlement.unknown[*].x"


def test_keyboard_steps_go_one_place_and_say_why_they_cannot():
    root = to_tree("(a.x == '1' && a.y == '2') || b.z == '3'")
    group, b = root.children
    ax, ay = group.children
    assert step_target(root, b, "up") == (root, 0)
    assert step_target(root, b, "indent") == (group, 2)  # into the group above, at its end
    assert step_target(root, ax, "up") == (root, 0)  # out of its group, above it
    assert step_target(root, ay, "down") == (root, 1)  # out of its group, below it
    assert step_target(root, ax, "down") == (group, 2)
    assert step_target(root, ax, "outdent") == (root, 1)
    assert step_refusal(root, group, "up") == "it is already the first row"
    assert step_refusal(root, b, "down") == "it is already the last row"
    assert step_refusal(root, b, "outdent") == "it is already in the top group"
    assert step_refusal(root, ax, "indent") == "there is no group just above it to move into"
    assert step_refusal(root, root, "up") == "the top group has no place to move from"
    with pytest.raises(ValueError, match="unknown step"):
        step_target(root, b, "sideways")
    assert plan_step(root, b, "indent").final_index == 2
    assert render(root) == "((a.x == '1' && a.y == '2') || b.z == '3')"  # planning changes nothing


def test_a_keyboard_step_obeys_the_nesting_limit():
    chain = deepest = Group()
    for _ in range(30):
        child = Group()
        deepest.append(child)
        deepest = child
    target, wedge, last = Group("and", [Condition("a", "==", 1)]), Group("and", [Condition("b", "==", 1)]), Condition("c")
    for node in (target, wedge, last):
        deepest.append(node)
    assert nesting(chain) == 32
    assert step_refusal(chain, wedge, "indent") == "groups cannot be nested deeper than 32 levels"
    assert step_refusal(chain, last, "indent") is None  # a condition still fits in the group above


def test_landing_row_undoes_any_move():
    text = "((a.x == '1' && (b.y == '2' || b.z == 3)) || c.w != true || (d.v == null))"
    root = to_tree(text)
    nodes = [node for _, node in walk(root) if node is not root]
    groups = [node for _, node in walk(root) if isinstance(node, Group)]
    for node in nodes:
        for group in groups:
            for row in range(len(group.children) + 1):
                home, index = location(root, node)
                try:
                    move(node, group, row, root)
                except ValueError:
                    continue
                move(node, home, landing_row(root, node, home, index), root)
                assert location(root, node) == (home, index) and render(root) == text


def test_row_results_are_the_evaluators_verdicts():
    root = to_tree(WALKTHROUGH)
    root.children[0].append(Condition(""))  # no attribute yet: says nothing, as in a save
    root.append(Group())  # an empty group says nothing either
    state = {"entitlement": {"customer": {"name": "Sam Smith"}, "state": "DISABLE",
                             "contact": {"externalId": "617AWUD"}}}
    results = row_results(root, state)
    assert [result.depth for result in results] == [0, 1, 2, 2, 2, 1, 2, 1]
    assert [result.matched for result in results] == [True, False, True, False, None, True, True, None]
    assert results[0].matched is evaluate(WALKTHROUGH, state)
    assert expression_matches("", state) is True  # no condition: every occurrence
    assert expression_matches(WALKTHROUGH, {"entitlement": {}}) is False
    assert set(STEPS) == {"up", "down", "indent", "outdent"}
