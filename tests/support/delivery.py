"""Driving a running delivery engine from a test: a service that may deliver to the loopback
receivers and its started engine, letting the engine catch up with a moved clock, and running
notifications through the whole automatic schedule until they are FAILED."""

from __future__ import annotations

from emswebhook_gui.delivery.engine import DeliveryEngine
from emswebhook_gui.delivery.http import DeliveryRequest
from emswebhook_gui.secrets import SecretStore
from emswebhook_gui.service import WebhookService
from tests.support.waiting import until

RETRY_STEP_MINUTES = 41
"""Past the longest automatic delay (5, 15, 40 minutes): each step makes the next attempt due."""


def delivery(url: str, body: bytes = b'{"n":1}', **fields) -> DeliveryRequest:
    """One request for the sender alone (no engine, no store)."""
    return DeliveryRequest(url=url, body=body, event_id="e1", **fields)


async def loopback_service(url: str, keyring, clock=None, *,
                           basic: tuple[str, str] | None = ("u", "pw")) -> WebhookService:
    """A service on ``url`` (and the test ``clock``) that may deliver to the loopback receivers
    (private endpoints allowed), with a Basic profile named "Basic" of the ``basic`` user and
    password unless that is None."""
    service = await WebhookService.open(url, secrets=SecretStore(keyring), clock=clock)
    await service.set_property("allowPrivateEndpoints", True)
    if basic is not None:
        username, password = basic
        await service.create_profile({"name": "Basic", "type": "basic", "username": username, "password": password})
    return service


async def started_engine(service: WebhookService, poll_interval: float = 0.05) -> DeliveryEngine:
    """The service's engine, running; quick to look for due work unless ``poll_interval`` says otherwise."""
    engine = service.delivery_engine(poll_interval=poll_interval)
    await engine.start()
    return engine


async def caught_up(engine, timeout: float = 10.0) -> None:
    """Wait until ``engine`` has looked for due work twice since this call and has nothing it
    claimed left unrecorded.

    Twice, because the first look may have begun before whatever the test just changed (its
    clock, a webhook); unrecorded, because a claim becomes an attempt only once recorded. After
    this, everything due by the test's clock has been attempted and recorded, so a test can also
    check that something did *not* happen. The engine is woken at every look: one with a long
    ``poll_interval`` would otherwise wait it out."""
    target = engine.claim_rounds + 2

    def done() -> bool:
        if engine.claim_rounds < target:
            engine.wake()
            return False
        return engine.in_flight == 0

    await until(done, timeout=timeout)


async def run_to_failed(service, engine, clock, event_ids: list[str], *, max_steps: int = 40) -> None:
    """Jump ``clock`` past each automatic retry until every one of ``event_ids`` is FAILED (the
    endpoint must keep refusing them)."""
    statuses: list[str] = []
    for _ in range(max_steps):
        await caught_up(engine)
        statuses = [(await service.get_notification(event_id))["status"] for event_id in event_ids]
        if all(status == "FAILED" for status in statuses):
            return
        clock.advance(minutes=RETRY_STEP_MINUTES)
    raise AssertionError(f"not FAILED after {max_steps} retry steps: {statuses}")
