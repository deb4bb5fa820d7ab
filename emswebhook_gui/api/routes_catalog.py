"""``/catalog``: the event catalogue (events, activities) and each event's condition attributes,
so a client can build the same pickers as the GUI without a copy of the data."""

from __future__ import annotations

from aiohttp import web

from .. import catalog
from ..errors import NotFound
from .helpers import ok


def event_view(event: catalog.Event) -> dict:
    return {"entity": event.entity, "operation": event.operation, "event": event.name,
            "activities": list(event.activities), "triggerConditions": event.allows_conditions,
            "deprecated": event.deprecated}


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def events(_request: web.Request) -> web.Response:
        return ok([event_view(e) for e in catalog.events()])

    async def condition_attributes(request: web.Request) -> web.Response:
        name = request.match_info["event"]
        event = catalog.get_event(name)
        if event is None:
            suggestion = catalog.suggest_event(name)
            hint = f"; did you mean '{suggestion}'?" if suggestion else ""
            raise NotFound(f"'{name}' is not an event name (names are case- and space-sensitive){hint}")
        return ok([{"label": a.label, "path": a.path} for a in catalog.condition_attributes(event.name)])

    router.add_get(f"{prefix}/catalog/events", events, allow_head=False)
    router.add_get(f"{prefix}/catalog/events/{{event}}/condition-attributes", condition_attributes,
                   allow_head=False)
