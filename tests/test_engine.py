"""The delivery engine end to end: publish, match, deliver to a real loopback receiver, retry on
the fixed schedule (advanced by a test clock), search, manual retry, mark successful."""

import asyncio
import base64
import json

import pytest
import sqlalchemy.exc
import pytest_asyncio

from emswebhook_gui.errors import Conflict, NotFound, ValidationError
from tests.support.clock import FakeClock
from tests.support.delivery import caught_up, loopback_service, run_to_failed, started_engine
from tests.support.receiver import Answer, TokenServer, closed_port
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def env(db_url, memory_keyring, receiver):
    """A service with a test clock, private endpoints allowed (the receiver is on loopback),
    a Basic profile, and a running engine."""
    clock = FakeClock()
    service = await loopback_service(db_url, memory_keyring, clock, basic=("ems", "pw-123"))
    engine = await started_engine(service)
    yield service, engine, clock, receiver
    await engine.stop()
    await service.close()


async def status_of(service, event_id):
    return (await service.get_notification(event_id))["status"]


async def add_webhook(service, receiver, **extra):
    data = {"name": "Hook", "event": "Entitlement Added", "endpointUrl": receiver.url(), "authProfile": "Basic"}
    data.update(extra)
    return await service.create_webhook(data)


ENTITLEMENT = {"entitlement": {"id": "e-1", "state": "ENABLE", "customer": {"name": "Sam Smith"}}}


async def test_a_published_occurrence_is_delivered_with_basic_auth(env):
    service, engine, clock, receiver = env
    webhook = await add_webhook(service, receiver)
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                        "entityId": "e-1", "url": "https://ems.example.com/v5/entitlements",
                                        "requestId": "req-1", "currentState": ENTITLEMENT})
    await until(lambda: _eq(status_of(service, event_id), "SUCCESSFUL"))
    [request] = receiver.requests
    assert request.method == "POST" and request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"ems:pw-123").decode()
    assert request.headers["User-Agent"].startswith("emswebhook-gui/")
    body = json.loads(request.body)
    assert list(body) == ["eventName", "entityName", "webhookId", "webhookName", "activityName", "requestId",
                          "eventId", "url", "entityId", "currentState", "opDatetime"]
    assert body["eventId"] == event_id and body["webhookId"] == webhook["id"] and body["requestId"] == "req-1"
    assert json.loads(body["currentState"]) == ENTITLEMENT
    assert body["opDatetime"] == "2026-11-28 12:00:00.000"
    details = await service.get_notification(event_id)
    assert details["attempts"] == 1 and details["attemptHistory"][0]["statusCode"] == 200


async def _eq(coro, expected):
    return (await coro) == expected


async def test_requests_share_the_request_id_and_get_distinct_event_ids(env):
    service, engine, clock, receiver = env
    await add_webhook(service, receiver, name="A")
    await add_webhook(service, receiver, name="B")
    ids = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"})
    assert len(ids) == 2 and len(set(ids)) == 2
    await until(lambda: _len_at_least(receiver.requests, 2))
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert len({b["requestId"] for b in bodies}) == 1 and {b["eventId"] for b in bodies} == set(ids)


async def _len_at_least(items, n):
    return len(items) >= n


async def test_filters_activity_condition_both_and_disabled(env):
    service, engine, clock, receiver = env
    await add_webhook(service, receiver, name="activity", activities=["Add Draft Entitlement"])
    await add_webhook(service, receiver, name="condition", triggerCondition="entitlement.state == 'ENABLE'")
    await add_webhook(service, receiver, name="both", activities=["Add Entitlement"],
                      triggerCondition="entitlement.customer.name == 'Sam Smith'")
    await add_webhook(service, receiver, name="disabled", enabled=False)
    await add_webhook(service, receiver, name="other event", event="Entitlement Updated")

    async def names(activity, state):
        ids = await service.publish({"event": "Entitlement Added", "activity": activity, "entityId": "e",
                                     "currentState": state})
        return sorted([(await service.get_notification(i))["webhookName"] for i in ids])

    assert await names("Add Entitlement", ENTITLEMENT) == ["both", "condition"]
    assert await names("Add Draft Entitlement", ENTITLEMENT) == ["activity", "condition"]
    disabled_state = {"entitlement": {"state": "DISABLE", "customer": {"name": "Sam Smith"}}}
    assert await names("Add Entitlement", disabled_state) == ["both"]
    assert await names("Split or Transfer", {"entitlement": {"state": "DISABLE"}}) == []


