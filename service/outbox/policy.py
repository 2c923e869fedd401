"""What a send outcome means for a message: sent, retry later, or fail for good. No I/O."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from service.models import MessageStatus

BASE_DELAY = timedelta(seconds=20)
FIRST_RETRY_MAX = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=30)
JITTER = (0.75, 1.25)
MAX_ERROR_CHARS = 2000  # the width of messages.last_error

_default_rng = random.Random()  # noqa: S311 - jitter spreads retries; it guards no secret


class OutcomeKind(StrEnum):
    sent = "sent"
    transient = "transient"  # 4xx, timeouts, lost or refused connections: try again later
    permanent = "permanent"  # 5xx: the server will never take this message


@dataclass(frozen=True)
class Outcome:
    """What happened when one message was handed to a transport."""

    kind: OutcomeKind
    detail: str = ""
    code: int | None = None

    @classmethod
    def delivered(cls, detail: str = "") -> Outcome:
        return cls(OutcomeKind.sent, detail)

    @classmethod
    def transient(cls, detail: str, code: int | None = None) -> Outcome:
        return cls(OutcomeKind.transient, detail, code)

    @classmethod
    def permanent(cls, detail: str, code: int | None = None) -> Outcome:
        return cls(OutcomeKind.permanent, detail, code)

    @classmethod
    def from_reply(cls, code: int, message: str) -> Outcome:
        """An SMTP reply: 5xx is final, anything else (4xx, odd codes) is worth a retry."""
        detail = reply_text(code, message)
        if 500 <= code < 600:
            return cls.permanent(detail, code)
        return cls.transient(detail, code)


@dataclass(frozen=True)
class Decision:
    """The message's next state. next_attempt_at None means: leave it as it is."""

    status: MessageStatus
    next_attempt_at: datetime | None
    last_error: str | None


def reply_text(code: int, message: str) -> str:
    """'550 5.1.1 No such user', as the server said it, on one line."""
    return f"{code} {' '.join(message.split())}".strip()


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Delay before the next try after `attempts` tries: doubling from ~20 s, with jitter."""
    rng = rng or _default_rng
    exponent = min(max(attempts, 1) - 1, 16)  # 20 s * 2**16 is far past the cap already
    delay = min(BASE_DELAY * (2**exponent), MAX_DELAY) * rng.uniform(*JITTER)
    cap = FIRST_RETRY_MAX if attempts <= 1 else MAX_DELAY
    return min(delay, cap)


def decide(
    outcome: Outcome,
    *,
    attempts: int,
    created_at: datetime,
    now: datetime,
    give_up_after: timedelta,
    rng: random.Random | None = None,
) -> Decision:
    """Turn one outcome into the message's next status, retry time and error text."""
    if outcome.kind is OutcomeKind.sent:
        return Decision(MessageStatus.sent, None, None)
    error = outcome.detail or outcome.kind.value
    if outcome.kind is OutcomeKind.permanent:
        return Decision(MessageStatus.failed, None, _clip(error))
    if now - created_at >= give_up_after:
        return Decision(
            MessageStatus.failed, None, _clip(f"gave up after {describe(give_up_after)}: {error}")
        )
    return Decision(MessageStatus.queued, now + backoff(attempts, rng), _clip(error))


def describe(span: timedelta) -> str:
    """48 h -> '2 days', 36 h -> '36 hours', 90 min -> '90 minutes'."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
