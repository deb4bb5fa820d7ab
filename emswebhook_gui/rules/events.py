"""Checks against the event catalogue: event names, activities and trigger conditions, shared by
webhooks (which events they listen to) and occurrences (what happened)."""

from __future__ import annotations

from typing import Any

from .. import catalog
from .checks import Collector


def check_event(value: Any, errors: Collector) -> catalog.Event | None:
    if value is None or value == "":
        errors.add("event", "is required; run 'emswebhook catalog events' for the list")
        return None
    if not isinstance(value, str):
        errors.add("event", "must be a string")
        return None
    event = catalog.get_event(value)
    if event is None:
        suggestion = catalog.suggest_event(value)
        hint = f"; did you mean '{suggestion}'?" if suggestion else "; run 'emswebhook catalog events' for the list"
        errors.add("event", f"'{value}' is not an event name (names are case- and space-sensitive){hint}")
    return event


def check_activities(value: Any, event: catalog.Event | None, errors: Collector) -> list[str] | None:
    """Every entry must be an activity of the event; empty means all; repeats are dropped."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(a, str) for a in value):
        errors.add("activities", "must be a list of activity names")
        return None
    activities = list(dict.fromkeys(value))
    if event is None:
        return activities
    for activity in activities:
        if activity not in event.activities:
            suggestion = catalog.suggest_activity(event, activity)
            hint = f"; did you mean '{suggestion}'?" if suggestion else ""
            errors.add(
                "activities",
                f"'{activity}' is not an activity of '{event.name}'{hint} "
                f"(its activities: {', '.join(event.activities)})",
            )
            return None
    return activities


def check_trigger_condition(value: Any, event: catalog.Event | None, errors: Collector) -> str | None:
    """Returns the normalised expression; refused on events that do not allow conditions."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        errors.add("triggerCondition", "must be a string")
        return None
    if event is not None and not event.allows_conditions:
        allowed = ", ".join(e.name for e in catalog.events() if e.allows_conditions)
        errors.add(
            "triggerCondition",
            f"trigger conditions are not available for '{event.name}'; only for {allowed}",
        )
        return None
    from ..conditions import ConditionSyntaxError, normalise

    try:
        return normalise(value)
    except ConditionSyntaxError as exc:
        errors.add("triggerCondition", str(exc))
        return None


def check_activity(value: Any, event: catalog.Event | None, errors: Collector) -> str | None:
    """One activity of the event (an occurrence's); unchecked while the event is unknown."""
    if event is None:
        return value
    if not isinstance(value, str) or not value:
        errors.add("activity", f"is required; one of: {', '.join(event.activities)}")
    elif value not in event.activities:
        suggestion = catalog.suggest_activity(event, value)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        errors.add("activity", f"'{value}' is not an activity of '{event.name}'{hint} "
                               f"(its activities: {', '.join(event.activities)})")
    return value