async def test_publishes_arriving_one_by_one_under_load_share_one_commit(env, monkeypatch):
    """Group commit: after a busy round of eight, eight more arriving on successive loop turns
    (as a client's next requests do) are written in one transaction, and each still gets its own
    eventId; a lone publish afterwards is not held back for company that never comes."""
    from emswebhook_gui import publishing

    service, engine, clock, receiver = env
    await add_webhook(service, receiver)
    commits = []  # one publish_batch call = one transaction of publishes

    def counted(session, items, zone, lease):
        commits.append(len(items))
        return store(session, items, zone, lease)

    store = publishing.publish_batch
    monkeypatch.setattr(publishing, "publish_batch", counted)
    occurrence = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"}

    async def staggered(turns: int) -> list[str]:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await service.publish(occurrence)

    # paused, the engine sends nothing meanwhile: deliveries ran in the loop turns the staggered
    # publishes wait on, and sometimes stretched eight turns past the 3 ms linger
    engine.pause()
    first = await asyncio.gather(*(staggered(0) for _ in range(8)))
    commits.clear()
    second = await asyncio.gather(*(staggered(turns) for turns in range(8)))
    assert commits == [8]
    engine.resume()
    lone = await asyncio.wait_for(service.publish(occurrence), 1.0)
    ids = [i for ids in (*first, *second, lone) for i in ids]
    assert len(ids) == 17 == len(set(ids))
    await until(lambda: _len_at_least(receiver.requests, 17))
    assert {json.loads(r.body)["eventId"] for r in receiver.requests} == set(ids)


async def test_invalid_occurrences_store_nothing(env):
    service, engine, clock, receiver = env
    await add_webhook(service, receiver)
    for bad, field in (({"event": "Entitlement added", "activity": "Add Entitlement", "entityId": "e"}, "event"),
                       ({"event": "Entitlement Added", "activity": "Add Namespace", "entityId": "e"}, "activity"),
                       ({"event": "Entitlement Added", "activity": "Add Entitlement"}, "entityId"),
                       ({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e",
                         "currentState": "{not json"}, "currentState")):
        with pytest.raises(ValidationError) as info:
            await service.publish(bad)
        assert info.value.for_field(field)
    assert (await service.search_notifications())["items"] == []


async def test_retry_schedule_then_failed_then_manual_round(env):
    service, engine, clock, receiver = env
    receiver.answer(status=500, body=b"boom")
    await add_webhook(service, receiver)
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"})

    async def attempts():
        return (await service.get_notification(event_id))["attempts"]

    await until(lambda: _eq(attempts(), 1))
    details = await service.get_notification(event_id)
    assert details["status"] == "IN_PROGRESS" and details["nextAttemptAt"] == "2026-11-28T12:05:00.000Z"
    assert details["lastStatusCode"] == 500 and "HTTP 500" in details["lastError"]
    with pytest.raises(Conflict) as info:
        await service.retry_notifications(event_id=event_id)
    assert "IN_PROGRESS" in str(info.value)
    # nothing happens before the 5 minutes are up
    clock.advance(minutes=4, seconds=59)
    await caught_up(engine)
    assert await attempts() == 1
    for minutes, expected in ((5, 2), (15, 3), (40, 4)):
        clock.now = clock.now.replace(second=0)
        clock.advance(minutes=minutes)
        engine.wake()
        await until(lambda: _eq(attempts(), expected))
    details = await service.get_notification(event_id)
    assert details["status"] == "FAILED" and details["nextAttemptAt"] is None
    assert [a["kind"] for a in details["attemptHistory"]] == ["auto"] * 4
    assert details["attemptHistory"][0]["responseExcerpt"] == "boom"
    assert len(receiver.requests) == 4

    found = await service.search_notifications({"status": "FAILED", "webhook": "hook"})
    assert [n["eventId"] for n in found["items"]] == [event_id]

    receiver.answer(status=204, body=b"")
    assert await service.retry_notifications(event_id=event_id) == 1
    await until(lambda: _eq(status_of(service, event_id), "SUCCESSFUL"))
    details = await service.get_notification(event_id)
    assert [a["kind"] for a in details["attemptHistory"]] == ["auto"] * 4 + ["manual"]
    with pytest.raises(Conflict):
        await service.retry_notifications(event_id=event_id)


