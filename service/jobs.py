"""APScheduler wiring: which periodic job calls which service function. Only the clock."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from service.core.config import Settings
from service.core.db import utcnow
from service.outbox.service import Outbox


def build_scheduler(*, outbox: Outbox, settings: Settings) -> AsyncIOScheduler:
    """Every replica may run these: the jobs claim rows, so running twice is harmless."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        outbox.run_pass,
        "interval",
        seconds=settings.outbox_poll_seconds,
        id="outbox.deliver_due",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        next_run_time=utcnow(),
    )
    return scheduler
