"""Accept, read and cancel declines. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service import webhooks
from service.auth.api_keys import owned_by
from service.core import idempotency
from service.core.config import Settings
from service.core.errors import Conflict, NotFound
from service.core.paging import contains, keyset_cursor, older_than
from service.declines import compose, status
from service.declines.advice import warnings_for
from service.declines.letter import addressee_for, length_warnings
from service.declines.schemas import (
    ContactIn,
    DeclineCreate,
    DeclinePublic,
    PreviewMessage,
    PreviewPublic,
    Referral,
)
from service.declines.views import public_of, to_public
from service.follow_ups import bounces
from service.models import (
    ApiKey,
    Contact,
    Decline,
    FollowUp,
    FollowUpStatus,
    IdempotencyRecord,
    Message,
    MessageStatus,
)

BAD_CURSOR = "cursor is not one this API returned; start again without it"


def accept(
    *, session: Session, request: DeclineCreate, api_key: ApiKey, settings: Settings, now: datetime
) -> Decline:
    """Store the decline, its contacts and every fully rendered message, ready to send."""
    return _store(
        session=session, request=request, api_key=api_key, settings=settings, now=now
    ).decline


@dataclass(frozen=True)
class _Stored:
    """The rows one accepted decline wrote, as they are in the session."""

    decline: Decline
    contacts: list[Contact]
    messages: list[Message]
    follow_ups: list[FollowUp]


def _store(
    *,
    session: Session,
    request: DeclineCreate,
    api_key: ApiKey,
    settings: Settings,
    now: datetime,
    composed: Sequence[compose.ComposedMessage] | None = None,
) -> _Stored:
    if composed is None:
        composed = compose_all(request, settings, now)
    days = request.follow_up_business_days
    decline = Decline(
        api_key_id=api_key.id,
        company=request.company,
        company_key=request.company.casefold(),
        job_title=request.job_title,
        requisition_id=request.requisition_id,
        reason=request.reason,
        round=request.round,
        candidate_name=request.candidate.name,
        candidate_email=request.candidate.email,
        candidate_phone=request.candidate.phone,
        candidate_timezone=request.candidate.timezone,
        follow_up_business_days=settings.follow_up_business_days if days is None else days,
        request=request.model_dump(mode="json"),
        warnings=_warnings(request, now),
        created_at=now,
        updated_at=now,
    )
    session.add(decline)
    session.flush()  # no ORM relationships here, so parents are flushed before children
    contacts = [
        Contact(
            decline_id=decline.id,
            position=index,
            name=person.name,
            email=person.email,
            email_key=person.email.casefold(),
            phone=person.phone,
            role=person.role,
            timezone=person.timezone,
        )
        for index, person in enumerate(request.contacts)
    ]
    session.add_all(contacts)
    session.flush()
    messages, follow_ups = [], []
    for contact, mail in zip(contacts, composed, strict=True):
        message = Message.queued(mail, decline_id=decline.id, contact_id=contact.id, at=now)
        follow_up = FollowUp(decline_id=decline.id, contact_id=contact.id)
        messages.append(message)
        follow_ups.append(follow_up)
        session.add(message)
        session.add(follow_up)
    session.flush()
    webhooks.emit(
        session,
        webhooks.EventType.decline_created,
        {
            "decline_id": decline.id,
            "contacts": [
                {"contact_id": c.id, "message_id": m.id, "role": c.role}
                for c, m in zip(contacts, messages, strict=True)
            ],
        },
        now,
    )
    return _Stored(decline, contacts, messages, follow_ups)


def _warnings(request: DeclineCreate, now: datetime) -> list[str]:
    return [*warnings_for(request, now=now), *length_warnings(request, now=now)]


def compose_all(
    request: DeclineCreate, settings: Settings, now: datetime
) -> list[compose.ComposedMessage]:
    """Every contact's message. Pure: done before the transaction's first statement, it
    never holds SQLite's write lock (BEGIN IMMEDIATE) while it renders."""
    return [_compose(request, index, settings, now) for index in range(len(request.contacts))]


def _compose(
    request: DeclineCreate, index: int, settings: Settings, now: datetime
) -> compose.ComposedMessage:
    """One contact's message, with a fresh Message-ID under our MAIL_FROM domain."""
    return compose.compose(
        request=request,
        contact_index=index,
        mail_from=settings.mail_from,
        message_id=compose.make_message_id(settings.mail_from_domain),
        date=now,
    )


