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
    """One poll of every configured mailbox, one after the other, the counts added up;
    None when no mailbox is set. One mailbox failing does not keep the others from being
    read: its error is reported beside their counts."""
    mailboxes = settings.mailboxes()
    if not mailboxes:
        return None
    summaries = [await _poll_one(engine=engine, settings=one) for one in mailboxes]
    if len(summaries) == 1:
        return summaries[0]
    total: dict[str, Any] = {}
    for summary in summaries:
        for key, value in summary.items():
            if isinstance(value, bool):  # skipped, reset: true of any mailbox
                total[key] = total.get(key, False) or value
            elif isinstance(value, int):
                total[key] = total.get(key, 0) + value
    errors = [s["error"] for s in summaries if "error" in s]
    if errors:
        total["error"] = "; ".join(errors)
    return total


async def _poll_one(*, engine: Engine, settings: Settings) -> dict[str, Any]:
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
        log.info("IMAP poll of %s: %s", settings.imap_username, summary.as_dict())
    return summary.as_dict()
