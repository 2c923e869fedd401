"""Is delivery failing right now? Read from the last attempts, for a banner on every page.

An outage is an error about our own mail server or its settings (nothing answers, the
login is refused) on emails waiting to be retried, with nothing delivered since: then
every email waits, not one recipient's. Two indexed reads, cheap on any table size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.db import utcnow
from service.models import Message, MessageStatus
from service.outbox import trouble

RECENT = 50  # the latest retried emails looked at
# A delivery this recent means the server works again: what still waits has old errors.
RECOVERED_WITHIN = timedelta(minutes=5)


@dataclass(frozen=True)
class Outage:
    problem: str  # in plain words
    waiting: int  # emails being retried for it (of the latest looked at)
    raw: str  # the last error as the transport saw it


def delivery_outage(session: Session, now: datetime | None = None) -> Outage | None:
    now = now or utcnow()
    errors = session.scalars(
        select(col(Message.last_error))
        .where(
            col(Message.status) == MessageStatus.queued,
            col(Message.attempts) > 0,
            col(Message.last_error).is_not(None),
        )
        .order_by(col(Message.next_attempt_at).desc())
        .limit(RECENT)
    ).all()
    ours = [(problem, raw) for raw in errors if (problem := trouble.server_problem(raw))]
    if not ours:
        return None
    last_sent = session.scalar(select(func.max(col(Message.sent_at))))
    if last_sent is not None and now - last_sent < RECOVERED_WITHIN:
        return None
    problem, raw = ours[0]
    return Outage(problem=problem, waiting=len(ours), raw=raw or "")
