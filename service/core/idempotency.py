"""Idempotency-Keys, the same for every endpoint that takes one: a key names one request of
one API key; a retry replays the first answer, and a different request under it is refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Unprocessable
from service.models import ApiKey, IdempotencyRecord


class KeyReused(Unprocessable):
    """The key was already used with a different request."""


def claim(
    session: Session, api_key: ApiKey, key: str, fingerprint: str
) -> tuple[IdempotencyRecord, bool]:
    """The record to answer from and whether it is an earlier answer (replay it), or a fresh
    claim this request fills in (`status_code` and `response`) once its work is done."""
    earlier = _earlier(session, api_key, key, fingerprint)
    if earlier is not None:
        return earlier, True
    record = IdempotencyRecord(
        api_key_id=api_key.id, key=key, request_hash=fingerprint, status_code=0, response={}
    )
    try:
        # Claim the key before doing the work: a concurrent twin waits here, then replays.
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        earlier = _earlier(session, api_key, key, fingerprint)
        if earlier is None:
            raise
        return earlier, True
    return record, False


def _earlier(
    session: Session, api_key: ApiKey, key: str, fingerprint: str
) -> IdempotencyRecord | None:
    record = session.scalars(
        select(IdempotencyRecord).where(
            col(IdempotencyRecord.api_key_id) == api_key.id, col(IdempotencyRecord.key) == key
        )
    ).first()
    if record is not None and record.request_hash != fingerprint:
        raise KeyReused(
            "this Idempotency-Key was already used with a different request; "
            "use a new key for a new request"
        )
    return record
