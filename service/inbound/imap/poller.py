"""The poll itself: failed messages first, then everything new, each handed to `handle`."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.core import metrics
from service.core.config import MailAuth, Settings
from service.core.db import session_scope, utcnow
from service.inbound.imap import failures
from service.inbound.imap.claim import Claim, LeaseLost, claim_for
from service.inbound.imap.client import ImapError, ImapSession, Selected

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[bool]]

LEASE_TIMEOUTS = 4  # a SQLite lease lasts this many IMAP timeouts (at least a minute)
MIN_LEASE_SECONDS = 60.0
# Set on a quarantined message where the server keeps new keywords: the owner's mail client
# can find (search, filter) what the service gave up on. It stays unread either way.
FAILED_FLAG = "$DeclineFailed"


@dataclass
class PollSummary:
    fetched: int = 0  # messages fetched from the server and handed to `handle`
    used: int = 0  # `handle` returned True (the message is now \Seen)
    skipped: bool = False  # another poller held the mailbox
    reset: bool = False  # UIDVALIDITY changed since the last poll: started again from UID 0
    failed: int = 0  # tries in this poll where `handle` raised (new messages and retries)
    retried: int = 0  # earlier failures handed to `handle` again, from their kept copy
    quarantined: int = 0  # failures that used up their tries in this poll: never tried again

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def mailbox_key(settings: Settings) -> str:
    """The `imap_mailboxes` key: sha256 hex of host, port, user and folder."""
    parts = [
        (settings.imap_host or "").strip().lower(),
        str(settings.resolved_imap_port()),
        settings.imap_username or "",
        settings.imap_folder,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


async def poll_mailbox(
    *, settings: Settings, engine: Engine, handle: Handler, batch_size: int = 100
) -> PollSummary:
    """Hand each message new since the last poll to `handle`; see the package docstring."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    require_configured(settings)
    key = mailbox_key(settings)
    claim = claim_for(engine, key, _lease_seconds(settings))
    if not await claim.acquire():
        log.info("IMAP poll of %s skipped: another poller holds it", _where(settings))
        return PollSummary(skipped=True)
    summary = PollSummary()
    try:
        async with ImapSession(settings) as imap:
            selected = await imap.select(settings.imap_folder)
            forget = partial(failures.forget_pending, key=key)
            last_uid, summary.reset = await claim.start(selected.uidvalidity, forget)
            if summary.reset:
                log.warning(
                    "IMAP %s: UIDVALIDITY is now %s; processing the folder again",
                    _where(settings),
                    selected.uidvalidity,
                )
            poll = _Poll(settings, engine, imap, claim, handle, selected, summary, key)
            await poll.retry_failed()
            await poll.process(await imap.uids_after(last_uid), batch_size)
    except LeaseLost:
        log.warning("IMAP poll of %s stopped: its lease was taken over", _where(settings))
    finally:
        await claim.release()
    log.debug("IMAP poll of %s: %s", _where(settings), summary.as_dict())
    return summary


async def check_connection(settings: Settings) -> str:
    """Log in and select the folder: a one-line description, or ImapError saying why not."""
    require_configured(settings)
    async with ImapSession(settings) as imap:
        selected = await imap.select(settings.imap_folder)
    return (
        f"{settings.imap_folder}: {selected.exists} message{'' if selected.exists == 1 else 's'}"
        f", UIDVALIDITY {selected.uidvalidity}"
    )