@dataclass(frozen=True)
class Accepted:
    status_code: int
    body: dict[str, Any]
    replayed: bool


# Fields added after fingerprints were first kept: left out while at their defaults, so a
# request retried across an upgrade still matches the fingerprint of its first attempt.
_ADDED_LATER: dict[str, frozenset[str]] = {
    "": frozenset(
        {
            "language",
            "open_door",
            "they_approached_me",
            "personal_note",
            "sign_off",
            "invitation_subject",
            "invitation_from",
        }
    ),
    "contacts": frozenset({"language", "greeting", "title", "greeting_name"}),
    "referral": frozenset({"relationship", "share_with"}),
}


def request_fingerprint(request: DeclineCreate) -> str:
    canonical = json.dumps(_as_first_kept(request), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _as_first_kept(request: DeclineCreate) -> dict[str, Any]:
    data = request.model_dump(mode="json")
    _drop_defaults(data, DeclineCreate, _ADDED_LATER[""])
    for contact in data["contacts"]:
        _drop_defaults(contact, ContactIn, _ADDED_LATER["contacts"])
    if data.get("referral"):
        _drop_defaults(data["referral"], Referral, _ADDED_LATER["referral"])
    return data


def _drop_defaults(data: dict[str, Any], model: type[BaseModel], names: frozenset[str]) -> None:
    for name in names:
        if data.get(name) == model.model_fields[name].get_default(call_default_factory=True):
            data.pop(name, None)


KeyReused = idempotency.KeyReused


def accept_once(
    *,
    session: Session,
    request: DeclineCreate,
    api_key: ApiKey,
    settings: Settings,
    now: datetime,
    idempotency_key: str | None,
) -> Accepted:
    """Accept, or replay the first response for a retried Idempotency-Key."""
    # Composed first, before any statement: on SQLite the first one takes the write lock.
    composed = compose_all(request, settings, now)
    if idempotency_key is not None:
        record, replayed = idempotency.claim(
            session, api_key, idempotency_key, request_fingerprint(request)
        )
        if replayed:
            return Accepted(record.status_code, record.response, replayed=True)
    accepted = _accept_fresh(
        session=session,
        request=request,
        api_key=api_key,
        settings=settings,
        now=now,
        composed=composed,
    )
    if idempotency_key is None:
        return accepted
    record.status_code, record.response = accepted.status_code, accepted.body
    session.flush()
    return accepted


def _accept_fresh(
    *,
    session: Session,
    request: DeclineCreate,
    api_key: ApiKey,
    settings: Settings,
    now: datetime,
    composed: Sequence[compose.ComposedMessage],
) -> Accepted:
    stored = _store(
        session=session,
        request=request,
        api_key=api_key,
        settings=settings,
        now=now,
        composed=composed,
    )
    # From the rows just written, not read back: the same answer, without a round trip
    # for every message's kept copy.
    public = public_of(
        [stored.decline],
        stored.contacts,
        {m.contact_id: m for m in stored.messages},
        {f.contact_id: f for f in stored.follow_ups},
        delivery=settings.delivery,
    )[0]
    return Accepted(201, public.model_dump(mode="json"), replayed=False)


def get(*, session: Session, decline_id: str, api_key: ApiKey | None) -> Decline:
    """The decline, if `api_key` owns it; `None` is the operator (the dashboard): any."""
    decline = session.get(Decline, decline_id)
    if decline is None or (api_key is not None and decline.api_key_id != api_key.id):
        raise NotFound(f"no decline with id {decline_id}")
    return decline


def cancel(*, session: Session, decline_id: str, api_key: ApiKey | None, now: datetime) -> Decline:
    """Stop every message not yet handed to a mail server, and the phone follow-ups."""
    decline = get(session=session, decline_id=decline_id, api_key=api_key)
    if decline.canceled_at is None:
        decline.canceled_at = now
        session.flush()  # lock the decline row first: the outbox's recorder orders on it
        session.execute(
            update(Message)
            .where(
                col(Message.decline_id) == decline.id, col(Message.status) == MessageStatus.queued
            )
            .values(status=MessageStatus.canceled, last_error="canceled before sending")
        )
        session.execute(
            update(FollowUp)
            .where(
                col(FollowUp.decline_id) == decline.id, col(FollowUp.status) != FollowUpStatus.done
            )
            .values(status=FollowUpStatus.canceled)
        )
        status.refresh(session, [decline.id])
    return decline


def list_page(
    *,
    session: Session,
    api_key: ApiKey,
    status_filter: str | None,
    company: str | None,
    contact_email: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Decline], str | None]:
    """Newest first; the cursor is the last row's (created_at, id)."""
    query = select(Decline).where(col(Decline.api_key_id) == api_key.id)
    if status_filter:
        query = query.where(col(Decline.status) == status_filter)
    if company:
        query = query.where(col(Decline.company_key).like(contains(company), escape="\\"))
    if contact_email:
        query = query.where(
            exists().where(
                col(Contact.decline_id) == col(Decline.id),
                col(Contact.email_key) == contact_email.strip().casefold(),
            )
        )
    if cursor:
        query = query.where(
            older_than(cursor, col(Decline.created_at), col(Decline.id), invalid=BAD_CURSOR)
        )
    query = query.order_by(col(Decline.created_at).desc(), col(Decline.id).desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return rows, keyset_cursor(last.created_at, last.id) if last else None


def raw_message(*, session: Session, message_id: str, api_key: ApiKey | None) -> bytes:
    """The exact bytes kept for a message (what went on the wire)."""
    query = (
        select(col(Message.raw))
        .join(Decline, col(Decline.id) == col(Message.decline_id))
        .where(col(Message.id) == message_id, *owned_by(api_key))
    )
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"no message with id {message_id}")
    return bytes(row[0])


