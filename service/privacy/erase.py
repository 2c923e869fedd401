"""Erase everything held about a candidate, or about some declines, leaving one audit row.

Erasure is a list of steps, one per place personal data is kept. Each step deletes what
belongs to the `Held` set it is given and returns how many rows (or files) went; the counts,
and no personal data, make the audit row. A table added later gets a step of one line, e.g.
`Step("webhook_deliveries", by_decline("webhook_deliveries"))` for a table with a
`decline_id` column. Steps run in the order given: rows that others point at go last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Delete, TableClause, column, delete, or_, select, table
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from service.core.db import on_commit
from service.models import (
    ApiKey,
    CallAttempt,
    Contact,
    Decline,
    Erasure,
    FollowUp,
    IdempotencyRecord,
    ImapFailure,
    InboundMessage,
    Message,
    SentCopy,
    WebhookDelivery,
)
from service.outbox.transports import CaptureTransport


@dataclass
class Held:
    """What is held about one person (or about some declines): ids, and the addresses that
    find mail not linked to any decline."""

    decline_ids: list[str] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    addresses: set[str] = field(default_factory=set)  # casefolded
    api_key_id: str | None = None  # whose; None: the operator's view, every key's
    capture_dir: Path | None = None  # where the capture transport wrote the messages

    def __bool__(self) -> bool:
        return bool(self.decline_ids)


Run = Callable[[Session, Held], int]


@dataclass(frozen=True)
class Step:
    name: str  # the table (or "files"), as the counts and the audit row name it
    run: Run


def normalize(email: str) -> str:
    return email.strip().casefold()


def held_about(
    session: Session, *, email: str, api_key: ApiKey | None, capture_dir: Path | None = None
) -> Held:
    """Everything of the candidate with this email (any case) that `api_key` may see."""
    wanted = normalize(email)
    query = select(col(Decline.id), col(Decline.candidate_email))
    if api_key is not None:
        query = query.where(col(Decline.api_key_id) == api_key.id)
    # Compared here, not in SQL: SQLite's lower() folds ASCII only.
    ids = [i for i, address in session.execute(query) if normalize(address) == wanted]
    held = held_by_declines(session, ids, capture_dir=capture_dir)
    held.api_key_id = api_key.id if api_key is not None else None
    if held:
        held.addresses.add(wanted)
    return with_contact_addresses(session, held)


def held_by_declines(
    session: Session, decline_ids: Iterable[str], *, capture_dir: Path | None = None
) -> Held:
    """What belongs to these declines. No addresses: mail not linked to them stays."""
    ids = sorted(set(decline_ids))
    held = Held(decline_ids=ids, capture_dir=capture_dir)
    if not ids:
        return held
    contacts = session.execute(
        select(col(Contact.id), col(Contact.email)).where(col(Contact.decline_id).in_(ids))
    ).all()
    held.contact_ids = [contact_id for contact_id, _ in contacts]
    held.message_ids = list(
        session.scalars(select(col(Message.id)).where(col(Message.decline_id).in_(ids)))
    )
    return held


def with_contact_addresses(session: Session, held: Held) -> Held:
    """Add the contacts' addresses: mail they sent us that matched nothing goes too."""
    if held.contact_ids:
        emails = session.scalars(
            select(col(Contact.email)).where(col(Contact.id).in_(held.contact_ids))
        )
        held.addresses |= {normalize(e) for e in emails}
    return held


# --- steps --------------------------------------------------------------------------------


def _table(target: type[SQLModel] | str) -> TableClause:
    if isinstance(target, str):
        return table(target, column("decline_id"))
    return target.__table__  # type: ignore[attr-defined]


def _count(session: Session, statement: Delete) -> int:
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def by_decline(target: type[SQLModel] | str) -> Run:
    """A step for a table whose rows have a `decline_id`."""

    def run(session: Session, held: Held) -> int:
        rows = _table(target)
        return _count(session, delete(rows).where(rows.c.decline_id.in_(held.decline_ids)))

    return run


def _sent_copies(session: Session, held: Held) -> int:
    """Our record of the copies in the candidate's Sent folder (the copies there are the
    mailbox owner's)."""
    messages = select(col(Message.id)).where(col(Message.decline_id).in_(held.decline_ids))
    return _count(session, delete(SentCopy).where(col(SentCopy.message_id).in_(messages)))


def _mentions(raw: bytes | None, addresses: set[str]) -> bool:
    text = (raw or b"").decode("utf-8", "replace").casefold()
    return any(address in text for address in addresses)


