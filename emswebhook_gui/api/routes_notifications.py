"""``/webhook-events``: search notifications, read one with its attempts, retry, mark successful
(the source's Search Events, Retry Event and Mark as Bulk Successful).

Bulk actions take ``{"eventId": ...}`` or ``{"filters": {...}}``, never both; unknown filter
names are refused, because a misspelt filter silently ignored would retry or close every FAILED
notification. ``{"filters": {}}`` is an explicit "every FAILED notification".
"""

from __future__ import annotations

from aiohttp import web

from ..errors import FieldError, ValidationError
from ..notifications import FILTER_FIELDS
from .helpers import bulk_target, json_object, ok, query_params, service_of

SEARCH_PARAMS = (*FILTER_FIELDS, "limit", "cursor")


def _limit(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError(FieldError("limit", f"'{value}' is not a whole number")) from None


def register(router: web.UrlDispatcher, prefix: str) -> None:
    async def search(request: web.Request) -> web.Response:
        params = query_params(request, SEARCH_PARAMS)
        filters = {k: v for k, v in params.items() if k in FILTER_FIELDS}
        page = await service_of(request).search_notifications(
            filters, limit=_limit(params.get("limit")), cursor=params.get("cursor") or None)
        return ok(page)

    async def details(request: web.Request) -> web.Response:
        return ok(await service_of(request).get_notification(request.match_info["eventId"]))

    async def retry(request: web.Request) -> web.Response:
        event_id, filters = bulk_target(await json_object(request))
        return ok({"count": await service_of(request).retry_notifications(event_id=event_id, filters=filters)})

    async def mark_successful(request: web.Request) -> web.Response:
        body = await json_object(request)
        event_id, filters = bulk_target(body, ("by",))
        by = body.get("by")
        if by is not None and (not isinstance(by, str) or not by.strip() or len(by) > 100):
            raise ValidationError(FieldError("by", "must be a name of 1-100 characters"))
        count = await service_of(request).mark_successful(event_id=event_id, filters=filters,
                                                          by=(by or "api").strip())
        return ok({"count": count})

    base = f"{prefix}/webhook-events"
    router.add_get(base, search, allow_head=False)
    router.add_post(f"{base}/retry", retry)
    router.add_post(f"{base}/mark-successful", mark_successful)
    # The action names are not eventIds: without the exclusion, GET .../retry would route to
    # details and 405 answers would advertise GET on the action paths.
    router.add_get(f"{base}/{{eventId:(?!retry$|mark-successful$|purge$|export$)[^/]+}}", details,
                   allow_head=False)
