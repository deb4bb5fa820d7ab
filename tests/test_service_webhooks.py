"""Every rule of the source's "Webhook Attributes" table, through the service, on SQLite and PostgreSQL."""

import json

import pytest
import pytest_asyncio

from emswebhook_gui.errors import Conflict, NotFound, ValidationError

pytestmark = pytest.mark.asyncio

VALID = {
    "name": "Orders",
    "event": "Entitlement Added",
    "endpointUrl": "https://hooks.example.com/ems",
    "authProfile": "Basic",
}


@pytest_asyncio.fixture
async def ready(service):
    await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
    return service


async def refused(coro, field):
    with pytest.raises(ValidationError) as info:
        await coro
    message = info.value.for_field(field)
    assert message, f"no error for {field}: {info.value}"
    return message


async def test_defaults_of_a_minimal_webhook(ready):
    webhook = await ready.create_webhook(VALID)
    assert webhook["includeData"] is True and webhook["enabled"] is True
    assert webhook["activities"] == [] and webhook["triggerCondition"] is None
    assert webhook["authProfile"] == "Basic" and webhook["entityName"] == "Entitlement"
    assert (await ready.get_webhook("orders"))["id"] == webhook["id"]
    assert (await ready.get_webhook(webhook["id"]))["name"] == "Orders"


@pytest.mark.parametrize("field", ["name", "event", "endpointUrl", "authProfile"])
async def test_required_attributes(ready, field):
    data = {k: v for k, v in VALID.items() if k != field}
    assert "required" in await refused(ready.create_webhook(data), field)


async def test_name_boundaries_and_case_insensitive_uniqueness(ready):
    await ready.create_webhook({**VALID, "name": "n" * 100})
    message = await refused(ready.create_webhook({**VALID, "name": "m" * 101}), "name")
    assert "101" in message and "100" in message
    await ready.create_webhook(VALID)
    message = await refused(ready.create_webhook({**VALID, "name": "ORDERS"}), "name")
    assert "already exists" in message and "'Orders'" in message
    assert len(await ready.list_webhooks()) == 2


async def test_url_boundaries_and_character_set(ready):
    base = "https://hooks.example.com/"
    ok = base + "a" * (2000 - len(base))
    assert len(ok) == 2000
    await ready.create_webhook({**VALID, "name": "long", "endpointUrl": ok})
    assert "2001" in await refused(ready.create_webhook({**VALID, "endpointUrl": ok + "a"}), "endpointUrl")
    allowed = "https://h.example.com:8443/p-_.~/x?a=1&b=(2)*+,;!$@#frag%20"
    await ready.create_webhook({**VALID, "name": "chars", "endpointUrl": allowed})
    assert "authentication profile" in await refused(
        ready.create_webhook({**VALID, "endpointUrl": "https://u:p@h.example.com/"}), "endpointUrl")
    for bad, shown in (("https://h.example.com/a b", "space"), ("https://h.example.com/<x>", "'<'"),
                       ("https://h.example.com/ü", "'ü'"), ('https://h.example.com/"', "'\"'")):
        assert shown in await refused(ready.create_webhook({**VALID, "endpointUrl": bad}), "endpointUrl")
    for bad in ("ftp://h.example.com/", "h.example.com/path", "https:///nohost", "https://h.example.com/%zz"):
        await refused(ready.create_webhook({**VALID, "endpointUrl": bad}), "endpointUrl")


async def test_description_boundary(ready):
    await ready.create_webhook({**VALID, "description": "d" * 500})
    assert "501" in await refused(ready.create_webhook({**VALID, "name": "x", "description": "d" * 501}), "description")


async def test_event_names_are_exact_and_near_misses_are_suggested(ready):
    message = await refused(ready.create_webhook({**VALID, "event": "Add entitlement"}), "event")
    assert "'Entitlement Added'" in message
    message = await refused(ready.create_webhook({**VALID, "event": "entitlement added"}), "event")
    assert "did you mean 'Entitlement Added'" in message


async def test_activities_must_belong_to_the_event(ready):
    webhook = await ready.create_webhook({**VALID, "activities": ["Add Entitlement", "Split or Transfer", "Add Entitlement"]})
    assert webhook["activities"] == ["Add Entitlement", "Split or Transfer"]
    message = await refused(ready.create_webhook({**VALID, "name": "x", "activities": ["Add entitlement"]}), "activities")
    assert "did you mean 'Add Entitlement'" in message
    assert "not an activity of 'Entitlement Added'" in await refused(
        ready.create_webhook({**VALID, "name": "x", "activities": ["Add Namespace"]}), "activities")
    # changing the event re-checks the activities already chosen
    await refused(ready.update_webhook("Orders", {"event": "Namespace Added"}), "activities")


