"""What one attempt's answer means for a delivery: delivered, retry later, or failed (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from service.models import WebhookDeliveryStatus

# After the first (immediate) attempt, the Standard Webhooks spec's example schedule.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
EXCERPT_CHARS = 1024
ERROR_CHARS = 500


@dataclass(frozen=True)
class Answer:
    """What came back from one POST: a status code and body, or why none came."""

    status_code: int | None = None
    body: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Decision:
    status: WebhookDeliveryStatus
    next_attempt_at: datetime | None


def retry_delay(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts (the last delay repeats past the table)."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def decide(answer: Answer, *, attempts: int, max_attempts: int, now: datetime) -> Decision:
    if answer.ok:
        return Decision(WebhookDeliveryStatus.delivered, None)
    if attempts >= max_attempts:
        return Decision(WebhookDeliveryStatus.failed, None)
    return Decision(WebhookDeliveryStatus.pending, now + retry_delay(attempts))


def excerpt(text: str) -> str:
    """At most ~1 KB of what the receiver answered, on which the dashboard can show."""
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def clip_error(text: str) -> str:
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"
