"""The retry schedule (pure): the spec's 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.models import WebhookDeliveryStatus
from service.webhooks.policy import Answer, decide, excerpt

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
REFUSED = Answer(status_code=500, body="down")


def test_each_failed_attempt_waits_as_the_spec_suggests() -> None:
    waits = [
        decide(REFUSED, attempts=n, max_attempts=8, now=NOW).next_attempt_at - NOW  # type: ignore[operator]
        for n in range(1, 8)
    ]
    assert waits == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
    ]
    last = decide(REFUSED, attempts=8, max_attempts=8, now=NOW)
    assert (last.status, last.next_attempt_at) == (WebhookDeliveryStatus.failed, None)


def test_any_2xx_is_delivered_and_nothing_else_is() -> None:
    for code in (200, 201, 202, 204, 299):
        assert decide(Answer(code), attempts=1, max_attempts=8, now=NOW).status == "delivered"
    for answer in (Answer(301), Answer(404), Answer(error="timed out")):
        assert decide(answer, attempts=1, max_attempts=8, now=NOW).status == "pending"


def test_a_long_answer_is_kept_to_one_kilobyte() -> None:
    assert len(excerpt("x" * 50_000)) == 1024 and excerpt("short") == "short"