async def test_manual_round_has_three_attempts(env):
    service, engine, clock, receiver = env
    receiver.answer(status=503)
    await add_webhook(service, receiver)
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"})
    for minutes in (0, 5, 15, 40):
        clock.advance(minutes=minutes)
        engine.wake()
        await until(lambda: _eq(_attempts(service, event_id), {0: 1, 5: 2, 15: 3, 40: 4}[minutes]))
    await until(lambda: _eq(status_of(service, event_id), "FAILED"))
    assert await service.retry_notifications(filters={"webhook": "Hook"}) == 1
    for minutes, expected in ((0, 5), (5, 6), (15, 7)):
        clock.advance(minutes=minutes)
        engine.wake()
        await until(lambda: _eq(_attempts(service, event_id), expected))
    await until(lambda: _eq(status_of(service, event_id), "FAILED"))
    clock.advance(hours=2)
    await caught_up(engine)
    assert await _attempts(service, event_id) == 7


async def _attempts(service, event_id):
    return (await service.get_notification(event_id))["attempts"]


async def test_mark_successful_and_search_filters(env):
    service, engine, clock, receiver = env
    receiver.answer(status=404)
    await add_webhook(service, receiver)
    ids = []
    for n in range(3):
        ids += await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": f"e{n}"})
        await until(lambda: _eq(_attempts(service, ids[-1]), 1))
        clock.advance(minutes=1)
    await run_to_failed(service, engine, clock, ids)
    page = await service.search_notifications({"status": "FAILED"}, limit=2)
    assert [n["entityId"] for n in page["items"]] == ["e2", "e1"] and page["nextCursor"]
    rest = await service.search_notifications({"status": "FAILED"}, limit=2, cursor=page["nextCursor"])
    assert [n["entityId"] for n in rest["items"]] == ["e0"] and rest["nextCursor"] is None
    window = await service.search_notifications({"since": "2026-11-28T12:00:30Z", "until": "2026-11-28T12:01:30Z"})
    assert [n["entityId"] for n in window["items"]] == ["e1"]
    assert (await service.search_notifications({"eventId": ids[0]}))["items"][0]["entityId"] == "e0"
    assert await service.mark_successful(event_id=ids[0], by="alice") == 1
    marked = await service.get_notification(ids[0])
    assert marked["status"] == "SUCCESSFUL" and marked["markedSuccessfulBy"] == "alice"
    assert await service.mark_successful(filters={"webhook": "Hook"}) == 2
    assert await service.count_notifications({"status": "FAILED"}) == 0
    with pytest.raises(NotFound):
        await service.retry_notifications(event_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValidationError):
        await service.search_notifications({"status": "LOST"})
    with pytest.raises(ValidationError):
        await service.search_notifications(cursor="garbage!")


async def test_disabled_or_deleted_webhook_is_not_sent(env):
    service, engine, clock, receiver = env
    receiver.answer(status=500)
    await add_webhook(service, receiver)
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"})
    await until(lambda: _eq(_attempts(service, event_id), 1))
    await service.set_webhook_enabled("Hook", False)
    clock.advance(minutes=5)
    engine.wake()
    await until(lambda: _eq(status_of(service, event_id), "FAILED"))
    details = await service.get_notification(event_id)
    assert "disabled" in details["lastError"] and details["attempts"] == 1 and len(receiver.requests) == 1


