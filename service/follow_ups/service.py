"""The phone step: schedule a call once the email is out, remind the candidate when it falls
due, log call outcomes, and close the call when the contact replies. Services flush; the
caller's unit of work commits."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import Select, Table, and_, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from service import webhooks
from service.auth.api_keys import owned_by
from service.core import metrics
from service.core.config import FollowUpScope, Settings
from service.core.db import on_commit, utcnow
from service.core.errors import Conflict, NotFound
from service.declines.compose import make_message_id
from service.declines.language import Language
from service.declines.schemas import DeclineCreate
from service.follow_ups import clock, policy
from service.follow_ups.reminder import ReminderFacts, compose_reminder, scripts
from service.follow_ups.scripts import Block, blocks
from service.models import (
    ApiKey,
    CallAttempt,
    CallOutcome,
    Contact,
    Decline,
    FollowUp,
    FollowUpStatus,
    Message,
    MessageKind,
    MessageStatus,
)

log = logging.getLogger(__name__)

FOLLOW_UPS: Table = SQLModel.metadata.tables[FollowUp.__tablename__]
OPEN = (FollowUpStatus.pending, FollowUpStatus.scheduled, FollowUpStatus.due)
NOT_YET_DUE = (FollowUpStatus.pending, FollowUpStatus.scheduled)


def calendar(settings: Settings, contact: Contact, decline: Decline) -> policy.BusinessCalendar:
    """Business days and hours where the contact is: their zone, else the candidate's."""
    zone = contact.timezone or decline.candidate_timezone or settings.timezone
    return policy.calendar_for(zone, settings.business_hours, settings.holidays_country)


def candidate_zone(settings: Settings, decline: Decline) -> str:
    return decline.candidate_timezone or settings.timezone


def interview_at(decline: Decline) -> datetime | None:
    """The booked interview, read straight from the stored request (already validated and
    normalised to UTC ISO 8601): the outbox's recorder asks for it on every sent email."""
    value = decline.request.get("interview_at")
    return datetime.fromisoformat(value) if value else None


_REQUESTS: OrderedDict[str, DeclineCreate] = OrderedDict()
_REQUESTS_KEPT = 2048


def request_of(decline: Decline) -> DeclineCreate:
    """The decline's request as accepted. A stored request never changes, so parsed ones
    are kept (validating phone numbers and addresses again costs about a millisecond)."""
    parsed = _REQUESTS.get(decline.id)
    if parsed is None:
        parsed = DeclineCreate.from_stored(decline.request)
        _REQUESTS[decline.id] = parsed
        while len(_REQUESTS) > _REQUESTS_KEPT:
            try:
                _REQUESTS.popitem(last=False)
            except KeyError:  # another thread emptied it first
                break
    return parsed


def request_for(decline: Decline, contact: Contact) -> DeclineCreate:
    """The request as accepted, with the contact's address as it is now: a resend to a
    corrected address changes the contact, never the stored request."""
    request = request_of(decline)
    stored = request.contacts[contact.position]
    if stored.email == contact.email:
        return request
    contacts = list(request.contacts)
    contacts[contact.position] = stored.model_copy(update={"email": contact.email})
    return request.model_copy(update={"contacts": contacts})


def _with_contact() -> Select[FollowUp, Contact, Decline, Message]:
    """Follow-ups with their contact, decline and the email the call follows up on."""
    return (
        select(FollowUp, Contact, Decline, Message)
        .join(Contact, col(Contact.id) == col(FollowUp.contact_id))
        .join(Decline, col(Decline.id) == col(FollowUp.decline_id))
        .join(
            Message,
            and_(
                col(Message.contact_id) == col(FollowUp.contact_id),
                col(Message.kind) == MessageKind.decline,
            ),
        )
    )


# --- scheduling -------------------------------------------------------------------------


