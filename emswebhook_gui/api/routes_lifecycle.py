"""``/webhook-events/purge`` and ``/webhook-events/export``: the data lifecycle over REST.

Purge takes ``{"eventId": ...}`` or ``{"filters": {...}}`` like retry, but refuses empty
filters: ``{"filters": {}}`` would delete the whole history, which no one means by accident-free
JSON; name a filter (``{"filters": {"until": "..."}}``) to purge that much.

Export streams: the filters are validated before the first byte (a bad one is a 400 problem),
then each batch is written as it is read, so a million rows never sit in memory.
"""

from __future__ import annotations

from aiohttp import web

from ..errors import FieldError, ValidationError
from ..lifecycle.export import CONTENT_TYPES, check_format
from ..notifications import FILTER_FIELDS
from .helpers import bulk_target, json_object, ok, query_params, service_of

EXPORT_PARAMS = ("format", *FILTER_FIELDS)


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def purge(request: web.Request) -> web.Response:
        event_id, filters = bulk_target(await json_object(request))
        if filters is not None and not any(v not in (None, "") for v in filters.values()):
            raise ValidationError(FieldError("filters", "name at least one filter; an empty one would purge "
                                             "the whole history"))
        return ok(await service_of(request).purge_notifications(event_id=event_id, filters=filters))

    async def export(request: web.Request) -> web.StreamResponse:
        params = query_params(request, EXPORT_PARAMS)
        fmt = check_format(params.pop("format", None))
        chunks = service_of(request).export_notifications(params, fmt)  # validates the filters now
        response = web.StreamResponse(headers={
            "Content-Type": CONTENT_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="notifications.{fmt}"'})
        await response.prepare(request)
        async for chunk in chunks:
            await response.write(chunk.encode("utf-8"))
        await response.write_eof()
        return response

    base = f"{prefix}/webhook-events"
    router.add_post(f"{base}/purge", purge)
    router.add_get(f"{base}/export", export, allow_head=False)
