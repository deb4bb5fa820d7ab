"""Log files as an operator reads them: a real ``emswebhook serve`` and real CLI commands, given
known secrets (a Basic password, an OAuth client secret, a signing secret, the REST API token),
write the failed attempts, the service's start and stop and the configuration changes to the log
folder; a grep for each secret and for the payload finds nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import signal
import sys

import aiohttp
import pytest

from emswebhook_gui import logs
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.keyrings import FileKeyring
from tests.support.processes import child_env
from tests.support.receiver import Answer, Receiver, TokenServer
from tests.support.waiting import until

BASIC_PASSWORD = "basic-pw-Kx7qR2"
CLIENT_SECRET = "oauth-cs-Vw93Lp"
PAYLOAD_MARKER = "payload-marker-Q4t8"


async def run_cli(env, *argv, stdin=None):
    exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
    proc = await asyncio.create_subprocess_exec(exe, *argv, env=env, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
    assert proc.returncode == 0, err.decode()
    return out.decode()


def log_texts(home) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in home.rglob("*.log*")}


@pytest.mark.asyncio
async def test_serve_and_cli_log_what_failed_and_never_a_secret(tmp_path, monkeypatch, sqlite_url,
                                                               isolated_environment):
    env = child_env(tmp_path, monkeypatch, sqlite_url)
    async with Receiver() as endpoint, TokenServer(client_secret=CLIENT_SECRET) as idp:
        endpoint.answer(Answer(status=500, body=b"down for maintenance"))
        await run_cli(env, "profile", "add", "--name", "ERP", "--type", "basic", "--username", "ems",
                      "--password-stdin", stdin=BASIC_PASSWORD + "\n")
        await run_cli(env, "profile", "add", "--name", "IdP", "--type", "oauth", "--token-url", idp.url,
                      "--client-id", idp.client_id, "--client-secret-stdin", stdin=CLIENT_SECRET + "\n")
        service = await WebhookService.open(secrets=SecretStore(FileKeyring()))
        try:
            await service.set_property("allowPrivateEndpoints", True)
            for name, profile in (("Basic hook", "ERP"), ("OAuth hook", "IdP")):
                await service.create_webhook({"name": name, "event": "Entitlement Added",
                                              "endpointUrl": endpoint.url(), "authProfile": profile})
        finally:
            await service.close()
        signing = (await run_cli(env, "webhook", "signing-secret", "Basic hook")).strip()
        token = (await run_cli(env, "api-token")).strip()
        assert signing.startswith("whsec_") and len(token) > 20

        exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")
        serve = await asyncio.create_subprocess_exec(exe, "serve", "--api-port", "0", "--log-format", "json",
                                                     env=env, stderr=asyncio.subprocess.PIPE)
        stderr_lines: list[str] = []
        try:
            api = None
            while api is None:
                line = (await asyncio.wait_for(serve.stderr.readline(), 60)).decode()
                assert line, "serve ended before its REST API started"
                stderr_lines.append(line)
                found = re.search(r"REST API on (\S+)", line)
                api = found.group(1) if found else None
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
                async with session.post(f"{api}/events", json={
                        "event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "E-1",
                        "currentState": {"entitlement": {"note": PAYLOAD_MARKER}}}) as response:
                    assert response.status == 201
                    event_ids = (await response.json())["eventIds"]
            assert len(event_ids) == 2

            async def both_failures_logged():
                text = log_texts(isolated_environment).get(logs.JSON_FILE_NAME, "")
                return all(f"eventId {e}" in text for e in event_ids)

            await until(both_failures_logged, 30, interval=0.1)
            await until(lambda: _received(idp, endpoint), 30)
        finally:
            serve.send_signal(signal.SIGTERM)
            rest = await asyncio.wait_for(serve.stderr.read(), 30)
            await serve.wait()
        assert serve.returncode == 0
        stderr_text = "".join(stderr_lines) + rest.decode()

    texts = log_texts(isolated_environment)
    assert set(texts) == {logs.FILE_NAME, logs.JSON_FILE_NAME}
    everything = "\n".join(texts.values()) + stderr_text
    basic_header = base64.b64encode(f"ems:{BASIC_PASSWORD}".encode()).decode()
    for secret in (BASIC_PASSWORD, CLIENT_SECRET, signing, signing.removeprefix("whsec_"), token, basic_header,
                   "tok-1", PAYLOAD_MARKER, "down for maintenance"):
        assert secret not in everything, f"{secret!r} is in the logs"

    # the CLI's lines, in text: what was configured, by name
    cli = texts[logs.FILE_NAME]
    assert re.search(r"INFO cli\[\d+\] emswebhook_gui\.audit: configuration: authentication profile 'ERP' created", cli)
    assert "authentication profile 'IdP' created" in cli
    assert "webhook 'Basic hook' given a new signing secret" in cli

    # the service's lines, in JSON: start, each failed attempt with its facts, the request, the stop
    entries = [json.loads(line) for line in texts[logs.JSON_FILE_NAME].splitlines()]
    assert {entry["process"] for entry in entries} == {"serve"}
    messages = [entry["message"] for entry in entries]
    assert any(m.startswith("delivery service ") and " (serve) started on " in m for m in messages)
    assert any(m.startswith("delivery service ") and m.endswith(" stopped") for m in messages)
    failures = [entry for entry in entries if entry.get("eventId") and entry["level"] == "WARNING"]
    assert {f["eventId"] for f in failures} == set(event_ids)
    assert {f["webhook"] for f in failures} == {"Basic hook", "OAuth hook"}
    for failure in failures:
        assert failure["reason"] == "HTTP 500 Internal Server Error" and failure["attempt"] == 1
        assert "next attempt in 5 min" in failure["message"]
    assert any('"POST /api/v1/events HTTP/1.1" 201' in m for m in messages)
    # stderr got the same story as text
    assert "failed: HTTP 500 Internal Server Error; next attempt in 5 min" in stderr_text


async def _received(idp, endpoint):
    return idp.count >= 1 and len(endpoint.requests) >= 2


def test_the_safety_net_redacts_and_setup_replaces_itself(tmp_path):
    root = logging.getLogger()
    previous = root.level
    try:
        logs.setup("test", directory=tmp_path, stderr_level=None)
        path = logs.setup("test", directory=tmp_path, stderr_level=None)  # again: not twice the lines
        log = logging.getLogger("emswebhook_gui.test")
        log.warning("sent with Authorization: Basic ZW1zOnNlY3JldC05OQ== to http://ops:hunter2@example.com/x")
        try:
            raise RuntimeError("token endpoint said client_secret=abc123 and whsec_c2VjcmV0LXNlY3JldA==")
        except RuntimeError:
            log.exception("token request failed")
        text = path.read_text()
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_emswebhook_handler", False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(previous)
    assert text.count("sent with Authorization") == 1 and text.count("token request failed") == 1
    for secret in ("ZW1zOnNlY3JldC05OQ==", "hunter2", "abc123", "c2VjcmV0LXNlY3JldA=="):
        assert secret not in text
    assert "Authorization: Basic [redacted]" in text and "http://ops:[redacted]@example.com/x" in text
    assert "client_secret=[redacted]" in text and "whsec_[redacted]" in text
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING test\[\d+\] emswebhook_gui\.test: ", text)


def test_processes_sharing_the_file_follow_each_others_rotation(tmp_path):
    """Two handlers on one file stand for two processes: when one rotates, the other's next line
    goes to the new file, not into the rotated one."""
    path = tmp_path / "shared.log"
    first = logs.SharedRotatingFileHandler(path, maxBytes=300, backupCount=3, encoding="utf-8")
    second = logs.SharedRotatingFileHandler(path, maxBytes=300, backupCount=3, encoding="utf-8")
    for handler in (first, second):
        handler.setFormatter(logging.Formatter("%(message)s"))

    def line(handler, text):
        handler.emit(logging.LogRecord("t", logging.INFO, __file__, 1, text, None, None))

    try:
        line(second, "second: before")
        for n in range(20):
            line(first, f"first: line {n:02d} " + "x" * 20)
        assert (tmp_path / "shared.log.1").exists()
        line(second, "second: after the rotation")
        assert "second: after the rotation" in path.read_text()
        rotated = "".join(p.read_text() for p in tmp_path.glob("shared.log.*"))
        assert "second: after the rotation" not in rotated and "second: before" in rotated
    finally:
        first.close()
        second.close()
