"""Read-only queries behind the Declines pages: the filtered list, one decline with a timeline
per contact, the kept copy of a message, and the whole decline as an mbox."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from email.message import EmailMessage
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, defer
from sqlalchemy.orm.interfaces import LoaderOption
from sqlmodel import col

from service.core.errors import NotFound
from service.core.paging import contains, keyset_cursor, older_than
from service.declines import service as declines
from service.declines.schemas import ContactPublic, DeclinePublic
from service.declines.status import aggregate, shown_decline_status, shown_status
from service.declines.views import to_public
from service.exports.mbox import mbox_of
from service.follow_ups import bounces
from service.inbound.guard import over_cap
from service.models import (
    CallAttempt,
    Contact,
    Decline,
    FollowUp,
    FollowUpStatus,
    InboundMessage,
    Message,
    MessageKind,
    MessageStatus,
)

PAGE_SIZE = 50

# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    q: str | None = None  # company substring
    contact: str | None = None  # contact email or name substring
    status: str | None = None  # decline status
    since: date | None = None  # created on or after this day (operator's zone)
    until: date | None = None  # created on or before this day

    def params(self) -> dict[str, str]:
        """The filters as query parameters, for links that keep them."""
        values = {
            "q": self.q,
            "contact": self.contact,
            "status": self.status,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.params())


@dataclass(frozen=True)
class ContactChip:
    name: str
    email: str
    message_status: str  # the decline email's
    follow_up_status: str
    replied: bool


@dataclass(frozen=True)
class DeclineRow:
    id: str
    company: str
    job_title: str
    created_at: datetime
    status: str
    contacts: list[ContactChip]


@dataclass(frozen=True)
class DeclinesPage:
    items: list[DeclineRow]
    next_cursor: str | None


def declines_page(
    session: Session,
    filters: Filters,
    *,
    cursor: str | None,
    zone: str,
    limit: int = PAGE_SIZE,
) -> DeclinesPage:
    """Every key's declines, newest first, keyset-paginated on (created_at, id): one query for
    the page's rows, one for all their contacts with their email's and call's state."""
    query = select(
        col(Decline.id),
        col(Decline.company),
        col(Decline.job_title),
        col(Decline.created_at),
        col(Decline.canceled_at),
    )
    if filters.status:
        query = query.where(col(Decline.status) == filters.status)
    if filters.q:
        query = query.where(col(Decline.company_key).like(contains(filters.q), escape="\\"))
    if filters.contact:
        pattern = contains(filters.contact)
        matching = select(col(Contact.decline_id)).where(
            or_(
                col(Contact.email_key).like(pattern, escape="\\"),
                col(Contact.name).ilike(pattern, escape="\\"),
            )
        )
        query = query.where(col(Decline.id).in_(matching))
    tz = ZoneInfo(zone)
    if filters.since:
        query = query.where(col(Decline.created_at) >= datetime.combine(filters.since, clock(), tz))
    if filters.until:
        query = query.where(
            col(Decline.created_at)
            < datetime.combine(filters.until + timedelta(days=1), clock(), tz)
        )
    if cursor:
        query = query.where(
            older_than(cursor, col(Decline.created_at), col(Decline.id), invalid=BAD_LINK)
        )
    query = query.order_by(col(Decline.created_at).desc(), col(Decline.id).desc()).limit(limit + 1)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    chips = _chips(session, [row.id for row in rows])
    items = []
    for row in rows:
        contacts = chips.get(row.id, [])
        # As the API derives it: from the emails' states, not the stored column.
        derived = aggregate(
            [_stored(c.message_status) for c in contacts], canceled=row.canceled_at is not None
        )
        status = shown_decline_status(derived, [c.message_status for c in contacts])
        items.append(
            DeclineRow(row.id, row.company, row.job_title, row.created_at, status, contacts)
        )
    next_cursor = keyset_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return DeclinesPage(items=items, next_cursor=next_cursor)


