"""When a failed copy is tried again: backoff that doubles, capped, never blocking sends."""

from datetime import datetime, timedelta

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)


def next_attempt(tries: int, now: datetime) -> datetime:
    """The time of the next try after `tries` failed ones (1 -> +1 min, 2 -> +2 min...)."""
    exponent = max(tries - 1, 0)
    delay = FIRST_DELAY * (2 ** min(exponent, 20))
    return now + min(delay, MAX_DELAY)
