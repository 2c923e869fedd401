"""The follow-ups' periodic job: queue a reminder for every call that has fallen due."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import Engine

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.follow_ups.service import sweep

log = logging.getLogger(__name__)

JOB_ID = "follow_ups.queue_due_reminders"
BATCH = 100


async def queue_due_reminders(
    *, engine: Engine, settings: Settings, now: datetime | None = None
) -> int:
    """Claim every follow-up due as of `now` (default: the clock), a batch per transaction,
    and queue its reminder; returns how many were queued."""

    def one_batch() -> int:
        with session_scope(engine) as session:
            return sweep(session=session, now=now or utcnow(), settings=settings, limit=BATCH)

    total = 0
    while True:
        queued = await asyncio.to_thread(one_batch)
        total += queued
        if queued < BATCH:
            break
    if total:
        log.info("queued %d call reminder(s)", total)
    return total
