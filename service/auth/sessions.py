"""The dashboard's sessions, kept in the database so any replica can end one on its own.

A session is a random token in the browser's cookie and the token's sha256 here. It lasts
DASHBOARD_SESSION_HOURS from sign-in (it does not slide), ends at logout, and belongs to
one password generation: setting a new password ends every session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.db import utcnow
from service.models import AdminAccount, DashboardSession

MAX_TOKEN_LENGTH = 128  # ours are 43 characters; anything far longer is not one of ours
# Recording every page view would make each one a write; once a minute says enough.
SEEN_PRECISION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    session: Session,
    *,
    generation: int,
    lifetime: timedelta,
    user_agent: str | None = None,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> str:
    """Begin a session; returns the token for the cookie (shown once, never stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = DashboardSession(
        token_hash=token_hash(token),
        generation=generation,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=user_agent[:300] if user_agent else None,
        ip_address=ip_address[:64] if ip_address else None,
    )
    session.add(row)
    session.flush()
    return token


def find(session: Session, token: str, *, now: datetime | None = None) -> DashboardSession | None:
    """The live session this token opens: not ended, not expired, same password."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    row = session.scalar(
        select(DashboardSession)
        .join(AdminAccount, col(AdminAccount.generation) == col(DashboardSession.generation))
        .where(
            col(DashboardSession.token_hash) == token_hash(token),
            col(DashboardSession.expires_at) > now,
        )
    )
    if row is not None and now - row.last_seen_at >= SEEN_PRECISION:
        row.last_seen_at = now
        session.flush()
    return row


def end(session: Session, session_id: str) -> None:
    """End one session (logout)."""
    session.execute(delete(DashboardSession).where(col(DashboardSession.id) == session_id))


def end_all(session: Session) -> None:
    """End every session, as a new password does."""
    session.execute(delete(DashboardSession))


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Forget sessions past their expiry (they already open nothing); returns how many."""
    result = session.execute(
        delete(DashboardSession).where(col(DashboardSession.expires_at) <= (now or utcnow()))
    )
    return int(getattr(result, "rowcount", 0) or 0)
