"""Claiming due messages: never one row to two workers, leases, cancellation (both backends)."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, update

from service.core.db import session_scope, utcnow
from service.models import Decline, Message, MessageStatus
from service.outbox.claims import ClaimedMessage, claim_due
from service.outbox.policy import Outcome
from service.outbox.recording import record_outcomes
from tests.outbox.factories import get_message, get_messages, make_decline, make_settings


def claim(
    engine: Engine,
    *,
    limit: int = 50,
    now=None,
    token: str | None = None,
    lease_seconds: float = 300,
) -> list[ClaimedMessage]:
    with session_scope(engine) as session:
        return claim_due(
            session=session,
            now=now or utcnow(),
            limit=limit,
            lease_seconds=lease_seconds,
            token=token or str(uuid.uuid4()),
        )


def test_claim_leases_due_messages(engine: Engine) -> None:
    _, ids = make_decline(engine, ["a@x.example", "b@x.example"])
    token = str(uuid.uuid4())
    before = utcnow()
    claimed = claim(engine, token=token)
    assert sorted(c.id for c in claimed) == sorted(ids)
    assert all(c.attempts == 1 and c.token == token and c.raw.startswith(b"From:") for c in claimed)
    for row in get_messages(engine, ids):
        assert row.status == MessageStatus.sending
        assert row.claim_token == token
        assert row.lease_until is not None and row.lease_until >= before + timedelta(seconds=300)
    assert claim(engine) == []  # nothing left to claim


def test_claim_respects_limit_and_due_time(engine: Engine) -> None:
    _, due = make_decline(engine, [f"r{i}@x.example" for i in range(5)])
    _, later = make_decline(
        engine, ["later@x.example"], next_attempt_at=utcnow() + timedelta(minutes=5)
    )
    assert len(claim(engine, limit=3)) == 3
    assert len(claim(engine, limit=3)) == 2
    assert claim(engine) == []
    assert [c.id for c in claim(engine, now=utcnow() + timedelta(minutes=6))] == later


def test_concurrent_claimers_never_share_a_row(engine: Engine) -> None:
    ids: list[str] = []
    for n in range(6):
        ids += make_decline(engine, [f"c{n}-{i}@x.example" for i in range(10)])[1]
    workers = 4
    start = threading.Barrier(workers)
    got: list[list[str]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def worker(slot: int) -> None:
        try:
            start.wait()
            while batch := claim(engine, limit=7):
                got[slot] += [c.id for c in batch]
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = [i for part in got for i in part]
    assert len(everything) == len(set(everything)), "a message was claimed twice"
    assert sorted(everything) == sorted(ids)
    assert {m.attempts for m in get_messages(engine, ids)} == {1}


def test_expired_lease_is_reclaimed(engine: Engine) -> None:
    _, [mid] = make_decline(
        engine,
        ["crashed@x.example"],
        status=MessageStatus.sending,
        attempts=1,
        claim_token="dead-worker",
        lease_until=utcnow() - timedelta(seconds=1),
    )
    [again] = claim(engine)
    assert again.id == mid and again.attempts == 2 and again.token != "dead-worker"


def test_live_lease_is_not_reclaimed_even_with_a_later_now(engine: Engine) -> None:
    _, [mid] = make_decline(
        engine,
        ["busy@x.example"],
        status=MessageStatus.sending,
        attempts=1,
        claim_token="live-worker",
        lease_until=utcnow() + timedelta(minutes=5),
    )
    # `--now` evaluates due times; leases are judged on the real clock, so a cron run with
    # a future `--now` cannot steal a message another replica is sending right now.
    assert claim(engine, now=utcnow() + timedelta(days=1)) == []
    assert get_message(engine, mid).claim_token == "live-worker"


def test_canceled_messages_are_never_claimed(engine: Engine) -> None:
    make_decline(engine, ["gone@x.example"], canceled=True)
    make_decline(
        engine,
        ["gone2@x.example"],
        canceled=True,
        status=MessageStatus.sending,
        lease_until=utcnow() - timedelta(minutes=1),
    )
    make_decline(engine, ["c@x.example"], status=MessageStatus.canceled)
    assert claim(engine, now=utcnow() + timedelta(days=1)) == []


def test_a_lost_lease_does_not_overwrite_the_new_holder(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings("sqlite://", tmp_path)
    decline_id, [mid] = make_decline(engine, ["slow@x.example"])
    [first] = claim(engine, lease_seconds=60)
    with session_scope(engine) as session:  # the lease runs out while the first worker sends
        session.execute(
            update(Message)
            .where(Message.id == mid)  # type: ignore[arg-type]
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    [second] = claim(engine)
    assert second.id == mid and second.token != first.token
    with session_scope(engine) as session:
        late = record_outcomes(
            session=session,
            outcomes=[(first, Outcome.permanent("550 x"))],
            now=utcnow(),
            settings=settings,
        )
    assert late.failed == 0 and get_message(engine, mid).status == MessageStatus.sending
    with session_scope(engine) as session:
        done = record_outcomes(
            session=session,
            outcomes=[(second, Outcome.delivered())],
            now=utcnow(),
            settings=settings,
        )
    row = get_message(engine, mid)
    assert done.sent == 1 and row.status == MessageStatus.sent and row.sent_at is not None
    assert row.claim_token is None and row.lease_until is None and row.attempts == 2


def test_a_decline_canceled_mid_attempt_is_not_retried(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings("sqlite://", tmp_path)
    decline_id, [busy, delivered] = make_decline(engine, ["busy@x.example", "ok@x.example"])
    in_flight = claim(engine)
    with session_scope(engine) as session:  # the user cancels while both are being sent
        session.execute(
            update(Decline).where(Decline.id == decline_id).values(canceled_at=utcnow())  # type: ignore[arg-type]
        )
    outcomes = {
        busy: Outcome.transient("450 4.2.0 Mailbox busy"),
        delivered: Outcome.delivered(),
    }
    with session_scope(engine) as session:
        summary = record_outcomes(
            session=session,
            outcomes=[(item, outcomes[item.id]) for item in in_flight],
            now=utcnow(),
            settings=settings,
        )
    assert (summary.sent, summary.canceled, summary.retried) == (1, 1, 0)
    assert get_message(engine, busy).status == MessageStatus.canceled
    assert "450" in (get_message(engine, busy).last_error or "")
    assert get_message(engine, delivered).status == MessageStatus.sent
    assert claim(engine, now=utcnow() + timedelta(days=1)) == []
