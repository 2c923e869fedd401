"""Copies of sent mail in the mailbox's Sent folder, on a real Dovecot."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.models import SentCopy
from service.outbox.service import run_pass
from service.outbox.transports import SmtpTransport
from service.sent_copies.jobs import copy_sent
from tests.imap_server import ImapAccount
from tests.outbox.factories import get_message, make_decline, make_settings
from tests.peers import free_port
from tests.smtp_sink import SmtpServer

FLAGGED = "Sent Items"  # the test Dovecot flags this one \Sent once it exists


def copy_settings(
    engine: Engine, tmp: Path, imap: ImapAccount, smtp: SmtpServer | None = None, **extra: Any
) -> Settings:
    values = imap.settings_overrides() | (smtp.settings() if smtp else {}) | extra
    return make_settings(str(engine.url), tmp, **values)


def sent_decline(engine: Engine, *to: str) -> list[str]:
    """Decline emails already recorded as sent (no SMTP server needed)."""
    _, ids = make_decline(engine, list(to), status="sent", sent_at=utcnow())
    return ids


def copy_row(engine: Engine, message_id: str) -> SentCopy:
    with session_scope(engine) as session:
        row = session.get(SentCopy, message_id)
        assert row is not None
        session.expunge(row)
        return row


def make_due_now(engine: Engine) -> None:
    """Skip the backoff: what the next try after it would do."""
    with session_scope(engine) as session:
        for row in session.query(SentCopy).all():
            row.next_attempt_at = utcnow() - timedelta(seconds=1)


async def test_a_sent_email_is_copied_once_into_the_sent_flagged_folder_seen_and_exact(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount, smtp_server: SmtpServer
) -> None:
    await imap_server.create_folder(FLAGGED)
    await imap_server.create_folder("Sent")  # named like the setting, but not flagged
    settings = copy_settings(engine, tmp_path, imap_server, smtp_server)
    _, [mid] = make_decline(engine, ["charles@engines.example"])
    transport = SmtpTransport(settings)
    try:
        assert (await run_pass(engine=engine, transport=transport, settings=settings)).sent == 1
    finally:
        await transport.close()

    summary = await copy_sent(engine=engine, settings=settings)

    assert summary == {"copied": 1, "found": 0, "failed": 0, "folder": FLAGGED}
    went_out = smtp_server.sink.received[0].content
    assert await imap_server.bodies(FLAGGED) == [went_out] == [get_message(engine, mid).raw]
    assert list((await imap_server.flags(FLAGGED)).values()) == [{"\\Seen"}]
    assert await imap_server.uids("Sent") == []
    assert copy_row(engine, mid).copied_at is not None


async def test_without_a_special_use_flag_the_configured_folder_is_used(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    await imap_server.create_folder("Gesendet")
    settings = copy_settings(engine, tmp_path, imap_server, imap_sent_folder="Gesendet")
    [mid] = sent_decline(engine, "charles@engines.example")

    summary = await copy_sent(engine=engine, settings=settings)

    assert summary is not None and summary["folder"] == "Gesendet"
    assert await imap_server.bodies("Gesendet") == [get_message(engine, mid).raw]


async def test_a_missing_folder_fails_then_the_retry_copies_it_exactly_once(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    settings = copy_settings(engine, tmp_path, imap_server)
    [mid] = sent_decline(engine, "charles@engines.example")

    first = await copy_sent(engine=engine, settings=settings)

    assert first is not None and first["failed"] == 1
    row = copy_row(engine, mid)
    assert row.copied_at is None and row.tries == 1
    assert row.last_error is not None and "no Sent folder" in row.last_error
    assert row.next_attempt_at > utcnow()  # backing off
    assert await copy_sent(engine=engine, settings=settings) == {
        "copied": 0,
        "found": 0,
        "failed": 0,
        "folder": None,
    }  # not due yet

    await imap_server.create_folder("Sent")
    make_due_now(engine)
    assert (await copy_sent(engine=engine, settings=settings) or {})["copied"] == 1
    assert await imap_server.bodies("Sent") == [get_message(engine, mid).raw]
    assert copy_row(engine, mid).last_error is None


async def test_a_server_down_costs_only_a_retry(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    await imap_server.create_folder("Sent")
    [mid] = sent_decline(engine, "charles@engines.example")
    # Nothing listens there: the server is down.
    unreachable = copy_settings(engine, tmp_path, imap_server, imap_port=free_port())
    first = await copy_sent(engine=engine, settings=unreachable)
    assert first is not None and first["failed"] == 1
    assert "cannot connect" in (copy_row(engine, mid).last_error or "")

    make_due_now(engine)
    settings = copy_settings(engine, tmp_path, imap_server)
    assert (await copy_sent(engine=engine, settings=settings) or {})["copied"] == 1
    assert len(await imap_server.bodies("Sent")) == 1


async def test_running_the_job_again_or_after_a_lost_answer_does_not_duplicate(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    await imap_server.create_folder("Sent")
    settings = copy_settings(engine, tmp_path, imap_server)
    mids = sent_decline(engine, "charles@engines.example", "mary@engines.example")
    # The APPEND of the first went through, but its answer was lost before it was recorded.
    await imap_server.append(get_message(engine, mids[0]).raw, flags="\\Seen", folder="Sent")

    first = await copy_sent(engine=engine, settings=settings)
    again = await copy_sent(engine=engine, settings=settings)

    assert first == {"copied": 1, "found": 1, "failed": 0, "folder": "Sent"}
    assert again == {"copied": 0, "found": 0, "failed": 0, "folder": None}
    kept = sorted(get_message(engine, mid).raw for mid in mids)
    assert sorted(await imap_server.bodies("Sent")) == kept


async def test_queued_mail_and_call_reminders_get_no_copy(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    await imap_server.create_folder("Sent")
    settings = copy_settings(engine, tmp_path, imap_server)
    make_decline(engine, ["queued@engines.example"])
    make_decline(engine, ["ada@home.example"], status="sent", sent_at=utcnow(), kind="reminder")

    assert (await copy_sent(engine=engine, settings=settings) or {})["copied"] == 0
    assert await imap_server.uids("Sent") == []


async def test_without_imap_nothing_is_copied(engine: Engine, tmp_path: Path) -> None:
    assert await copy_sent(engine=engine, settings=make_settings(str(engine.url), tmp_path)) is None
