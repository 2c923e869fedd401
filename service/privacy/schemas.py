"""Response shapes of the privacy API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.models import Erasure

CANDIDATE_EMAIL_PATTERN = r"^[^@\s/]+@[^@\s/]+$"


class ErasurePublic(BaseModel):
    """What an erasure removed. The audit row it left holds these figures and nothing
    personal: no email, name, or hash of either."""

    id: str = Field(description="The audit row's id")
    erased_at: datetime = Field(description="When the data was erased (UTC)")
    actor: str = Field(
        description="Who erased it: `api` (an API key), `cli` (the operator) or "
        "`retention` (DECLINE_RETENTION_DAYS)"
    )
    counts: dict[str, int] = Field(
        description="Rows removed per table, and `files` for kept copies removed from disk"
    )

    @classmethod
    def of(cls, audit: Erasure) -> ErasurePublic:
        return cls(
            id=audit.id, erased_at=audit.erased_at, actor=audit.actor, counts=dict(audit.counts)
        )
