"""The filters of a notification search, shared by search, retry, mark-successful, purge and
export: the REST bodies and query parameters, and the CLI's options.

Checked by ``notifications`` (instants, the ``where`` expression, which webhook is meant), which
needs the database for some of them; declared here so the document and the options say the same.
"""

from __future__ import annotations

from ..store.models import STATUSES
from .fields import Field, Fields, Flag

NEEDS_ATTENTION = "NEEDS_ATTENTION"
"""A status filter that is not a state: FAILED notifications, and IN_PROGRESS ones that already had
a failed attempt (retrying). What an administrator looks at first; the desktop preselects it."""
STATUS_FILTERS = (*STATUSES, NEEDS_ATTENTION)

FILTERS = Fields(
    Field("status", "string", f"one of {', '.join(STATUS_FILTERS)} (FAILED, and IN_PROGRESS after a failed attempt)",
          nullable=True, check=None,
          flag=Flag("--status", parse=lambda text: text.upper().replace("-", "_"), choices=STATUS_FILTERS,
                    help="only notifications in this state; NEEDS_ATTENTION: FAILED, and IN_PROGRESS after a "
                         "failed attempt")),
    Field("webhook", "string", "webhook name or id (also a deleted webhook's name)", nullable=True, check=None,
          flag=Flag("--webhook", metavar="NAME_OR_ID", help="only notifications of this webhook")),
    Field("eventId", "string", "one notification", nullable=True, check=None,
          flag=Flag("--event-id", metavar="ID", help="exactly this notification")),
    Field("since", "string", "ISO 8601 date or date-time: created at or after", nullable=True, check=None,
          example="2026-11-28T10:00:00Z",
          flag=Flag("--since", metavar="T", help="created at or after T, ISO 8601, e.g. 2026-11-28T10:00:00Z")),
    Field("until", "string", "ISO 8601 date or date-time: created at or before", nullable=True, check=None,
          flag=Flag("--until", metavar="T", help="created before T, ISO 8601")),
    Field("entityId", "string", "what the notification is about (e.g. an entitlement id); indexed", nullable=True,
          check=None, flag=Flag("--entity-id", metavar="ID",
                                help="what the notification is about (e.g. an entitlement id)")),
    Field("event", "string", "an event of the catalogue (exact name)", nullable=True, check=None,
          example="Entitlement Added",
          flag=Flag("--event", metavar="NAME", help="an event of the catalogue, e.g. 'Entitlement Added'")),
    Field("activity", "string", "an activity (of the event, when one is given)", nullable=True, check=None,
          flag=Flag("--activity", metavar="NAME", help="an activity, e.g. 'Add Entitlement'")),
    Field("where", "string", "a trigger-condition expression evaluated on the entity state (previousState.* for "
          "the state before), e.g. entitlement.customer.name == 'Sam Smith'; errors give the column",
          nullable=True, check=None,
          flag=Flag("--where", metavar="EXPR", help="a trigger-condition expression on the entity state, e.g. "
                    "\"entitlement.customer.name == 'Sam Smith'\" (previousState.* for the state before)")),
)
