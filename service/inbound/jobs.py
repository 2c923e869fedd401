"""The IMAP poll job: hand each new message in the mailbox to the one ingest function."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import Engine

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.inbound.imap import ImapError, poll_mailbox
from service.inbound.service import ingest
from service.models import InboundKind

log = logging.getLogger(__name__)

JOB_ID = "inbound.poll_imap"
_NOT_USED = (InboundKind.unmatched, InboundKind.unparseable)


async def poll_inbox(*, engine: Engine, settings: Settings) -> dict[str, Any] | None:
    """One poll of the configured mailbox; None when no IMAP host is set."""
    if not settings.imap_host:
        return None

    def ingest_one(raw: bytes) -> bool:
        with session_scope(engine) as session:
            record = ingest(
                session=session, raw=raw, source="imap", settings=settings, now=utcnow()
            )
            # Only what we used is marked read: the rest of the inbox is the owner's, and
            # so is mail we could not read.
            return record.classification not in _NOT_USED

    async def handle(raw: bytes) -> bool:
        try:
            return await asyncio.to_thread(ingest_one, raw)
        except ValueError:
            log.warning("skipped a message from IMAP that is not an email")
            return False

    try:
        summary = await poll_mailbox(settings=settings, engine=engine, handle=handle)
    except ImapError as exc:
        # A mailbox that can't be reached must not stop mail going out or calls falling
        # due: say what went wrong and carry on; the next poll tries again.
        log.warning("IMAP poll failed: %s", exc)
        return {"error": str(exc)}
    if summary.fetched:
        log.info("IMAP poll: %s", summary.as_dict())
    return summary.as_dict()
