"""The outbox's periodic job: what the scheduler, `decline run-due` and the API call."""

from __future__ import annotations

import logging
from datetime import datetime

from service.outbox.service import Outbox

log = logging.getLogger(__name__)

JOB_ID = "outbox.deliver_due"


async def deliver_due(outbox: Outbox, *, now: datetime | None = None) -> dict[str, int]:
    """Send every message due as of `now` (default: the clock); counts for the summary."""
    summary = (await outbox.run_pass(now=now)).as_dict()
    if summary["claimed"]:
        log.info("outbox pass: %s", summary)
    return summary
