"""Delivery primitives: payload, retry schedule, URL guard, authentication, signing, HTTP sender.

They take plain values and return plain values (no database, no Qt), so the engine that claims
notifications and records attempts composes them, and tests drive them against real loopback
servers.
"""

from emswebhook_gui.delivery.auth import BasicAuth, OAuthClientCredentials, TokenCache, TokenError
from emswebhook_gui.delivery.http import AttemptResult, DeliveryRequest, Sender
from emswebhook_gui.delivery.payload import build_payload, format_op_datetime
from emswebhook_gui.delivery.schedule import attempts_in_round, next_attempt_delay
from emswebhook_gui.delivery.signing import generate_secret, signature_headers
from emswebhook_gui.delivery.urlguard import BlockedAddressError, GuardedResolver, blocked_reason

__all__ = [
    "AttemptResult",
    "BasicAuth",
    "BlockedAddressError",
    "DeliveryRequest",
    "GuardedResolver",
    "OAuthClientCredentials",
    "Sender",
    "TokenCache",
    "TokenError",
    "attempts_in_round",
    "blocked_reason",
    "build_payload",
    "format_op_datetime",
    "generate_secret",
    "next_attempt_delay",
    "signature_headers",
]
