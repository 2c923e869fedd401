"""Request and response shapes of the phone step."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from service.declines.schemas import Phone, TimeZone
from service.models import CallOutcome

Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: CallOutcome = Field(
        description="reached or voicemail close the follow-up; no_answer schedules the next "
        "attempt on the next business day, until MAX_CALL_ATTEMPTS (default 3) calls"
    )
    notes: Notes | None = Field(
        default=None,
        description="What was said, for your records (at most 2,000 characters, trimmed)",
    )


class ResendIn(BaseModel):
    """Send the contact's decline again, to this (corrected) address."""

    model_config = ConfigDict(extra="forbid")

    # Checked once the contact is found (resend.checked_address: the same rules as a
    # decline's addresses), so an unknown contact is a 404 whatever the body says.
    email: Annotated[
        str,
        StringConstraints(max_length=320),
        Field(
            json_schema_extra={"format": "email"},
            description="The corrected address: the decline goes there, checked as a "
            "decline's addresses are (at most 320 characters)",
        ),
    ]


class ContactPatch(BaseModel):
    """Correct a contact: only the fields sent change; `null` clears a phone or time zone."""

    model_config = ConfigDict(extra="forbid")

    phone: Phone | None = Field(
        default=None, description="In international form (+44 20 7946 0958); null removes it."
    )
    timezone: TimeZone | None = Field(
        default=None,
        description="The contact's IANA time zone (Europe/Berlin), for their local time on calls.",
    )
    # Checked once the contact is found (resend.checked_address), like ResendIn.
    # Absent means unchanged; null is refused in words (a contact always has an address).
    email: Annotated[str, StringConstraints(max_length=320)] | SkipJsonSchema[None] = Field(
        default=None,
        json_schema_extra={"format": "email"},
        description="A corrected address: the decline is sent again to it, as with resend.",
    )


class FollowUpItem(BaseModel):
    """One call to make (or made): who, where, what to say."""

    id: str = Field(description="The follow-up's id")
    contact_id: str = Field(description="Who to call: log the outcome at /v1/contacts/{id}/calls")
    decline_id: str = Field(description="The decline it belongs to")
    status: str = Field(description="pending, scheduled, due, done or canceled")
    due_at: datetime | None = Field(
        description="When the call falls due (UTC), in the contact's business hours"
    )
    call_attempts: int = Field(description="Calls logged so far")
    attempt: int = Field(description="The next call's number, from 1")
    max_attempts: int = Field(
        description="Calls made before giving up (the MAX_CALL_ATTEMPTS setting, default 3)"
    )
    contact_name: str = Field(description="The contact's name")
    contact_email: str = Field(description="Where the decline email went")
    role: str = Field(description="recruiter, hiring_manager, interviewer or other")
    phone: str | None = Field(description="The number to call, in E.164; null when unknown")
    company: str = Field(description="The company of the declined interview")
    job_title: str = Field(description="The position declined")
    email_status: str = Field(
        description="How the decline email fared: queued, sending, sent, failed, bounced, canceled"
    )
    away_until: datetime | None = Field(
        description="The return date an out-of-office reply gave (UTC): the call waits for it"
    )
    complained_at: datetime | None = Field(
        description="When the contact's mail system reported the email as spam (UTC): the "
        "call fell due at once; null when it did not"
    )
    call_script: str = Field(description="What to say, in the contact's language")
    voicemail_script: str | None = Field(
        description="The message to leave if nobody answers: only on the last attempt, null "
        "before (earlier calls are tried again instead)"
    )


class FollowUpsPublic(BaseModel):
    items: list[FollowUpItem] = Field(description="Soonest due first, at most `limit`")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )
