"""The API key that owns the declines composed in the dashboard.

Every decline belongs to an `ApiKey` row. The dashboard's one is named "dashboard" and has
no token at all: its `key_hash` is the SHA-256 of a fixed label that does not start with
the token prefix `dk_`, so `api_keys.authenticate` (which only hashes `dk_...` tokens) can
never match it, short of a SHA-256 preimage. Being fixed, the hash is also what makes
get-or-create safe under concurrency: `key_hash` is unique, so two requests creating the
row at once cannot both succeed; the loser re-reads the winner's row.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from service.models import ApiKey

NAME = "dashboard"
_LABEL = "decline-service:dashboard-owner:no-token-hashes-to-this"
KEY_HASH = hashlib.sha256(_LABEL.encode()).hexdigest()


def find_dashboard_key(session: Session) -> ApiKey | None:
    """The dashboard's key if it exists yet (read-only: for GET pages)."""
    return session.scalars(select(ApiKey).where(col(ApiKey.key_hash) == KEY_HASH)).first()


def dashboard_key(session: Session) -> ApiKey:
    """The dashboard's key, created on first use. Flushes; the caller's unit of work commits."""
    key = find_dashboard_key(session)
    if key is not None:
        return key
    try:
        with session.begin_nested():  # a savepoint: a lost race leaves the outer work intact
            key = ApiKey(name=NAME, prefix=NAME, key_hash=KEY_HASH)
            session.add(key)
            session.flush()
    except IntegrityError:
        # Another request created it between our read and our insert (PostgreSQL waits for
        # that transaction, then reports the duplicate); its row is committed: read it.
        key = find_dashboard_key(session)
        if key is None:
            raise
    return key
