"""Helpers for tests of the IMAP poller: settings for a Dovecot account, messages that look
like IMAP protocol inside, a recording handler, and the poller's stored progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from service.core.config import Settings
from service.core.db import session_scope
from service.inbound.imap import PollSummary, mailbox_key, poll_mailbox
from service.models import ImapMailbox
from tests.imap_server import ImapAccount


def settings_for(engine: Engine, account: ImapAccount, **imap: Any) -> Settings:
    # Settings directly rather than tests.factories.make_settings: the poller needs no app.
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-test-secret-key",
        mail_from="Decline Service <declines@mailer.example>",
        **account.settings_overrides(**imap),
    )


def message(n: int, body: bytes = b"") -> bytes:
    """CRLF line ends (IMAP's), 8-bit text, and lines that look like IMAP protocol."""
    return (
        b"From: Candidate %d <c%d@home.example>\r\n"
        b"To: declines@mailer.example\r\n"
        b"Subject: Re: your application %d\r\n"
        b"Message-ID: <m%d@home.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n"
        b"\r\n"
        b"Merci beaucoup, \xc3\xa0 bient\xc3\xb4t.\r\n"
        b")\r\n"
        b"* 1 FETCH (UID 99 BODY[] {5}\r\n"
        b"A001 OK done\r\n" % (n, n, n, n)
    ) + body


class Recorder:
    """A handler that records what it got and answers per message (default: used)."""

    def __init__(self, answer: Callable[[bytes], bool] = lambda raw: True) -> None:
        self.answer = answer
        self.seen: list[bytes] = []

    async def __call__(self, raw: bytes) -> bool:
        self.seen.append(raw)
        return self.answer(raw)


async def poll(settings: Settings, engine: Engine, handle: Any, **kwargs: Any) -> PollSummary:
    return await poll_mailbox(settings=settings, engine=engine, handle=handle, **kwargs)


def progress(engine: Engine, settings: Settings) -> ImapMailbox | None:
    with session_scope(engine) as session:
        return session.get(ImapMailbox, mailbox_key(settings))


POISON = (
    b"From: Someone <x@elsewhere.example>\r\n"
    b"To: declines@mailer.example\r\n"
    b"Subject: <b>trouble</b>\r\n"
    b"Message-ID: <poison@elsewhere.example>\r\n"
    b"\r\n"
    b"Whatever it is, handling it raises.\r\n"
)


class PoisonAware:
    """Uses every message, except POISON, on which it raises (quoting a secret, as a
    careless library might)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.seen: list[bytes] = []

    async def __call__(self, raw: bytes) -> bool:
        self.seen.append(raw)
        if raw == POISON:
            raise RecursionError(f"maximum recursion depth exceeded (login {self.secret})")
        return True
