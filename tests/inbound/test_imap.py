"""The IMAP poller against a real Dovecot: exact bytes, flags, progress, UIDVALIDITY, TLS,
errors, and one poller at a time (advisory lock on PostgreSQL, lease on SQLite)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text, update

from service.core.db import make_engine, session_scope, utcnow
from service.inbound.imap import (
    ImapError,
    PollSummary,
    check_connection,
    encode_mailbox_name,
    mailbox_key,
    parse_fetch_body,
    parse_search,
)
from service.models import ImapMailbox
from tests.imap_server import ImapAccount
from tests.inbound.imap_poll import Recorder, message, poll, progress, settings_for
from tests.peers import free_port

# Incremental polling ---------------------------------------------------------------------


async def test_new_messages_once_each_with_exact_bytes(
    engine: Engine, imap_server: ImapAccount
) -> None:
    big = message(3, b"x" * 70 + b"\r\n") * 4000  # ~0.5 MB: many reads for one literal
    sent = [message(1), message(2), big]
    for raw in sent:
        await imap_server.append(raw)
    settings = settings_for(engine, imap_server)

    first = Recorder()
    assert await poll(settings, engine, first) == PollSummary(fetched=3, used=3)
    assert first.seen == sent

    second = Recorder()  # `UID SEARCH UID 4:*` still answers UID 3: it must be filtered
    assert await poll(settings, engine, second) == PollSummary()
    assert second.seen == []

    later = message(4)
    uid = await imap_server.append(later)
    third = Recorder()
    assert await poll(settings, engine, third) == PollSummary(fetched=1, used=1)
    assert third.seen == [later]
    row = progress(engine, settings)
    assert row is not None and row.last_uid == uid and row.lease_until is None
    assert row.uidvalidity == await imap_server.uidvalidity()


async def test_empty_folder(engine: Engine, imap_server: ImapAccount) -> None:
    settings = settings_for(engine, imap_server)
    assert await poll(settings, engine, Recorder()) == PollSummary()
    assert await poll(settings, engine, Recorder()) == PollSummary()


async def test_first_poll_takes_the_whole_backlog_in_batches(
    sqlite_url: str, imap_server: ImapAccount
) -> None:
    engine = make_engine(sqlite_url)
    try:
        sent = [message(n) for n in range(7)]
        for raw in sent:
            await imap_server.append(raw)
        settings = settings_for(engine, imap_server)
        handler = Recorder()
        assert await poll(settings, engine, handler, batch_size=3) == PollSummary(7, 7)
        assert handler.seen == sent
        row = progress(engine, settings)
        assert row is not None and row.last_uid == 7
    finally:
        engine.dispose()


async def test_only_used_messages_are_marked_seen(
    sqlite_url: str, imap_server: ImapAccount
) -> None:
    engine = make_engine(sqlite_url)
    try:
        used_unread = await imap_server.append(message(1))
        unused_unread = await imap_server.append(message(2))
        unused_read = await imap_server.append(message(3), flags="\\Seen")
        used_flagged = await imap_server.append(message(4), flags="\\Flagged")
        unused_flagged = await imap_server.append(message(5), flags="\\Flagged \\Answered")
        wanted = {message(1), message(4)}
        settings = settings_for(engine, imap_server)

        summary = await poll(settings, engine, Recorder(lambda raw: raw in wanted))
        assert summary == PollSummary(fetched=5, used=2)
        assert await imap_server.flags() == {
            used_unread: {"\\Seen"},
            unused_unread: set(),  # fetched with BODY.PEEK[]: still unread
            unused_read: {"\\Seen"},  # as it was
            used_flagged: {"\\Flagged", "\\Seen"},
            unused_flagged: {"\\Flagged", "\\Answered"},
        }
        # An unused message is not offered again.
        assert await poll(settings, engine, Recorder()) == PollSummary()
    finally:
        engine.dispose()


async def test_a_handler_error_does_not_hold_the_poll_and_the_message_is_tried_again(
    engine: Engine, imap_server: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    for n in (1, 2, 3):
        await imap_server.append(message(n))
    settings = settings_for(engine, imap_server)
    calls: list[bytes] = []

    async def flaky(raw: bytes) -> bool:  # e.g. the database went away for a moment
        calls.append(raw)
        if raw == message(2) and calls.count(raw) == 1:
            raise RuntimeError("database went away")
        return True

    with caplog.at_level(logging.ERROR, logger="service.inbound.imap"):
        summary = await poll(settings, engine, flaky)
    assert summary == PollSummary(fetched=3, used=2, failed=1)
    assert calls == [message(1), message(2), message(3)]  # UID 3 did not wait for UID 2
    assert "UID 2" in caplog.text and "database went away" in caplog.text
    row = progress(engine, settings)
    assert row is not None and row.last_uid == 3 and row.lease_until is None
    assert (await imap_server.flags())[2] == set()

    # The next poll tries it again, from the copy kept of it, and nothing else.
    assert await poll(settings, engine, flaky) == PollSummary(used=1, retried=1)
    assert calls == [message(1), message(2), message(3), message(2)]
    assert (await imap_server.flags())[2] == {"\\Seen"}
    assert await poll(settings, engine, flaky) == PollSummary()
    assert len(calls) == 4


async def test_uidvalidity_change_processes_the_folder_again(
    engine: Engine, imap_server: ImapAccount
) -> None:
    before = await imap_server.create_folder("Replies")
    for n in (1, 2):
        await imap_server.append(message(n), folder="Replies")
    settings = settings_for(engine, imap_server, folder="Replies")
    assert await poll(settings, engine, Recorder()) == PollSummary(fetched=2, used=2)

    after = await imap_server.recreate_folder("Replies")  # e.g. restored from a backup
    assert after != before
    for n in (1, 2, 3):
        await imap_server.append(message(n), folder="Replies")
    handler = Recorder()
    assert await poll(settings, engine, handler) == PollSummary(fetched=3, used=3, reset=True)
    assert handler.seen == [message(1), message(2), message(3)]
    row = progress(engine, settings)
    assert row is not None and row.uidvalidity == after and row.last_uid == 3

    assert await poll(settings, engine, Recorder()) == PollSummary()


async def test_folder_names_are_encoded(sqlite_url: str, imap_server: ImapAccount) -> None:
    engine = make_engine(sqlite_url)
    try:
        folder = "Réponses & co"
        uidvalidity = await imap_server.create_folder(folder)
        await imap_server.append(message(1), folder=folder)
        settings = settings_for(engine, imap_server, folder=folder)
        assert await check_connection(settings) == f"{folder}: 1 message, UIDVALIDITY {uidvalidity}"
        assert await poll(settings, engine, Recorder()) == PollSummary(fetched=1, used=1)
    finally:
        engine.dispose()


# Connections -------------------------------------------------------------------------------


async def test_implicit_tls_with_our_ca(sqlite_url: str, imap_server: ImapAccount) -> None:
    engine = make_engine(sqlite_url)
    try:
        await imap_server.append(message(1))
        await imap_server.append(message(2))
        settings = settings_for(engine, imap_server, tls=True)
        assert settings.imap_security == "tls" and settings.imap_ca_file is not None
        uidvalidity = await imap_server.uidvalidity()
        assert await check_connection(settings) == f"INBOX: 2 messages, UIDVALIDITY {uidvalidity}"
        handler = Recorder()
        assert await poll(settings, engine, handler) == PollSummary(fetched=2, used=2)
        assert handler.seen == [message(1), message(2)]
    finally:
        engine.dispose()


async def test_tls_refuses_a_server_it_does_not_trust(
    sqlite_url: str, imap_server: ImapAccount
) -> None:
    engine = make_engine(sqlite_url)
    try:
        settings = settings_for(engine, imap_server, tls=True).model_copy(
            update={"imap_ca_file": None}  # the system's CAs do not know the trustme one
        )
        with pytest.raises(ImapError, match="cannot connect.*CERTIFICATE_VERIFY_FAILED"):
            await poll(settings, engine, Recorder())
    finally:
        engine.dispose()


async def test_wrong_password_raises_without_leaking_it(
    engine: Engine, imap_server: ImapAccount
) -> None:
    await imap_server.append(message(1))
    wrong = 'Wr0ng-P4ss-"quoted"-{7}'
    settings = settings_for(engine, imap_server, password=wrong)
    handler = Recorder()
    with pytest.raises(ImapError) as caught:
        await poll(settings, engine, handler)
    error = caught.value
    assert f"{imap_server.host}:{imap_server.port}" in str(error)
    assert "AUTHENTICATIONFAILED" in str(error) and imap_server.user in str(error)
    for shown in (str(error), repr(error), repr(error.__cause__), repr(error.__context__)):
        assert wrong not in shown
    assert handler.seen == []
    with pytest.raises(ImapError, match="AUTHENTICATIONFAILED"):
        await check_connection(settings)

    # The failed poll let go of the mailbox: the next one is not skipped.
    settings = settings_for(engine, imap_server)
    assert await poll(settings, engine, handler) == PollSummary(fetched=1, used=1)


async def test_nothing_listening_raises(sqlite_url: str, imap_server: ImapAccount) -> None:
    engine = make_engine(sqlite_url)
    try:
        settings = settings_for(engine, imap_server).model_copy(update={"imap_port": free_port()})
        with pytest.raises(ImapError, match=r"127\.0\.0\.1:\d+: cannot connect"):
            await poll(settings, engine, Recorder())
        with pytest.raises(ImapError, match="cannot connect"):
            await check_connection(settings)
    finally:
        engine.dispose()


async def test_missing_folder_and_missing_settings(
    sqlite_url: str, imap_server: ImapAccount
) -> None:
    engine = make_engine(sqlite_url)
    try:
        settings = settings_for(engine, imap_server, folder="Nowhere")
        with pytest.raises(ImapError, match="cannot select folder 'Nowhere': NO"):
            await poll(settings, engine, Recorder())
        bare = settings.model_copy(update={"imap_host": None, "imap_password": None})
        with pytest.raises(ImapError, match="DECLINE_IMAP_HOST, DECLINE_IMAP_PASSWORD"):
            await poll(bare, engine, Recorder())
    finally:
        engine.dispose()


# One poller at a time -----------------------------------------------------------------------


async def test_a_second_poller_is_skipped_while_one_runs(
    engine: Engine, imap_server: ImapAccount
) -> None:
    for n in (1, 2, 3):
        await imap_server.append(message(n))
    settings = settings_for(engine, imap_server)
    inside, release = asyncio.Event(), asyncio.Event()
    seen: list[bytes] = []

    async def slow(raw: bytes) -> bool:
        seen.append(raw)
        inside.set()
        await release.wait()
        return True

    first = asyncio.create_task(poll(settings, engine, slow))
    await asyncio.wait_for(inside.wait(), 10)

    # Another replica: its own engine, thread and event loop.
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        second = await asyncio.to_thread(asyncio.run, poll(settings, other, Recorder()))
    finally:
        other.dispose()
    assert second == PollSummary(skipped=True)

    release.set()
    assert await asyncio.wait_for(first, 20) == PollSummary(fetched=3, used=3)
    assert seen == [message(1), message(2), message(3)]
    # Released at the end: the next poll runs (and finds nothing new).
    assert await poll(settings, engine, Recorder()) == PollSummary()


async def test_racing_pollers_handle_each_message_once(
    engine: Engine, imap_server: ImapAccount
) -> None:
    sent = [message(n) for n in range(6)]
    for raw in sent:
        await imap_server.append(raw)
    settings = settings_for(engine, imap_server)
    seen: list[bytes] = []

    async def handle(raw: bytes) -> bool:
        seen.append(raw)
        await asyncio.sleep(0.05)  # the winner holds the mailbox for 0.3 s at least
        return True

    engines = [engine, make_engine(engine.url.render_as_string(hide_password=False))]
    try:
        summaries = await asyncio.gather(*(poll(settings, e, handle) for e in engines))
    finally:
        engines[1].dispose()
    assert sorted(seen) == sorted(sent)  # each exactly once, in total
    assert sum(s.fetched for s in summaries) == 6
    assert [s.skipped for s in summaries].count(True) == 1


async def test_mailbox_claimed_elsewhere_is_skipped(
    engine: Engine, imap_server: ImapAccount
) -> None:
    await imap_server.append(message(1))
    settings = settings_for(engine, imap_server)
    key = mailbox_key(settings)
    handler = Recorder()
    if engine.dialect.name == "postgresql":
        lock_id = int.from_bytes(bytes.fromhex(key)[:8], "big", signed=True)
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:id)"), {"id": lock_id})
            assert await poll(settings, engine, handler) == PollSummary(skipped=True)
            holder.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
    else:
        with session_scope(engine) as session:
            session.add(ImapMailbox(key=key, lease_until=utcnow() + timedelta(minutes=5)))
        assert await poll(settings, engine, handler) == PollSummary(skipped=True)
        with session_scope(engine) as session:  # a poller that died: its lease ran out
            session.execute(update(ImapMailbox).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert handler.seen == []
    assert await poll(settings, engine, handler) == PollSummary(fetched=1, used=1)


async def test_sqlite_poller_stops_when_its_lease_is_taken_over(
    sqlite_url: str, imap_server: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(sqlite_url)
    try:
        for n in (1, 2, 3):
            await imap_server.append(message(n))
        settings = settings_for(engine, imap_server)
        taken_until = utcnow() + timedelta(minutes=10)
        seen: list[bytes] = []

        async def stalled(raw: bytes) -> bool:
            seen.append(raw)
            if len(seen) == 2:  # our lease lapsed and another poller took the mailbox
                with session_scope(engine) as session:
                    session.execute(update(ImapMailbox).values(lease_until=taken_until))
            return True

        with caplog.at_level(logging.WARNING, logger="service.inbound.imap"):
            summary = await poll(settings, engine, stalled)
        assert summary == PollSummary(fetched=2, used=2)
        assert "lease was taken over" in caplog.text
        row = progress(engine, settings)
        # UID 2 is not recorded (the new holder does it again) and its lease is left alone.
        assert row is not None and row.last_uid == 1 and row.lease_until == taken_until
    finally:
        engine.dispose()


# Parsing ------------------------------------------------------------------------------------


def test_parse_search_filters_the_star_quirk() -> None:
    assert parse_search([b"3 9 4", b"Search completed."], after=3) == [4, 9]
    assert parse_search([b"7", b"Search completed."], after=7) == []
    assert parse_search([b"", b"Search completed."], after=0) == []
    assert parse_search([b"Search completed."], after=0) == []


def test_parse_fetch_body_picks_the_literal_of_that_uid() -> None:
    body = b"Subject: x\r\n\r\n) {3}\r\n"
    lines = [
        b"1 FETCH (FLAGS (\\Seen) UID 4)",  # another client's flag change
        b"2 FETCH (BODY[] {%d}" % len(body),
        bytearray(body),
        b" UID 5)",  # UID after the literal
        b"Fetch completed.",
    ]
    assert parse_fetch_body(lines, 5) == body
    assert parse_fetch_body(lines, 4) is None
    assert parse_fetch_body([b"Fetch completed."], 5) is None  # expunged meanwhile
    empty = [b"2 FETCH (UID 5 BODY[] {0}", bytearray(), b")", b"Fetch completed."]
    assert parse_fetch_body(empty, 5) == b""
    with pytest.raises(ImapError, match="unexpected FETCH answer"):
        parse_fetch_body([b'2 FETCH (UID 5 BODY[] "quoted")', b"Fetch completed."], 5)


def test_mailbox_names_in_modified_utf7() -> None:
    assert encode_mailbox_name("INBOX") == '"INBOX"'
    assert encode_mailbox_name("Réponses & co") == '"R&AOk-ponses &- co"'
    assert encode_mailbox_name('a"b\\c') == '"a\\"b\\\\c"'
    assert encode_mailbox_name("日本語") == '"&ZeVnLIqe-"'