async def test_url_guard_refuses_loopback_unless_allowed(env):
    service, engine, clock, receiver = env
    await service.set_property("allowPrivateEndpoints", False)
    await add_webhook(service, receiver)
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"})
    await until(lambda: _eq(_attempts(service, event_id), 1))
    details = await service.get_notification(event_id)
    assert "allowPrivateEndpoints" in details["lastError"] and receiver.requests == []
    await service.set_property("allowPrivateEndpoints", True)
    clock.advance(minutes=5)
    engine.wake()
    await until(lambda: _eq(status_of(service, event_id), "SUCCESSFUL"))


async def test_oauth_token_is_cached_and_refreshed_on_401(env):
    service, engine, clock, receiver = env
    async with TokenServer(client_id="cid", client_secret="csecret-9") as tokens:
        await service.create_profile({"name": "IdP", "type": "oauth", "tokenUrl": tokens.url,
                                      "clientId": "cid", "clientSecret": "csecret-9"})
        await add_webhook(service, receiver, authProfile="IdP")
        ids = []
        for n in range(20):
            ids += await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": str(n)})
        await until(lambda: _eq(service.count_notifications({"status": "SUCCESSFUL"}), 20))
        assert tokens.count == 1
        assert all(r.headers["Authorization"].startswith("Bearer ") for r in receiver.requests)
        first_token = receiver.requests[0].headers["Authorization"]
        receiver.accept_bearer = set()  # the endpoint revokes every token it knows
        receiver.queue(Answer(status=401))
        [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "x"})
        await until(lambda: _eq(_attempts(service, event_id), 1))
        assert tokens.count == 2
        assert receiver.requests[-1].headers["Authorization"] != first_token


async def test_connection_refused_is_recorded_clearly(env):
    service, engine, clock, receiver = env
    await add_webhook(service, receiver, endpointUrl=f"http://127.0.0.1:{closed_port()}/hook")
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"})
    await until(lambda: _eq(_attempts(service, event_id), 1))
    assert "connection refused" in (await service.get_notification(event_id))["lastError"]


async def test_signing_secret_signs_deliveries(env):
    from standardwebhooks import Webhook as Verifier

    service, engine, clock, receiver = env
    await add_webhook(service, receiver)
    secret = await service.signing_secret("Hook")
    assert secret.startswith("whsec_") and await service.signing_secret("Hook") == secret
    assert (await service.get_webhook("Hook"))["signing"] is True
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e"})
    await until(lambda: _len_at_least(receiver.requests, 1))
    request = receiver.requests[0]
    assert request.headers["webhook-id"] == event_id
    # the test clock is in the past: verify the signature itself, not the freshness window
    import hashlib
    import hmac
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{event_id}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == expected
    rotated = await service.signing_secret("Hook", rotate=True)
    assert rotated != secret
    assert await service.signing_secret("Hook", remove=True) is None
    assert (await service.get_webhook("Hook"))["signing"] is False
    assert Verifier  # the reference library verifies fresh signatures in test_delivery_signing


async def test_send_test_event_reaches_only_that_webhook(env):
    service, engine, clock, receiver = env
    await add_webhook(service, receiver, name="Target", activities=["Add Draft Entitlement"],
                      triggerCondition="entitlement.customer.name == 'Sam Smith'")
    await add_webhook(service, receiver, name="Other")
    [event_id] = await service.send_test_event("Target")
    await until(lambda: _eq(status_of(service, event_id), "SUCCESSFUL"))
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["webhookName"] == "Target" and body["activityName"] == "Add Draft Entitlement"
    assert json.loads(body["currentState"])["entitlement"]["customer"]["name"] == "Sam Smith"
    await service.update_webhook("Target", {"triggerCondition": "entitlement.state == 'CLOSED'"})
    assert await service.send_test_event("Target") == []