async def test_trigger_conditions_only_on_four_events(ready):
    condition = "entitlement.state == 'ENABLE'"
    webhook = await ready.create_webhook({**VALID, "triggerCondition": condition})
    assert webhook["triggerCondition"] == condition
    message = await refused(
        ready.create_webhook({**VALID, "name": "ns", "event": "Namespace Added", "triggerCondition": condition}),
        "triggerCondition")
    assert "not available for 'Namespace Added'" in message and "Activation Updated" in message
    message = await refused(
        ready.create_webhook({**VALID, "name": "bad", "triggerCondition": "entitlement.state = 'ENABLE'"}),
        "triggerCondition")
    assert message.startswith("column ")


async def test_unknown_profile_and_unknown_attributes(ready):
    assert "no authentication profile named 'Nope'" in await refused(
        ready.create_webhook({**VALID, "authProfile": "Nope"}), "authProfile")
    assert "unknown attribute" in await refused(ready.create_webhook({**VALID, "colour": "red"}), "colour")
    await refused(ready.create_webhook({**VALID, "includeData": "maybe"}), "includeData")


async def test_every_problem_is_reported_at_once(ready):
    with pytest.raises(ValidationError) as info:
        await ready.create_webhook({"name": "", "event": "Nope", "endpointUrl": "x", "description": "d" * 600})
    assert {e.field for e in info.value.errors} >= {"name", "event", "endpointUrl", "authProfile", "description"}


async def test_a_refused_update_changes_nothing(ready):
    await ready.create_webhook({**VALID, "activities": ["Add Entitlement"]})
    before = await ready.get_webhook("Orders")
    await refused(ready.update_webhook("Orders", {"name": "Renamed", "endpointUrl": "nope"}), "endpointUrl")
    assert await ready.get_webhook("Orders") == before


async def test_update_patch_and_replace(ready):
    await ready.create_webhook({**VALID, "description": "first", "activities": ["Add Entitlement"]})
    patched = await ready.update_webhook("Orders", {"description": "second"})
    assert patched["description"] == "second" and patched["activities"] == ["Add Entitlement"]
    replaced = await ready.update_webhook("Orders", {**VALID, "name": "Orders2"}, replace=True)
    assert replaced["description"] is None and replaced["activities"] == [] and replaced["name"] == "Orders2"
    renamed_case = await ready.update_webhook("Orders2", {"name": "ORDERS2"})
    assert renamed_case["name"] == "ORDERS2"


async def test_enable_disable_delete(ready):
    await ready.create_webhook(VALID)
    assert (await ready.set_webhook_enabled("Orders", False))["enabled"] is False
    assert (await ready.set_webhook_enabled("Orders", True))["enabled"] is True
    await ready.delete_webhook("Orders")
    with pytest.raises(NotFound):
        await ready.get_webhook("Orders")
    with pytest.raises(NotFound):
        await ready.delete_webhook("Orders")


async def test_changes_are_broadcast(ready):
    seen = []
    unsubscribe = ready.subscribe(lambda kind, ids: seen.append(kind))
    await ready.create_webhook(VALID)
    await ready.set_webhook_enabled("Orders", False)
    unsubscribe()
    await ready.delete_webhook("Orders")
    assert seen == ["webhooks", "webhooks"]


async def test_profile_in_use_cannot_be_deleted(ready):
    await ready.create_webhook(VALID)
    with pytest.raises(Conflict) as info:
        await ready.delete_profile("Basic")
    assert "'Orders'" in str(info.value)
    await ready.delete_webhook("Orders")
    await ready.delete_profile("basic")
    assert await ready.list_profiles() == []


async def test_lone_surrogates_are_refused_naming_the_field(ready):
    """JSON can spell half a surrogate pair ("\\ud800"); that is not text, SQLite and PostgreSQL
    cannot store it, and it used to fail the publishes group-committed with it."""
    message = await refused(ready.create_webhook({**VALID, "description": "half \ud800 pair"}), "description")
    assert "character 6 is U+D800" in message and "cannot be stored" in message
    occurrence = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"}
    assert "U+DC00" in await refused(ready.publish({**occurrence, "entityId": "e\udc00"}), "entityId")
    assert "U+D83D" in await refused(ready.publish({**occurrence, "currentState": {"name": "\ud83d"}}), "currentState")
    assert "U+D800" in await refused(ready.publish({**occurrence, "currentState": '{"a":"\ud800"}'}), "currentState")
    # a pair written as an escape in JSON text is text: stored as given
    assert await ready.publish({**occurrence, "currentState": '{"name":"\\ud83d\\ude00"}'}) == []
    assert await ready.publish({**occurrence, "currentState": {"name": "\U0001F600"}}) == []


