"""Read-only queries behind the dashboard's pages (actions go through the services)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

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

T = TypeVar("T")


@dataclass(frozen=True)
class Counts:
    sent: int
    awaiting_reply: int
    calls_due: int
    failed_or_bounced: int


def counts(session: Session) -> Counts:
    """The four numbers at the top of the Today page, each one indexed query."""
    by_status = dict(
        session.execute(
            select(col(Message.status), func.count())
            .where(col(Message.kind) == MessageKind.decline)
            .group_by(col(Message.status))
        ).all()
    )
    awaiting = session.scalar(
        select(func.count())
        .select_from(FollowUp)
        .where(col(FollowUp.status).in_([FollowUpStatus.scheduled, FollowUpStatus.due]))
    )
    due = session.scalar(
        select(func.count()).select_from(FollowUp).where(col(FollowUp.status) == FollowUpStatus.due)
    )
    return Counts(
        sent=by_status.get(MessageStatus.sent, 0),
        awaiting_reply=awaiting or 0,
        calls_due=due or 0,
        failed_or_bounced=by_status.get(MessageStatus.failed, 0)
        + by_status.get(MessageStatus.bounced, 0),
    )


@dataclass(frozen=True)
class Problem:
    """An email that did not arrive and still matters: no reply since, decline not stopped."""

    at: datetime
    status: str  # failed | bounced
    to: str
    contact_name: str
    company: str
    decline_id: str
    contact_id: str
    message_id: str
    last_error: str | None


def open_problems(session: Session, limit: int = 5) -> list[Problem]:
    """The newest decline emails that failed or bounced, where nothing has made up for it
    (a resend creates a new message; a reply or a stopped decline closes the matter)."""
    # Columns, not rows: a message row carries its whole kept copy.
    rows = session.execute(
        select(
            func.coalesce(col(Message.sent_at), col(Message.created_at)),
            col(Message.status),
            col(Message.envelope_to),
            col(Contact.name),
            col(Decline.company),
            col(Decline.id),
            col(Contact.id),
            col(Message.id),
            col(Message.last_error),
        )
        .join(Contact, col(Contact.id) == col(Message.contact_id))
        .join(Decline, col(Decline.id) == col(Message.decline_id))
        .where(
            col(Message.kind) == MessageKind.decline,
            col(Message.status).in_([MessageStatus.failed, MessageStatus.bounced]),
            col(Contact.replied_at).is_(None),
            col(Decline.canceled_at).is_(None),
        )
        .order_by(col(Message.created_at).desc())
        .limit(limit)
    ).all()
    return [Problem(*row) for row in rows]


@dataclass(frozen=True)
class Activity:
    at: datetime
    kind: str  # sent | failed | reply | auto_reply | bounce | unmatched | call | reminder
    text: str
    decline_id: str | None


def recent_activity(session: Session, limit: int = 15) -> list[Activity]:
    """The latest things that happened, newest first: mail out, mail in, calls."""
    items: list[Activity] = []
    sent = session.execute(
        select(Message, Contact, Decline)
        .join(Contact, col(Contact.id) == col(Message.contact_id))
        .join(Decline, col(Decline.id) == col(Message.decline_id))
        .where(col(Message.sent_at).is_not(None))
        .order_by(col(Message.sent_at).desc())
        .limit(limit)
    ).all()
    for message, contact, decline in sent:
        if message.kind == MessageKind.reminder:
            text = f"Call reminder sent for {contact.name} ({decline.company})"
            kind = "reminder"
        else:
            text = f"Email sent to {contact.name} ({decline.company})"
            kind = "sent"
        items.append(Activity(message.sent_at or message.created_at, kind, text, decline.id))
    inbound = session.execute(
        select(InboundMessage, Contact)
        .outerjoin(Contact, col(Contact.id) == col(InboundMessage.contact_id))
        .order_by(col(InboundMessage.received_at).desc())
        .limit(limit)
    ).all()
    words = {
        "reply": "Reply from",
        "auto_reply": "Auto-reply from",
        "bounce": "Bounce for",
        "unmatched": "Unmatched mail from",
        "unparseable": "Unreadable mail (kept, not acted on) from",
    }
    for record, contact in inbound:
        who = contact.name if contact else (record.from_address or "unknown sender")
        items.append(
            Activity(
                record.received_at,
                record.classification,
                f"{words.get(record.classification, 'Mail from')} {who}",
                record.decline_id,
            )
        )
    calls = session.execute(
        select(CallAttempt, Contact)
        .join(Contact, col(Contact.id) == col(CallAttempt.contact_id))
        .order_by(col(CallAttempt.created_at).desc())
        .limit(limit)
    ).all()
    for call, contact in calls:
        outcome = call.outcome.replace("_", " ")
        items.append(
            Activity(call.created_at, "call", f"Call to {contact.name}: {outcome}", call.decline_id)
        )
    items.sort(key=lambda a: a.at, reverse=True)
    return items[:limit]


# A call due within this long counts as "now"; older ones are overdue, so a morning's
# list puts yesterday's missed calls apart from the ones that just fell due.
NOW_WINDOW = timedelta(hours=1)
CALL_GROUPS: tuple[tuple[str, str], ...] = (
    ("overdue", "Overdue"),
    ("now", "Due now"),
    ("later_today", "Later today"),
    ("upcoming", "Upcoming"),
    ("unscheduled", "Not scheduled yet"),
)


def call_group(due_at: datetime | None, *, now: datetime, zone: str) -> str:
    """Which heading a call goes under, judged by the operator's calendar day in `zone`."""
    if due_at is None:
        return "unscheduled"
    if due_at <= now - NOW_WINDOW:
        return "overdue"
    if due_at <= now:
        return "now"
    tz = ZoneInfo(zone)
    if due_at.astimezone(tz).date() == now.astimezone(tz).date():
        return "later_today"
    return "upcoming"


def group_calls(
    items: Sequence[T], due: Callable[[T], datetime | None], *, now: datetime, zone: str
) -> list[tuple[str, str, list[T]]]:
    """(key, heading, items) in the order above, soonest first inside each, empty ones left out."""
    buckets: dict[str, list[T]] = {key: [] for key, _ in CALL_GROUPS}
    for item in items:
        buckets[call_group(due(item), now=now, zone=zone)].append(item)
    far = datetime.max.replace(tzinfo=UTC)
    return [
        (key, heading, sorted(buckets[key], key=lambda i: due(i) or far))
        for key, heading in CALL_GROUPS
        if buckets[key]
    ]
