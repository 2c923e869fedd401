"""Retry policy: pure functions, no I/O."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from service.models import MessageStatus
from service.outbox.policy import MAX_DELAY, Outcome, OutcomeKind, backoff, decide, describe

NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
TWO_DAYS = timedelta(hours=48)


@pytest.mark.parametrize("seed", range(50))
def test_first_retry_comes_within_thirty_seconds(seed: int) -> None:
    delay = backoff(1, random.Random(seed))
    assert timedelta(seconds=10) <= delay <= timedelta(seconds=30)


def test_backoff_grows_then_stays_capped() -> None:
    rng = random.Random(7)
    medians = [backoff(n, rng) for n in range(1, 15)]
    assert medians[3] > medians[0]
    assert all(d <= MAX_DELAY for d in medians)
    assert backoff(10_000, rng) <= MAX_DELAY
    assert backoff(0, rng) <= timedelta(seconds=30)


def test_backoff_has_jitter() -> None:
    rng = random.Random(3)
    assert len({backoff(3, rng) for _ in range(20)}) > 1


def test_sent_is_final_and_clears_the_error() -> None:
    d = decide(
        Outcome.delivered("250 OK"), attempts=2, created_at=NOW, now=NOW, give_up_after=TWO_DAYS
    )
    assert (d.status, d.next_attempt_at, d.last_error) == (MessageStatus.sent, None, None)


@pytest.mark.parametrize(("code", "text"), [(550, "5.1.1 No such user"), (554, "5.7.1 Rejected")])
def test_permanent_replies_fail_at_once_with_the_server_reply(code: int, text: str) -> None:
    outcome = Outcome.from_reply(code, text)
    assert outcome.kind is OutcomeKind.permanent
    d = decide(outcome, attempts=1, created_at=NOW, now=NOW, give_up_after=TWO_DAYS)
    assert d.status is MessageStatus.failed
    assert d.last_error == f"{code} {text}"


def test_transient_reply_is_queued_again_soon() -> None:
    outcome = Outcome.from_reply(450, "4.2.0 Mailbox\n busy")
    assert outcome.kind is OutcomeKind.transient
    d = decide(outcome, attempts=1, created_at=NOW, now=NOW, give_up_after=TWO_DAYS)
    assert d.status is MessageStatus.queued
    assert d.last_error == "450 4.2.0 Mailbox busy"
    assert d.next_attempt_at is not None
    assert NOW < d.next_attempt_at <= NOW + timedelta(seconds=30)


def test_transient_after_the_give_up_window_fails() -> None:
    outcome = Outcome.transient("SMTPConnectError: connection refused")
    late = NOW + TWO_DAYS
    d = decide(outcome, attempts=40, created_at=NOW, now=late, give_up_after=TWO_DAYS)
    assert d.status is MessageStatus.failed
    assert d.last_error == "gave up after 2 days: SMTPConnectError: connection refused"
    almost = decide(
        outcome,
        attempts=40,
        created_at=NOW,
        now=late - timedelta(seconds=1),
        give_up_after=TWO_DAYS,
    )
    assert almost.status is MessageStatus.queued


def test_long_errors_fit_the_column() -> None:
    d = decide(
        Outcome.permanent("5" * 5000), attempts=1, created_at=NOW, now=NOW, give_up_after=TWO_DAYS
    )
    assert d.last_error is not None and len(d.last_error) == 2000


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(hours=48), "2 days"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(minutes=90), "90 minutes"),
    ],
)
def test_describe(span: timedelta, text: str) -> None:
    assert describe(span) == text