def preview(*, request: DeclineCreate, settings: Settings, now: datetime) -> PreviewPublic:
    """Render every message and call script; store and send nothing."""
    messages = []
    for index, contact in enumerate(request.contacts):
        composed = _compose(request, index, settings, now)
        messages.append(
            PreviewMessage(
                contact=contact,
                language=request.language_for(index),
                role=contact.role,
                greeting=addressee_for(request, index).choice,
                to=composed.headers["To"],
                subject=composed.subject,
                headers=composed.headers,
                text=composed.text,
                html=composed.html,
                call_script=compose.render_call_script(request=request, contact_index=index),
                voicemail_script=compose.render_voicemail_script(
                    request=request, contact_index=index
                ),
            )
        )
    return PreviewPublic(warnings=_warnings(request, now), messages=messages)


def publish(session: Session, decline: Decline, settings: Settings) -> DeclinePublic:
    return to_public(session, [decline], delivery=settings.delivery)[0]


def purge_idempotency_keys(*, session: Session, before: datetime) -> int:
    """Forget Idempotency-Keys recorded before `before`; returns how many."""
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _owned_message(session: Session, message_id: str, api_key: ApiKey | None) -> Message:
    message = session.get(Message, message_id, with_for_update=True)
    if message is not None:
        get(session=session, decline_id=message.decline_id, api_key=api_key)
        return message
    raise NotFound(f"no message with id {message_id}")


def retry_message(
    *, session: Session, message_id: str, api_key: ApiKey | None, now: datetime
) -> Message:
    """Send a failed (or bounced) message again, now: after fixing an address or a server."""
    message = _owned_message(session, message_id, api_key)
    decline = session.get(Decline, message.decline_id)
    if decline is not None and decline.canceled_at is not None:
        raise Conflict("this decline was canceled; its messages are not sent again")
    if message.status not in (MessageStatus.failed, MessageStatus.bounced):
        raise Conflict(
            f"only a failed or bounced message can be retried; this one is {message.status}"
        )
    if not bounces.retry_can_help(message.last_error):
        raise Conflict(
            f"{message.envelope_to} was refused as an address ({message.last_error}); the same "
            "email cannot arrive there: correct the contact's email instead, which sends it again"
        )
    message.status = MessageStatus.queued
    message.next_attempt_at = now
    message.created_at = now  # the give-up window starts again
    session.flush()
    status.refresh(session, [message.decline_id])
    return message


def cancel_message(*, session: Session, message_id: str, api_key: ApiKey | None) -> Message:
    """Stop one message that has not been handed to a mail server yet."""
    message = _owned_message(session, message_id, api_key)
    if message.status != MessageStatus.queued:
        raise Conflict(f"only a queued message can be canceled; this one is {message.status}")
    message.status = MessageStatus.canceled
    message.last_error = "canceled before sending"
    session.flush()
    status.refresh(session, [message.decline_id])
    return message