async def test_lookups_by_text_no_database_can_bind_find_nothing_or_name_the_field(ready):
    """A CLI argument of invalid UTF-8 arrives as half surrogate pairs ('\\udced'); looked up, it
    used to reach the driver and fail with UnicodeEncodeError."""
    bad = "bad\udced\udca0"
    with pytest.raises(NotFound):
        await ready.get_webhook(bad)
    with pytest.raises(NotFound):
        await ready.get_notification(bad)
    with pytest.raises(NotFound):
        await ready.retry_notifications(event_id=bad)
    assert "U+DCED" in await refused(ready.search_notifications({"webhook": bad}), "webhook")
    assert "NUL" in await refused(ready.search_notifications({"eventId": "a\x00b"}), "eventId")
    assert "U+DCED" in await refused(ready.mark_successful(filters={"status": "FAILED"}, by=bad), "by")


async def test_states_nested_too_deeply_or_not_json_are_refused_naming_the_field(ready):
    occurrence = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"}
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    assert "nested too deeply" in await refused(ready.publish({**occurrence, "currentState": deep}), "currentState")
    nested: dict = {}
    for _ in range(5000):
        nested = {"a": nested}
    assert "nested too deeply" in await refused(ready.publish({**occurrence, "previousState": nested}),
                                                "previousState")
    assert "cannot be written as JSON" in await refused(
        ready.publish({**occurrence, "currentState": {"when": object()}}), "currentState")


async def test_nul_characters_are_refused_not_crashing_the_database(ready):
    message = await refused(ready.create_webhook({**VALID, "description": "bad\x00byte"}), "description")
    assert "NUL" in message
    with pytest.raises(ValidationError) as info:
        await ready.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e\x00"})
    assert info.value.for_field("entityId")
    with pytest.raises(ValidationError) as info:
        await ready.search_notifications({"stauts": "FAILED"})
    assert "unknown filter" in info.value.for_field("stauts")


async def test_send_test_event_takes_an_edited_state_judged_by_the_publish_rules(ready):
    webhook = await ready.create_webhook({**VALID, "activities": ["Add Draft Entitlement"]})
    edited = '{\n  "entitlement": {"id": "E-edited", "state": "DISABLE"}\n}'
    [event_id] = await ready.send_test_event(webhook["id"], edited)
    sent = await ready.get_notification(event_id)
    assert (sent["entityId"], sent["activityName"]) == ("E-edited", "Add Draft Entitlement")
    payload = json.loads(sent["payload"])
    assert json.loads(payload["currentState"]) == {"entitlement": {"id": "E-edited", "state": "DISABLE"}}

    [other] = await ready.send_test_event("Orders", {"entitlement": {"state": "ENABLE"}})
    assert (await ready.get_notification(other))["entityId"] == "sample"  # no id in it: still sent
    assert await ready.send_test_event("Orders", activity="Add Entitlement") == []  # the activity filter

    message = await refused(ready.send_test_event("Orders", '{\n  "entitlement": {"id": "E-1",}\n}'), "currentState")
    assert "not valid JSON" in message and "line 2 column" in message
    assert "JSON object" in await refused(ready.send_test_event("Orders", "[1, 2]"), "currentState")
    assert "activity" in str(await refused(ready.send_test_event("Orders", activity="Add Customer"), "activity"))
    assert await ready.count_notifications() == 2  # a refused test event stores nothing


async def test_failing_counts_are_failed_and_retrying_notifications_per_webhook(ready):
    from sqlalchemy import update

    from emswebhook_gui.store.models import Notification

    first = await ready.create_webhook(VALID)
    second = await ready.create_webhook({**VALID, "name": "Quiet"})
    assert await ready.failing_counts() == {}
    ids = [(await ready.send_test_event("Orders"))[0] for _ in range(5)]
    quiet = (await ready.send_test_event("Quiet"))[0]
    states = [("FAILED", 3), ("FAILED", 6), ("IN_PROGRESS", 1), ("IN_PROGRESS", 0), ("SUCCESSFUL", 2)]

    def set_states(session):
        for event_id, (status, attempts) in zip(ids, states):
            session.execute(update(Notification).where(Notification.event_id == event_id)
                            .values(status=status, attempts=attempts))
        session.execute(update(Notification).where(Notification.event_id == quiet).values(status="SUCCESSFUL"))

    await ready.db.run(set_states)
    assert await ready.failing_counts() == {first["id"]: 3}  # 2 FAILED + 1 retrying after a failed attempt
    assert second["id"] not in await ready.failing_counts()
    assert await ready.count_notifications({"webhook": "Orders", "status": "NEEDS_ATTENTION"}) == 3


async def test_a_condition_on_an_integer_beyond_64_bits_compares_it_exactly(ready):
    """A state given as JSON text is read by Python's reader: a faster one (orjson) turns such
    integers into floats, and the condition below would then never match (or match its
    neighbour)."""
    big = 123456789012345678901234567891
    await ready.create_webhook({**VALID, "triggerCondition": f"entitlement.serial == {big}"})
    occurrence = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e1"}
    matched = await ready.publish({**occurrence, "currentState": f'{{"entitlement": {{"serial": {big}}}}}'})
    assert len(matched) == 1
    assert await ready.publish({**occurrence, "currentState": f'{{"entitlement": {{"serial": {big + 1}}}}}'}) == []
