"""A decline's overall status, derived from its decline emails' statuses (not reminders)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.db import utcnow
from service.models import Decline, DeclineStatus, Message, MessageKind, MessageStatus

_IN_FLIGHT = {MessageStatus.queued, MessageStatus.sending}
_UNDELIVERED = {MessageStatus.failed, MessageStatus.bounced}


def aggregate(statuses: Iterable[str], *, canceled: bool) -> DeclineStatus:
    """queued until one moves, sending while any is in flight, then sent, failed (no email
    arrived) or partly delivered."""
    states = [MessageStatus(s) for s in statuses]
    if canceled:
        return DeclineStatus.canceled
    if states and all(s == MessageStatus.queued for s in states):
        return DeclineStatus.queued
    if any(s in _IN_FLIGHT for s in states):
        return DeclineStatus.sending
    if any(s in _UNDELIVERED for s in states):
        if any(s == MessageStatus.sent for s in states):
            return DeclineStatus.partly_delivered
        return DeclineStatus.failed
    return DeclineStatus.sent


def refresh(session: Session, decline_ids: Iterable[str]) -> None:
    """Recompute the stored status of these declines from their messages (flush only)."""
    ids = sorted(set(decline_ids))
    if not ids:
        return
    rows = session.execute(
        select(col(Message.decline_id), col(Message.status)).where(
            col(Message.decline_id).in_(ids), col(Message.kind) == MessageKind.decline
        )
    ).all()
    by_decline: dict[str, list[str]] = {i: [] for i in ids}
    for decline_id, status in rows:
        by_decline[decline_id].append(status)
    for decline in session.scalars(select(Decline).where(col(Decline.id).in_(ids))):
        new = aggregate(by_decline[decline.id], canceled=decline.canceled_at is not None)
        if decline.status != new:
            decline.status = new
            decline.updated_at = utcnow()
    session.flush()


def shown_status(status: str, attempts: int) -> str:
    """A message's status as people read it: `retrying` is queued after a failed attempt.
    The API keeps `queued` (its documented vocabulary) and gives the attempts beside it."""
    return "retrying" if status == MessageStatus.queued and attempts > 0 else status


def shown_decline_status(status: str, shown_messages: Iterable[str]) -> str:
    """The decline's status in the same words: `retrying` while a waiting email has failed
    an attempt, as the Outbox says of it."""
    waiting = status in (DeclineStatus.queued, DeclineStatus.sending)
    return "retrying" if waiting and "retrying" in shown_messages else status
