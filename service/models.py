"""Tables. The schema itself is created and changed only by Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.db import UTCDateTime, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


class DeclineStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    canceled = "canceled"


class MessageStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    bounced = "bounced"
    canceled = "canceled"


class FollowUpStatus(StrEnum):
    pending = "pending"
    scheduled = "scheduled"
    due = "due"
    done = "done"
    canceled = "canceled"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Decline(SQLModel, table=True):
    __tablename__ = "declines"
    __table_args__ = (Index("ix_declines_owner_created", "api_key_id", "created_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    api_key_id: str = Field(foreign_key="api_keys.id", max_length=36)
    status: str = Field(default=DeclineStatus.queued, max_length=16, index=True)
    company: str = Field(max_length=200)
    company_key: str = Field(max_length=200, index=True)  # casefolded, for filtering
    job_title: str = Field(max_length=200)
    requisition_id: str | None = Field(default=None, max_length=100)
    reason: str = Field(max_length=32)
    round: str = Field(max_length=16)
    candidate_name: str = Field(max_length=200)
    candidate_email: str = Field(max_length=320)
    candidate_phone: str | None = Field(default=None, max_length=32)
    candidate_timezone: str | None = Field(default=None, max_length=64)
    follow_up_business_days: int
    request: dict[str, Any] = Field(sa_type=JSON)  # the validated request, normalized
    warnings: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    canceled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("decline_id", "email_key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    decline_id: str = Field(foreign_key="declines.id", index=True, max_length=36)
    position: int
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    email_key: str = Field(max_length=320, index=True)  # casefolded, for matching
    phone: str | None = Field(default=None, max_length=32)
    role: str = Field(max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Message(SQLModel, table=True):
    """One outgoing email: the kept copy (exact bytes) and its delivery state."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_due", "status", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    decline_id: str = Field(foreign_key="declines.id", index=True, max_length=36)
    contact_id: str = Field(foreign_key="contacts.id", unique=True, max_length=36)
    message_id: str = Field(max_length=255, unique=True)  # the Message-ID header, with <>
    envelope_from: str = Field(max_length=320)
    envelope_to: str = Field(max_length=320)
    raw: bytes = Field(sa_type=LargeBinary)
    status: str = Field(default=MessageStatus.queued, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=36)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FollowUp(SQLModel, table=True):
    """The phone step for one contact; scheduled once its email is out."""

    __tablename__ = "follow_ups"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    decline_id: str = Field(foreign_key="declines.id", index=True, max_length=36)
    contact_id: str = Field(foreign_key="contacts.id", unique=True, max_length=36)
    status: str = Field(default=FollowUpStatus.pending, max_length=16, index=True)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    call_attempts: int = 0


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    api_key_id: str = Field(foreign_key="api_keys.id", max_length=36)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
