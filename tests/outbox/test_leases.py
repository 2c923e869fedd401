"""Short leases kept alive by a heartbeat: a slow send keeps its claim, a lost claim is never
renewed over its new holder, and a worker that cannot renew stops sending."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from service.core.db import make_engine, session_scope, utcnow
from service.models import Message, MessageStatus
from service.outbox.claims import ClaimedMessage, claim_due, renew
from service.outbox.policy import Outcome
from service.outbox.service import run_pass
from service.outbox.transports import BeforeEnd, CaptureTransport, OutgoingMail
from tests.outbox.factories import get_message, get_messages, make_decline, make_settings

LEASE = 1.5  # seconds: the heartbeat renews every 0.5 s


class HeldTransport(CaptureTransport):
    """Capture, but the first message waits until the test lets it through; `sent` lists
    every message handed over, in order (shared between transports when given)."""

    def __init__(self, directory: Path, sent: list[str] | None = None) -> None:
        super().__init__(directory)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.sent = sent if sent is not None else []

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        if not self.entered.is_set():
            self.entered.set()
            await self.gate.wait()
        self.sent.append(item.id)
        return await super().send(item, before_end)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def claim(engine: Engine, token: str, lease_seconds: float = 60) -> list[ClaimedMessage]:
    with session_scope(engine) as session:
        return claim_due(
            session=session, now=utcnow(), limit=50, lease_seconds=lease_seconds, token=token
        )


async def wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_send_slower_than_the_lease_keeps_its_claim(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(url_of(engine), tmp_path, outbox_lease_seconds=LEASE)
    _, [mid] = make_decline(engine, ["slow@x.example"])
    transport = HeldTransport(tmp_path / "out")
    running = asyncio.ensure_future(run_pass(engine=engine, transport=transport, settings=settings))
    await transport.entered.wait()
    first_lease = get_message(engine, mid).lease_until
    assert first_lease is not None

    # The server takes longer than the whole lease; another worker looks after it ran out.
    await wait_for(lambda: utcnow() > first_lease + timedelta(seconds=0.2), "the first lease")
    assert claim(engine, "another-worker") == []
    assert get_message(engine, mid).lease_until > first_lease  # type: ignore[operator]

    transport.gate.set()
    summary = await running
    row = get_message(engine, mid)
    assert summary.sent == 1 and transport.sent == [mid]
    assert row.status == MessageStatus.sent and row.attempts == 1


def test_renewal_never_touches_a_claim_taken_over(engine: Engine) -> None:
    _, [mid] = make_decline(engine, ["late@x.example"])
    [mine] = claim(engine, "worker-a")
    with session_scope(engine) as session:  # worker A stalls; its lease runs out
        session.execute(
            update(Message)
            .where(Message.id == mid)  # type: ignore[arg-type]
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    [theirs] = claim(engine, "worker-b")
    taken = get_message(engine, mid)

    with session_scope(engine) as session:
        renewed = renew(session=session, token="worker-a", ids=[mine.id], lease_seconds=600)
    assert renewed == set()
    row = get_message(engine, mid)
    assert (row.claim_token, row.lease_until) == ("worker-b", taken.lease_until)
    assert theirs.token == "worker-b"


@pytest.fixture
def impatient_sqlite(sqlite_url: str) -> Iterator[Engine]:
    """SQLite whose writers give up after 0.2 s of waiting for the lock."""
    engine = make_engine(sqlite_url, busy_timeout=0.2)
    yield engine
    engine.dispose()


async def test_a_worker_that_cannot_renew_stops_sending(
    impatient_sqlite: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = impatient_sqlite
    # A longer lease here: the messages left must still be ours, not yet free, when the
    # first pass looks again right after the failed renewal.
    settings = make_settings(url_of(engine), tmp_path, outbox_lease_seconds=3, smtp_connections=1)
    _, ids = make_decline(engine, ["one@x.example", "two@x.example", "three@x.example"])
    transport = HeldTransport(tmp_path / "out")
    running = asyncio.ensure_future(run_pass(engine=engine, transport=transport, settings=settings))
    await transport.entered.wait()

    # The database goes away (here: another connection holds its write lock) mid-send.
    blocker = sqlite3.connect(engine.url.database or "", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        await wait_for(lambda: "cannot renew outbox leases" in caplog.text, "a failed renewal")
    finally:
        blocker.rollback()
        blocker.close()
    transport.gate.set()  # the message on the wire completes; the others must not start
    first = await running

    [in_flight] = transport.sent
    assert first.sent == 1 and get_message(engine, in_flight).status == MessageStatus.sent
    left = [i for i in ids if i != in_flight]
    assert all(m.status == MessageStatus.sending for m in get_messages(engine, left))

    # Once their lease is over, a later pass sends each of them, once.
    again = HeldTransport(tmp_path / "out", sent=transport.sent)
    again.entered.set()

    def free() -> bool:
        return all(m.lease_until < utcnow() for m in get_messages(engine, left))  # type: ignore[operator]

    await wait_for(free, "their leases to run out")
    await run_pass(engine=engine, transport=again, settings=settings)
    assert sorted(transport.sent) == sorted(ids)  # every message handed over exactly once
    assert all(m.status == MessageStatus.sent for m in get_messages(engine, ids))
