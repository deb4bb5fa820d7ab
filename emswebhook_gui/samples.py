"""Realistic sample entity states for "Send test event" (from ``resources/sample-states/``).

Entitlement, activation and namespace states are the reference's own examples; other entities
get a small generic state of the same shape (``{"<entity>": {"id": ..., "name": ...}}``), which is
what receivers route on. Resolved through the package (``emswebhook_gui/resources`` links to the
top-level ``resources/`` in a checkout and is copied into wheels).
"""

from __future__ import annotations

import json
from pathlib import Path

from . import catalog

SAMPLES_DIR = Path(__file__).resolve().parent / "resources" / "sample-states"

_FILES = {"Entitlement": "entitlement", "Activation": "activation", "Namespace": "namespace"}


def _key(entity: str) -> str:
    words = entity.replace("(Deprecated)", "").split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def sample_state(event: catalog.Event) -> dict:
    name = _FILES.get(event.entity)
    if name is not None:
        path = SAMPLES_DIR / f"{name}.json"
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    return {
        _key(event.entity): {
            "id": "00000000-0000-4000-8000-000000000001",
            "name": f"Sample {event.entity}",
            "state": "ENABLE",
            "createdBy": "admin",
            "creationDate": "2025-07-23 10:01",
        }
    }


def sample_occurrence(event: catalog.Event, activity: str | None = None) -> dict:
    """An occurrence for ``publish``: the sample state, the first (or given) activity."""
    state = sample_state(event)
    entity_id = next(iter(state.values())).get("id", "sample")
    return {
        "event": event.name,
        "activity": activity or event.activities[0],
        "entityId": entity_id,
        "url": "https://ems.example.com/ems/v5/sample",
        "currentState": state,
    }
