"""Take in one inbound message, whatever its source: keep it, match it to what we sent, and
let it act (a reply closes the call, an out-of-office moves it, a bounce or a spam complaint
makes it due now). Services flush; the caller's unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service import webhooks
from service.auth.api_keys import owned_by
from service.core import metrics
from service.core.config import Settings
from service.core.db import on_commit
from service.declines import status as decline_status
from service.follow_ups import service as follow_ups
from service.inbound import worker
from service.inbound.classify import Detected, InboundMail
from service.inbound.reader import Unparseable
from service.models import (
    ApiKey,
    Contact,
    Decline,
    FollowUp,
    InboundKind,
    InboundMessage,
    Message,
    MessageKind,
    MessageStatus,
)

# A reply's Date header may run a little behind our clock; an earlier message is not one.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Match:
    contact: Contact
    decline: Decline
    message: Message
    how: str


def ingest(
    *,
    session: Session,
    raw: bytes,
    source: str,
    settings: Settings,
    now: datetime,
    api_key: ApiKey | None = None,
) -> InboundMessage:
    """Keep `raw`, classify and match it, apply what it means. Raises ValueError when `raw`
    is not an email at all. With `api_key`, only that key's declines can match. A message
    that cannot be read within the parsing caps and time is kept as unparseable and does
    nothing: it is no reply, so it neither cancels a call nor matches a contact."""
    mail = worker.shared_pool().read(raw, timeout=settings.inbound_parse_timeout_seconds)
    if isinstance(mail, Unparseable):
        record = InboundMessage(
            source=source,
            api_key_id=api_key.id if api_key else None,
            raw=raw,
            detected=InboundKind.unparseable,
            classification=InboundKind.unparseable,
            detail=mail.reason[:2000],
            received_at=now,
        )
        return _kept(session, record)
    match = _match(session, mail, api_key, now)
    record = InboundMessage(
        source=source,
        api_key_id=api_key.id if api_key else None,
        raw=raw,
        message_id=(mail.message_id or None) and mail.message_id[:998],
        from_address=(mail.from_address or None) and mail.from_address[:320],
        subject=mail.subject[:998],
        detected=mail.detected,
        classification=InboundKind.unmatched,
        detail=mail.reason[:2000],
        received_at=now,
    )
    if match is not None:
        record.classification = InboundKind(mail.detected.value)
        record.decline_id = match.decline.id
        record.contact_id = match.contact.id
        record.matched_message_id = match.message.id
        record.detail = f"{mail.reason}; matched by {match.how}"[:2000]
        if mail.detected is Detected.reply:
            follow_ups.record_reply(session, match.contact, settings=settings, now=now)
        elif mail.complaint:
            _complained(session, match, settings, now)
        elif mail.detected is Detected.auto_reply and mail.return_date is not None:
            record.return_at = follow_ups.record_absence(
                session,
                match.contact,
                match.decline,
                returning=mail.return_date,
                settings=settings,
            )
        elif mail.detected is Detected.bounce:
            _bounced(session, match, mail.reason, settings, now)
        _announce(session, record, now)
    return _kept(session, record)


ANNOUNCED = {
    InboundKind.reply: webhooks.EventType.reply_received,
    InboundKind.auto_reply: webhooks.EventType.auto_reply_received,
}


def _announce(session: Session, record: InboundMessage, now: datetime) -> None:
    """A matched reply or auto-reply, as a webhook event (ids only, never the text)."""
    event = ANNOUNCED.get(InboundKind(record.classification))
    if event is None or record.decline_id is None:
        return
    data = {
        "decline_id": record.decline_id,
        "contact_id": record.contact_id,
        "message_id": record.matched_message_id,
        "inbound_id": record.id,
        "source": record.source,
    }
    if record.return_at is not None:
        data["away_until"] = record.return_at.isoformat()
    webhooks.emit(session, event, data, now)


def _kept(session: Session, record: InboundMessage) -> InboundMessage:
    session.add(record)
    session.flush()
    on_commit(session, metrics.INBOUND.labels(classification=record.classification).inc)
    return record


def record_manual_reply(
    *,
    session: Session,
    contact_id: str,
    api_key: ApiKey | None,
    notes: str | None,
    settings: Settings,
    now: datetime,
) -> Contact:
    """The contact answered by phone or elsewhere: same effect as an emailed reply."""
    contact, decline = follow_ups.get_contact(session, contact_id, api_key)
    record = InboundMessage(
        source="manual",
        api_key_id=api_key.id if api_key else None,
        detected=Detected.reply,
        classification=InboundKind.reply,
        detail=notes,
        decline_id=decline.id,
        contact_id=contact.id,
        received_at=now,
    )
    session.add(record)
    follow_ups.record_reply(session, contact, settings=settings, now=now)
    _announce(session, record, now)
    return contact


def _bounced(
    session: Session, match: Match, reason: str, settings: Settings, now: datetime
) -> None:
    message = match.message
    # A report proves some attempt reached a server, even one we still hold as queued
    # (its answer was lost, so it waits for a retry that can only bounce again).
    if message.status not in (MessageStatus.sent, MessageStatus.sending, MessageStatus.queued):
        return  # already bounced (a second report), failed at SMTP, or canceled
    message.status = MessageStatus.bounced
    message.last_error = reason[:2000]
    session.flush()
    webhooks.emit(
        session,
        webhooks.EventType.message_bounced,
        {
            "message_id": message.id,
            "decline_id": message.decline_id,
            "contact_id": message.contact_id,
            "kind": message.kind,
        },
        now,
    )
    if message.kind != MessageKind.decline:
        return  # a reminder to the candidate bounced: nothing about the contact changes
    decline_status.refresh(session, [message.decline_id])
    follow_up_id = session.scalars(
        select(col(FollowUp.id)).where(col(FollowUp.contact_id) == message.contact_id)
    ).one()
    follow_ups.due_now(session, follow_up_id, settings)


def _complained(session: Session, match: Match, settings: Settings, now: datetime) -> None:
    """The email arrived and was marked as spam: it stays sent, and the call falls due now."""
    if match.message.kind != MessageKind.decline:
        return  # the candidate marked a reminder as spam: nothing about the contact changes
    follow_ups.record_complaint(session, match.contact.id, settings=settings, now=now)


def _match(
    session: Session, mail: InboundMail, api_key: ApiKey | None, now: datetime
) -> Match | None:
    """Threading headers first (In-Reply-To, then References, newest first), then the
    address: the sender, or the recipient a bounce failed for or a complaint came from.
    A bounce or a complaint is about a message of ours, so its original's ids come first."""
    report = mail.detected is Detected.bounce or mail.complaint
    ids = list(mail.in_reply_to) + list(reversed(mail.references))
    if report:
        ids = list(mail.bounced_message_ids) + ids
    match = _by_message_id(session, ids, api_key, any_kind=report)
    if match is None:
        addresses = list(mail.bounced_recipients) if report else [mail.from_address or ""]
        sent_before = (mail.date or now) + CLOCK_SKEW
        match = _by_address(session, [a for a in addresses if a], api_key, sent_before)
    if match is None:
        return None
    if not report and mail.from_address == match.decline.candidate_email.casefold():
        return None  # the candidate writing in their own thread is not the contact's answer
    return match