@dataclass
class _Poll:
    settings: Settings
    engine: Engine
    imap: ImapSession
    claim: Claim
    handle: Handler
    selected: Selected
    summary: PollSummary
    key: str

    async def retry_failed(self) -> None:
        """Earlier failures get their next try first, from the bytes kept of them."""
        for failure_id, uid in await asyncio.to_thread(self._pending):
            raw = await asyncio.to_thread(self._kept_copy, failure_id)
            if raw is not None:
                self.summary.retried += 1
                await self._hand_over(uid, raw, failure_id)

    async def process(self, uids: list[int], batch_size: int) -> None:
        for done, batch in enumerate(_chunks(uids, batch_size)):
            if done:  # a long (first) poll says where it is
                fetched = self.summary.fetched
                log.info("IMAP %s: %s of %s new messages", self.where, fetched, len(uids))
            await self.claim.renew()
            for uid in batch:
                raw = await self.imap.fetch(uid)
                if raw is None:  # expunged since the search: nothing to hand over
                    await self.claim.advance(uid)
                    continue
                self.summary.fetched += 1
                await self._hand_over(uid, raw, None)

    async def _hand_over(self, uid: int, raw: bytes, failure_id: str | None) -> None:
        """`handle` one message and record the outcome; a new message's UID is passed
        either way, so one that keeps failing never holds the poll back."""
        try:
            used = await self.handle(raw)
        except Exception as exc:  # noqa: BLE001 - any handler error is this message's failure
            await self._failed(uid, raw, exc, failure_id)
            return
        if used:
            self.summary.used += 1
            await self.imap.mark_seen(uid)
        if failure_id is None:
            await self.claim.advance(uid)
        else:
            await self.claim.commit(partial(failures.resolve, failure_id=failure_id))

    async def _failed(self, uid: int, raw: bytes, exc: Exception, failure_id: str | None) -> None:
        settings = self.settings
        secrets = [settings.imap_password, settings.smtp_password, settings.secret_key]
        error = failures.describe(exc, secrets)

        def record(session: Session) -> tuple[int, bool]:
            failure = failures.record(
                session,
                key=self.key,
                mailbox=_mailbox(settings),
                uidvalidity=self.selected.uidvalidity,
                uid=uid,
                raw=raw,
                error=error,
                now=utcnow(),
                max_tries=settings.imap_max_tries,
            )
            return failure.tries, failure.quarantined_at is not None

        if failure_id is None:
            tries, quarantined = await self.claim.advance(uid, record)
        else:
            tries, quarantined = await self.claim.commit(record)
        metrics.IMAP_HANDLING_FAILURES.inc()
        self.summary.failed += 1
        if not quarantined:
            log.error(
                "IMAP %s: handling UID %s failed (try %s of %s); it is kept and tried again "
                "on the next poll",
                self.where,
                uid,
                tries,
                settings.imap_max_tries,
                exc_info=exc,
            )
            return
        self.summary.quarantined += 1
        log.error(
            "IMAP %s: handling UID %s failed %s times; quarantined, it will not be tried again",
            self.where,
            uid,
            tries,
            exc_info=exc,
        )
        if self.selected.keeps(FAILED_FLAG):
            await self.imap.add_flag(uid, FAILED_FLAG)

    def _pending(self) -> list[tuple[str, int]]:
        with session_scope(self.engine) as session:
            return failures.pending(session, key=self.key, uidvalidity=self.selected.uidvalidity)

    def _kept_copy(self, failure_id: str) -> bytes | None:
        with session_scope(self.engine) as session:
            return failures.raw_of(session, failure_id)

    @property
    def where(self) -> str:
        return _where(self.settings)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def require_configured(settings: Settings) -> None:
    """Raise ImapError naming what is missing; an OAuth2 mailbox needs no password."""
    needed = [
        ("DECLINE_IMAP_HOST", settings.imap_host),
        ("DECLINE_IMAP_USERNAME", settings.imap_username or settings.oauth_account),
    ]
    if settings.mail_auth is not MailAuth.xoauth2:
        needed.append(("DECLINE_IMAP_PASSWORD", settings.imap_password))
    missing = [name for name, value in needed if not value]
    if missing:
        raise ImapError(f"IMAP is not configured: set {', '.join(missing)}")


def _where(settings: Settings) -> str:
    return f"{settings.imap_host}:{settings.resolved_imap_port()} {settings.imap_folder}"


def _mailbox(settings: Settings) -> str:
    return f"{settings.imap_username} on {_where(settings)}"


def _lease_seconds(settings: Settings) -> float:
    return max(MIN_LEASE_SECONDS, LEASE_TIMEOUTS * settings.imap_timeout_seconds)
