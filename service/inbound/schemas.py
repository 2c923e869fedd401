"""Response and request shapes for inbound mail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.follow_ups.schemas import Notes


class InboundPublic(BaseModel):
    """What an inbound message was and what it matched."""

    id: str = Field(description="The kept inbound message's id")
    classification: str = Field(
        description="What it did: reply (the contact's call is canceled), auto_reply (an "
        "out-of-office: the call still stands), bounce (the email never arrived: the call "
        "is due now), unmatched (it answers none of this key's messages), unparseable (too "
        "big or broken to read: kept, nothing changed)"
    )
    detected: str = Field(
        description="What the content looks like (reply, auto_reply, bounce, unparseable), "
        "matched or not"
    )
    reason: str | None = Field(
        description="Why it was classified so, and how it was matched, in words"
    )
    contact_id: str | None = Field(description="The contact it came from; null when unmatched")
    decline_id: str | None = Field(description="Their decline; null when unmatched")
    message_id: str | None = Field(
        description="The id of our message it answers (GET /v1/messages/{id}/raw); null "
        "when unmatched"
    )
    away_until: datetime | None = Field(
        description="The return date an out-of-office reply gave (UTC): the call now waits "
        "for it; null otherwise"
    )


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: Notes | None = Field(
        default=None,
        description="How they answered (by phone, in person...), for your records (at most "
        "2,000 characters, trimmed)",
    )
