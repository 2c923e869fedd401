"""Tables. The schema itself is created and changed only by Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.db import UTCDateTime, utcnow


class Outgoing(Protocol):
    """What the outbox needs of a composed email: the exact bytes and their envelope."""

    @property
    def message_id(self) -> str: ...
    @property
    def envelope_from(self) -> str: ...
    @property
    def envelope_to(self) -> str: ...
    @property
    def raw(self) -> bytes: ...


def new_id() -> str:
    return str(uuid.uuid4())


class DeclineStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    # Some contacts got their email and some did not: the rest still needs a look.
    partly_delivered = "partly_delivered"
    failed = "failed"
    canceled = "canceled"


class MessageStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    bounced = "bounced"
    canceled = "canceled"


class MessageKind(StrEnum):
    decline = "decline"  # the email to a contact
    reminder = "reminder"  # a call reminder to the candidate
    replaced = "replaced"  # a decline email resent to a corrected address: kept as history


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
    __table_args__ = (
        Index("ix_declines_owner_created", "api_key_id", "created_at", "id"),
        Index("ix_declines_created", "created_at", "id"),  # the dashboard lists every owner's
        Index("ix_declines_status_created", "status", "created_at", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    api_key_id: str = Field(foreign_key="api_keys.id", max_length=36)
    status: str = Field(default=DeclineStatus.queued, max_length=16)
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
    __table_args__ = (
        Index("ix_messages_due", "status", "next_attempt_at"),
        # The dashboard's counts. Status first: with kind first, SQLite's planner (without
        # ANALYZE) picks it for every `kind = 'decline'` join and scans all decline emails.
        Index("ix_messages_status_kind", "status", "kind"),
        Index("ix_messages_sent_at", "sent_at"),  # recent activity
        # One decline email per contact, and one reminder per due follow-up (by its seq).
        UniqueConstraint("contact_id", "kind", "seq", name="uq_messages_contact_kind_seq"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    decline_id: str = Field(foreign_key="declines.id", index=True, max_length=36)
    contact_id: str = Field(foreign_key="contacts.id", max_length=36)
    kind: str = Field(default=MessageKind.decline, max_length=16)
    seq: int = 0  # the decline email is 0; reminders count up from 1
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
    smtp_reply: str | None = Field(default=None, max_length=500)  # the server's "250 …"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @classmethod
    def queued(
        cls,
        mail: Outgoing,
        *,
        decline_id: str,
        contact_id: str,
        at: datetime,
        kind: MessageKind = MessageKind.decline,
        seq: int = 0,
    ) -> Message:
        """A composed email put in the outbox, due at `at`."""
        return cls(
            decline_id=decline_id,
            contact_id=contact_id,
            kind=kind,
            seq=seq,
            message_id=mail.message_id,
            envelope_from=mail.envelope_from,
            envelope_to=mail.envelope_to,
            raw=mail.raw,
            next_attempt_at=at,
            created_at=at,
        )


class FollowUp(SQLModel, table=True):
    """The phone step for one contact; scheduled once its email is out."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_due", "status", "due_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    decline_id: str = Field(foreign_key="declines.id", index=True, max_length=36)
    contact_id: str = Field(foreign_key="contacts.id", unique=True, max_length=36)
    status: str = Field(default=FollowUpStatus.pending, max_length=16)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    call_attempts: int = 0
    reminders: int = 0  # reminders queued so far; the next one's seq is reminders + 1
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)  # away until
    # When a spam-complaint report said the contact's mail system marked the email as spam.
    complained_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CallOutcome(StrEnum):
    reached = "reached"
    no_answer = "no_answer"
    voicemail = "voicemail"


class CallAttempt(SQLModel, table=True):
    """One logged phone call to a contact."""

    __tablename__ = "call_attempts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    follow_up_id: str = Field(foreign_key="follow_ups.id", index=True, max_length=36)
    decline_id: str = Field(foreign_key="declines.id", index=True, max_length=36)
    contact_id: str = Field(foreign_key="contacts.id", max_length=36)
    attempt: int
    outcome: str = Field(max_length=16)
    notes: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class InboundKind(StrEnum):
    reply = "reply"
    auto_reply = "auto_reply"
    bounce = "bounce"
    unmatched = "unmatched"
    unparseable = "unparseable"  # over a parsing cap, or the parser failed: kept, never acted on


