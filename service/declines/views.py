"""Shape stored declines into their public form, loading related rows in bulk."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.declines.schemas import (
    Candidate,
    ContactPublic,
    DeclinePublic,
    FollowUpPublic,
    MessagePublic,
)
from service.declines.status import aggregate
from service.models import Contact, Decline, FollowUp, Message, MessageKind, MessageStatus


def to_public(
    session: Session, declines: Sequence[Decline], *, delivery: str
) -> list[DeclinePublic]:
    ids = [d.id for d in declines]
    if not ids:
        return []
    contacts, messages, follow_ups = related(session, ids)
    return public_of(declines, contacts, messages, follow_ups, delivery=delivery)


def public_of(
    declines: Sequence[Decline],
    contacts: Sequence[Contact],
    messages: dict[str, Message],
    follow_ups: dict[str, FollowUp],
    *,
    delivery: str,
) -> list[DeclinePublic]:
    """The public form of rows in hand: read back by `to_public`, or just written (an
    accepted decline answers from what it built, without reading it again)."""
    by_decline: dict[str, list[ContactPublic]] = {d.id: [] for d in declines}
    for contact in sorted(contacts, key=lambda c: c.position):
        by_decline[contact.decline_id].append(
            _contact(contact, messages[contact.id], follow_ups[contact.id])
        )
    return [_decline(d, by_decline[d.id], delivery) for d in declines]


def related(
    session: Session, ids: Sequence[str]
) -> tuple[Sequence[Contact], dict[str, Message], dict[str, FollowUp]]:
    """The declines' contacts in order, and each contact's decline email and follow-up."""
    contacts = session.scalars(
        select(Contact).where(col(Contact.decline_id).in_(ids)).order_by(col(Contact.position))
    ).all()
    messages = {
        m.contact_id: m
        for m in session.scalars(
            select(Message).where(
                col(Message.decline_id).in_(ids), col(Message.kind) == MessageKind.decline
            )
        )
    }
    follow_ups = {
        f.contact_id: f
        for f in session.scalars(select(FollowUp).where(col(FollowUp.decline_id).in_(ids)))
    }
    return contacts, messages, follow_ups


def contact_public(session: Session, contact_id: str, *, delivery: str) -> ContactPublic:
    """One contact as its decline shows it (after a call or a reply changed it)."""
    contact = session.get(Contact, contact_id)
    decline = session.get(Decline, contact.decline_id) if contact else None
    if contact is None or decline is None:
        raise LookupError(contact_id)
    public = to_public(session, [decline], delivery=delivery)[0]
    return next(c for c in public.contacts if c.id == contact_id)


def _contact(contact: Contact, message: Message, follow_up: FollowUp) -> ContactPublic:
    return ContactPublic(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        role=contact.role,
        timezone=contact.timezone,
        replied_at=contact.replied_at,
        message=MessagePublic(
            id=message.id,
            message_id=message.message_id,
            status=message.status,
            attempts=message.attempts,
            last_error=message.last_error,
            smtp_reply=message.smtp_reply,
            next_attempt_at=message.next_attempt_at if message.status == "queued" else None,
            sent_at=message.sent_at,
        ),
        follow_up=FollowUpPublic(
            id=follow_up.id,
            status=follow_up.status,
            due_at=follow_up.due_at,
            call_attempts=follow_up.call_attempts,
            away_until=follow_up.not_before,
        ),
    )


def _status(decline: Decline, contacts: list[ContactPublic]) -> str:
    # Derived from the messages shown, not read from the decline row: on PostgreSQL each
    # statement sees the latest commit, and the row may predate the messages loaded after it.
    states = [c.message.status for c in contacts]
    canceled = decline.canceled_at is not None or MessageStatus.canceled in states
    return aggregate(states, canceled=canceled)


def _decline(decline: Decline, contacts: list[ContactPublic], delivery: str) -> DeclinePublic:
    return DeclinePublic(
        id=decline.id,
        status=_status(decline, contacts),
        delivery=delivery,
        warnings=list(decline.warnings),
        company=decline.company,
        job_title=decline.job_title,
        requisition_id=decline.requisition_id,
        reason=decline.reason,
        round=decline.round,
        candidate=Candidate.model_construct(
            name=decline.candidate_name,
            email=decline.candidate_email,
            phone=decline.candidate_phone,
            timezone=decline.candidate_timezone,
        ),
        follow_up_business_days=decline.follow_up_business_days,
        created_at=decline.created_at,
        canceled_at=decline.canceled_at,
        contacts=contacts,
    )
