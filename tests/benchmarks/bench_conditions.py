"""Benchmark of trigger-condition matching: compiled predicates vs hand-written lookups.

Run: ``.venv/bin/python tests/benchmarks/bench_conditions.py``. Targets (DESIGN.md section 3,
delivery hot path): each compiled predicate at least 0.5x the speed of a hand-written function
doing the same dict lookups, and parse + compile of a ~4,000-character expression under 5 ms.
Best-of-N timings, so a busy machine shows up as noise rather than as a slower result.
"""

from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from emswebhook_gui.conditions import compile_expression, parse  # noqa: E402

SAMPLES = REPO / "resources" / "sample-states"  # the repository's own copy: a clone has nothing beside it
WALKTHROUGH = (
    "((entitlement.customer.name == 'Sam Smith' && entitlement.state == 'ENABLE') || "
    "(entitlement.contact.externalId == '617AWUD'))"
)
PRODUCT = "entitlement.productKeys.productKey[*].item.itemProduct.product.nameVersion.name == 'TestProduct'"
RATIO_TARGET = 0.5
COMPILE_TARGET_MS = 5.0


def hand_walkthrough(state):
    entitlement = state.get("entitlement", {})
    return (
        entitlement.get("customer", {}).get("name") == "Sam Smith"
        and entitlement.get("state") == "ENABLE"
    ) or entitlement.get("contact", {}).get("externalId") == "617AWUD"


def hand_product(state):
    for key in state.get("entitlement", {}).get("productKeys", {}).get("productKey", []):
        product = key.get("item", {}).get("itemProduct", {}).get("product", {})
        if product.get("nameVersion", {}).get("name") == "TestProduct":
            return True
    return False


def calls_per_second(function, state, number=200_000, repeat=7) -> float:
    timer = timeit.Timer("f(s)", globals={"f": function, "s": state})
    return number / min(timer.repeat(repeat=repeat, number=number))


def long_expression(limit: int = 4000) -> str:
    """A realistic worst case: many grouped conditions over catalogue paths, just under 4,000."""
    paths = [
        "entitlement.customer.name",
        "entitlement.state",
        "entitlement.contact.externalId",
        "entitlement.productKeys.productKey[*].item.itemProduct.product.nameVersion.name",
        "entitlement.channelPartners.channelPartner[*].partner.name",
        "entitlement.marketGroup.name",
        "entitlement.customAttributes.customAttribute[*].value",
    ]
    groups: list[str] = []
    index = 0
    while True:
        group = f"({paths[index % len(paths)]} == 'Value {index}' && entitlement.refId1 != 'PO-{index}')"
        if len(" || ".join(groups + [group])) > limit:
            return " || ".join(groups)
        groups.append(group)
        index += 1


def main() -> int:
    state = json.loads((SAMPLES / "entitlement.json").read_text(encoding="utf-8"))
    ok = True
    for label, text, hand in (
        ("walkthrough", WALKTHROUGH, hand_walkthrough),
        ("[*] product name", PRODUCT, hand_product),
    ):
        predicate = compile_expression(text)
        assert predicate(state) is True and hand(state) is True
        compiled_rate = calls_per_second(predicate, state)
        hand_rate = calls_per_second(hand, state)
        ratio = compiled_rate / hand_rate
        ok &= ratio >= RATIO_TARGET
        print(
            f"{label:18} compiled {compiled_rate:12,.0f} eval/s   hand-written {hand_rate:12,.0f} eval/s"
            f"   ratio {ratio:.2f} (target >= {RATIO_TARGET})"
        )

    text = long_expression()
    compile_expression(text)  # warm the regex and import caches: first-call costs are not per-text
    number, repeat = 20, 7
    parse_ms = min(timeit.repeat(lambda: parse(text), number=number, repeat=repeat)) / number * 1000
    total_ms = min(timeit.repeat(lambda: compile_expression(text), number=number, repeat=repeat)) / number * 1000
    ok &= total_ms < COMPILE_TARGET_MS
    print(
        f"{len(text):,}-character expression: parse {parse_ms:.2f} ms, parse + compile {total_ms:.2f} ms"
        f" (target < {COMPILE_TARGET_MS:g} ms)"
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
