"""The dashboard's admin password: argon2-hashed, set by `decline admin set-password` or
bootstrapped once from ADMIN_PASSWORD."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from service.auth import sessions
from service.core.db import utcnow
from service.models import AdminAccount

MIN_LENGTH = 12
_hasher = PasswordHasher()
# Verifying against this when no account exists costs the same as a real check, so timing
# does not tell whether a password was ever set.
_DUMMY_HASH = _hasher.hash("no admin password has been set yet")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the admin password must be at least {MIN_LENGTH} characters long")


def set_password(session: Session, password: str) -> AdminAccount:
    """Store a new password and end every dashboard session."""
    check_strength(password)
    account = session.get(AdminAccount, 1)
    if account is None:
        account = AdminAccount(id=1, password_hash=_hasher.hash(password))
        session.add(account)
    else:
        account.password_hash = _hasher.hash(password)
        # A sign-in still checking the old password may store its session after the
        # deletion below; the new generation keeps that session from opening anything.
        account.generation += 1
        account.updated_at = utcnow()
    sessions.end_all(session)
    session.flush()
    return account


def bootstrap(session: Session, password: str | None) -> bool:
    """Use ADMIN_PASSWORD only when no password exists yet; True when it was stored."""
    if not password or session.get(AdminAccount, 1) is not None:
        return False
    set_password(session, password)
    return True


def has_password(session: Session) -> bool:
    return session.get(AdminAccount, 1) is not None


def verify(session: Session, password: str) -> AdminAccount | None:
    """The account when `password` is right; None otherwise (or when none is set)."""
    account = session.get(AdminAccount, 1)
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is not None and _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
        session.flush()
    return account


def generation(session: Session) -> int | None:
    account = session.get(AdminAccount, 1)
    return account.generation if account else None
