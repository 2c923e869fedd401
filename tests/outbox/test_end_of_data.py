"""A sender starts its next message while the last acceptance is being noted, but holds
back that message's end-of-data until the note is committed: should the note fail, the
next message is left unfinished, the server discards it, and it goes out once, later."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from service.models import MessageStatus
from service.outbox.service import run_pass
from service.outbox.transports import SmtpTransport
from tests.outbox.factories import get_messages, make_decline, make_settings
from tests.smtp_sink import Sink, SmtpServer

LEASE = 1.0  # seconds: how soon the messages of the failed pass may be claimed again


@dataclass
class RcptLog(Sink):
    """Also remembers every recipient a client named, delivered or not."""

    named: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.named.append(address)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def _refuse_the_first_note(engine: Engine) -> None:
    """A real database error on noting that a server took a message, the first time only."""
    first = "NOT EXISTS (SELECT 1 FROM messages WHERE sent_at IS NOT NULL)"
    sqlite = [
        f"""CREATE TRIGGER no_note BEFORE UPDATE OF sent_at ON messages
            WHEN NEW.sent_at IS NOT NULL AND {first}
            BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"""
    ]
    postgresql = [
        f"""CREATE FUNCTION no_note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.sent_at IS NOT NULL AND {first} THEN
                RAISE EXCEPTION 'the disk is full';
              END IF;
              RETURN NEW;
            END $$""",
        "CREATE TRIGGER no_note BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION no_note()",
    ]
    with engine.begin() as conn:
        for statement in sqlite if engine.dialect.name == "sqlite" else postgresql:
            conn.execute(text(statement))


def _allow_notes(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER no_note" + ("" if engine.dialect.name == "sqlite" else " ON messages")
            )
        )


async def test_a_failed_note_leaves_the_next_message_unfinished_and_it_goes_out_once_later(
    engine: Engine, tmp_path: Path
) -> None:
    sink = RcptLog()
    server = SmtpServer(sink).start()
    try:
        url = engine.url.render_as_string(hide_password=False)
        settings = make_settings(
            url, tmp_path, smtp_connections=1, outbox_lease_seconds=LEASE, **server.settings()
        )
        addresses = {"one@x.example", "two@x.example"}
        _, ids = make_decline(engine, sorted(addresses))
        _refuse_the_first_note(engine)
        transport = SmtpTransport(settings)
        with pytest.raises(DBAPIError, match="the disk is full"):
            await run_pass(engine=engine, transport=transport, settings=settings)
        [[taken]] = [r.rcpt_tos for r in sink.received]
        [unfinished] = addresses - {taken}
        # The other message was on the wire, up to its end-of-data, which never came.
        assert unfinished in sink.named

        _allow_notes(engine)
        await asyncio.sleep(LEASE)  # the failed pass's claim runs out
        await run_pass(engine=engine, transport=transport, settings=settings)
        await transport.close()
    finally:
        server.stop()

    delivered = Counter(r for item in sink.received for r in item.rcpt_tos)
    # The first one a server took without our record: the one repeat a crash may cost.
    assert delivered == {taken: 2, unfinished: 1}
    assert [m.status for m in get_messages(engine, ids)] == [MessageStatus.sent] * 2