class InboundMessage(SQLModel, table=True):
    """Every message that came in (or a reply reported by hand), kept with what it matched."""

    __tablename__ = "inbound_messages"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    source: str = Field(max_length=16)  # api | imap | manual
    api_key_id: str | None = Field(default=None, foreign_key="api_keys.id", max_length=36)
    raw: bytes | None = Field(default=None, sa_type=LargeBinary)
    message_id: str | None = Field(default=None, max_length=998)
    from_address: str | None = Field(default=None, max_length=320)
    subject: str | None = Field(default=None, max_length=998)
    detected: str = Field(max_length=16)  # what the content looks like: reply | auto_reply | bounce
    classification: str = Field(max_length=16, index=True)  # InboundKind: what it did
    detail: str | None = Field(default=None, max_length=2000)  # why, in a few words
    decline_id: str | None = Field(
        default=None, foreign_key="declines.id", index=True, max_length=36
    )
    contact_id: str | None = Field(
        default=None, foreign_key="contacts.id", index=True, max_length=36
    )
    matched_message_id: str | None = Field(default=None, foreign_key="messages.id", max_length=36)
    return_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # auto-reply: back at
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ImapMailbox(SQLModel, table=True):
    """Where the IMAP poller got to in one mailbox: incremental by UID, per UIDVALIDITY."""

    __tablename__ = "imap_mailboxes"

    key: str = Field(primary_key=True, max_length=64)  # sha256 of host, port, user, folder
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)
    last_uid: int = Field(default=0, sa_type=BigInteger)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ImapFailure(SQLModel, table=True):
    """An IMAP message whose handling raised: kept raw and tried again on the next polls,
    then quarantined (`quarantined_at` set, never tried again) so the poller moves on."""

    __tablename__ = "imap_failures"
    __table_args__ = (
        UniqueConstraint("mailbox_key", "uidvalidity", "uid", name="uq_imap_failures_uid"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    mailbox_key: str = Field(foreign_key="imap_mailboxes.key", max_length=64)
    mailbox: str = Field(max_length=1000)  # user, server and folder, for people to read
    uidvalidity: int = Field(sa_type=BigInteger)
    uid: int = Field(sa_type=BigInteger)
    raw: bytes = Field(sa_type=LargeBinary)  # exactly as fetched
    error: str = Field(max_length=2000)  # the latest try's, secrets masked
    tries: int = 1
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    quarantined_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


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


class AdminAccount(SQLModel, table=True):
    """The dashboard's one login: an argon2 hash of the admin password."""

    __tablename__ = "admin_account"

    id: int = Field(default=1, primary_key=True)
    password_hash: str = Field(max_length=255)
    # Changes with the password: a session begun under an older one stops working.
    generation: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DashboardSession(SQLModel, table=True):
    """One signed-in browser. Its cookie holds a random token; only the token's hash is
    stored, so a copy of the database cannot be replayed as a cookie."""

    __tablename__ = "dashboard_sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the cookie's token
    generation: int  # the admin password's generation when it began
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    user_agent: str | None = Field(default=None, max_length=300)
    ip_address: str | None = Field(default=None, max_length=64)


# --- OAuth2 mailbox tokens (migration 0008) ---


class MailboxToken(SQLModel, table=True):
    """The OAuth2 sign-in of one mailbox, shared by every replica. Tokens are stored
    encrypted with a key derived from SECRET_KEY, never in clear."""

    __tablename__ = "mailbox_tokens"

    account: str = Field(primary_key=True, max_length=320)  # the mailbox address
    provider: str = Field(max_length=20)  # google | microsoft
    refresh_token_enc: str
    access_token_enc: str | None = None
    access_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # One replica refreshes at a time: it holds this lease, the others wait and re-read.
    refresh_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why the stored sign-in no longer works (e.g. revoked); cleared by a new login.
    problem: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- Webhooks (migration 0009) ---


class WebhookDeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    delivering = "delivering"  # claimed by a worker, on the wire
    delivered = "delivered"
    failed = "failed"  # every attempt was refused or unanswered


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives the events it subscribed to, for one API key's declines. Secrets
    are stored encrypted with a key derived from SECRET_KEY."""

    __tablename__ = "webhook_endpoints"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    api_key_id: str = Field(foreign_key="api_keys.id", index=True, max_length=36)
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    secret_enc: str
    # After a rotation, the old secret keeps signing too until this time.
    previous_secret_enc: str | None = None
    previous_secret_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the exact body, sent until a 2xx answers it. Its id is the
    `webhook-id` header, the same on every attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=40)  # msg_<32 hex>
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", max_length=36)
    # The decline the event is about: what an erasure of its candidate removes. No foreign
    # key: a delivery may outlive its decline's rows until the erasure reaches it.
    decline_id: str = Field(index=True, max_length=36)
    event_type: str = Field(max_length=40)
    payload: str  # the JSON body, byte for byte what every attempt sends
    status: str = Field(default=WebhookDeliveryStatus.pending, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=36)
    last_status_code: int | None = None
    last_response: str | None = Field(default=None, max_length=1024)
    last_error: str | None = Field(default=None, max_length=500)
    # Every attempt's status code in order (null where no answer came).
    response_codes: list[int | None] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- Copies in the candidate's Sent folder (migration 0010) ---


class SentCopy(SQLModel, table=True):
    """The copy of one sent message in the mailbox's Sent folder: APPENDed once, retried
    with backoff while the IMAP server refuses. A row exists once the copy job saw the
    message sent; `copied_at` set means it is there."""

    __tablename__ = "sent_copies"
    __table_args__ = (Index("ix_sent_copies_due", "copied_at", "next_attempt_at"),)

    message_id: str = Field(foreign_key="messages.id", primary_key=True, max_length=36)
    copied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    folder: str | None = Field(default=None, max_length=1000)  # where it was put
    tries: int = 0  # APPENDs that failed so far
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    # One copier at a time per message, across replicas: the claim's token and lease.
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- Erasure audit (migration 0011) ---


class Erasure(SQLModel, table=True):
    """That personal data was erased, by whom and how much: never whose. No email, name or
    hash of one is kept, so the audit trail cannot be searched for a person either."""

    __tablename__ = "erasures"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    erased_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=16)  # api | cli | retention
    # The key that asked, for `api`; not a foreign key, so the audit outlives the key.
    api_key_id: str | None = Field(default=None, max_length=36)
    counts: dict[str, int] = Field(default_factory=dict, sa_type=JSON)  # rows per table, files