def schedule_sent(session: Session, message_ids: Iterable[str], settings: Settings) -> int:
    """Decline emails just recorded as sent: give each contact's call its due time."""
    ids = sorted(set(message_ids))
    if not ids:
        return 0
    rows = session.execute(
        _with_contact().where(
            col(Message.id).in_(ids), col(FollowUp.status) == FollowUpStatus.pending
        )
    ).all()
    scheduled = 0
    for follow_up, contact, decline, email in rows:
        sent_at = email.sent_at
        cal = calendar(settings, contact, decline)
        due = policy.first_call_due(
            cal,
            sent_at=_next_minute(sent_at or utcnow()),
            business_days=decline.follow_up_business_days,
            interview_at=interview_at(decline),
        )
        if follow_up.not_before is not None and due < follow_up.not_before:
            due = policy.next_business_slot(cal, follow_up.not_before)
        # Conditional: a reply that landed first has already closed this call.
        result = session.execute(
            update(FollowUp)
            .where(col(FollowUp.id) == follow_up.id, col(FollowUp.status) == FollowUpStatus.pending)
            .values(status=FollowUpStatus.scheduled, due_at=due, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        scheduled += int(getattr(result, "rowcount", 0) or 0)
    return scheduled


def _next_minute(moment: datetime) -> datetime:
    """A call is booked at 10:43, not 10:42:17.238 (rounded up, never earlier)."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


# --- reminders ----------------------------------------------------------------------------


def claim_due(*, session: Session, now: datetime, limit: int) -> list[str]:
    """Mark up to `limit` follow-ups due as of `now` as `due`, in one statement; their ids.

    Each claimed row is a reminder to queue in the same transaction: a row moves from
    scheduled to due once, so however many sweeps run at once, it gets one reminder.
    """
    f = FOLLOW_UPS.c
    pick = (
        select(f.id)
        .where(f.status == FollowUpStatus.scheduled, f.due_at <= now)
        .order_by(f.due_at, f.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds BEGIN IMMEDIATE instead
    )
    stmt = (
        update(FOLLOW_UPS)
        .where(f.id.in_(pick), f.status == FollowUpStatus.scheduled)
        .values(status=FollowUpStatus.due, reminders=f.reminders + 1, updated_at=utcnow())
        .returning(f.id)
    )
    return sorted(session.execute(stmt).scalars())


def queue_reminders(session: Session, follow_up_ids: Sequence[str], settings: Settings) -> int:
    """Put one reminder per claimed follow-up in the outbox, addressed to the candidate."""
    if not follow_up_ids:
        return 0
    clock = utcnow()
    rows = session.execute(
        _with_contact()
        .where(col(FollowUp.id).in_(follow_up_ids))
        .execution_options(populate_existing=True)
    ).all()
    for follow_up, contact, decline, email in rows:
        cal = calendar(settings, contact, decline)
        slot = policy.next_business_slot(cal, max(follow_up.due_at or clock, clock))
        facts = reminder_facts(follow_up, contact, decline, email, settings, due_at=slot)
        composed = compose_reminder(
            facts,
            mail_from=settings.mail_from,
            message_id=make_message_id(settings.mail_from_domain),
            now=clock,
        )
        session.add(
            Message.queued(
                composed,
                decline_id=decline.id,
                contact_id=contact.id,
                at=clock,
                kind=MessageKind.reminder,
                seq=follow_up.reminders,
            )
        )
        webhooks.emit(
            session,
            webhooks.EventType.follow_up_due,
            {
                "follow_up_id": follow_up.id,
                "decline_id": decline.id,
                "contact_id": contact.id,
                "due_at": slot.isoformat(),
                "call_attempts": follow_up.call_attempts,
            },
            clock,
        )
    session.flush()
    if rows:
        on_commit(session, partial(metrics.REMINDERS_QUEUED.inc, len(rows)))
    return len(rows)


def sweep(*, session: Session, now: datetime, settings: Settings, limit: int) -> int:
    """Claim follow-ups due as of `now` and queue their reminders; how many."""
    return queue_reminders(session, claim_due(session=session, now=now, limit=limit), settings)


def due_now(
    session: Session, follow_up_id: str, settings: Settings, *, now: datetime | None = None
) -> bool:
    """Make a call that has not fallen due yet due at once (the email bounced, or was
    reported as spam): the reminder goes now, and the call is due at the first business
    hour where the contact is, the one time the reminder, the API and the dashboard show."""
    at = now or utcnow()
    result = session.execute(
        update(FollowUp)
        .where(col(FollowUp.id) == follow_up_id, col(FollowUp.status).in_(NOT_YET_DUE))
        .values(
            status=FollowUpStatus.due,
            due_at=at,
            reminders=col(FollowUp.reminders) + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    row = session.execute(_with_contact().where(col(FollowUp.id) == follow_up_id)).first()
    if row is not None:
        follow_up, contact, decline, _ = row
        follow_up.due_at = policy.next_business_slot(calendar(settings, contact, decline), at)
        session.flush()
    queue_reminders(session, [follow_up_id], settings)
    return True


def undelivered(session: Session, message_ids: Sequence[str], settings: Settings) -> int:
    """Decline emails that failed for good: their calls fall due at once."""
    if not message_ids:
        return 0
    follow_up_ids = session.scalars(
        select(col(FollowUp.id))
        .join(Message, col(Message.contact_id) == col(FollowUp.contact_id))
        .where(col(Message.id).in_(sorted(message_ids)), col(Message.kind) == MessageKind.decline)
    ).all()
    return sum(due_now(session, follow_up_id, settings) for follow_up_id in follow_up_ids)


def cancel_queued_reminders(session: Session, contact_ids: Iterable[str], why: str) -> None:
    """A reminder still waiting in the outbox is pointless once the call is closed."""
    session.execute(
        update(Message)
        .where(
            col(Message.contact_id).in_(sorted(set(contact_ids))),
            col(Message.kind) == MessageKind.reminder,
            col(Message.status) == MessageStatus.queued,
        )
        .values(status=MessageStatus.canceled, last_error=why)
        .execution_options(synchronize_session=False)
    )


# --- replies and absences -----------------------------------------------------------------


def record_reply(
    session: Session, contact: Contact, *, settings: Settings, now: datetime
) -> list[str]:
    """A human answered: close the calls the reply settles; the contact ids closed."""
    if contact.replied_at is None:
        contact.replied_at = now
    query = select(FollowUp).where(col(FollowUp.status).in_(OPEN))
    if settings.follow_up_scope is FollowUpScope.decline:
        query = query.where(col(FollowUp.decline_id) == contact.decline_id)
    else:
        query = query.where(col(FollowUp.contact_id) == contact.id)
    closed = []
    for follow_up in session.scalars(query.with_for_update()):
        follow_up.status = FollowUpStatus.canceled
        follow_up.closed_at = now
        follow_up.updated_at = now
        closed.append(follow_up.contact_id)
    if closed:
        cancel_queued_reminders(session, closed, "the contact replied")
    session.flush()
    return closed


def record_complaint(
    session: Session, contact_id: str, *, settings: Settings, now: datetime
) -> bool:
    """The contact's mail system reported the email as spam: it arrived, but they may never
    read it. The call falls due at once and its reminders say why; a closed call stays closed
    (a complaint is no answer, and it never cancels anything). Whether a reminder was queued."""
    follow_up = session.scalars(
        select(FollowUp).where(col(FollowUp.contact_id) == contact_id).with_for_update()
    ).one()
    if follow_up.complained_at is None:  # the first report says when; repeats change nothing
        follow_up.complained_at = now
        follow_up.updated_at = now
        session.flush()
    return due_now(session, follow_up.id, settings)


def record_absence(
    session: Session,
    contact: Contact,
    decline: Decline,
    *,
    returning: date | datetime,
    settings: Settings,
) -> datetime:
    """An out-of-office gave a return date: no call before the first business hour after it.

    Returns that moment. A call not yet made moves there; one already reminded about is
    reminded again then (calling an empty office helps nobody).
    """
    back = policy.after_return(calendar(settings, contact, decline), returning=returning)
    follow_up = session.scalars(
        select(FollowUp).where(col(FollowUp.contact_id) == contact.id).with_for_update()
    ).one()
    if follow_up.not_before is None or follow_up.not_before < back:
        follow_up.not_before = back
    if follow_up.status in (FollowUpStatus.scheduled, FollowUpStatus.due) and (
        follow_up.due_at is None or follow_up.due_at < back
    ):
        follow_up.status = FollowUpStatus.scheduled
        follow_up.due_at = back
        cancel_queued_reminders(session, [contact.id], "the contact is away; reminder moved")
    follow_up.updated_at = utcnow()
    session.flush()
    return back


# --- calls ----------------------------------------------------------------------------------


def get_contact(
    session: Session, contact_id: str, api_key: ApiKey | None
) -> tuple[Contact, Decline]:
    """The contact and its decline, if `api_key` owns it (`None`: the operator, any)."""
    query = (
        select(Contact, Decline)
        .join(Decline, col(Decline.id) == col(Contact.decline_id))
        .where(col(Contact.id) == contact_id, *owned_by(api_key))
    )
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"no contact with id {contact_id}")
    return row[0], row[1]


def log_call(
    *,
    session: Session,
    contact_id: str,
    api_key: ApiKey | None,
    outcome: CallOutcome,
    notes: str | None,
    settings: Settings,
    now: datetime,
) -> FollowUp:
    """Record a call. Reached or voicemail closes the follow-up; no answer tries again on
    the next business day, until the attempts run out."""
    contact, decline = get_contact(session, contact_id, api_key)
    follow_up = session.scalars(
        select(FollowUp).where(col(FollowUp.contact_id) == contact.id).with_for_update()
    ).one()
    if decline.canceled_at is not None:
        raise Conflict("this decline was canceled; there is no call to log")
    if follow_up.status not in OPEN:
        why = "the contact replied" if contact.replied_at else f"it is {follow_up.status}"
        raise Conflict(f"this contact's follow-up is closed ({why}); nothing to log")
    follow_up.call_attempts += 1
    session.add(
        CallAttempt(
            follow_up_id=follow_up.id,
            decline_id=decline.id,
            contact_id=contact.id,
            attempt=follow_up.call_attempts,
            outcome=outcome,
            notes=notes,
            created_at=now,
        )
    )
    if outcome is CallOutcome.no_answer and follow_up.call_attempts < settings.max_call_attempts:
        follow_up.status = FollowUpStatus.scheduled
        follow_up.due_at = policy.next_attempt_due(
            calendar(settings, contact, decline),
            after=_next_minute(now),
            not_before=follow_up.not_before,
        )
    else:
        follow_up.status = FollowUpStatus.done
        follow_up.closed_at = now
        webhooks.emit(
            session,
            webhooks.EventType.follow_up_done,
            {
                "follow_up_id": follow_up.id,
                "decline_id": decline.id,
                "contact_id": contact.id,
                "outcome": outcome.value,
                "call_attempts": follow_up.call_attempts,
            },
            now,
        )
    follow_up.updated_at = now
    cancel_queued_reminders(session, [contact.id], "a call was logged")
    session.flush()
    on_commit(session, metrics.CALLS_LOGGED.labels(outcome=outcome.value).inc)
    return follow_up


# --- the call list ------------------------------------------------------------------------


@dataclass(frozen=True)
class CallItem:
    follow_up: FollowUp
    contact: Contact
    decline: Decline
    email: Message
    call_script: str
    voicemail_script: str | None
    their_time: clock.TheirTime | None = None  # the due time where the contact is

    @property
    def attempt(self) -> int:
        return self.follow_up.call_attempts + 1

    @property
    def bounced(self) -> bool:
        return self.email.status in (MessageStatus.bounced, MessageStatus.failed)

    @property
    def call_blocks(self) -> list[Block]:
        return blocks(self.call_script)

    @property
    def voicemail_blocks(self) -> list[Block]:
        return blocks(self.voicemail_script) if self.voicemail_script else []


def list_calls(
    *,
    session: Session,
    api_key: ApiKey | None,
    status: FollowUpStatus | None,
    offset: int,
    limit: int,
    settings: Settings,
) -> tuple[list[CallItem], bool]:
    """Follow-ups, soonest due first, with their scripts; and whether more follow."""
    query = _with_contact().where(*owned_by(api_key))
    if status is not None:
        query = query.where(col(FollowUp.status) == status)
    if status not in (FollowUpStatus.scheduled, FollowUpStatus.due):
        query = query.order_by(col(FollowUp.due_at).is_(None))  # pending ones have no time
    # Scheduled and due calls always have a time, so this walks ix_follow_ups_due.
    query = query.order_by(col(FollowUp.due_at), col(FollowUp.id)).offset(offset).limit(limit + 1)
    rows = session.execute(query).all()
    items = [
        _call_item(follow_up, contact, decline, email, settings)
        for follow_up, contact, decline, email in rows[:limit]
    ]
    return items, len(rows) > limit


def _call_item(
    follow_up: FollowUp, contact: Contact, decline: Decline, email: Message, settings: Settings
) -> CallItem:
    facts = reminder_facts(
        follow_up, contact, decline, email, settings, due_at=follow_up.due_at or utcnow()
    )
    call_script, voicemail_script = scripts(facts)
    return CallItem(
        follow_up,
        contact,
        decline,
        email,
        call_script,
        voicemail_script,
        their_time=_their_time(follow_up, contact, settings, candidate_zone(settings, decline)),
    )


def _their_time(
    follow_up: FollowUp, contact: Contact, settings: Settings, caller_zone: str
) -> clock.TheirTime | None:
    """For the dashboard (in English): the due time where the contact is, when known."""
    if follow_up.due_at is None:
        return None
    zone = clock.contact_zone(contact.timezone, contact.phone, follow_up.due_at)
    if zone is None:
        return None
    return clock.their_time(
        follow_up.due_at,
        zone,
        caller_zone=caller_zone,
        locale=clock.locale_for(Language.en, phone=None, zone=settings.timezone),
        hours=policy.parse_business_hours(settings.business_hours),
    )


def reminder_facts(
    follow_up: FollowUp,
    contact: Contact,
    decline: Decline,
    email: Message,
    settings: Settings,
    *,
    due_at: datetime,
) -> ReminderFacts:
    """What a reminder (or the call list) says about the next call to this contact."""
    bounced = email.status in (MessageStatus.bounced, MessageStatus.failed)
    dashboard = f"{settings.public_url}/dashboard" if settings.public_url else None
    return ReminderFacts(
        request=request_for(decline, contact),
        contact_index=contact.position,
        contact_id=contact.id,
        follow_up_id=follow_up.id,
        attempt=follow_up.call_attempts + 1,
        max_attempts=settings.max_call_attempts,
        due_at=due_at,
        sent_at=email.sent_at,
        bounced=bounced,
        bounce_reason=email.last_error if bounced else None,
        away_until=follow_up.not_before,
        complained_at=follow_up.complained_at,
        candidate_tz=candidate_zone(settings, decline),
        log_url=f"{dashboard}/declines/{decline.id}#contact-{contact.id}" if dashboard else None,
        resend_url=f"{dashboard}/calls#call-{contact.id}" if dashboard else None,
        business_hours=settings.business_hours,
    )
