"""The retry schedule of the source system: fixed, and deliberately not configurable.

An automatic round (started when a notification is published) makes the first attempt at once and
retries 5, 15 and 40 minutes after the previous attempt, so the whole round ends about an hour
after publication. An administrator's manual retry of a FAILED notification starts a shorter round
of three attempts: at once, then 5 and 15 minutes. Delays count from the end of the previous
attempt, not from the start of the round, so a slow endpoint does not compress the schedule.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

__all__ = ["AUTO_DELAYS", "MANUAL_DELAYS", "RoundKind", "attempts_in_round", "next_attempt_delay"]

RoundKind = Literal["auto", "manual"]

AUTO_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=40),
)
MANUAL_DELAYS: tuple[timedelta, ...] = (timedelta(0), timedelta(minutes=5), timedelta(minutes=15))

_ROUNDS: dict[str, tuple[timedelta, ...]] = {"auto": AUTO_DELAYS, "manual": MANUAL_DELAYS}


def _delays(round_kind: RoundKind) -> tuple[timedelta, ...]:
    try:
        return _ROUNDS[round_kind]
    except KeyError:
        raise ValueError(f"round_kind must be 'auto' or 'manual', not {round_kind!r}") from None


def attempts_in_round(round_kind: RoundKind) -> int:
    """How many attempts a round allows (4 automatic, 3 manual)."""
    return len(_delays(round_kind))


def next_attempt_delay(round_kind: RoundKind, attempts_made_in_round: int) -> timedelta | None:
    """The wait before the next attempt, or None when the round is exhausted (the notification fails).

    ``attempts_made_in_round`` counts the attempts already made in this round: 0 gives the first
    attempt's delay (zero), 1 the first retry's, and so on.
    """
    delays = _delays(round_kind)
    if attempts_made_in_round < 0:
        raise ValueError(f"attempts_made_in_round must be >= 0, not {attempts_made_in_round}")
    if attempts_made_in_round >= len(delays):
        return None
    return delays[attempts_made_in_round]
