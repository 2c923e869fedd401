"""A pass end to end: real SMTP server, real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from service.core.db import utcnow
from service.models import MessageStatus
from service.outbox.service import Outbox, run_pass
from service.outbox.transports import CaptureTransport, SmtpTransport, make_transport
from tests.outbox.factories import (
    SENDER,
    decline_status,
    get_message,
    get_messages,
    make_decline,
    make_settings,
)
from tests.smtp_sink import SmtpServer


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


async def test_plain_delivery_sends_the_stored_bytes(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path, **smtp_server.settings())
    decline_id, ids = make_decline(engine, ["charles@engines.example", "mary@engines.example"])
    transport = SmtpTransport(settings)
    try:
        summary = await run_pass(engine=engine, transport=transport, settings=settings)
    finally:
        await transport.close()

    assert summary.as_dict() == {"claimed": 2, "sent": 2, "retried": 0, "failed": 0, "canceled": 0}
    received = smtp_server.sink.by_message_id()
    for row in get_messages(engine, ids):
        [got] = received[row.message_id]
        assert got.content == row.raw  # the kept copy is exactly what went out
        assert (got.mail_from, got.rcpt_tos) == (SENDER, [row.envelope_to])
        assert row.status == MessageStatus.sent and row.attempts == 1
        assert row.sent_at is not None and row.last_error is None
        assert row.lease_until is None and row.claim_token is None
    assert decline_status(engine, decline_id) == "sent"


async def test_refusals_are_per_recipient(
    engine: Engine, smtp_server_factory, tmp_path: Path
) -> None:
    server: SmtpServer = smtp_server_factory(
        rcpt_replies={
            "temp@x.example": "450 4.2.0 Mailbox busy",
            "gone@x.example": "550 5.1.1 No such user",
            "spam@x.example": "554 5.7.1 Rejected",
        }
    )
    settings = make_settings(url_of(engine), tmp_path, **server.settings())
    addresses = [
        "ok@x.example",
        "temp@x.example",
        "gone@x.example",
        "spam@x.example",
        "ok2@x.example",
    ]
    decline_id, ids = make_decline(engine, addresses)
    transport = SmtpTransport(settings)
    started = utcnow()
    summary = await run_pass(engine=engine, transport=transport, settings=settings)
    await transport.close()

    ok, temp, gone, spam, ok2 = get_messages(engine, ids)
    assert summary.as_dict() == {"claimed": 5, "sent": 2, "retried": 1, "failed": 2, "canceled": 0}
    assert ok.status == ok2.status == MessageStatus.sent
    assert temp.status == MessageStatus.queued
    assert temp.last_error is not None and "450 4.2.0 Mailbox busy" in temp.last_error
    assert started < temp.next_attempt_at <= utcnow() + timedelta(seconds=30)
    assert (gone.status, gone.last_error) == (MessageStatus.failed, "550 5.1.1 No such user")
    assert (spam.status, spam.last_error) == (MessageStatus.failed, "554 5.7.1 Rejected")
    assert sorted(r.rcpt_tos[0] for r in server.sink.received) == ["ok2@x.example", "ok@x.example"]
    assert decline_status(engine, decline_id) == "sending"  # one is still on its way


async def test_server_down_keeps_messages_queued_until_it_is_back(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path, **smtp_server.settings())
    _, ids = make_decline(engine, ["a@x.example", "b@x.example"])
    transport = SmtpTransport(settings)
    smtp_server.stop()

    down = await run_pass(engine=engine, transport=transport, settings=settings)
    assert down.as_dict() == {"claimed": 2, "sent": 0, "retried": 2, "failed": 0, "canceled": 0}
    for row in get_messages(engine, ids):
        assert row.status == MessageStatus.queued and row.attempts == 1
        assert row.last_error is not None and "SMTPConnect" in row.last_error
    # Not due yet: a pass right away leaves them alone.
    assert (await run_pass(engine=engine, transport=transport, settings=settings)).claimed == 0

    smtp_server.start()
    later = utcnow() + timedelta(minutes=1)
    up = await run_pass(engine=engine, transport=transport, settings=settings, now=later)
    await transport.close()
    assert up.as_dict() == {"claimed": 2, "sent": 2, "retried": 0, "failed": 0, "canceled": 0}
    assert [r.attempts for r in get_messages(engine, ids)] == [2, 2]
    assert len(smtp_server.sink.received) == 2


async def test_gives_up_two_days_after_creation(
    engine: Engine, smtp_server_factory, tmp_path: Path
) -> None:
    server: SmtpServer = smtp_server_factory(rcpt_replies={"temp@x.example": "451 4.3.0 Try later"})
    settings = make_settings(url_of(engine), tmp_path, **server.settings())
    created = utcnow()
    _, [mid] = make_decline(engine, ["temp@x.example"], created_at=created)
    transport = SmtpTransport(settings)
    await run_pass(engine=engine, transport=transport, settings=settings)
    assert get_message(engine, mid).status == MessageStatus.queued

    summary = await run_pass(
        engine=engine,
        transport=transport,
        settings=settings,
        now=created + timedelta(hours=48, minutes=1),
    )
    await transport.close()
    row = get_message(engine, mid)
    assert summary.failed == 1
    assert row.status == MessageStatus.failed and row.attempts == 2
    assert row.last_error == "gave up after 2 days: 451 4.3.0 Try later"


async def test_a_canceled_message_is_never_sent(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path, **smtp_server.settings())
    _, [canceled] = make_decline(engine, ["no@x.example"], canceled=True)
    _, [withdrawn] = make_decline(engine, ["nope@x.example"], status=MessageStatus.canceled)
    transport = SmtpTransport(settings)
    summary = await run_pass(
        engine=engine, transport=transport, settings=settings, now=utcnow() + timedelta(days=3)
    )
    await transport.close()
    assert summary.claimed == 0 and smtp_server.sink.received == []
    assert get_message(engine, canceled).status == MessageStatus.queued
    assert get_message(engine, withdrawn).status == MessageStatus.canceled


async def test_capture_transport_writes_one_eml_per_message(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(url_of(engine), tmp_path)  # no SMTP host: capture mode
    transport = make_transport(settings)
    assert isinstance(transport, CaptureTransport) and transport.name == "capture"
    decline_id, ids = make_decline(engine, ["a@x.example", "b@x.example", "c@x.example"])
    summary = await run_pass(engine=engine, transport=transport, settings=settings)
    assert summary.sent == 3
    files = sorted(settings.mail_capture_dir.iterdir())
    assert len(files) == 3 and all(f.suffix == ".eml" for f in files)
    for row in get_messages(engine, ids):
        [path] = [f for f in files if f.name.endswith(f"_{row.id}.eml")]
        assert path.read_bytes() == row.raw
        assert row.status == MessageStatus.sent
    assert decline_status(engine, decline_id) == "sent"


async def test_wake_from_another_thread_runs_a_pass(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path, **smtp_server.settings())
    outbox = Outbox.from_settings(engine=engine, settings=settings)
    outbox.start()
    _, [mid] = make_decline(engine, ["woken@x.example"])
    await asyncio.to_thread(outbox.wake)  # as a request thread's after-commit hook would
    await outbox.wait_idle()
    await outbox.close()
    assert get_message(engine, mid).status == MessageStatus.sent
    assert len(smtp_server.sink.received) == 1