def _by_message_id(
    session: Session, ids: Sequence[str], api_key: ApiKey | None, *, any_kind: bool
) -> Match | None:
    if not ids:
        return None
    query = (
        select(Message, Contact, Decline)
        .join(Contact, col(Contact.id) == col(Message.contact_id))
        .join(Decline, col(Decline.id) == col(Message.decline_id))
        .where(col(Message.message_id).in_(sorted(set(ids))), *owned_by(api_key))
    )
    if not any_kind:
        # Only the emails to contacts: a reply to a reminder comes from the candidate.
        query = query.where(col(Message.kind) == MessageKind.decline)
    found = {m.message_id: (m, c, d) for m, c, d in session.execute(query)}
    for message_id in ids:
        if message_id in found:
            message, contact, decline = found[message_id]
            return Match(contact, decline, message, f"Message-ID {message_id}")
    return None


def _by_address(
    session: Session, addresses: Sequence[str], api_key: ApiKey | None, sent_before: datetime
) -> Match | None:
    """The most recent decline email to one of these addresses that went out before the
    inbound message was written."""
    if not addresses:
        return None
    query = (
        select(Message, Contact, Decline)
        .join(Contact, col(Contact.id) == col(Message.contact_id))
        .join(Decline, col(Decline.id) == col(Message.decline_id))
        .where(
            col(Contact.email_key).in_(sorted({a.casefold() for a in addresses})),
            col(Message.kind) == MessageKind.decline,
            col(Message.sent_at).is_not(None),
            col(Message.sent_at) <= sent_before,
            *owned_by(api_key),
        )
        .order_by(col(Message.sent_at).desc())
        .limit(1)
    )
    row = session.execute(query).first()
    if row is None:
        return None
    message, contact, decline = row
    return Match(contact, decline, message, f"address {contact.email_key}")
