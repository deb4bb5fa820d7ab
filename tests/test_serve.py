"""`emswebhook serve` as a process: crash-safe (SIGKILL midway, restart, nothing lost) and a
graceful stop on SIGTERM. The CLI's delivery commands (publish, events ...) as a user types them."""

import asyncio
import json
import os
import signal
import sys

import pytest

from tests.support.processes import start_serve
from tests.support.receiver import Answer, Receiver
from tests.support.serve import service, shared_env, store_url  # noqa: F401  (fixtures)
from tests.support.waiting import until

pytestmark = pytest.mark.asyncio


async def test_sigkill_midway_then_restart_delivers_everything(service, shared_env):
    async with Receiver() as receiver:
        receiver.answer(Answer(sleep=0.01))
        await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                      "endpointUrl": receiver.url(), "authProfile": "Basic"})
        event_ids = []
        for n in range(2000):
            event_ids += await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                                "entityId": f"e{n}"})
        first = await start_serve(shared_env)

        async def some_received():
            return len(receiver.requests) >= 300

        await until(some_received, 60, interval=0.05)
        first.kill()
        await first.wait()
        received_before = len(receiver.requests)
        assert received_before < 2000, "the kill came too late to test anything"

        second = await start_serve(shared_env)

        async def all_successful():
            return await service.count_notifications({"status": "SUCCESSFUL"}) == 2000

        await until(all_successful, 120, interval=0.05)
        second.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 0, err.decode()

    seen = [json.loads(r.body)["eventId"] for r in receiver.requests]
    assert set(seen) == set(event_ids)
    duplicates = len(seen) - len(set(seen))
    assert duplicates <= 512  # at most what the killed process had in flight (max_in_flight)
    status = await service.delivery_status()
    assert status["services"] == [] and status["queueDepth"] == 0


async def test_sigterm_stops_gracefully_and_leaves_the_rest_due(service, shared_env):
    async with Receiver() as receiver:
        receiver.answer(Answer(sleep=0.5))
        await service.create_webhook({"name": "Slow", "event": "Entitlement Added",
                                      "endpointUrl": receiver.url(), "authProfile": "Basic"})
        for n in range(40):
            await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": str(n)})
        proc = await start_serve(shared_env)

        async def started():
            return len(receiver.requests) >= 1

        await until(started, 60, interval=0.05)
        loop = asyncio.get_running_loop()
        began = loop.time()
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        assert loop.time() - began < 8
        counts = await service.notification_counts()
        assert counts["SUCCESSFUL"] >= 1 and counts["IN_PROGRESS"] + counts["SUCCESSFUL"] == 40
        assert counts["FAILED"] == 0
        status = await service.delivery_status()
        assert status["services"] == [] and status["due"] == counts["IN_PROGRESS"]


async def run_cli(env, *argv, stdin=None):
    exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
    proc = await asyncio.create_subprocess_exec(exe, *argv, env=env, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(stdin.encode() if stdin else None)
    return proc.returncode, out.decode(), err.decode()


async def test_delivery_commands_from_the_shell(service, shared_env, tmp_path):
    async with Receiver() as receiver:
        receiver.answer(status=500)
        await service.create_webhook({"name": "Hook", "event": "Entitlement Added",
                                      "endpointUrl": receiver.url(), "authProfile": "Basic",
                                      "triggerCondition": "entitlement.state == 'ENABLE'"})
        state = tmp_path / "state.json"
        state.write_text(json.dumps({"entitlement": {"state": "ENABLE"}}))
        code, out, err = await run_cli(shared_env, "publish", "--event", "Entitlement Added", "--activity",
                                       "Add Entitlement", "--entity-id", "E-1", "--current-state", str(state),
                                       "--request-id", "R-1")
        assert code == 0, err
        [event_id] = out.split()
        state.write_text(json.dumps({"entitlement": {"state": "DISABLE"}}))
        code, out, _ = await run_cli(shared_env, "publish", "--event", "Entitlement Added", "--activity",
                                     "Add Entitlement", "--entity-id", "E-2", "--current-state", str(state))
        assert code == 0 and out == ""
        code, _, err = await run_cli(shared_env, "publish", "--event", "Entitlement Added", "--activity",
                                     "Add Namespace", "--entity-id", "E-3")
        assert code == 2 and "not an activity" in err

        code, out, _ = await run_cli(shared_env, "events", "search", "--json", "--webhook", "Hook")
        [found] = json.loads(out)
        for key in ("eventId", "webhookId", "webhookName", "eventName", "activityName", "entityId", "status",
                    "attempts", "lastStatusCode", "lastError", "nextAttemptAt", "createdAt", "updatedAt"):
            assert key in found
        assert found["eventId"] == event_id and found["status"] == "IN_PROGRESS"
        code, _, err = await run_cli(shared_env, "events", "retry", "--event-id", event_id)
        assert code == 2 and "IN_PROGRESS" in err
        code, _, err = await run_cli(shared_env, "events", "mark-successful", "--event-id", event_id)
        assert code == 2

        code, out, _ = await run_cli(shared_env, "status", "--json")
        assert json.loads(out)["queueDepth"] == 1
        code, out, _ = await run_cli(shared_env, "condition", "check", "entitlement.state=='ENABLE'",
                                     "--state", str(state))
        assert out.splitlines() == ["entitlement.state == 'ENABLE'", "matches: false"]
        code, _, err = await run_cli(shared_env, "condition", "check", "entitlement.state = 'x'")
        assert code == 2 and "column 19" in err
        code, out, _ = await run_cli(shared_env, "webhook", "signing-secret", "Hook")
        assert code == 0 and out.startswith("whsec_")
