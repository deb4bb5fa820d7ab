"""The event catalogue: the 62 licensing events, their activities and trigger-condition attributes.

Data lives in ``events.json`` (a verbatim copy of the reference transcription, checked by a test)
and ``condition_attributes.json``; this module only indexes it. Names are case- and space-
sensitive, as in the source, so lookups are exact; :func:`suggest_event` offers the near miss
for error messages.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Event:
    entity: str
    operation: str
    name: str
    activities: tuple[str, ...]
    allows_conditions: bool
    deprecated: bool

    @property
    def subject(self) -> str:
        """The noun the event is about ("Contact" for "Contact Updated"), used to spot deletions."""
        for suffix in (" Added", " Updated"):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name

    def deletes_subject(self, activity: str) -> bool:
        """True for activities that delete the entity itself (payload's currentState is blank).

        ``Delete Entitlement`` on "Entitlement Updated" deletes it; the same activity on "Product
        Updated" only detaches an entitlement from a product that still exists, and
        ``Delete Associated ...`` never deletes the subject.
        """
        return activity == f"Delete {self.subject}"


@dataclass(frozen=True, slots=True)
class ConditionAttribute:
    label: str
    path: str


def _load(name: str) -> dict:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def _index() -> dict[str, Event]:
    data = _load("events.json")
    allowed = set(data["triggerConditionEvents"])
    deprecated = set(data["deprecatedEntities"])
    return {
        e["event"]: Event(
            entity=e["entity"],
            operation=e["operation"],
            name=e["event"],
            activities=tuple(e["activities"]),
            allows_conditions=e["event"] in allowed,
            deprecated=e["entity"] in deprecated,
        )
        for e in data["events"]
    }


@cache
def _attributes() -> dict[str, tuple[ConditionAttribute, ...]]:
    data = _load("condition_attributes.json")
    by_root = {
        root: tuple(ConditionAttribute(label, path) for label, path in rows)
        for root, rows in data["attributes"].items()
    }
    return {event: by_root[root] for event, root in data["events"].items()}


def events() -> list[Event]:
    """Every event, in the source table's order (grouped by entity)."""
    return list(_index().values())


def event_names() -> list[str]:
    return list(_index())


def entities() -> list[str]:
    """Entity names in table order, without repeats."""
    return list(dict.fromkeys(e.entity for e in _index().values()))


def get_event(name: str) -> Event | None:
    return _index().get(name)


def suggest_event(name: str) -> str | None:
    """The catalogue event closest to a mistyped name (case and spacing ignored), or None."""
    return _closest(name, _event_aliases())


@cache
def _event_aliases() -> dict[str, str]:
    """Folded spellings people type for an event: its name, and an activity that raises it.

    "Add entitlement" is the activity people remember; the event it raises first in the table
    ("Entitlement Added") is the one they mean.
    """
    aliases: dict[str, str] = {}
    for event in _index().values():
        for activity in event.activities:
            aliases.setdefault(_fold(activity), event.name)
    aliases.update({_fold(n): n for n in _index()})
    return aliases


def _fold(text: str) -> str:
    return " ".join(str(text).lower().split())


def _closest(name: str, folded: dict[str, str]) -> str | None:
    key = _fold(name)
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
    return folded[close[0]] if close else None


def suggest_activity(event: Event, name: str) -> str | None:
    return _closest(name, {_fold(a): a for a in event.activities})


def condition_attributes(event_name: str) -> tuple[ConditionAttribute, ...]:
    """The builder's attribute list for an event; empty for events without trigger conditions."""
    return _attributes().get(event_name, ())


def attribute_label(event_name: str, path: str) -> str | None:
    """The label of a saved path, or None when the path is not in the catalogue (kept raw)."""
    for attribute in condition_attributes(event_name):
        if attribute.path == path:
            return attribute.label
    return None
