"""Request and response shapes of the decline API."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from service.declines import validation


class Reason(StrEnum):
    none = "none"
    accepted_offer = "accepted_offer"
    not_a_fit = "not_a_fit"
    timing = "timing"
    other_opportunities = "other_opportunities"


class Round(StrEnum):
    first = "first"
    follow_up = "follow_up"


class Role(StrEnum):
    recruiter = "recruiter"
    hiring_manager = "hiring_manager"
    interviewer = "interviewer"
    other = "other"


Line = Annotated[str, StringConstraints(max_length=200), AfterValidator(validation.single_line)]
# Lines that reach a header (a display name or a Subject): no encoded-word-like text.
HeaderLine = Annotated[Line, AfterValidator(validation.header_text)]
HeaderShortLine = Annotated[
    str,
    StringConstraints(max_length=100),
    AfterValidator(validation.single_line),
    AfterValidator(validation.header_text),
]
Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(validation.email_address),
    AfterValidator(validation.header_text),
]
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(validation.phone_number)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(validation.time_zone)]
MessageId = Annotated[str, StringConstraints(max_length=250), AfterValidator(validation.message_id)]


def _as_utc(value: datetime | None) -> datetime | None:
    """Times without an offset are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Candidate(BaseModel):
    name: HeaderLine
    email: Email
    phone: Phone | None = None
    timezone: TimeZone | None = None


class ContactIn(BaseModel):
    name: HeaderLine
    email: Email
    phone: Phone | None = None
    role: Role = Role.other
    timezone: TimeZone | None = None


class Referral(BaseModel):
    name: Line
    email: Email
    phone: Phone | None = None
    permission_confirmed: bool = Field(default=False, validate_default=True)

    @field_validator("permission_confirmed")
    @classmethod
    def _needs_permission(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError(
                "a referral needs that person's permission first; ask them, then send "
                "permission_confirmed: true"
            )
        return value


class FutureInterest(BaseModel):
    functional_area: Line | None = None


class DeclineCreate(BaseModel):
    candidate: Candidate
    company: HeaderLine  # in the call reminder's Subject
    job_title: HeaderLine
    requisition_id: HeaderShortLine | None = None
    reason: Reason = Reason.none
    round: Round = Round.first
    contacts: list[ContactIn] = Field(min_length=1, max_length=20)
    referral: Referral | None = None
    future_interest: FutureInterest | None = None
    invitation_received_at: datetime | None = None
    interview_at: datetime | None = None
    invitation_message_id: MessageId | None = None
    follow_up_business_days: int | None = Field(default=None, ge=0, le=30)

    _utc_received = field_validator("invitation_received_at", "interview_at")(_as_utc)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> DeclineCreate:
        """A request as accepted earlier: rules added since then do not make it unreadable."""
        return cls.model_validate(data, context=validation.STORED)

    @model_validator(mode="after")
    def _distinct_contacts(self) -> DeclineCreate:
        seen: dict[str, int] = {}
        for index, contact in enumerate(self.contacts):
            key = contact.email.casefold()
            if key in seen:
                raise ValueError(
                    f"contacts[{index}].email {contact.email} repeats contacts[{seen[key]}]; "
                    "each contact gets one message, list each address once"
                )
            seen[key] = index
        return self


class MessagePublic(BaseModel):
    id: str
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    smtp_reply: str | None  # what the mail server said when it took the message
    next_attempt_at: datetime | None
    sent_at: datetime | None


class FollowUpPublic(BaseModel):
    id: str
    status: str
    due_at: datetime | None
    call_attempts: int
    away_until: datetime | None  # an out-of-office reply said so


class ContactPublic(BaseModel):
    id: str
    name: str
    email: str
    phone: str | None
    role: str
    timezone: str | None
    replied_at: datetime | None
    message: MessagePublic
    follow_up: FollowUpPublic


class DeclinePublic(BaseModel):
    id: str
    status: str
    delivery: str  # "smtp", or "capture" when messages are written to files only
    warnings: list[str]
    company: str
    job_title: str
    requisition_id: str | None
    reason: str
    round: str
    candidate: Candidate
    follow_up_business_days: int
    created_at: datetime
    canceled_at: datetime | None
    contacts: list[ContactPublic]


class DeclinesPublic(BaseModel):
    items: list[DeclinePublic]
    next_cursor: str | None


class PreviewMessage(BaseModel):
    contact: ContactIn
    to: str
    subject: str
    headers: dict[str, str]
    text: str
    html: str
    call_script: str
    voicemail_script: str  # what the reminder for the last call attempt will carry


class PreviewPublic(BaseModel):
    warnings: list[str]
    messages: list[PreviewMessage]
