"""The retention job: erase closed declines older than DECLINE_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.privacy import service

JOB_ID = "privacy.purge_expired_declines"
BATCH = 100
log = logging.getLogger(__name__)


def purge_expired(*, engine: Engine, settings: Settings) -> int:
    """Erase every expired decline, a batch per transaction, an audit row each. Always as of
    the real clock: `run-due --now` in the future must never erase data early."""
    if settings.retention_days is None:
        return 0
    purged = 0
    while True:
        with session_scope(engine) as session:
            ids = service.expired_declines(
                session=session, retention_days=settings.retention_days, now=utcnow(), limit=BATCH
            )
            for decline_id in ids:
                service.purge_one(session=session, decline_id=decline_id, settings=settings)
        purged += len(ids)
        if len(ids) < BATCH:
            break
    if purged:
        log.info("retention: erased %d closed declines", purged)
    return purged


async def purge_expired_declines(*, engine: Engine, settings: Settings) -> int:
    return await asyncio.to_thread(purge_expired, engine=engine, settings=settings)
