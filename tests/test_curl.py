"""Copy as cURL (``delivery/curl.py``): the command's words as a POSIX shell reads them, its
secrets masked or put back, and, where ``curl`` is installed, the command run against a loopback
receiver, which must get the attempt's own body, credentials and signature."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil

import pytest
import pytest_asyncio

from emswebhook_gui.delivery.curl import INLINE_BYTES, Secrets, curl_command
from emswebhook_gui.delivery.signing import generate_secret, sign
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.clock import FakeClock
from tests.support.receiver import Receiver
from tests.support.waiting import until

HOSTILE = '{"name":"O\'Brien $(touch /tmp/pwned) `id` \\"quoted\\" & | ; * ~ $HOME","emoji":"żółw 🐢","nl":"a\\nb"}'
RECORDED = {
    "method": "POST",
    "url": "https://hooks.example.com/in?a=1&b=$x",
    "headers": {
        "Host": "hooks.example.com", "Accept": "*/*", "Accept-Encoding": "gzip, deflate",
        "User-Agent": "emswebhook-gui/1.0", "Content-Type": "application/json", "Content-Length": "123",
        "webhook-id": "evt-1", "webhook-timestamp": "1700000000", "webhook-signature": "•••",
        "Authorization": "•••",
    },
}


def words(command: str) -> list[str]:
    """The words a POSIX shell makes of a command: line continuations joined, then split."""
    return shlex.split(command.replace("\\\n", ""))


def options(split: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for option, value in zip(split[1:-1:2], split[2:-1:2]):
        found.setdefault(option, []).append(value)
    return found


def test_the_command_sends_the_recorded_request_with_secrets_masked():
    made = curl_command(RECORDED, HOSTILE)
    split = words(made.command)
    assert split[0] == "curl" and split[-1] == RECORDED["url"]
    found = options(split)
    assert found["--data-raw"] == [HOSTILE]  # byte for byte: nothing expanded, nothing escaped away
    headers = found["--header"]
    assert "Authorization: •••" in headers and "webhook-signature: •••" in headers
    assert "webhook-id: evt-1" in headers and "Content-Type: application/json" in headers
    assert headers.index("Accept: */*") < headers.index("Content-Type: application/json")  # recorded order
    assert not any(h.split(":")[0] in ("Host", "Content-Length") for h in headers)  # curl's own
    assert set(found) == {"--header", "--data-raw"}  # POST is curl's default with a body
    assert any("Include secrets" in note for note in made.notes)


def test_include_secrets_puts_back_the_basic_header_and_recomputes_the_signature():
    secret = generate_secret()
    made = curl_command(RECORDED, HOSTILE, Secrets("basic", "Basic ZW1zOnB3", secret))
    headers = options(words(made.command))["--header"]
    assert "Authorization: Basic ZW1zOnB3" in headers
    expected = sign(secret, "evt-1", 1700000000, HOSTILE.encode())
    assert f"webhook-signature: {expected}" in headers
    assert any("five-minute tolerance" in note for note in made.notes)
    assert "•••" not in made.command


def test_an_oauth_token_and_a_signature_without_a_secret_stay_masked_with_a_note():
    made = curl_command(RECORDED, "{}", Secrets("oauth", None, None))
    headers = options(words(made.command))["--header"]
    assert "Authorization: •••" in headers and "webhook-signature: •••" in headers
    assert any("OAuth bearer token is not included" in note for note in made.notes)
    assert any("Signing is off" in note for note in made.notes)
    missing = curl_command(RECORDED, "{}", Secrets("basic", None, None))
    assert any("missing from the keyring" in note for note in missing.notes)


def test_proxy_authorization_is_left_out_and_another_method_is_named():
    recorded = {"method": "PUT", "url": "http://h/x", "headers": {"Proxy-Authorization": "•••", "X-A": "1"}}
    made = curl_command(recorded, "{}")
    found = options(words(made.command))
    assert found["--request"] == ["PUT"] and found["--header"] == ["X-A: 1"]
    assert any("--proxy" in note for note in made.notes)


def test_a_large_body_is_piped_in_rather_than_passed_as_one_argument():
    body = '{"blob":"' + "x" * INLINE_BYTES + '"}'
    made = curl_command(RECORDED, body)
    assert made.command.startswith("printf '%s' ")
    printf, curl = made.command.split(" | ", 1)
    assert shlex.split(printf) == ["printf", "%s", body]
    assert options(words(curl))["--data-binary"] == ["@-"]


# -- the command run by a shell against a real receiver ------------------------------------------------

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


async def run_shell(command: str) -> tuple[int, bytes]:
    """``command`` run by ``sh``, read from its standard input as a pasted command would be (``sh
    -c`` would make the whole script one argument, which Linux caps at 128 KiB), with no proxy
    settings from the environment."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_PROXY": "*", "no_proxy": "*"}
    process = await asyncio.create_subprocess_exec(
        "sh", "-s", env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(command.encode("utf-8") + b"\n"), 30)
    return process.returncode, out + err


