"""The OpenAPI document against what the live server accepts, field by field.

The request schemas are generated from the rules' declarations (``rules.webhooks``,
``rules.profiles``, ``rules.occurrences``, ``rules.properties``); schemathesis
(test_api_schema.py) fuzzes them. Here each declared field is sent on purpose: every field the
document names is accepted, any other is refused with a 400 naming it, every required field is
refused when missing, and each length limit the document states (or declares for a trimmed name,
which JSON Schema cannot state) is the one the server enforces, to the character.
"""

import itertools
import json

import aiohttp
import pytest
import pytest_asyncio

from emswebhook_gui.api import start_api
from emswebhook_gui.api.openapi import document
from emswebhook_gui.rules.occurrences import OCCURRENCE
from emswebhook_gui.rules.profiles import PROFILE
from emswebhook_gui.rules.webhooks import WEBHOOK
from emswebhook_gui.service import WebhookService

pytestmark = pytest.mark.asyncio

TOKEN = "declarations-test-token-5b2d"
SCHEMAS = document()["components"]["schemas"]
_names = (f"n{i}" for i in itertools.count())


def webhook_body() -> dict:
    return {"event": "Entitlement Added", "name": next(_names), "endpointUrl": "https://hooks.example.com/ems",
            "authProfile": "Seed", "activities": ["Add Entitlement"], "triggerCondition": "entitlement.state == 'ENABLE'",
            "description": "d", "includeData": False, "enabled": True}


def basic_body() -> dict:
    return {"name": next(_names), "type": "basic", "username": "u", "password": "p"}


def oauth_body() -> dict:
    return {"name": next(_names), "type": "oauth", "tokenUrl": "https://id.example.com/token", "clientId": "c",
            "clientSecret": "s", "scope": "hooks", "audience": "ems"}


def occurrence_body() -> dict:
    return {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e-1", "entity": "Entitlement",
            "url": "https://ems.example.com/ems/api/v5/entitlements", "requestId": "r-1",
            "currentState": {"entitlement": {"state": "ENABLE"}}, "previousState": "{}",
            "opDatetime": "2026-11-28T10:00:00Z"}


# (schema, path, a valid body naming every field that applies, the declaration)
KINDS = {
    "webhook": ("WebhookInput", "/webhooks", webhook_body, WEBHOOK),
    "basic profile": ("AuthProfileInput", "/auth-profiles", basic_body, PROFILE),
    "oauth profile": ("AuthProfileInput", "/auth-profiles", oauth_body, PROFILE),
    "occurrence": ("Occurrence", "/events", occurrence_body, OCCURRENCE),
}


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base

    async def send(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        async with self.session.request(method, self.base + path, data=json.dumps(body), headers={
                "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}) as response:
            return response.status, await response.json(content_type=None)

    async def refused_fields(self, path: str, body: dict) -> set[str]:
        status, answer = await self.send("POST", path, body)
        assert status == 400, (body, answer)
        return {error["field"] for error in answer["errors"]}

    async def accepts(self, path: str, body: dict) -> None:
        status, answer = await self.send("POST", path, body)
        assert status == 201, (body, answer)


@pytest_asyncio.fixture
async def api(sqlite_url):
    service = await WebhookService.open(sqlite_url)
    await service.create_profile({"name": "Seed", "type": "basic", "username": "u", "password": "p"})
    await service.create_webhook({"name": "Seeded", "event": "Entitlement Added",
                                  "endpointUrl": "https://hooks.example.com/ems", "authProfile": "Seed"})
    server = await start_api(service, port=0, token=TOKEN, access_log_enabled=False)
    try:
        async with aiohttp.ClientSession() as session:
            yield Api(session, server.url)
    finally:
        await server.stop()
        await service.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_every_field_the_document_names_is_accepted(api, kind):
    schema_name, path, body, fields = KINDS[kind]
    sent = body()
    assert set(sent) <= set(SCHEMAS[schema_name]["properties"])
    assert tuple(SCHEMAS[schema_name]["properties"]) == fields.names
    assert SCHEMAS[schema_name]["additionalProperties"] is False
    await api.accepts(path, sent)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_field_the_document_does_not_name_is_refused_naming_it(api, kind):
    schema_name, path, body, _fields = KINDS[kind]
    status, answer = await api.send("POST", path, {**body(), "entityID": "e-1"})
    assert status == 400
    assert answer["errors"] == [{"field": "entityID", "message": "unknown attribute; expected one of: "
                                 + ", ".join(SCHEMAS[schema_name]["properties"])}]


@pytest.mark.parametrize("kind", KINDS)
async def test_each_required_field_is_refused_when_missing(api, kind):
    schema_name, path, body, _fields = KINDS[kind]
    required = SCHEMAS[schema_name]["required"]
    assert required == [f.name for f in KINDS[kind][3].fields if f.required]
    for name in required:
        sent = body()
        del sent[name]
        assert name in await api.refused_fields(path, sent), name


def _text_of_length(name: str, length: int) -> str:
    if name in ("endpointUrl", "tokenUrl"):
        start = "https://hooks.example.com/"
        return start + "a" * (length - len(start))
    if name == "name":  # names are unique
        unique = next(_names)
        return unique + "x" * (length - len(unique))
    return "x" * length


@pytest.mark.parametrize("kind", KINDS)
async def test_the_length_limits_are_the_ones_enforced(api, kind):
    schema_name, path, body, fields = KINDS[kind]
    properties = SCHEMAS[schema_name]["properties"]
    probed = 0
    for name in body():
        declared = fields[name]
        stated = properties[name].get("maxLength")
        if declared.trimmed:  # counted once trimmed: the document says so in words, not in maxLength
            assert stated is None and f"{declared.limit} characters" in properties[name]["description"]
            await api.accepts(path, {**body(), name: f"  {_text_of_length(name, declared.limit)}  "})
        else:
            assert stated == declared.limit, name
        if declared.limit is None or declared.limit > 100_000:  # a state: beyond the 1 MiB body limit
            continue
        await api.accepts(path, {**body(), name: _text_of_length(name, declared.limit)})
        assert name in await api.refused_fields(path, {**body(), name: _text_of_length(name, declared.limit + 1)})
        probed += 1
    assert probed >= 2


async def test_the_property_bounds_in_the_document_are_the_ones_enforced(api):
    bounded = {key: schema for key, schema in SCHEMAS["Config"]["properties"].items() if "maximum" in schema}
    assert len(bounded) >= 4
    assert set(SCHEMAS["ConfigInput"]["properties"]) == set(SCHEMAS["Config"]["properties"])
    for key, schema in bounded.items():
        for value in (schema["minimum"], schema["maximum"]):
            status, answer = await api.send("PATCH", "/config", {key: value})
            assert status == 200 and answer[key] == value, (key, answer)
        for value in (schema["minimum"] - 1, schema["maximum"] + 1):
            status, answer = await api.send("PATCH", "/config", {key: value})
            assert status == 400 and [e["field"] for e in answer["errors"]] == [key], (key, value, answer)
    status, answer = await api.send("PATCH", "/config", {"apiPortt": 8478})
    assert status == 400 and "apiPortt" in {e["field"] for e in answer["errors"]}
