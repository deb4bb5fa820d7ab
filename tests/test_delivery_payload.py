"""The notification body against the source's documented examples, field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emswebhook_gui.delivery.payload import build_payload, format_op_datetime

NAMESPACE_ID = "e60db72f-a446-43cb-9a25-0d8c36fe7b3b"

# The source's three examples, verbatim except for one thing: the Update Namespace example wraps
# "educational items" across a line in the document (a raw newline, invalid inside a JSON string);
# it is rejoined with a space here.
ADD_NAMESPACE = r"""{
"eventName": "Namespace Added",
"entityName": "Namespace",
"webhookId": "08c61b38-8523-4eb1-9b01-b12a2e6a583c",
"webhookName": "NSADD",
"activityName": "Add Namespace",
"requestId": "9876f57e-58d7-460d-bc39-06d6ee65be1b",
"eventId": "5c9d6072-b5bf-4640-8aae-422a52847994",
"url": "https://api.example.com/ems/v5/namespaces",
"entityId": "e60db72f-a446-43cb-9a25-0d8c36fe7b3b",
"currentState": "{\"namespace\":{\"id\":\"e60db72f-a446-43cb-9a25-0d8c36fe7b3b\",\"createdBy\":\"admin\",\"creationDate\":\"2025-07-23 10:01\",\"lastModifiedBy\":\"\",\"lastModifiedDate\":\"\",\"name\":\"EDUCATIONAL\",\"description\":\"\",\"state\":\"DRAFT\",\"refId1\":\"\",\"refId2\":\"\"}}",
"opDatetime": "2025-07-23 10:01:33.437"
}"""

UPDATE_NAMESPACE = r"""{
"eventName": "Namespace Updated",
"entityName": "Namespace",
"webhookId": "9788bfb9-14d3-494c-b583-f27280b3e367",
"webhookName": "NSUPD",
"activityName": "Replace Namespace",
"requestId": "8edffd14-7f60-4f7a-9390-4cb645f5f4d7",
"eventId": "aee827d7-d1e6-4ae8-ab9b-db5791ab3bda",
"url": "https://api.example.com/ems/v5/namespaces/123e4567-e89b-12d3-a456-426614174000",
"entityId": "e60db72f-a446-43cb-9a25-0d8c36fe7b3b",
"previousState": "{\"namespace\":{\"id\":\"e60db72f-a446-43cb-9a25-0d8c36fe7b3b\",\"createdBy\":\"admin\",\"creationDate\":\"2025-07-23 10:01\",\"lastModifiedBy\":\"\",\"lastModifiedDate\":\"\",\"name\":\"EDUCATIONAL\",\"description\":\"\",\"state\":\"DRAFT\",\"refId1\":\"\",\"refId2\":\"\"}}",
"currentState": "{\"namespace\":{\"id\":\"e60db72f-a446-43cb-9a25-0d8c36fe7b3b\",\"createdBy\":\"admin\",\"creationDate\":\"2025-07-23 10:01\",\"lastModifiedBy\":\"admin\",\"lastModifiedDate\":\"2025-07-23 10:02\",\"name\":\"EDUCTATIONAL\",\"description\":\"educational items\",\"state\":\"DRAFT\",\"refId1\":\"\",\"refId2\":\"\"}}",
"opDatetime": "2025-07-23 10:02:30.409"
}"""

QUANTITY_EXHAUSTED = r"""{
"eventName": "Product Key Quantity Exhausted",
"entityName": "Entitlement",
"webhookId": "320d390f-0360-4149-b69d-bcadcf2ce8b3",
"webhookName": "PKIDQTYEXHT",
"activityName": "Add Activation",
"requestId": "d8f9df9d-4d86-4d92-a71c-e6b396834eb7",
"eventId": "e0d78fdb-6b3e-427a-92d1-51b666ddc9ab",
"url": "https://api.example.com/ems/v5/activations/bulkActivate",
"entityId": "9d03e346-82eb-4059-b95e-1b1e205ca07b",
"opDatetime": "2025-07-23 10:04:14.760"
}"""


def namespace_state(**changes: str) -> dict:
    state = {
        "id": NAMESPACE_ID,
        "createdBy": "admin",
        "creationDate": "2025-07-23 10:01",
        "lastModifiedBy": "",
        "lastModifiedDate": "",
        "name": "EDUCATIONAL",
        "description": "",
        "state": "DRAFT",
        "refId1": "",
        "refId2": "",
    }
    return {"namespace": state | changes}


def assert_same_document(built: bytes, documented: str) -> None:
    got = json.loads(built)
    want = json.loads(documented)
    assert got == want
    assert list(got) == list(want)


UPDATED_NAMESPACE = namespace_state(lastModifiedBy="admin", lastModifiedDate="2025-07-23 10:02",
                                    name="EDUCTATIONAL", description="educational items")
EXHAUSTED_STATE = {"entitlement": {"id": "9d03e346"}}


@pytest.mark.parametrize(("fields", "documented"), [
    pytest.param(dict(
        event_name="Namespace Added", activity_name="Add Namespace", webhook_name="NSADD",
        webhook_id="08c61b38-8523-4eb1-9b01-b12a2e6a583c", request_id="9876f57e-58d7-460d-bc39-06d6ee65be1b",
        event_id="5c9d6072-b5bf-4640-8aae-422a52847994", url="https://api.example.com/ems/v5/namespaces",
        entity_id=NAMESPACE_ID, op_datetime=datetime(2025, 7, 23, 10, 1, 33, 437_000, tzinfo=UTC),
        current_state=namespace_state()), ADD_NAMESPACE, id="add namespace"),
    pytest.param(dict(
        event_name="Namespace Updated", activity_name="Replace Namespace", webhook_name="NSUPD",
        webhook_id="9788bfb9-14d3-494c-b583-f27280b3e367", request_id="8edffd14-7f60-4f7a-9390-4cb645f5f4d7",
        event_id="aee827d7-d1e6-4ae8-ab9b-db5791ab3bda",
        url="https://api.example.com/ems/v5/namespaces/123e4567-e89b-12d3-a456-426614174000",
        entity_id=NAMESPACE_ID, op_datetime=datetime(2025, 7, 23, 10, 2, 30, 409_999, tzinfo=UTC),
        previous_state=namespace_state(), current_state=UPDATED_NAMESPACE), UPDATE_NAMESPACE, id="update namespace"),
    pytest.param(dict(
        event_name="Product Key Quantity Exhausted", activity_name="Add Activation", webhook_name="PKIDQTYEXHT",
        webhook_id="320d390f-0360-4149-b69d-bcadcf2ce8b3", request_id="d8f9df9d-4d86-4d92-a71c-e6b396834eb7",
        event_id="e0d78fdb-6b3e-427a-92d1-51b666ddc9ab", url="https://api.example.com/ems/v5/activations/bulkActivate",
        entity_id="9d03e346-82eb-4059-b95e-1b1e205ca07b",
        op_datetime=datetime(2025, 7, 23, 10, 4, 14, 760_000, tzinfo=UTC), include_data=False,
        current_state=EXHAUSTED_STATE, previous_state=EXHAUSTED_STATE), QUANTITY_EXHAUSTED,
        id="quantity exhausted, without data"),
])
def test_the_documented_examples(fields, documented):
    assert_same_document(build_payload(**fields), documented)


def base(**overrides) -> dict:
    fields = dict(
        event_name="Entitlement Updated",
        activity_name="Update Entitlement",
        webhook_id="w-1",
        webhook_name="ENTUPD",
        request_id="r-1",
        event_id="e-1",
        url="https://api.example.com/ems/v5/entitlements/1",
        entity_id="ent-1",
        op_datetime=datetime(2025, 12, 31, 23, 30, 0, 5_000, tzinfo=UTC),
    )
    return fields | overrides


def test_state_strings_are_sent_verbatim_and_dicts_compactly():
    built = json.loads(
        build_payload(
            **base(current_state='{"entitlement": {"state": "ENABLE"}}', previous_state={"a": "é"})
        )
    )
    assert built["currentState"] == '{"entitlement": {"state": "ENABLE"}}'
    assert built["previousState"] == '{"a":"é"}'


def test_body_is_utf8_json_without_escaping():
    body = build_payload(**base(webhook_name="Größe", current_state={"name": "日本"}))
    assert isinstance(body, bytes)
    text = body.decode("utf-8")
    assert "Größe" in text and "日本" in text


@settings(max_examples=300, deadline=None)
@given(text=st.text(), state=st.text(), moment=st.datetimes(timezones=st.just(UTC)))
def test_body_bytes_are_the_json_modules_compact_utf8_for_any_text(text, state, moment):
    """The body is written by orjson for speed; for every text (quotes, backslashes, control
    characters, non-ASCII, U+2028) its bytes are those of the json module's compact encoding,
    the form the golden tests pin down; opDatetime is truncated to milliseconds, with four-digit
    years (strftime wrote year 1 as "1")."""
    body = build_payload(**base(webhook_name=text, entity_id=text, url=text, current_state=state,
                                previous_state=text, op_datetime=moment))
    expected = {"eventName": "Entitlement Updated", "entityName": "Entitlement", "webhookId": "w-1",
                "webhookName": text, "activityName": "Update Entitlement", "requestId": "r-1", "eventId": "e-1",
                "url": text, "entityId": text, "previousState": text, "currentState": state,
                "opDatetime": f"{moment.year:04}-{moment.month:02}-{moment.day:02} {moment.hour:02}:{moment.minute:02}:"
                              f"{moment.second:02}.{moment.microsecond // 1000:03}"}
    assert body == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_previous_state_absent_when_the_occurrence_has_none():
    built = json.loads(build_payload(**base(current_state={"x": 1})))
    assert "previousState" not in built
    assert built["currentState"] == '{"x":1}'


def test_include_data_false_drops_both_states():
    built = json.loads(
        build_payload(**base(include_data=False, current_state={"x": 1}, previous_state={"x": 0}))
    )
    assert "currentState" not in built and "previousState" not in built
    assert list(built)[-1] == "opDatetime"


def test_delete_entitlement_has_blank_current_state():
    built = json.loads(
        build_payload(
            **base(
                activity_name="Delete Entitlement",
                previous_state={"entitlement": {"id": "ent-1"}},
                current_state={"entitlement": {"id": "ent-1"}},
            )
        )
    )
    assert built["currentState"] == ""
    assert built["previousState"] == '{"entitlement":{"id":"ent-1"}}'
    assert list(built) == [
        "eventName", "entityName", "webhookId", "webhookName", "activityName", "requestId",
        "eventId", "url", "entityId", "previousState", "currentState", "opDatetime",
    ]  # fmt: skip


def test_delete_that_does_not_delete_the_subject_keeps_current_state():
    # On "Product Updated", "Delete Entitlement" detaches an entitlement; the product remains.
    built = json.loads(
        build_payload(
            **base(
                event_name="Product Updated",
                activity_name="Delete Entitlement",
                current_state={"product": {"id": "p"}},
            )
        )
    )
    assert built["currentState"] == '{"product":{"id":"p"}}'
    assert built["entityName"] == "Product"


def test_op_datetime_is_utc_with_truncated_milliseconds():
    moment = datetime(2025, 7, 23, 12, 1, 33, 437_999, tzinfo=timezone(timedelta(hours=2)))
    assert format_op_datetime(moment) == "2025-07-23 10:01:33.437"
    assert format_op_datetime(datetime(2025, 7, 23, 10, 1, 33)) == "2025-07-23 10:01:33.000"
    built = json.loads(build_payload(**base(expiry_time_zone=ZoneInfo("Asia/Kolkata"))))
    assert built["opDatetime"] == "2025-12-31 23:30:00.005"  # not an expiry: stays UTC


@pytest.mark.parametrize(
    ("event_name", "activity_name"),
    [("Entitlement Updated", "Entitlement Expired"), ("Product Key Expired", "Product Key Expired")],
)
def test_expiry_occurrences_use_the_expiration_time_zone(event_name, activity_name):
    fields = base(event_name=event_name, activity_name=activity_name)
    built = json.loads(build_payload(**fields, expiry_time_zone=ZoneInfo("America/New_York")))
    assert built["opDatetime"] == "2025-12-31 18:30:00.005"
    assert json.loads(build_payload(**fields))["opDatetime"] == "2025-12-31 23:30:00.005"
    kolkata = json.loads(build_payload(**fields, expiry_time_zone=ZoneInfo("Asia/Kolkata")))
    assert kolkata["opDatetime"] == "2026-01-01 05:00:00.005"


def test_unknown_event_is_refused():
    with pytest.raises(ValueError, match="unknown event 'Entitlement added'"):
        build_payload(**base(event_name="Entitlement added"))