@pytest_asyncio.fixture
async def service(sqlite_url, memory_keyring):
    service = await WebhookService.open(sqlite_url, secrets=SecretStore(memory_keyring), clock=FakeClock())
    await service.set_property("allowPrivateEndpoints", True)
    await service.create_profile({"name": "Basic", "type": "basic", "username": "ems", "password": "pw-S3cret"})
    engine = service.delivery_engine(poll_interval=0.05)
    await engine.start()
    yield service
    await engine.stop()
    await service.close()


@needs_curl
@pytest.mark.asyncio
async def test_the_copied_command_repeats_the_attempt_byte_for_byte(service):
    async with Receiver() as receiver:
        hook = await service.create_webhook({"name": "Hook", "event": "Entitlement Added", "authProfile": "Basic",
                                             "endpointUrl": receiver.url("/in?x=1&y=2")})
        await service.signing_secret(hook["id"])
        [event_id] = await service.publish({"event": "Entitlement Added", "activity": "Add Entitlement",
                                            "entityId": "e-1", "currentState": {"name": HOSTILE}})

        async def attempted():
            details = await service.get_notification(event_id)
            return details if details["attemptHistory"] else None

        details = await until(attempted)
        [original] = receiver.requests
        request, payload = details["attemptHistory"][0]["request"], details["payload"]

        code, output = await run_shell(curl_command(request, payload).command + " --silent --show-error")
        assert code == 0, output
        masked = receiver.requests[-1]
        assert masked.body == original.body and masked.path == "/in?x=1&y=2"
        assert masked.headers["Authorization"] == "•••"

        secrets = Secrets.of(await service.replay_secrets(hook["id"]))
        code, output = await run_shell(curl_command(request, payload, secrets).command + " --silent")
        assert code == 0, output
        again = receiver.requests[-1]
        assert again.body == original.body
        for name in ("Authorization", "webhook-id", "webhook-timestamp", "webhook-signature", "User-Agent",
                     "Content-Type"):
            assert again.headers[name] == original.headers[name], name

        # a large body, through printf
        big = '{"blob":"' + "é" * INLINE_BYTES + '"}'
        code, output = await run_shell(curl_command(request, big).command + " --silent")
        assert code == 0, output
        assert receiver.requests[-1].body == big.encode()


@pytest.mark.asyncio
async def test_replay_secrets_reads_and_never_creates(service, memory_keyring):
    hook = await service.create_webhook({"name": "Plain", "event": "Entitlement Added", "authProfile": "Basic",
                                         "endpointUrl": "https://hooks.example.com/x"})
    found = await service.replay_secrets(hook["id"])
    assert found == {"authType": "basic", "authorization": "Basic ZW1zOnB3LVMzY3JldA==", "signingSecret": None}
    assert (await service.get_webhook(hook["id"]))["signing"] is False  # signing was not turned on
    secret = await service.signing_secret(hook["id"])
    assert (await service.replay_secrets("Plain"))["signingSecret"] == secret