async def test_oauth_profile_test_reports_success_and_exact_failure(env):
    service, engine, clock, receiver = env
    async with TokenServer(client_id="cid", client_secret="right-secret") as tokens:
        ok = await service.test_oauth_profile({"tokenUrl": tokens.url, "clientId": "cid",
                                               "clientSecret": "right-secret"})
        assert ok["ok"] and "issued a token" in ok["message"]
        bad = await service.test_oauth_profile({"tokenUrl": tokens.url, "clientId": "cid",
                                                "clientSecret": "wrong-secret"})
        assert not bad["ok"] and "401" in bad["message"] and "wrong-secret" not in bad["message"]
        await service.create_profile({"name": "Stored", "type": "oauth", "tokenUrl": tokens.url,
                                      "clientId": "cid", "clientSecret": "right-secret"})
        stored = await service.test_oauth_profile({"name": "Stored", "tokenUrl": tokens.url, "clientId": "cid"})
        assert stored["ok"]
    with pytest.raises(ValidationError):
        await service.test_oauth_profile({"tokenUrl": "nope", "clientId": "", "clientSecret": ""})


async def test_pause_gives_back_what_was_not_sent_and_resume_delivers_it(env):
    service, engine, clock, receiver = env
    receiver.answer(Answer(sleep=0.3))
    await add_webhook(service, receiver)
    engine.pause()  # publish everything first, so the first wave is all that can be on the wire
    for n in range(40):
        await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": str(n)})
    engine.resume()
    await until(lambda: _len_at_least(receiver.requests, 1))
    engine.pause()
    await until(lambda: _eq(service.count_notifications({"status": "SUCCESSFUL"}), len(receiver.requests)))
    sent_while_pausing = len(receiver.requests)
    assert sent_while_pausing <= 16  # only what was already on the wire (8 per endpoint) finished

    def leased(session):
        from sqlalchemy import func, select

        from emswebhook_gui.store.models import Notification

        return session.scalar(select(func.count()).select_from(Notification).where(
            Notification.status == "IN_PROGRESS", Notification.lease_owner.is_not(None)))

    await until(lambda: _eq(service.db.run(leased), 0))  # released: due for anyone, not held
    assert len(receiver.requests) == sent_while_pausing
    engine.resume()
    await until(lambda: _eq(service.count_notifications({"status": "SUCCESSFUL"}), 40), timeout=20)


async def test_a_publish_the_database_refuses_fails_alone_not_with_its_batch(env, monkeypatch):
    """Eight publishes group-committed; the database refuses one of them (here a driver error
    raised for its rows): the other seven are stored and delivered, and only its caller hears."""
    from emswebhook_gui import publishing

    service, engine, clock, receiver = env
    await add_webhook(service, receiver)
    store = publishing.publish_batch

    def refusing(session, items, zone, lease):
        if any(occurrence.entity_id == "poison" for occurrence, *_ in items):
            raise sqlalchemy.exc.DataError("INSERT", {}, Exception("value refused by the database"))
        return store(session, items, zone, lease)

    monkeypatch.setattr(publishing, "publish_batch", refusing)
    names = [f"e{n}" for n in range(7)]
    results = await asyncio.gather(*(service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                                      "entityId": name}) for name in [*names[:3], "poison", *names[3:]]),
                                   return_exceptions=True)
    assert isinstance(results[3], sqlalchemy.exc.DataError)
    assert all(isinstance(r, list) and len(r) == 1 for r in results[:3] + results[4:])
    await until(lambda: _eq(service.count_notifications({"status": "SUCCESSFUL"}), 7), timeout=10)
    assert sorted(json.loads(r.body)["entityId"] for r in receiver.requests) == names
    assert await service.count_notifications({}) == 7


async def test_a_batch_that_finds_the_database_unusable_fails_at_once_not_one_by_one(env, monkeypatch):
    """A locked or unreachable database (OperationalError) is not the fault of one publish:
    the batch's callers all hear of it at once, without a transaction tried for each of them."""
    from emswebhook_gui import publishing

    service, engine, clock, receiver = env
    await add_webhook(service, receiver)
    attempts = []

    def locked(session, items, zone, lease):
        attempts.append(len(items))
        raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(publishing, "publish_batch", locked)
    results = await asyncio.gather(*(service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                                      "entityId": f"e{n}"}) for n in range(8)),
                                   return_exceptions=True)
    assert all(isinstance(r, sqlalchemy.exc.OperationalError) for r in results)
    assert attempts == [8]