def _chips(session: Session, decline_ids: list[str]) -> dict[str, list[ContactChip]]:
    """The contacts of these declines, in order, each with its email's and call's state."""
    if not decline_ids:
        return {}
    rows = session.execute(
        select(
            col(Contact.decline_id),
            col(Contact.name),
            col(Contact.email),
            col(Contact.replied_at),
            col(Message.status),
            col(FollowUp.status),
            col(Message.attempts),
        )
        .join(
            Message,
            and_(
                col(Message.contact_id) == col(Contact.id),
                col(Message.kind) == MessageKind.decline,
            ),
        )
        .join(FollowUp, col(FollowUp.contact_id) == col(Contact.id))
        .where(col(Contact.decline_id).in_(decline_ids))
        .order_by(col(Contact.decline_id), col(Contact.position))
    ).all()
    chips: dict[str, list[ContactChip]] = {}
    for decline_id, name, address, replied, message_status, follow_up, attempts in rows:
        shown = shown_status(message_status, attempts)
        chips.setdefault(decline_id, []).append(
            ContactChip(name, address, shown, follow_up, replied is not None)
        )
    return chips


def _stored(shown: str) -> str:
    return MessageStatus.queued if shown == "retrying" else shown


BAD_LINK = "This page link is not valid; start again from the list."


# --- one decline ----------------------------------------------------------------------------

OPEN = {FollowUpStatus.pending, FollowUpStatus.scheduled, FollowUpStatus.due}
INBOUND_WORDS = {
    "reply": "Reply",
    "auto_reply": "Automatic reply",
    "bounce": "Bounce",
    "unmatched": "Mail",
    "unparseable": "Unreadable mail",
}


@dataclass(frozen=True)
class Event:
    """One line of a contact's timeline."""

    at: datetime | None  # None: not happened yet (queued) or no time known (failed)
    chip: str  # a chip class from the stylesheet
    label: str  # the chip's text
    text: str
    note: str | None = None  # the SMTP reply, a call's notes, why mail was classified so
    href: str | None = None
    link: str | None = None
    error: str | None = None  # a delivery error, shown in plain words with the raw text
    error_to: str = ""  # the address it was for


@dataclass(frozen=True)
class ContactDetail:
    contact: ContactPublic
    timeline: list[Event]
    decline_canceled: bool

    @property
    def shown_message_status(self) -> str:
        message = self.contact.message
        return shown_status(message.status, message.attempts)

    @property
    def can_log_call(self) -> bool:
        return not self.decline_canceled and self.contact.follow_up.status in OPEN

    @property
    def can_mark_replied(self) -> bool:
        return self.contact.replied_at is None

    @property
    def can_retry(self) -> bool:
        undelivered = (MessageStatus.failed, MessageStatus.bounced)
        message = self.contact.message
        return (
            not self.decline_canceled
            and message.status in undelivered
            and bounces.retry_can_help(message.last_error)
        )

    @property
    def can_cancel_message(self) -> bool:
        return self.contact.message.status == MessageStatus.queued


_LEFT = frozenset({"sent", "bounced"})  # handed to a mail server: it cannot be called back


@dataclass(frozen=True)
class DeclineDetail:
    decline: DeclinePublic
    contacts: list[ContactDetail] = field(default_factory=list)

    @property
    def canceled(self) -> bool:
        return self.decline.canceled_at is not None

    @property
    def shown_status(self) -> str:
        return shown_decline_status(
            self.decline.status, [c.shown_message_status for c in self.contacts]
        )

    @property
    def any_sent(self) -> bool:
        """Once an email has left, canceling can only stop what follows it."""
        return any(c.contact.message.status in _LEFT for c in self.contacts)

    @property
    def stop_label(self) -> str:
        return "Stop follow-ups" if self.any_sent else "Cancel decline"

    @property
    def waiting(self) -> list[ContactPublic]:
        """Contacts whose email has not left yet: canceling keeps it from going."""
        return [c.contact for c in self.contacts if c.contact.message.status == "queued"]

    @property
    def open_calls(self) -> list[ContactPublic]:
        return [c.contact for c in self.contacts if c.contact.follow_up.status in OPEN]


