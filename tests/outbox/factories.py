"""Rows for outbox tests, written straight to the database: a decline, contacts, messages."""

from __future__ import annotations

import email.policy
import secrets
import uuid
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from service.core.db import session_scope, utcnow
from service.models import ApiKey, Contact, Decline, Message
from tests.factories import make_settings  # noqa: F401 - one settings factory for all

SENDER = "declines@mailer.example"  # the address make_settings puts in MAIL_FROM


def raw_message(to: str, message_id: str) -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"Ada Lovelace <{SENDER}>"
    msg["To"] = to
    msg["Subject"] = "Thank you for the interview invitation"
    msg["Message-ID"] = message_id
    # A line starting with a dot checks that SMTP dot-stuffing round-trips exactly.
    msg.set_content("Thank you for thinking of me.\n.\n...and best of luck with the search.\n")
    return msg.as_bytes()


def make_decline(
    engine: Engine,
    recipients: list[str],
    *,
    canceled: bool = False,
    created_at: datetime | None = None,
    **message_overrides: Any,
) -> tuple[str, list[str]]:
    """One decline with a contact and a queued message per recipient: (decline id, ids)."""
    created = created_at or utcnow()
    with session_scope(engine) as session:
        key = ApiKey(name="tests", prefix="dk_test", key_hash=secrets.token_hex(32))
        session.add(key)
        session.flush()
        decline = Decline(
            api_key_id=key.id,
            company="Analytical Engines Ltd",
            company_key="analytical engines ltd",
            job_title="Principal Engineer",
            reason="none",
            round="first",
            candidate_name="Ada Lovelace",
            candidate_email="ada@home.example",
            follow_up_business_days=2,
            request={},
            created_at=created,
            canceled_at=utcnow() if canceled else None,
        )
        session.add(decline)
        session.flush()
        ids = []
        for position, address in enumerate(recipients):
            contact = Contact(
                decline_id=decline.id,
                position=position,
                name=address,
                email=address,
                email_key=address.casefold(),
                role="recruiter",
            )
            session.add(contact)
            session.flush()
            message_id = f"<{uuid.uuid4().hex}@mailer.example>"
            values: dict[str, Any] = {"created_at": created, "next_attempt_at": created}
            values.update(message_overrides)
            message = Message(
                decline_id=decline.id,
                contact_id=contact.id,
                message_id=message_id,
                envelope_from=SENDER,
                envelope_to=address,
                raw=raw_message(address, message_id),
                **values,
            )
            session.add(message)
            session.flush()
            ids.append(message.id)
        return decline.id, ids


def get_messages(engine: Engine, ids: list[str]) -> list[Message]:
    """Fresh copies of these messages, in the order of `ids`."""
    with session_scope(engine) as session:
        found = session.scalars(select(Message).where(col(Message.id).in_(ids)))
        rows = {m.id: m for m in found}
        return [rows[i] for i in ids]


def get_message(engine: Engine, message_id: str) -> Message:
    return get_messages(engine, [message_id])[0]


def decline_status(engine: Engine, decline_id: str) -> str:
    with session_scope(engine) as session:
        decline = session.get(Decline, decline_id)
        assert decline is not None
        return decline.status
