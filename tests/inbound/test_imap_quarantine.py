"""A message whose handling raises never holds the IMAP poller: it is kept raw, tried on a
bounded number of polls, then quarantined, while the mail around it flows (real Dovecot)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select, update

from service.core.db import make_engine, session_scope, utcnow
from service.inbound.imap import FAILED_FLAG, PollSummary
from service.models import ImapFailure, ImapMailbox
from tests.imap_server import ImapAccount
from tests.inbound.imap_poll import POISON, PoisonAware, message, poll, progress, settings_for


def failures(engine: Engine) -> list[ImapFailure]:
    with session_scope(engine) as session:
        return list(session.scalars(select(ImapFailure).order_by(ImapFailure.uid)))


async def test_poison_is_tried_on_three_polls_then_quarantined_and_mail_keeps_flowing(
    engine: Engine, imap_server: ImapAccount
) -> None:
    first_reply = await imap_server.append(message(1))
    poison = await imap_server.append(POISON)
    second_reply = await imap_server.append(message(2))
    settings = settings_for(engine, imap_server)
    assert settings.imap_max_tries == 3
    handle = PoisonAware(imap_server.password)

    # First poll: both replies handled, around the poison one.
    assert await poll(settings, engine, handle) == PollSummary(fetched=3, used=2, failed=1)
    assert handle.seen == [message(1), POISON, message(2)]
    row = progress(engine, settings)
    assert row is not None and row.last_uid == second_reply
    [kept] = failures(engine)
    assert (kept.uid, kept.tries, kept.quarantined_at) == (poison, 1, None)
    assert kept.raw == POISON  # byte for byte
    assert imap_server.user in kept.mailbox and "INBOX" in kept.mailbox
    assert kept.error.startswith("RecursionError: maximum recursion depth exceeded")
    assert imap_server.password not in kept.error and "***" in kept.error

    # Second poll: only the poison one, again.
    assert await poll(settings, engine, handle) == PollSummary(failed=1, retried=1)
    assert handle.seen[3:] == [POISON]

    # Third poll: its last try, and new mail is handled in the same poll.
    third_reply = await imap_server.append(message(3))
    assert await poll(settings, engine, handle) == PollSummary(
        fetched=1, used=1, failed=1, retried=1, quarantined=1
    )
    assert handle.seen[4:] == [POISON, message(3)]
    [kept] = failures(engine)
    assert kept.tries == 3 and kept.quarantined_at is not None
    assert kept.first_seen_at < kept.last_seen_at == kept.quarantined_at

    # Then it is left alone for good, and later mail still comes through.
    fourth_reply = await imap_server.append(message(4))
    assert await poll(settings, engine, handle) == PollSummary(fetched=1, used=1)
    assert await poll(settings, engine, handle) == PollSummary()
    assert handle.seen[6:] == [message(4)]
    assert len(failures(engine)) == 1

    # On the server: the poison message is still unread, and tagged for its owner.
    flags = await imap_server.flags()
    assert flags[poison] == {FAILED_FLAG}
    for used in (first_reply, second_reply, third_reply, fourth_reply):
        assert flags[used] == {"\\Seen"}


async def test_max_tries_of_one_quarantines_at_the_first_failure(
    sqlite_url: str, imap_server: ImapAccount
) -> None:
    engine = make_engine(sqlite_url)
    try:
        await imap_server.append(POISON)
        await imap_server.append(message(1))
        settings = settings_for(engine, imap_server).model_copy(update={"imap_max_tries": 1})
        handle = PoisonAware("unused")
        assert await poll(settings, engine, handle) == PollSummary(
            fetched=2, used=1, failed=1, quarantined=1
        )
        assert await poll(settings, engine, handle) == PollSummary()
        assert [f.tries for f in failures(engine)] == [1]
    finally:
        engine.dispose()


async def test_a_recreated_folder_drops_pending_retries_but_keeps_the_quarantine(
    engine: Engine, imap_server: ImapAccount
) -> None:
    await imap_server.create_folder("Replies")
    await imap_server.append(POISON, folder="Replies")
    await imap_server.append(message(1), folder="Replies")
    settings = settings_for(engine, imap_server, folder="Replies")
    handle = PoisonAware("unused")
    quick = settings.model_copy(update={"imap_max_tries": 1})
    assert (await poll(quick, engine, handle)).quarantined == 1
    await imap_server.append(POISON.replace(b"raises", b"raises too"), folder="Replies")

    class AlsoPoison(PoisonAware):
        async def __call__(self, raw: bytes) -> bool:
            if b"raises too" in raw:
                raise ValueError("also broken")
            return await super().__call__(raw)

    assert (await poll(settings, engine, AlsoPoison("unused"))).failed == 1
    assert [f.quarantined_at is None for f in failures(engine)] == [False, True]

    await imap_server.recreate_folder("Replies")  # old UIDs mean nothing now
    await imap_server.append(message(2), folder="Replies")
    again = PoisonAware("unused")
    assert await poll(settings, engine, again) == PollSummary(fetched=1, used=1, reset=True)
    assert again.seen == [message(2)]
    [left] = failures(engine)
    assert left.quarantined_at is not None and left.raw == POISON


async def test_a_failure_is_not_recorded_by_a_poller_whose_lease_was_taken_over(
    sqlite_url: str, imap_server: ImapAccount
) -> None:
    engine = make_engine(sqlite_url)
    try:
        await imap_server.append(message(1))
        await imap_server.append(POISON)
        settings = settings_for(engine, imap_server)
        taken_until = utcnow() + timedelta(minutes=10)

        async def stalled(raw: bytes) -> bool:
            if raw == POISON:  # meanwhile our lease lapsed and another poller took over
                with session_scope(engine) as session:
                    session.execute(update(ImapMailbox).values(lease_until=taken_until))
                raise RuntimeError("slow and broken")
            return True

        assert await poll(settings, engine, stalled) == PollSummary(fetched=2, used=1)
        assert failures(engine) == []  # the new holder handles UID 2 itself
        row = progress(engine, settings)
        assert row is not None and row.last_uid == 1 and row.lease_until == taken_until
    finally:
        engine.dispose()
