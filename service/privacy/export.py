"""Everything held about a candidate, as a zip: `data.json` (the rows) and `mail.mbox`
(every kept message, sent and received, byte-exact, mboxrd)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from service.exports.mbox import KeptMail, entry, mbox_of
from service.models import CallAttempt, Contact, Decline, FollowUp, InboundMessage, Message
from service.privacy.erase import Held, unlinked_inbound

FORMAT = "decline-candidate-export/1"
# Internal bookkeeping, not data about anyone: left out of the export.
_LEFT_OUT = {"raw", "claim_token", "lease_until", "company_key", "email_key"}


def _plain(row: SQLModel) -> dict[str, Any]:
    return row.model_dump(mode="json", exclude=_LEFT_OUT)


def _rows(session: Session, model: type[SQLModel], decline_id: str) -> list[dict[str, Any]]:
    query = select(model).where(model.decline_id == decline_id)  # type: ignore[attr-defined]
    return [_plain(row) for row in session.scalars(query)]


def _decline(session: Session, decline: Decline) -> dict[str, Any]:
    contacts = session.scalars(
        select(Contact).where(col(Contact.decline_id) == decline.id).order_by(col(Contact.position))
    )
    return {
        **_plain(decline),
        "contacts": [_plain(contact) for contact in contacts],
        "messages": _rows(session, Message, decline.id),
        "follow_ups": _rows(session, FollowUp, decline.id),
        "calls": _rows(session, CallAttempt, decline.id),
        "inbound": _rows(session, InboundMessage, decline.id),
    }


def data_of(session: Session, held: Held, *, email: str, now: datetime) -> dict[str, Any]:
    declines = session.scalars(
        select(Decline)
        .where(col(Decline.id).in_(held.decline_ids))
        .order_by(col(Decline.created_at))
    )
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "candidate_email": email,
        "declines": [_decline(session, decline) for decline in declines],
        # Mail from the candidate's or their contacts' addresses that matched no decline.
        "unmatched_inbound": [_plain(row) for row in unlinked_inbound(session, held)],
    }


def mail_of(session: Session, held: Held) -> bytes:
    unlinked = [
        KeptMail(row.from_address or "MAILER-DAEMON", row.received_at, row.raw)
        for row in unlinked_inbound(session, held)
        if row.raw is not None
    ]
    return mbox_of(session, held.decline_ids) + b"".join(entry(mail) for mail in unlinked)


def archive(session: Session, held: Held, *, email: str, now: datetime) -> bytes:
    """The zip: data.json and mail.mbox."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        data = data_of(session, held, email=email, now=now)
        zipped.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        zipped.writestr("mail.mbox", mail_of(session, held))
    return buffer.getvalue()
