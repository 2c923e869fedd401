"""API keys: random bearer tokens, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.models import ApiKey, Decline

PREFIX = "dk_"


def _digest(token: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough and keeps every request
    # cheap; passwords, chosen by people, get argon2 instead.
    return hashlib.sha256(token.encode()).hexdigest()


def create(*, session: Session, name: str) -> tuple[ApiKey, str]:
    """Create a key; the clear token is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=token[:8], key_hash=_digest(token))
    session.add(key)
    session.flush()
    return key, token


def authenticate(*, session: Session, token: str) -> ApiKey | None:
    """The live key matching this token, if any."""
    if not token.startswith(PREFIX):
        return None
    key = session.scalars(select(ApiKey).where(col(ApiKey.key_hash) == _digest(token))).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


def any_exist(*, session: Session) -> bool:
    return session.scalars(select(col(ApiKey.id)).limit(1)).first() is not None


def owned_by(api_key: ApiKey | None) -> list[ColumnElement[bool]]:
    """Conditions that keep a query joined to declines to this key's own; `None` is the
    operator (the dashboard), who sees every key's."""
    return [] if api_key is None else [col(Decline.api_key_id) == api_key.id]
