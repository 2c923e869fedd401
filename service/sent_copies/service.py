"""Which sent messages need a copy in the Sent folder, claims on them, and their outcomes.

A message gets a `sent_copies` row once it is out (sent, or bounced later: it left all
the same); decline emails only, since call reminders are the service writing to the
candidate, not mail the candidate sent. Claims work like the outbox's: one statement
hands due rows to a token with a lease (PostgreSQL `FOR UPDATE SKIP LOCKED`), and every
outcome is written only where that token still holds the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from service.core.db import UTCDateTime, utcnow
from service.models import Message, MessageKind, MessageStatus, SentCopy
from service.sent_copies.retry import next_attempt

COPIES: Table = SQLModel.metadata.tables[SentCopy.__tablename__]
MESSAGES: Table = SQLModel.metadata.tables[Message.__tablename__]
OUT = (MessageStatus.sent, MessageStatus.bounced)


@dataclass(frozen=True)
class ClaimedCopy:
    id: str  # messages.id
    message_id: str  # the Message-ID header, with <>
    raw: bytes
    tries: int


def enlist(session: Session, now: datetime) -> int:
    """Give every decline email that went out and has no copy row one, due at once."""
    m, c = MESSAGES.c, COPIES.c
    due, created = literal(now, UTCDateTime()), literal(utcnow(), UTCDateTime())
    fresh = select(m.id, literal(0), due, created).where(
        m.status.in_(OUT),
        m.kind != MessageKind.reminder,
        m.sent_at.is_not(None),
        ~exists().where(c.message_id == m.id),
    )
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(COPIES)
        .from_select(["message_id", "tries", "next_attempt_at", "created_at"], fresh)
        .on_conflict_do_nothing(index_elements=["message_id"])
    )
    return cast("CursorResult[Any]", session.execute(statement)).rowcount or 0


def claim(
    session: Session, *, now: datetime, limit: int, lease_seconds: float, token: str
) -> list[ClaimedCopy]:
    """Lease up to `limit` copies due as of `now` to `token`; flush only."""
    c, m = COPIES.c, MESSAGES.c
    clock = utcnow()  # leases live on the real clock, whatever `now` says
    pick = (
        select(c.message_id)
        .where(
            c.copied_at.is_(None),
            c.next_attempt_at <= now,
            or_(c.lease_until.is_(None), c.lease_until < clock),
        )
        .order_by(c.next_attempt_at, c.message_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(COPIES)
        .where(c.message_id.in_(pick))
        .values(lease_until=clock + timedelta(seconds=lease_seconds), claim_token=token)
        .returning(c.message_id, c.tries)
    )
    tries: dict[str, int] = {row[0]: row[1] for row in session.execute(statement)}
    if not tries:
        return []
    rows = session.execute(
        select(m.id, m.message_id, m.raw).where(m.id.in_(sorted(tries))).order_by(m.sent_at)
    )
    return [ClaimedCopy(r.id, r.message_id, r.raw, tries[r.id]) for r in rows]


def record_copied(session: Session, item: ClaimedCopy, *, token: str, folder: str) -> bool:
    """The copy is in `folder`; False when the claim was lost meanwhile."""
    values = {"copied_at": utcnow(), "folder": folder[:1000], "last_error": None}
    return _store(session, item, token, values)


def record_failed(
    session: Session, item: ClaimedCopy, *, token: str, error: str, now: datetime
) -> bool:
    """The APPEND (or the connection) failed: try again after the backoff."""
    tries = item.tries + 1
    values = {
        "tries": tries,
        "last_error": error[:2000],
        "next_attempt_at": next_attempt(tries, now),
    }
    return _store(session, item, token, values)


def _store(session: Session, item: ClaimedCopy, token: str, values: dict[str, object]) -> bool:
    c = COPIES.c
    result = session.execute(
        update(COPIES)
        .where(c.message_id == item.id, c.claim_token == token, c.copied_at.is_(None))
        .values(**values, lease_until=None, claim_token=None)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


def copy_state(session: Session, message: Message) -> str | None:
    """ "yes", "waiting" or "failed: reason" for the dashboard; None when no copy is due
    (a reminder, or a message that never went out)."""
    if message.kind == MessageKind.reminder or message.status not in OUT:
        return None
    row = session.get(SentCopy, message.id)
    if row is not None and row.copied_at is not None:
        return "yes"
    if row is not None and row.last_error:
        return f"failed: {row.last_error}"
    return "waiting"
