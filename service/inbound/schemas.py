"""Response and request shapes for inbound mail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from service.follow_ups.schemas import Notes


class InboundPublic(BaseModel):
    """What an inbound message was and what it matched."""

    id: str
    classification: str  # reply | auto_reply | bounce | unmatched
    detected: str  # what the content looks like, matched or not
    reason: str | None
    contact_id: str | None
    decline_id: str | None
    message_id: str | None  # the id of our message it answers (GET /v1/messages/{id}/raw)
    away_until: datetime | None  # an out-of-office's return, as the call now waits for it


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: Notes | None = None
