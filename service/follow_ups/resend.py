"""Send a contact's decline again, to a corrected address. Services flush; the caller's unit
of work commits.

The contact's address changes, a new message is composed and kept (it goes through the
outbox like any other), and the old one stays in the history under the kind `replaced`, so
nothing that reads "the contact's decline email" ever sees two. The call starts over as for
a first send: it waits for the new email to go out, then for the reply days.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core import idempotency
from service.core.config import Settings
from service.core.errors import Conflict, Unprocessable
from service.declines import compose
from service.declines import status as decline_status
from service.declines.schemas import Email
from service.declines.views import contact_public
from service.follow_ups.service import cancel_queued_reminders, get_contact, request_for
from service.models import (
    ApiKey,
    Contact,
    Decline,
    FollowUp,
    FollowUpStatus,
    Message,
    MessageKind,
    MessageStatus,
)

# A decline email superseded by a resend: kept, sent or not, and never the contact's email.
_ADDRESS: TypeAdapter[str] = TypeAdapter(Email)


@dataclass(frozen=True)
class Resent:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def resend(
    *,
    session: Session,
    contact_id: str,
    api_key: ApiKey | None,
    email: str,
    settings: Settings,
    now: datetime,
) -> Contact:
    """Address the contact's decline to `email` and queue it again; the call starts over."""
    contact, decline = get_contact(session, contact_id, api_key)
    email = checked_address(email)
    follow_up = session.scalars(
        select(FollowUp).where(col(FollowUp.contact_id) == contact.id).with_for_update()
    ).one()
    old = session.scalars(
        select(Message)
        .where(col(Message.contact_id) == contact.id, col(Message.kind) == MessageKind.decline)
        .with_for_update()
    ).one()
    _refuse(session, decline, contact, old, email)
    contact.email, contact.email_key = email, email.casefold()
    composed = compose.compose(
        request=request_for(decline, contact),
        contact_index=contact.position,
        mail_from=settings.mail_from,
        message_id=compose.make_message_id(settings.mail_from_domain),
        date=now,
    )
    _retire(session, old, email)
    session.add(Message.queued(composed, decline_id=decline.id, contact_id=contact.id, at=now))
    follow_up.status = FollowUpStatus.pending
    follow_up.due_at = None
    follow_up.call_attempts = 0  # the attempts were about an email that never arrived
    follow_up.complained_at = None
    follow_up.closed_at = None
    follow_up.updated_at = now
    cancel_queued_reminders(session, [contact.id], "the email was sent again")
    session.flush()
    decline_status.refresh(session, [decline.id])
    return contact


def resend_once(
    *,
    session: Session,
    contact_id: str,
    api_key: ApiKey,
    email: str,
    settings: Settings,
    now: datetime,
    idempotency_key: str | None,
) -> Resent:
    """Resend, or replay the first answer for a retried Idempotency-Key (the same keys as
    POST /v1/declines: a key names one request of this API key, whatever the endpoint)."""
    record = None
    if idempotency_key is not None:
        record, replayed = idempotency.claim(
            session, api_key, idempotency_key, _fingerprint(contact_id, email)
        )
        if replayed:
            return Resent(record.status_code, record.response, replayed=True)
    contact = resend(
        session=session,
        contact_id=contact_id,
        api_key=api_key,
        email=email,
        settings=settings,
        now=now,
    )
    body = contact_public(session, contact.id, delivery=settings.delivery).model_dump(mode="json")
    if record is not None:
        record.status_code, record.response = 200, body
        session.flush()
    return Resent(200, body, replayed=False)


def checked_address(value: str) -> str:
    """The address as a decline's contact address is checked and normalised; 422 if not."""
    try:
        return _ADDRESS.validate_python(value)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise Unprocessable(
            f"email: {message}", errors=[{"field": "email", "message": message}]
        ) from None


def _refuse(session: Session, decline: Decline, contact: Contact, old: Message, email: str) -> None:
    if decline.canceled_at is not None:
        raise Conflict("this decline was canceled; nothing is sent again")
    if contact.replied_at is not None:
        raise Conflict(
            "this contact already replied: the email arrived, there is nothing to resend"
        )
    if old.status == MessageStatus.sending:
        raise Conflict(
            "the email is being handed to a mail server right now; try again in a minute"
        )
    taken = session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(
            col(Contact.decline_id) == decline.id,
            col(Contact.email_key) == email.casefold(),
            col(Contact.id) != contact.id,
        )
    )
    if taken:
        raise Unprocessable(
            f"{email} is already another contact of this decline; each contact gets their own "
            "email",
            errors=[{"field": "email", "message": "already another contact of this decline"}],
        )


def _retire(session: Session, old: Message, email: str) -> None:
    """Keep the old email under its own kind; one still waiting in the outbox never leaves."""
    last = session.scalar(
        select(func.max(col(Message.seq))).where(
            col(Message.contact_id) == old.contact_id, col(Message.kind) == MessageKind.replaced
        )
    )
    old.kind = MessageKind.replaced
    old.seq = (last or 0) + 1
    if old.status == MessageStatus.queued:
        old.status = MessageStatus.canceled
        old.last_error = f"replaced by a resend to {email}"
    # Before the new email is added: both would hold (contact, decline, 0) for a moment.
    session.flush()


def _fingerprint(contact_id: str, email: str) -> str:
    canonical = json.dumps({"resend": contact_id, "email": email}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
