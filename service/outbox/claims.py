"""Claiming due messages and keeping the claim alive: the outbox's two lease statements."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, case, exists, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from service.core.db import driver_connection, utcnow
from service.models import Decline, Message, MessageStatus

MESSAGES: Table = SQLModel.metadata.tables[Message.__tablename__]
DECLINES: Table = SQLModel.metadata.tables[Decline.__tablename__]


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this worker holds a lease on: everything needed to send and record it."""

    id: str
    decline_id: str
    envelope_from: str
    envelope_to: str
    raw: bytes
    attempts: int
    created_at: datetime
    token: str
    # Set when a server already took this message on an attempt whose worker died before
    # recording it in full: there is nothing to send, only the bookkeeping to finish.
    accepted_at: datetime | None = None
    smtp_reply: str | None = None


def claim_due(
    *, session: Session, now: datetime, limit: int, lease_seconds: float, token: str
) -> list[ClaimedMessage]:
    """Lease up to `limit` due messages to `token` in one statement; flush only."""
    m, d = MESSAGES.c, DECLINES.c
    clock = utcnow()
    # Leases live on the real clock, whatever `now` says: a `--now` in the past must not
    # hand out leases that are already over, nor one in the future steal live ones (or
    # hold its own for days should it die).
    due = or_(
        and_(m.status == MessageStatus.queued, m.next_attempt_at <= now),
        and_(
            m.status == MessageStatus.sending,
            or_(m.lease_until.is_(None), m.lease_until < min(now, clock)),
        ),
    )
    canceled = exists().where(d.id == m.decline_id, d.canceled_at.is_not(None))
    pick = (
        select(m.id)
        .where(due, ~canceled)
        .order_by(m.next_attempt_at, m.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds BEGIN IMMEDIATE instead
    )
    fresh = m.status == MessageStatus.queued  # a new attempt, not one taken over
    stmt = (
        update(MESSAGES)
        .where(m.id.in_(pick))
        .values(
            status=MessageStatus.sending,
            lease_until=clock + timedelta(seconds=lease_seconds),
            claim_token=token,
            # A taken-over message that a server accepted is not tried again.
            attempts=m.attempts + case((and_(~fresh, m.sent_at.is_not(None)), 0), else_=1),
            # A new attempt clears what an earlier one (since bounced) was answered.
            sent_at=case((fresh, None), else_=m.sent_at),
            smtp_reply=case((fresh, None), else_=m.smtp_reply),
        )
        .returning(
            m.id,
            m.decline_id,
            m.envelope_from,
            m.envelope_to,
            m.raw,
            m.attempts,
            m.created_at,
            m.sent_at,
            m.smtp_reply,
        )
    )
    rows = session.execute(stmt).all()
    claimed = [
        ClaimedMessage(
            id=r.id,
            decline_id=r.decline_id,
            envelope_from=r.envelope_from,
            envelope_to=r.envelope_to,
            raw=r.raw,
            attempts=r.attempts,
            created_at=r.created_at,
            token=token,
            accepted_at=r.sent_at,
            smtp_reply=r.smtp_reply,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda c: c.created_at)


_NOTE = (
    "UPDATE messages SET sent_at = ?, smtp_reply = ? "
    "WHERE id = ? AND claim_token = ? AND status = ?"
)


_NOTE_PG_HEAD = "UPDATE messages AS m SET sent_at = %s, smtp_reply = v.reply FROM (VALUES "
_NOTE_PG_TAIL = (
    ") AS v(id, token, reply) WHERE m.id = v.id AND m.claim_token = v.token AND m.status = %s"
)


def accept(conn: Connection, accepted: Sequence[tuple[ClaimedMessage, str]], at: datetime) -> int:
    """Note that a server took these messages (each with its reply), where their claim still
    holds them; return how many were noted.

    The message stays `sending` and claimed until its outcome is recorded in full; should
    this worker die first, whoever takes the claim over sees `sent_at` and does not send
    it again.
    """
    if not accepted:
        return 0
    # This runs once per message sent, on the sender's path: straight to the driver's
    # cursor, it costs half of what a Core statement's execution machinery does. One
    # statement by primary key, run for each row: the plan stays on the key whatever the
    # group's size (an IN list lets SQLite's planner wander onto the status index).
    dialect = conn.dialect
    # The column type's own conversion, so the value is stored as every other write stores it.
    bind = MESSAGES.c.sent_at.type.bind_processor(dialect)
    when = bind(at) if bind is not None else at
    sending = MessageStatus.sending.value
    dbapi_error = dialect.loaded_dbapi.Error
    cursor = driver_connection(conn).cursor()
    if dialect.name == "postgresql":
        # One statement for the group: a single round trip, and atomic on its own.
        sql = _NOTE_PG_HEAD + ", ".join(["(%s, %s, %s)"] * len(accepted)) + _NOTE_PG_TAIL
        rows: Any = [when]
        for item, reply in accepted:
            rows += [item.id, item.token, reply[:500]]
        rows.append(sending)
        run: Any = cursor.execute
    else:
        sql = _NOTE
        rows = [(when, reply[:500], item.id, item.token, sending) for item, reply in accepted]
        run = cursor.executemany
    try:
        run(sql, rows)
        return int(cursor.rowcount)  # summed over the rows by executemany
    except dbapi_error as exc:  # raised as SQLAlchemy raises it, for whoever handles that
        raise DBAPIError.instance(sql, rows, exc, dbapi_error) from exc
    finally:
        cursor.close()


def renew(*, session: Session, token: str, ids: Collection[str], lease_seconds: float) -> set[str]:
    """Extend the lease on those of `ids` that `token` still holds; return the ids renewed.

    A row missing from the answer is no longer ours (its lease ran out and another worker
    took it, or someone changed it): the token fences us off it.
    """
    if not ids:
        return set()
    m = MESSAGES.c
    # SKIP LOCKED: a row locked right now is being recorded by us or claimed by another
    # worker; waiting for it could deadlock with that writer, and neither needs us to.
    mine = (
        select(m.id)
        .where(m.id.in_(sorted(ids)), m.claim_token == token, m.status == MessageStatus.sending)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(MESSAGES)
        .where(m.id.in_(mine), m.claim_token == token, m.status == MessageStatus.sending)
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
        .returning(m.id)
    )
    return set(session.execute(stmt).scalars())
