"""Messages whose handling raised: kept raw with the error, tried again on the next polls,
and after `imap_max_tries` tries quarantined, so one bad message never holds the poller.

Functions over a session; the poller runs them inside its claim's fenced transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.models import ImapFailure

MAX_ERROR_CHARS = 2000
MASK = "***"


def describe(exc: BaseException, secrets: list[str | None]) -> str:
    """What went wrong, for people: the exception's type and text, without secrets and
    without the SQL statement and parameters a database error carries (the message
    itself may be among them)."""
    text = f"{type(exc).__name__}: {exc}".split("\n[SQL:", 1)[0].strip()
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text[:MAX_ERROR_CHARS]


def pending(session: Session, *, key: str, uidvalidity: int) -> list[tuple[str, int]]:
    """(id, UID) of this mailbox's failed messages still to be tried again, oldest first."""
    rows = session.execute(
        select(col(ImapFailure.id), col(ImapFailure.uid))
        .where(
            col(ImapFailure.mailbox_key) == key,
            col(ImapFailure.uidvalidity) == uidvalidity,
            col(ImapFailure.quarantined_at).is_(None),
        )
        .order_by(col(ImapFailure.uid))
    )
    return [(failure_id, uid) for failure_id, uid in rows]


def raw_of(session: Session, failure_id: str) -> bytes | None:
    return session.scalar(select(col(ImapFailure.raw)).where(col(ImapFailure.id) == failure_id))


def record(
    session: Session,
    *,
    key: str,
    mailbox: str,
    uidvalidity: int,
    uid: int,
    raw: bytes,
    error: str,
    now: datetime,
    max_tries: int,
) -> ImapFailure:
    """One more failed try of this message: quarantined once it has had `max_tries`."""
    failure = session.scalar(
        select(ImapFailure).where(
            col(ImapFailure.mailbox_key) == key,
            col(ImapFailure.uidvalidity) == uidvalidity,
            col(ImapFailure.uid) == uid,
        )
    )
    if failure is None:
        failure = ImapFailure(
            mailbox_key=key,
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            raw=raw,
            error=error,
            tries=0,
            first_seen_at=now,
        )
        session.add(failure)
    failure.tries += 1
    failure.error = error
    failure.last_seen_at = now
    if failure.tries >= max_tries:
        failure.quarantined_at = now
    session.flush()
    return failure


def resolve(session: Session, failure_id: str) -> None:
    """Handled at last: the inbound record keeps the message now."""
    session.execute(delete(ImapFailure).where(col(ImapFailure.id) == failure_id))


def forget_pending(session: Session, *, key: str) -> None:
    """UIDVALIDITY changed: old UIDs mean nothing and the folder is read again from the
    start; quarantined messages stay, as a record."""
    session.execute(
        delete(ImapFailure).where(
            col(ImapFailure.mailbox_key) == key, col(ImapFailure.quarantined_at).is_(None)
        )
    )


@dataclass(frozen=True)
class Quarantined:
    """A quarantined message as the System page lists it (its bytes stay in the database)."""

    id: str
    mailbox: str
    uid: int
    error: str
    tries: int
    first_seen_at: datetime
    quarantined_at: datetime
    size: int


@dataclass(frozen=True)
class Quarantine:
    quarantined: int
    retrying: int
    latest: list[Quarantined]  # the most recently quarantined, newest first


def overview(session: Session, *, limit: int = 5) -> Quarantine:
    """How many messages are quarantined or waiting for another try, and the latest few."""
    total, quarantined = session.execute(
        select(func.count(), func.count(col(ImapFailure.quarantined_at)))
    ).one()
    rows = session.execute(
        select(
            col(ImapFailure.id),
            col(ImapFailure.mailbox),
            col(ImapFailure.uid),
            col(ImapFailure.error),
            col(ImapFailure.tries),
            col(ImapFailure.first_seen_at),
            col(ImapFailure.quarantined_at),
            func.length(col(ImapFailure.raw)),
        )
        .where(col(ImapFailure.quarantined_at).is_not(None))
        .order_by(col(ImapFailure.quarantined_at).desc(), col(ImapFailure.uid).desc())
        .limit(limit)
    )
    latest = [Quarantined(*row) for row in rows]
    return Quarantine(quarantined=quarantined, retrying=total - quarantined, latest=latest)


def quarantined_raw(session: Session, failure_id: str) -> tuple[int, bytes] | None:
    """(UID, exact bytes) of a quarantined message, for download."""
    row = session.execute(
        select(col(ImapFailure.uid), col(ImapFailure.raw)).where(
            col(ImapFailure.id) == failure_id, col(ImapFailure.quarantined_at).is_not(None)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None
