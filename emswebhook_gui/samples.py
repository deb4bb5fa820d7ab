"""Realistic sample entity states for "Send test event" (from ``resources/sample-states/``).

Entitlement, activation and namespace states are the reference's own examples; other entities
get a small generic state of the same shape (``{"<entity>": {"id": ..., "name": ...}}``), which is
what receivers route on. Resolved through the package (``emswebhook_gui/resources`` links to the
top-level ``resources/`` in a checkout and is copied into wheels).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import catalog
from .jsontext import read_json

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


def sample_occurrence(event: catalog.Event, activity: str | None = None, state: Any = None) -> dict:
    """An occurrence for ``publish``: the sample state (or ``state``: a dict, or JSON text as the
    user edited it), the first (or given) activity.

    ``state`` is not judged here: ``publish`` applies the rules every occurrence meets (a JSON
    object, at most 5 MiB, invalid JSON reported with its line and column), so a test event is
    refused exactly as a real one would be. The entityId is the state's ``<entity>.id`` when it
    has one, so the receiver sees the id it would route on."""
    if state is None:
        state = sample_state(event)
    return {
        "event": event.name,
        "activity": activity or event.activities[0],
        "entityId": _entity_id(state),
        "url": "https://ems.example.com/ems/v5/sample",
        "currentState": state,
    }


def _entity_id(state: Any) -> str:
    if isinstance(state, str):
        try:
            state = read_json(state)
        except ValueError:
            return "sample"  # publish refuses the text, naming the line and column
    entity = next(iter(state.values()), None) if isinstance(state, dict) else None
    found = entity.get("id") if isinstance(entity, dict) else None
    return str(found) if isinstance(found, (str, int)) and str(found).strip() else "sample"
