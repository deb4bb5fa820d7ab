"""The fixtures of the tests that run `emswebhook` children (`serve`, the CLI) beside a service in
the test process, written once. A module takes them by importing them:

    from tests.support.serve import service, shared_env, store_url  # noqa: F401  (fixtures)

Both sides are on ``store_url``: ``db_url`` (SQLite and PostgreSQL), or what the module defines in
its place (the PostgreSQL-only modules: ``pg_url``). A module that needs more of either (a setting
for the children, a webhook) overrides that fixture alone and keeps the other."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.support.processes import child_env, parent_service


@pytest.fixture
def store_url(db_url) -> str:
    return db_url


@pytest.fixture
def shared_env(tmp_path, monkeypatch, store_url) -> dict:
    """Environment shared by this process and the children: database and test keyring."""
    return child_env(tmp_path, monkeypatch, store_url)


@pytest_asyncio.fixture
async def service(shared_env):
    """The parent's service (private endpoints on, a Basic profile), closed after the test."""
    svc = await parent_service()
    yield svc
    await svc.close()
