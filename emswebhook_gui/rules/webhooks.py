"""A webhook's fields and rules (the source's "Webhook Attributes" table).

Which profile ``authProfile`` names is looked up by ``definitions.validate_webhook``, in the
database, after these checks: it is the one field a pure rule cannot decide.
"""

from __future__ import annotations

from .. import catalog
from .checks import NAME_MAX, Collector, check_bool, check_name, check_optional_text, parse_yes_no
from .events import check_activities, check_event, check_trigger_condition
from .fields import Field, Fields, Flag
from .urls import URL_MAX, check_http_url

DESCRIPTION_MAX = 500

WEBHOOK = Fields(
    Field("event", "string", "an event name from 'emswebhook catalog events'", required=True,
          check=lambda value, errors, _f, _clean: check_event(value, errors), example="Entitlement Added",
          schema_extra={"enum": catalog.event_names}, flag=Flag("--event")),
    Field("name", "string", "the webhook's unique name (at most {limit} characters)", required=True,
          limit=NAME_MAX, trimmed=True, check=lambda value, errors, f, _clean: check_name(value, errors, f.name),
          example="New entitlements", flag=Flag("--name")),
    Field("endpointUrl", "string", "endpoint URL (http or https)", required=True, limit=URL_MAX,
          check=lambda value, errors, f, _clean: check_http_url(value, errors, f.name),
          example="https://erp.example.com/hooks/ems", flag=Flag("--url")),
    Field("authProfile", "string", "authentication profile name", required=True, check=None, example="ERP",
          flag=Flag("--profile")),
    Field("activities", "array", "activities of the event; empty or null: every activity", nullable=True,
          check=lambda value, errors, _f, clean: check_activities(value, clean.get("event"), errors),
          schema_extra={"items": {"type": "string"}}, example=["Add Entitlement"],
          flag=Flag("--activity", metavar="A", repeat=True,
                    help="deliver only for this activity (repeatable; none = all activities; "
                         "'emswebhook catalog events --activities' lists them)")),
    Field("triggerCondition", "string", "trigger condition (Entitlement/Activation Added/Updated only); null or "
          "empty removes it", nullable=True,
          check=lambda value, errors, _f, clean: check_trigger_condition(value, clean.get("event"), errors),
          example="entitlement.state == 'ENABLE'",
          flag=Flag("--condition", metavar="EXPR", help="trigger condition ('' removes it)")),
    Field("description", "string", "free text for people (at most {limit} characters)", nullable=True,
          limit=DESCRIPTION_MAX, check=lambda value, errors, f, _clean: check_optional_text(value, errors, f.name,
                                                                                            f.limit),
          flag=Flag("--description")),
    Field("includeData", "boolean", "send the entity states in the notification",
          check=lambda value, errors, f, _clean: check_bool(value, errors, f.name), schema_extra={"default": True},
          flag=Flag("--include-data", metavar="yes|no", parse=lambda text: parse_yes_no(text, "includeData"),
                    help="send the entity states in the notification (default yes)")),
    Field("enabled", "boolean", "deliver, or keep it switched off",
          check=lambda value, errors, f, _clean: check_bool(value, errors, f.name), schema_extra={"default": True},
          flag=Flag("--enabled", metavar="yes|no", parse=lambda text: parse_yes_no(text, "enabled"),
                    help="deliver (yes, the default) or keep it switched off (no)")),
)
DEFAULTS = {"activities": [], "includeData": True, "enabled": True}


def check_webhook(data: dict, merged: dict, errors: Collector) -> dict:
    """``data`` as given (unknown attributes are refused), ``merged`` over the stored webhook and
    the defaults; the cleaned values (``event`` as a ``catalog.Event``)."""
    WEBHOOK.refuse_unknown(data, errors)
    return WEBHOOK.check(merged, errors)
