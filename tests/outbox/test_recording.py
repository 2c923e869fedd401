"""Each delivery is noted the moment the server takes it, so a crash repeats at most what
was on the wire; a message a server already took is never sent again."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from service.core.db import make_engine, utcnow
from service.models import MessageStatus
from service.outbox.acceptances import GroupCommit
from service.outbox.claims import ClaimedMessage
from service.outbox.policy import Outcome
from service.outbox.service import run_pass
from service.outbox.transports import BeforeEnd, CaptureTransport, OutgoingMail, SmtpTransport
from tests.outbox.factories import get_message, get_messages, make_decline, make_settings
from tests.smtp_sink import SmtpServer


class SecondHeld(CaptureTransport):
    """Capture; the second message stays at its end (cleared to be completed, not yet
    completed) until the test lets it through."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.gate = asyncio.Event()
        self.second_on_wire = asyncio.Event()
        self.order: list[str] = []  # message ids, as sent (equal creation times: any order)

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        self.order.append(item.id)
        if len(self.order) != 2:
            return await super().send(item, before_end)

        async def held() -> None:
            if before_end is not None:
                await before_end()
            self.second_on_wire.set()
            await self.gate.wait()

        return await super().send(item, held)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


async def test_a_delivery_is_durable_before_the_next_message_goes(
    engine: Engine, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path, smtp_connections=1)
    _, ids = make_decline(engine, ["first@x.example", "second@x.example"])
    transport = SecondHeld(tmp_path / "out")
    running = asyncio.ensure_future(run_pass(engine=engine, transport=transport, settings=settings))
    await transport.second_on_wire.wait()
    first, second = transport.order
    # Were the process killed now, the first message would not be sent again.
    row = get_message(engine, first)
    assert row.sent_at is not None and row.smtp_reply and "written to" in row.smtp_reply
    assert get_message(engine, second).sent_at is None
    transport.gate.set()
    summary = await running
    assert summary.sent == 2
    assert [m.status for m in get_messages(engine, ids)] == [MessageStatus.sent] * 2


async def test_a_message_a_server_took_before_a_crash_is_recorded_not_resent(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path, **smtp_server.settings())
    accepted_at = utcnow() - timedelta(minutes=1)
    _, [mid] = make_decline(
        engine,
        ["taken@x.example"],
        status=MessageStatus.sending,
        attempts=1,
        claim_token="dead-worker",
        lease_until=utcnow() - timedelta(seconds=1),
        sent_at=accepted_at,
        smtp_reply="250 2.0.0 OK queued as 7",
    )
    transport = SmtpTransport(settings)
    summary = await run_pass(engine=engine, transport=transport, settings=settings)
    await transport.close()
    row = get_message(engine, mid)
    assert smtp_server.sink.received == []
    assert summary.sent == 1 and row.status == MessageStatus.sent and row.attempts == 1
    assert (row.sent_at, row.smtp_reply) == (accepted_at, "250 2.0.0 OK queued as 7")
    assert row.claim_token is None and row.lease_until is None


async def test_a_retried_bounced_message_is_sent_again(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path, **smtp_server.settings())
    earlier = utcnow() - timedelta(days=1)
    # What a retry leaves: queued again, with the time and reply of the attempt that bounced.
    _, [mid] = make_decline(
        engine, ["fixed@x.example"], attempts=1, sent_at=earlier, smtp_reply="250 OK"
    )
    transport = SmtpTransport(settings)
    summary = await run_pass(engine=engine, transport=transport, settings=settings)
    await transport.close()
    row = get_message(engine, mid)
    assert summary.sent == 1 and len(smtp_server.sink.received) == 1
    assert row.status == MessageStatus.sent and row.sent_at is not None and row.sent_at > earlier


async def test_a_note_waits_for_another_writer_without_stalling_the_service(
    sqlite_url: str,
) -> None:
    engine = make_engine(sqlite_url)  # migrated by the fixture
    notes = GroupCommit(engine)
    try:
        _, [mid] = make_decline(
            engine, ["held@x.example"], status=MessageStatus.sending, claim_token="ours"
        )
        row = get_message(engine, mid)
        item = ClaimedMessage(
            id=mid,
            decline_id=row.decline_id,
            envelope_from=row.envelope_from,
            envelope_to=row.envelope_to,
            raw=row.raw,
            attempts=1,
            created_at=row.created_at,
            token="ours",
        )
        # Another process holds SQLite's write lock for a second.
        database = engine.url.database or ""
        other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0
        ticks_while_locked: list[int] = []

        def release() -> None:
            ticks_while_locked.append(ticks)
            other.rollback()
            other.close()

        async def clock() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticking = asyncio.create_task(clock())
        threading.Timer(1.0, release).start()
        await notes.accepted(item, "250 2.0.0 queued as A1")
        ticking.cancel()
        # The note waited for the lock, and the event loop (the API, the health checks)
        # kept running meanwhile: about 50 ticks of 20 ms.
        assert ticks_while_locked and ticks_while_locked[0] >= 10
        noted = get_message(engine, mid)
        assert noted.sent_at is not None and noted.smtp_reply == "250 2.0.0 queued as A1"
    finally:
        await notes.close()
        engine.dispose()
