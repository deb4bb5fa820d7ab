"""Shared pieces of the tests that run `emswebhook serve` children next to a service in the test
process: the environment both sides use (database URL, a file-backed test keyring so the children
read the secrets the parent stored), the parent's service, and starting a child."""

from __future__ import annotations

import asyncio
import os
import sys

from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.keyrings import FileKeyring

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXE = os.path.join(os.path.dirname(sys.executable), "emswebhook")
"""The `emswebhook` command of the environment the tests run in."""


def child_env(tmp_path, monkeypatch, db_url: str) -> dict:
    env = {"EMSWEBHOOK_DATABASE_URL": db_url, "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
           "EMSWEBHOOK_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"), "PYTHONPATH": REPO}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **env}


async def parent_service() -> WebhookService:
    """The test's own service on the shared database: private endpoints on, a Basic profile."""
    service = await WebhookService.open(secrets=SecretStore(FileKeyring()))
    await service.set_property("allowPrivateEndpoints", True)
    await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
    return service


async def start_serve(env: dict, *, stdout=asyncio.subprocess.PIPE):
    return await asyncio.create_subprocess_exec(EXE, "serve", "--no-api", env=env, stdout=stdout,
                                                stderr=asyncio.subprocess.PIPE)
