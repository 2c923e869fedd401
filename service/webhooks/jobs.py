"""The webhooks' periodic job: what the scheduler, `decline run-due` and the API call."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from service.core.config import Settings
from service.webhooks.delivery import run_pass

log = logging.getLogger(__name__)

JOB_ID = "webhooks.deliver_due"


async def deliver_due(
    *, engine: Engine, settings: Settings, now: datetime | None = None
) -> dict[str, int]:
    """Send every webhook delivery due as of `now` (default: the clock); counts."""
    summary = (await run_pass(engine=engine, settings=settings, now=now)).as_dict()
    if summary["claimed"]:
        log.info("webhook pass: %s", summary)
    return summary
