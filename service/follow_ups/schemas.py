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

    outcome: CallOutcome
    notes: Notes | None = None


class ResendIn(BaseModel):
    """Send the contact's decline again, to this (corrected) address."""

    model_config = ConfigDict(extra="forbid")

    # Checked once the contact is found (resend.checked_address: the same rules as a
    # decline's addresses), so an unknown contact is a 404 whatever the body says.
    email: Annotated[
        str, StringConstraints(max_length=320), Field(json_schema_extra={"format": "email"})
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

    id: str
    contact_id: str
    decline_id: str
    status: str
    due_at: datetime | None
    call_attempts: int
    attempt: int  # the next call's number, from 1
    max_attempts: int
    contact_name: str
    contact_email: str
    role: str
    phone: str | None
    company: str
    job_title: str
    email_status: str  # the decline email: sent, bounced, ...
    away_until: datetime | None
    # The contact's mail system reported the email as spam (the call fell due at once).
    complained_at: datetime | None
    call_script: str
    voicemail_script: str | None  # only for the last attempt


class FollowUpsPublic(BaseModel):
    items: list[FollowUpItem]
    next_cursor: str | None
