"""APScheduler wiring, and `run_due`: one pass of every due job (cron, CLI, HTTP)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from service.auth import sessions as dashboard_sessions
from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.declines.service import purge_idempotency_keys
from service.follow_ups import jobs as follow_up_jobs
from service.inbound import jobs as inbound_jobs
from service.outbox import jobs as outbox_jobs
from service.outbox.service import Outbox
from service.privacy import jobs as privacy_jobs
from service.sent_copies import jobs as sent_copy_jobs
from service.webhooks import jobs as webhook_jobs

PURGE_JOB_ID = "declines.purge_idempotency_keys"
PURGE_SESSIONS_JOB_ID = "dashboard.purge_expired_sessions"


async def run_due(*, outbox: Outbox, now: datetime | None = None) -> dict[str, Any]:
    """Everything due as of `now`, in the order that lets one pass finish the work: read
    replies first (they cancel calls), send due mail (which starts the follow-up clocks),
    queue reminders for calls now due, and send those too. Safe anywhere, any time."""
    engine, settings = outbox.engine, outbox.settings
    inbox = await inbound_jobs.poll_inbox(engine=engine, settings=settings)
    delivered = await outbox_jobs.deliver_due(outbox, now=now)
    reminders = await follow_up_jobs.queue_due_reminders(engine=engine, settings=settings, now=now)
    if reminders:
        more = await outbox_jobs.deliver_due(outbox, now=now)
        delivered = {key: delivered[key] + more[key] for key in delivered}
    # After the sends are recorded, so this pass's mail is copied too; IMAP trouble here
    # only delays the copies.
    copies = await sent_copy_jobs.copy_sent(engine=engine, settings=settings, now=now)
    # Last: the events every step above recorded go out in this same pass.
    hooks = await webhook_jobs.deliver_due(engine=engine, settings=settings, now=now)
    purged = await purge_expired_idempotency_keys(outbox=outbox)
    return {
        "imap": inbox,
        "outbox": delivered,
        "follow_ups": {"reminders_queued": reminders},
        "webhooks": hooks,
        "sent_copies": copies,
        "idempotency_keys_purged": purged,
        "dashboard_sessions_purged": await purge_expired_sessions(outbox=outbox),
        "declines_purged": await privacy_jobs.purge_expired_declines(
            engine=engine, settings=settings
        ),
    }


async def queue_reminders_and_wake(outbox: Outbox) -> int:
    """The scheduler's follow-up job: reminders go out at once, not at the next outbox tick."""
    queued = await follow_up_jobs.queue_due_reminders(
        engine=outbox.engine, settings=outbox.settings
    )
    if queued:
        outbox.wake()
    return queued


async def poll_inbox_and_wake(outbox: Outbox) -> dict[str, Any] | None:
    """The scheduler's IMAP job: a bounce queues a reminder, which should leave at once."""
    summary = await inbound_jobs.poll_inbox(engine=outbox.engine, settings=outbox.settings)
    if summary and summary.get("used"):
        outbox.wake()
    return summary


async def copy_sent_mail(outbox: Outbox) -> dict[str, Any] | None:
    """The scheduler's Sent-copy job."""
    return await sent_copy_jobs.copy_sent(engine=outbox.engine, settings=outbox.settings)


async def purge_expired_idempotency_keys(*, outbox: Outbox) -> int:
    """Always as of the real clock, not `--now`: a pass run "in the future" moves the due
    times it evaluates, never the retention of real data (a purged key could let a retried
    request send twice)."""
    settings = outbox.settings
    before = utcnow() - timedelta(hours=settings.idempotency_retention_hours)

    def purge() -> int:
        with session_scope(outbox.engine) as session:
            return purge_idempotency_keys(session=session, before=before)

    return await asyncio.to_thread(purge)


async def purge_expired_sessions(*, outbox: Outbox) -> int:
    """Always as of the real clock, not `--now`: a pass run "in the future" must not end
    sessions that are still live."""

    def purge() -> int:
        with session_scope(outbox.engine) as session:
            return dashboard_sessions.purge_expired(session)

    return await asyncio.to_thread(purge)


def build_scheduler(*, outbox: Outbox, settings: Settings) -> AsyncIOScheduler:
    """Every replica may run these: the jobs claim rows (and the IMAP poll takes a lock), so
    running twice is harmless. The scheduler is only the clock; the database is the truth."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    every = {"replace_existing": True, "max_instances": 1, "coalesce": True}
    scheduler.add_job(
        outbox_jobs.deliver_due,
        "interval",
        args=[outbox],
        seconds=settings.outbox_poll_seconds,
        id=outbox_jobs.JOB_ID,
        next_run_time=utcnow(),
        **every,
    )
    scheduler.add_job(
        queue_reminders_and_wake,
        "interval",
        args=[outbox],
        seconds=settings.follow_up_poll_seconds,
        id=follow_up_jobs.JOB_ID,
        next_run_time=utcnow(),
        **every,
    )
    scheduler.add_job(
        webhook_jobs.deliver_due,
        "interval",
        kwargs={"engine": outbox.engine, "settings": settings},
        seconds=settings.webhook_poll_seconds,
        id=webhook_jobs.JOB_ID,
        next_run_time=utcnow(),
        **every,
    )
    if settings.mailboxes():
        scheduler.add_job(
            poll_inbox_and_wake,
            "interval",
            args=[outbox],
            seconds=settings.imap_poll_seconds,
            id=inbound_jobs.JOB_ID,
            next_run_time=utcnow(),
            **every,
        )
    if sent_copy_jobs.enabled(settings):
        scheduler.add_job(
            copy_sent_mail,
            "interval",
            args=[outbox],
            seconds=settings.imap_poll_seconds,
            id=sent_copy_jobs.JOB_ID,
            **every,
        )
    scheduler.add_job(
        purge_expired_idempotency_keys,
        "interval",
        kwargs={"outbox": outbox},
        hours=1,
        id=PURGE_JOB_ID,
        **every,
    )
    scheduler.add_job(
        purge_expired_sessions,
        "interval",
        kwargs={"outbox": outbox},
        hours=1,
        id=PURGE_SESSIONS_JOB_ID,
        **every,
    )
    if settings.retention_days is not None:
        scheduler.add_job(
            privacy_jobs.purge_expired_declines,
            "interval",
            kwargs={"engine": outbox.engine, "settings": settings},
            hours=1,
            id=privacy_jobs.JOB_ID,
            next_run_time=utcnow(),
            **every,
        )
    return scheduler
