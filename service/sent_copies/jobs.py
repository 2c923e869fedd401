"""The copy job: APPEND each sent message's kept bytes to the Sent folder, once.

It runs beside the outbox, never in its way: a send is recorded first, the copy follows
on a later pass, and IMAP trouble only ever costs the copy a retry (with backoff), never
a delivery. Before each APPEND the folder is searched for the Message-ID, so a copy whose
APPEND answer was lost (or one the provider filed itself) is not made twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Engine

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.inbound.imap.client import ImapError
from service.inbound.imap.poller import require_configured
from service.sent_copies import service
from service.sent_copies.imap import SentFolderSession

log = logging.getLogger(__name__)

JOB_ID = "sent_copies.copy_sent"
BATCH = 20


@dataclass
class CopySummary:
    copied: int = 0  # APPENDed in this pass
    found: int = 0  # already in the folder (an earlier APPEND, or the provider's copy)
    failed: int = 0  # to be tried again after the backoff
    folder: str | None = None

    def as_dict(self) -> dict[str, int | str | None]:
        return asdict(self)


def enabled(settings: Settings) -> bool:
    return bool(settings.imap_host) and settings.imap_sent_copies


async def copy_sent(
    *, engine: Engine, settings: Settings, now: datetime | None = None
) -> dict[str, int | str | None] | None:
    """One pass: copy what is due; None when IMAP (or copying) is not configured."""
    if not enabled(settings):
        return None
    at, token = now or utcnow(), str(uuid.uuid4())
    # Long enough for every step of a whole batch to take its full timeout: copies are not
    # urgent, and a lease that lapsed mid-pass would let another replica in beside us.
    lease = settings.imap_timeout_seconds * (3 + 2 * BATCH)

    def take() -> list[service.ClaimedCopy]:
        with session_scope(engine) as session:
            service.enlist(session, at)
            return service.claim(session, now=at, limit=BATCH, lease_seconds=lease, token=token)

    claimed = await asyncio.to_thread(take)
    summary = CopySummary()
    if claimed:
        await _copy(engine, settings, claimed, token, at, summary)
    return summary.as_dict()


async def _copy(
    engine: Engine,
    settings: Settings,
    claimed: list[service.ClaimedCopy],
    token: str,
    now: datetime,
    summary: CopySummary,
) -> None:
    pending = list(claimed)
    try:
        require_configured(settings)
        async with SentFolderSession(settings) as imap:
            folder = summary.folder = await imap.open_sent_folder()
            while pending:
                item = pending[0]
                already = await imap.holds(item.message_id)
                if not already:
                    await imap.append(item.raw, folder)
                await asyncio.to_thread(_copied, engine, item, token, folder)
                pending.pop(0)
                summary.found += already
                summary.copied += not already
    except ImapError as exc:
        # The rest of this pass would meet the same trouble: all wait for their retry.
        log.warning("copy to the Sent folder failed (%d waiting): %s", len(pending), exc)
        await asyncio.to_thread(_failed, engine, pending, token, str(exc), now)
        summary.failed += len(pending)


def _copied(engine: Engine, item: service.ClaimedCopy, token: str, folder: str) -> None:
    with session_scope(engine) as session:
        if not service.record_copied(session, item, token=token, folder=folder):
            log.warning("message %s: the Sent copy's claim was lost before recording", item.id)


def _failed(
    engine: Engine, items: list[service.ClaimedCopy], token: str, error: str, now: datetime
) -> None:
    with session_scope(engine) as session:
        for item in items:
            service.record_failed(session, item, token=token, error=error, now=now)
