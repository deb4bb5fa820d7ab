"""``--where`` and ``--entity-id`` agree with a plain Python filter over the same notifications
(hypothesis generates the expressions), on SQLite and PostgreSQL.

The stored states are chosen to defeat a careless substring prefilter: names with quotes and
non-ASCII letters, states published as text with ``\\u`` escapes (even of plain letters),
numbers that equal numeric strings, integers beyond 64 bits, and a webhook without Include Data
whose notifications must read their states from a sibling's body. Scans run in steps of 17
notifications so every search crosses many steps."""

import asyncio
import json
import random
import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emswebhook_gui import notifications
from emswebhook_gui.conditions import evaluate, format_literal
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.keyrings import MemoryKeyring

NAMES = ["Sam Smith", "Jo Doe", "Zoë", "O'Neil", 'Say "hi"', "42", "Sam", "Smith Sam", "", "back\\slash"]
QUANTITIES = [1, 2, "2", 2.0, 10 ** 20, 10 ** 20 + 1, -3, "x"]
ENTITIES = ["E-1", "E-2", "E-3", "E-4"]
PATHS = ["entitlement.customer.name", "entitlement.state", "entitlement.items[*].qty", "entitlement.items[0].qty",
         "entitlement.*.name", "previousState.entitlement.state", "previousState.entitlement.customer.name",
         "missing.path"]
LITERALS = [*NAMES, "ENABLE", "DISABLE", 1, 2, 2.0, 10 ** 20, 10 ** 20 + 1, -3, True, False, None]


def make_states(rng: random.Random) -> list[tuple[dict, str, str | None, str | None]]:
    """(published occurrence, entity id, current text, previous text) for each occurrence."""
    result = []
    for n in range(40):
        current = {"entitlement": {
            "state": rng.choice(["ENABLE", "DISABLE"]),
            "customer": {"name": rng.choice(NAMES)},
            "items": [{"qty": rng.choice(QUANTITIES)} for _ in range(rng.randint(0, 3))],
        }}
        previous = {"entitlement": {"state": rng.choice(["ENABLE", "DISABLE"]),
                                    "customer": {"name": rng.choice(NAMES)}}} if n % 3 else None
        style = n % 4
        if style == 0:
            text = json.dumps(current, ensure_ascii=True)  # non-ASCII as \\u escapes
        elif style == 1:
            text = json.dumps(current, ensure_ascii=False).replace("Sam", "\\u0053am")  # escaped plain letters
        else:
            text = json.dumps(current, ensure_ascii=False, separators=(",", ":"))
        entity = rng.choice(ENTITIES)
        occurrence = {"event": "Entitlement Updated", "activity": "Update Entitlement", "entityId": entity,
                      "currentState": text}
        previous_text = None
        if previous is not None:
            previous_text = json.dumps(previous)
            occurrence["previousState"] = previous_text
        result.append((occurrence, entity, text, previous_text))
    return result


class Store:
    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.service = self.loop.run_until_complete(WebhookService.open(url, secrets=SecretStore(MemoryKeyring())))
        self.rows: list[tuple[str, str, str | None, str | None]] = []  # eventId, entity, current, previous
        self.loop.run_until_complete(self._fill())

    async def _fill(self) -> None:
        s = self.service
        await s.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
        for name, include in (("With data", True), ("Without data", False)):
            await s.create_webhook({"name": name, "event": "Entitlement Updated", "includeData": include,
                                    "endpointUrl": "https://hooks.example.com/a", "authProfile": "Basic"})
        for occurrence, entity, current, previous in make_states(random.Random(11)):
            for event_id in await s.publish(occurrence):
                self.rows.append((event_id, entity, current, previous))

    def search(self, filters: dict) -> set[str]:
        page = self.loop.run_until_complete(self.service.search_notifications(filters, limit=1000))
        assert page["nextCursor"] is None
        return {item["eventId"] for item in page["items"]}

    def count(self, filters: dict) -> int:
        return self.loop.run_until_complete(self.service.count_notifications(filters))

    def close(self) -> None:
        self.loop.run_until_complete(self.service.close())
        self.loop.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setattr(notifications, "SCAN_CHUNK", 17)
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('where') / 'store.db'}"
    else:
        admin = request.getfixturevalue("pg_admin_url")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{admin}{'&' if '?' in admin else '?'}options=-csearch_path%3D{schema}"
    s = Store(url)
    yield s
    s.close()
    patch.undo()
    if schema is not None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


comparisons = st.one_of(
    # half of them about the customer's name, where the literals are the stored names themselves
    st.builds(lambda op, value: f"entitlement.customer.name {op} {format_literal(value)}",
              st.sampled_from(["==", "!="]), st.sampled_from(NAMES)),
    st.builds(lambda path, op, value: f"{path} {op} {format_literal(value)}",
              st.sampled_from(PATHS), st.sampled_from(["==", "!="]), st.sampled_from(LITERALS)))
expressions = st.recursive(comparisons, lambda inner: st.builds(
    lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(["&&", "||"]), inner), max_leaves=4)


def expected(rows, expression: str, entity: str | None) -> set[str]:
    """The plain Python filter: the json module's parse, the language's evaluator, previousState.*
    paths on the previous state."""
    result = set()
    for event_id, row_entity, current, previous in rows:
        if entity is not None and row_entity != entity:
            continue
        state = json.loads(current) if current else {}
        if "previousState" in expression:
            state = {**state, "previousState": json.loads(previous) if previous else None}
        if evaluate(expression, state):
            result.add(event_id)
    return result


@given(expression=expressions, entity=st.one_of(st.none(), st.sampled_from(ENTITIES)))
@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_where_and_entity_id_agree_with_a_plain_python_filter(store, expression, entity):
    filters = {"where": expression, **({"entityId": entity} if entity else {})}
    found = expected(store.rows, expression, entity)
    assert store.search(filters) == found
    assert store.count(filters) == len(found)  # counts read in steps of their own (scans.count)


def test_entity_id_alone_finds_exactly_that_entity(store):
    for entity in ENTITIES:
        assert store.search({"entityId": entity}) == {e for e, row_entity, *_ in store.rows if row_entity == entity}
