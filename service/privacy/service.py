"""Erasure on request and by retention: find what is held, run the erase steps, audit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, not_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.config import Settings
from service.core.errors import NotFound
from service.models import (
    ApiKey,
    CallAttempt,
    Contact,
    Decline,
    Erasure,
    FollowUp,
    FollowUpStatus,
    InboundMessage,
    Message,
    MessageStatus,
)
from service.privacy.erase import Held, erase, held_about, held_by_declines

__all__ = ["erase", "erase_candidate", "expired_declines", "find_candidate", "purge_one"]

NOTHING_HELD = "nothing is held about a candidate with this email"
OPEN_FOLLOW_UPS = (FollowUpStatus.pending, FollowUpStatus.scheduled, FollowUpStatus.due)
WAITING = (MessageStatus.queued, MessageStatus.sending)


def find_candidate(
    *, session: Session, email: str, api_key: ApiKey | None, settings: Settings
) -> Held:
    """What this key (None: the operator, every key) holds about the candidate, or 404."""
    held = held_about(session, email=email, api_key=api_key, capture_dir=settings.mail_capture_dir)
    if not held:
        raise NotFound(NOTHING_HELD)
    return held


def erase_candidate(
    *, session: Session, email: str, api_key: ApiKey | None, actor: str, settings: Settings
) -> Erasure:
    """Erase every decline of the candidate and everything that hangs off it."""
    held = find_candidate(session=session, email=email, api_key=api_key, settings=settings)
    return erase(session=session, held=held, actor=actor, api_key=api_key)


def expired_declines(
    *, session: Session, retention_days: int, now: datetime, limit: int = 100
) -> list[str]:
    """Closed declines (no call left, nothing waiting to be sent) quiet for longer than
    `retention_days`: no row of theirs changed since."""
    cutoff = now - timedelta(days=retention_days)
    query = (
        select(col(Decline.id))
        .where(
            col(Decline.created_at) < cutoff,
            col(Decline.updated_at) < cutoff,
            or_(col(Decline.canceled_at).is_(None), col(Decline.canceled_at) < cutoff),
            not_(_any(FollowUp, col(FollowUp.status).in_(OPEN_FOLLOW_UPS))),
            not_(_any(Message, col(Message.status).in_(WAITING))),
            *[not_(_any(model, at >= cutoff)) for model, at in _ACTIVITY],
        )
        .order_by(col(Decline.created_at))
        .limit(limit)
    )
    return list(session.scalars(query))


_ACTIVITY = (
    (Message, col(Message.created_at)),
    (Message, col(Message.sent_at)),
    (FollowUp, col(FollowUp.updated_at)),
    (FollowUp, col(FollowUp.closed_at)),
    (CallAttempt, col(CallAttempt.created_at)),
    (InboundMessage, col(InboundMessage.received_at)),
    (Contact, col(Contact.replied_at)),
)


def _any(model: type, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(model.decline_id == Decline.id, condition)  # type: ignore[attr-defined]


def purge_one(*, session: Session, decline_id: str, settings: Settings) -> Erasure:
    """Erase one expired decline, with its own audit row."""
    held = held_by_declines(session, [decline_id], capture_dir=settings.mail_capture_dir)
    return erase(session=session, held=held, actor="retention")