def decline_detail(session: Session, decline_id: str, *, delivery: str) -> DeclineDetail:
    """The decline as the API shows it, plus everything that happened to each contact: six
    queries however many contacts it has."""
    decline = declines.get(session=session, decline_id=decline_id, api_key=None)
    public = to_public(session, [decline], delivery=delivery)[0]
    reminders = session.scalars(
        select(Message)
        .options(_without(Message.raw))
        .where(col(Message.decline_id) == decline.id, col(Message.kind) == MessageKind.reminder)
        .order_by(col(Message.seq))
        .execution_options(populate_existing=True)
    ).all()
    inbound = session.scalars(
        select(InboundMessage)
        .options(_without(InboundMessage.raw))
        .where(col(InboundMessage.decline_id) == decline.id)
        .order_by(col(InboundMessage.received_at))
    ).all()
    calls = session.scalars(
        select(CallAttempt)
        .where(col(CallAttempt.decline_id) == decline.id)
        .order_by(col(CallAttempt.created_at), col(CallAttempt.attempt))
    ).all()
    canceled = public.canceled_at is not None
    return DeclineDetail(
        decline=public,
        contacts=[
            ContactDetail(
                contact=contact,
                timeline=timeline(
                    public,
                    contact,
                    [m for m in reminders if m.contact_id == contact.id],
                    [i for i in inbound if i.contact_id == contact.id],
                    [c for c in calls if c.contact_id == contact.id],
                ),
                decline_canceled=canceled,
            )
            for contact in public.contacts
        ],
    )


def _without(column: object) -> LoaderOption:
    """Leave a kept copy's bytes unloaded: the timeline needs only its state."""
    return defer(cast("QueryableAttribute[Any]", column))  # SQLModel types it as the value


def contact_detail(session: Session, contact_id: str, *, delivery: str) -> ContactDetail:
    """One contact's section, e.g. after an action changed it."""
    decline_id = session.scalar(
        select(col(Contact.decline_id)).where(col(Contact.id) == contact_id)
    )
    if decline_id is None:
        raise NotFound(f"no contact with id {contact_id}")
    detail = decline_detail(session, decline_id, delivery=delivery)
    return next(c for c in detail.contacts if c.contact.id == contact_id)


def timeline(
    decline: DeclinePublic,
    contact: ContactPublic,
    reminders: Sequence[Message],
    inbound: Sequence[InboundMessage],
    calls: Sequence[CallAttempt],
) -> list[Event]:
    """What happened to one contact, oldest first; what has no time yet comes last."""
    events = [Event(decline.created_at, "pending", "accepted", "Decline accepted; email queued")]
    events.append(_email_event(contact))
    for reminder in reminders:
        events.append(
            Event(
                reminder.sent_at or (None if reminder.status == "queued" else reminder.created_at),
                reminder.status,
                reminder.status,
                f"Call reminder {reminder.seq} to the candidate",
                error=reminder.last_error,
                error_to=reminder.envelope_to,
                href=f"/dashboard/messages/{reminder.id}",
                link="View reminder",
            )
        )
    for record in inbound:
        if record.source == "manual":
            text = "Marked as replied by hand"
        else:
            sender = record.from_address or "unknown sender"
            text = f"{INBOUND_WORDS.get(record.classification, 'Mail')} from {sender}"
            if record.subject:
                text += f": {record.subject}"
        if record.return_at is not None:
            text += " (away; no call before their return)"
        events.append(
            Event(
                record.received_at,
                record.classification,
                record.classification.replace("_", " "),
                text,
                note=record.detail,
                href=f"/dashboard/inbound/{record.id}",
                link="View kept copy" if record.source != "manual" else "View",
            )
        )
    for call in calls:
        events.append(
            Event(
                call.created_at,
                call.outcome,
                call.outcome.replace("_", " "),
                f"Call attempt {call.attempt}",
                note=call.notes,
            )
        )
    events.sort(key=lambda e: (e.at is None, e.at or decline.created_at))
    return events


