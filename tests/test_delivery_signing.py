"""Standard Webhooks signatures, checked by the reference library and over a real POST."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from emswebhook_gui.delivery.http import DeliveryRequest, Sender
from emswebhook_gui.delivery.signing import generate_secret, sign, signature_headers
from tests.support.receiver import Receiver

BODY = '{"eventName":"Customer Added","eventId":"evt-42","note":"ünïcode"}'.encode()


def test_generated_secrets_are_whsec_base64_of_24_to_64_random_bytes():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert len(base64.b64decode(generate_secret(24)[6:])) == 24
    assert generate_secret() != generate_secret()
    with pytest.raises(ValueError):
        generate_secret(16)


def test_headers_verify_with_the_standardwebhooks_library():
    secret = generate_secret()
    now = datetime.now(UTC)
    headers = signature_headers(secret, "evt-42", BODY, now)
    assert headers["webhook-id"] == "evt-42"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers)["eventId"] == "evt-42"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"42", b"43"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers)


def test_signature_matches_the_reference_implementation():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    expected = Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", stamp, BODY.decode())
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", int(stamp.timestamp()), BODY) == expected


def test_a_malformed_secret_is_refused_without_being_quoted():
    with pytest.raises(ValueError) as caught:
        sign("whsec_not*base64!", "id", 1, b"{}")
    assert "not*base64" not in str(caught.value)


@pytest.mark.asyncio
async def test_a_signed_delivery_verifies_at_the_receiver():
    secret = generate_secret()
    async with Receiver() as receiver, Sender(allow_private=True) as sender:
        result = await sender.send(
            DeliveryRequest(url=receiver.url(), body=BODY, event_id="evt-42", signing_secret=secret)
        )
        assert result.ok, result.error
    seen = receiver.requests[0]
    headers = {k: seen.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    assert Webhook(secret).verify(seen.body, headers)["eventId"] == "evt-42"
    assert headers["webhook-id"] == "evt-42"
