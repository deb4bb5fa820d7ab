"""What the data lifecycle uses of the service: its database, its clock and its properties.

A protocol rather than ``WebhookService``: the lifecycle sits below the facade (the layers
contract in pyproject.toml), which calls it with itself, so it may name only what it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from ..store import Database


class Host(Protocol):
    db: Database
    clock: Callable[[], datetime]
    """The service's time (retention cut-offs, purge records)."""

    async def get_property(self, key: str) -> Any: ...