async def test_a_publish_hands_its_notifications_to_the_running_engine_in_its_own_transaction(env):
    """When ``publish`` returns, the engine in this process already holds the lease on what it
    made due (claimed inside the publish's transaction), and the claim loop was not woken for
    it; while paused, the engine takes nothing and the claim loop finds the work on resume."""
    service, engine, clock, receiver = env
    receiver.answer(Answer(sleep=0.5))  # nothing finishes while the test looks at the leases
    await add_webhook(service, receiver)
    await caught_up(engine)  # the claim loop has found nothing and waits

    def lease_of(event_id):
        def read(session):
            from sqlalchemy import select

            from emswebhook_gui.store.models import Notification

            return session.scalar(select(Notification.lease_owner).where(Notification.event_id == event_id))
        return service.db.run(read)

    [first] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "a"})
    assert not engine.backlog  # the claim loop is not woken: it has nothing left to find
    assert await lease_of(first) == engine.owner
    engine.pause()
    [second] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "b"})
    assert await lease_of(second) is None
    engine.resume()
    await until(lambda: _eq(service.count_notifications({"status": "SUCCESSFUL"}), 2), timeout=10)
    assert sorted(json.loads(r.body)["entityId"] for r in receiver.requests) == ["a", "b"]


async def test_a_publish_bigger_than_the_engines_room_leaves_the_rest_to_the_claim_loop(env):
    """The engine has room for three: a group-committed publish of eight writes three already
    leased to it and five unleased, which the claim loop takes as slots free; all eight arrive."""
    service, engine, clock, receiver = env
    await engine.stop()
    engine = service.delivery_engine(poll_interval=30, max_in_flight=3, batch_size=3)  # no polling to fall back on
    receiver.answer(Answer(sleep=0.3))
    await add_webhook(service, receiver)
    await engine.start()
    try:
        results = await asyncio.gather(*(service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                                          "entityId": f"e{n}"}) for n in range(8)))

        def leases(session):
            from sqlalchemy import select

            from emswebhook_gui.store.models import Notification

            return list(session.execute(select(Notification.lease_owner, Notification.lease_expires_at)))

        held = await service.db.run(leases)
        assert sorted(owner or "" for owner, _expires in held) == [""] * 5 + [engine.owner] * 3
        assert all(expires is not None for owner, expires in held if owner)
        await until(lambda: _eq(service.count_notifications({"status": "SUCCESSFUL"}), 8), timeout=15)
        assert sorted(json.loads(r.body)["eventId"] for r in receiver.requests) == sorted(i for [i] in results)
    finally:
        await engine.stop()


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_other_services_are_told_only_of_what_this_engine_did_not_take(env):
    """PostgreSQL (LISTEN/NOTIFY is its own): a publish the engine here claimed entirely sends no
    NOTIFY (every other service would wake to claim nothing); one it could not take (paused) does."""
    service, engine, clock, receiver = env
    import psycopg
    from sqlalchemy.engine import make_url

    from emswebhook_gui.delivery.wakeup import CHANNEL

    await add_webhook(service, receiver)
    dsn = make_url(service.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    try:
        await listener.execute(f"LISTEN {CHANNEL}")

        async def notices_after(publish) -> int:
            await publish
            heard = 0
            try:
                async with asyncio.timeout(0.5):
                    async for _notice in listener.notifies():
                        heard += 1
            except TimeoutError:
                pass
            return heard

        occurrence = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "x"}
        assert await notices_after(service.publish(occurrence)) == 0
        engine.pause()
        assert await notices_after(service.publish(occurrence)) == 1
        engine.resume()
    finally:
        await listener.close()
    await until(lambda: _eq(service.count_notifications({"status": "SUCCESSFUL"}), 2), timeout=10)


async def test_a_nul_inside_an_object_state_is_stored_escaped_and_delivered(env):
    service, engine, clock, receiver = env
    await add_webhook(service, receiver)
    state = {"entitlement": {"state": "ENABLE", "note": "a\x00b"}}
    [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                        "entityId": "e", "currentState": state})
    await until(lambda: _eq(status_of(service, event_id), "SUCCESSFUL"))
    body = json.loads(receiver.requests[0].body)
    assert json.loads(body["currentState"]) == state
