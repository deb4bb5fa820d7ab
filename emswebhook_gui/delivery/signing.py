"""Standard Webhooks signatures (https://www.standardwebhooks.com), optional per webhook.

Sentinel EMS itself only authenticates the request (Basic or OAuth); a signature additionally lets
the receiver prove the body came from us, unaltered, and recently (the timestamp is signed, so a
captured request cannot be replayed after the receiver's tolerance window). ``webhook-id`` is the
notification's eventId, which receivers already use to deduplicate at-least-once deliveries.

Secrets are ``whsec_`` + base64 of random bytes, the format every Standard Webhooks library
accepts; the part after the prefix is the HMAC key once decoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime

__all__ = ["SECRET_PREFIX", "generate_secret", "sign", "signature_headers"]

SECRET_PREFIX = "whsec_"


def generate_secret(nbytes: int = 32) -> str:
    """A fresh signing secret; the spec asks for 24 to 64 random bytes."""
    if not 24 <= nbytes <= 64:
        raise ValueError(f"a signing secret needs 24 to 64 random bytes, not {nbytes}")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def _key(secret: str) -> bytes:
    """The HMAC key; errors never quote the secret, which would put it in a log or the UI."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        # Unpadded base64 is common in the wild; the reference libraries add the padding back.
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the signing secret is not 'whsec_' followed by base64") from None
    if not key:
        raise ValueError("the signing secret is empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one message: ``v1,`` + base64(HMAC-SHA256)."""
    signed = b"%s.%d.%s" % (msg_id.encode("utf-8"), timestamp, body)
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(
    secret: str, msg_id: str, body: bytes, timestamp: int | datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers to add to the POST of ``body``."""
    if isinstance(timestamp, datetime):
        timestamp = int(timestamp.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
