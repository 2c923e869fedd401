"""APScheduler wiring, and `run_due`: one pass of every due job (cron, CLI, HTTP)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.declines.service import purge_idempotency_keys
from service.outbox import jobs as outbox_jobs
from service.outbox.service import Outbox

PURGE_JOB_ID = "declines.purge_idempotency_keys"


async def run_due(*, outbox: Outbox, now: datetime | None = None) -> dict[str, Any]:
    """Deliver due mail and drop expired Idempotency-Keys; safe to run anywhere, any time."""
    delivered = await outbox_jobs.deliver_due(outbox, now=now)
    purged = await purge_expired_idempotency_keys(outbox=outbox, now=now)
    return {"outbox": delivered, "idempotency_keys_purged": purged}


async def purge_expired_idempotency_keys(*, outbox: Outbox, now: datetime | None = None) -> int:
    settings = outbox.settings
    before = (now or utcnow()) - timedelta(hours=settings.idempotency_retention_hours)

    def purge() -> int:
        with session_scope(outbox.engine) as session:
            return purge_idempotency_keys(session=session, before=before)

    return await asyncio.to_thread(purge)


def build_scheduler(*, outbox: Outbox, settings: Settings) -> AsyncIOScheduler:
    """Every replica may run these: the jobs claim rows, so running twice is harmless."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        outbox_jobs.deliver_due,
        "interval",
        args=[outbox],
        seconds=settings.outbox_poll_seconds,
        id=outbox_jobs.JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        next_run_time=utcnow(),
    )
    scheduler.add_job(
        purge_expired_idempotency_keys,
        "interval",
        kwargs={"outbox": outbox},
        hours=1,
        id=PURGE_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    return scheduler
