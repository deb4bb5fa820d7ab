"""Keyring backends for tests: nothing in the test suite may touch the user's real keyring.

``MemoryKeyring`` serves in-process tests. ``FileKeyring`` serves CLI subprocess tests, which
need secrets to survive between processes: it keeps them in the JSON file named by
``EMSWEBHOOK_TEST_KEYRING_FILE``. Both are test-only; the product never stores plaintext.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


class FileKeyring(KeyringBackend):
    priority = 1

    @property
    def _path(self) -> Path:
        return Path(os.environ["EMSWEBHOOK_TEST_KEYRING_FILE"])

    def _load(self) -> dict:
        try:
            return json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}\x00{username}"] = password
        self._path.write_text(json.dumps(data))

    def get_password(self, service, username):
        return self._load().get(f"{service}\x00{username}")

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}\x00{username}", None)
        self._path.write_text(json.dumps(data))