def _email_event(contact: ContactPublic) -> Event:
    message = contact.message
    tries = f"{message.attempts} attempt{'s' if message.attempts != 1 else ''}"
    view = f"/dashboard/messages/{message.id}"
    if message.sent_at is not None:
        text = f"Email sent to {contact.email} ({tries})"
        if message.status == MessageStatus.bounced:
            text += "; it bounced later"
        note = (
            None
            if message.last_error
            else (f"Delivery: {message.smtp_reply}" if message.smtp_reply else None)
        )
        return Event(
            message.sent_at,
            "sent",
            "sent",
            text,
            note,
            view,
            "View",
            error=message.last_error,
            error_to=contact.email,
        )
    words = {
        MessageStatus.queued: f"Email to {contact.email} waiting to be sent ({tries} so far)",
        MessageStatus.sending: f"Email to {contact.email} being sent now",
        MessageStatus.failed: f"Email to {contact.email} could not be delivered ({tries})",
        MessageStatus.canceled: f"Email to {contact.email} canceled before sending",
    }
    text = words.get(MessageStatus(message.status), f"Email to {contact.email}")
    shown = shown_status(message.status, message.attempts)
    return Event(
        None,
        shown,
        shown,
        text,
        None,
        view,
        "View",
        error=message.last_error,
        error_to=contact.email,
    )


# --- kept copies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MailParts:
    headers: list[tuple[str, str]]
    html: str | None
    text: str | None
    source: str


SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To")


def mail_parts(raw: bytes, *, readable: bool = True) -> MailParts:
    """The headers, HTML and text parts of a kept message, for display (never executed).

    `readable=False`: the inbound reader already gave up on it (over a cap, over its time,
    or the parser failed), so it is shown as source only, never parsed here again.
    """
    source = raw.decode("utf-8", errors="replace")
    if not readable or over_cap(raw) is not None:  # slow or failing to parse: source only
        return MailParts([], None, None, source)
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # noqa: BLE001 - a kept copy we cannot parse is still shown as source
        return MailParts([], None, None, source)
    assert isinstance(parsed, EmailMessage)  # noqa: S101 - the default policy's class
    headers = []
    for name in SHOWN_HEADERS:
        value = _header(parsed, name)
        if value:
            headers.append((name, value))
    return MailParts(headers, _part(parsed, "html"), _part(parsed, "plain"), source)


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is left out, not fatal
        return None
    return None if value is None else str(value)


def _part(message: EmailMessage, subtype: str) -> str | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(part, EmailMessage):
        return None
    try:
        return str(part.get_content())
    except Exception:  # noqa: BLE001 - an unknown charset: show it decoded as best we can
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else None


@dataclass(frozen=True)
class Outgoing:
    message: Message
    contact: Contact
    decline: Decline


def outgoing(session: Session, message_id: str) -> Outgoing:
    row = session.execute(
        select(Message, Contact, Decline)
        .join(Contact, col(Contact.id) == col(Message.contact_id))
        .join(Decline, col(Decline.id) == col(Message.decline_id))
        .where(col(Message.id) == message_id)
    ).first()
    if row is None:
        raise NotFound(f"no message with id {message_id}")
    return Outgoing(row[0], row[1], row[2])


@dataclass(frozen=True)
class Incoming:
    record: InboundMessage
    contact: Contact | None
    decline: Decline | None


def incoming(session: Session, inbound_id: str) -> Incoming:
    row = session.execute(
        select(InboundMessage, Contact, Decline)
        .outerjoin(Contact, col(Contact.id) == col(InboundMessage.contact_id))
        .outerjoin(Decline, col(Decline.id) == col(InboundMessage.decline_id))
        .where(col(InboundMessage.id) == inbound_id)
    ).first()
    if row is None:
        raise NotFound(f"no inbound message with id {inbound_id}")
    return Incoming(row[0], row[1], row[2])


# --- mbox -----------------------------------------------------------------------------------


def decline_mbox(session: Session, decline_id: str) -> bytes:
    """Every kept message of a decline, out and in, oldest first, as one mboxrd file."""
    decline = declines.get(session=session, decline_id=decline_id, api_key=None)
    return mbox_of(session, [decline.id])