def unlinked_inbound(session: Session, held: Held) -> list[InboundMessage]:
    """Mail that matched no decline but came from (or mentions) one of the addresses."""
    if not held.addresses:
        return []
    query = select(InboundMessage).where(col(InboundMessage.decline_id).is_(None))
    if held.api_key_id is not None:  # the key's own posts, and the shared IMAP mailbox's
        query = query.where(
            or_(
                col(InboundMessage.api_key_id) == held.api_key_id,
                col(InboundMessage.api_key_id).is_(None),
            )
        )
    return [
        row
        for row in session.scalars(query.execution_options(yield_per=200))
        if normalize(row.from_address or "") in held.addresses or _mentions(row.raw, held.addresses)
    ]


def _inbound(session: Session, held: Held) -> int:
    linked: list[ColumnElement[bool]] = [
        col(InboundMessage.decline_id).in_(held.decline_ids),
        col(InboundMessage.contact_id).in_(held.contact_ids),
        col(InboundMessage.matched_message_id).in_(held.message_ids),
    ]
    ids = [row.id for row in unlinked_inbound(session, held)]
    if ids:
        linked.append(col(InboundMessage.id).in_(ids))
    return _count(session, delete(InboundMessage).where(or_(*linked)))


def _quarantine(session: Session, held: Held) -> int:
    """IMAP messages set aside unread: kept raw, so found by what they say."""
    if not held.addresses:
        return 0
    rows = session.execute(select(col(ImapFailure.id), col(ImapFailure.raw))).all()
    ids = [row_id for row_id, raw in rows if _mentions(raw, held.addresses)]
    if not ids:
        return 0
    return _count(session, delete(ImapFailure).where(col(ImapFailure.id).in_(ids)))


def _idempotency(session: Session, held: Held) -> int:
    """Stored answers that name one of the declines or contacts (accept, resend). Matched by
    id, not address: another decline's stored answer must survive so its retry replays."""
    query = select(IdempotencyRecord)
    if held.api_key_id is not None:
        query = query.where(col(IdempotencyRecord.api_key_id) == held.api_key_id)
    names = set(held.decline_ids) | set(held.contact_ids) | set(held.message_ids)
    ids = [r.id for r in session.scalars(query) if names & _strings(r.response)]
    if not ids:
        return 0
    return _count(session, delete(IdempotencyRecord).where(col(IdempotencyRecord.id).in_(ids)))


def _strings(value: Any) -> set[str]:
    """Every string value in a stored JSON answer."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_strings(item) for item in value)) if value else set()
    return set()


def _capture_files(session: Session, held: Held) -> int:
    """The `.eml` copies the capture transport wrote; removed once the erasure commits."""
    if held.capture_dir is None or not held.message_ids:
        return 0
    capture = CaptureTransport(held.capture_dir)
    rows = session.execute(
        select(col(Message.id), col(Message.created_at)).where(
            col(Message.id).in_(held.message_ids)
        )
    ).all()
    paths = [capture.path_for(_Written(i, at)) for i, at in rows]
    present = [path for path in paths if path.exists()]

    def remove() -> None:
        for path in present:
            path.unlink(missing_ok=True)

    on_commit(session, remove)
    return len(present)


@dataclass(frozen=True)
class _Written:
    id: str
    created_at: datetime
    envelope_from: str = ""
    envelope_to: str = ""
    raw: bytes = b""


def _declines(session: Session, held: Held) -> int:
    return _count(session, delete(Decline).where(col(Decline.id).in_(held.decline_ids)))


STEPS: list[Step] = [
    Step("files", _capture_files),  # reads the messages, so before they go
    Step("call_attempts", by_decline(CallAttempt)),
    Step("inbound_messages", _inbound),
    Step("imap_failures", _quarantine),
    Step("idempotency_keys", _idempotency),
    Step("webhook_deliveries", by_decline(WebhookDelivery)),
    Step("sent_copies", _sent_copies),  # they point at the messages
    Step("follow_ups", by_decline(FollowUp)),
    Step("messages", by_decline(Message)),
    Step("contacts", by_decline(Contact)),
    Step("declines", _declines),
]


def erase(
    *,
    session: Session,
    held: Held,
    actor: str,
    api_key: ApiKey | None = None,
    steps: Sequence[Step] = STEPS,
) -> Erasure:
    """Run every step on `held` and record the audit row (flush only)."""
    # Lock the declines first, in id order: the outbox's recorder locks them the same way.
    session.execute(
        select(col(Decline.id))
        .where(col(Decline.id).in_(held.decline_ids))
        .order_by(col(Decline.id))
        .with_for_update()
    ).all()
    counts = {step.name: step.run(session, held) for step in steps}
    audit = Erasure(
        actor=actor, api_key_id=api_key.id if api_key is not None else None, counts=counts
    )
    session.add(audit)
    session.flush()
    return audit
