"""Outbox: messages (decline emails and call reminders) not delivered yet or not at all,
with their errors; Retry a failed one, Cancel a queued one (routes in pages/actions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, LargeBinary, and_, func, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.deps import SessionDep
from service.core.errors import Unprocessable
from service.core.paging import Pager, offset_from
from service.dashboard.deps import AdminDep
from service.dashboard.pages.detail import DONE
from service.dashboard.render import page
from service.declines.status import shown_status
from service.follow_ups import bounces
from service.models import Contact, Decline, Message, MessageStatus

router = APIRouter()

PAGE_SIZE = 50
HEADER_BYTES = 16384  # enough for our headers; the body is never read for the list
ACTIVE = (MessageStatus.queued, MessageStatus.sending, MessageStatus.failed, MessageStatus.bounced)
FILTERS: tuple[tuple[str, str], ...] = (
    ("all", "All not delivered"),
    ("queued", "Queued (first attempt)"),
    ("retrying", "Retrying"),
    ("sending", "Sending"),
    ("failed", "Failed"),
    ("bounced", "Bounced"),
)


@dataclass(frozen=True)
class OutboxRow:
    id: str
    decline_id: str
    company: str
    contact_name: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    to: str
    subject: str
    decline_canceled: bool
    contact_id: str

    @property
    def shown_status(self) -> str:
        return shown_status(self.status, self.attempts)

    @property
    def can_retry(self) -> bool:
        failed = self.status in (MessageStatus.failed, MessageStatus.bounced)
        return failed and not self.decline_canceled and bounces.retry_can_help(self.last_error)

    @property
    def needs_new_address(self) -> bool:
        """The address itself was refused: the way on is correcting it, not a retry."""
        failed = self.status in (MessageStatus.failed, MessageStatus.bounced)
        return failed and not self.decline_canceled and not self.can_retry

    @property
    def can_cancel(self) -> bool:
        return self.status == MessageStatus.queued


def condition(name: str) -> ColumnElement[bool]:
    """The WHERE for a filter; each one starts with `status`, the lead of ix_messages_due."""
    status, attempts = col(Message.status), col(Message.attempts)
    match name:
        case "all":
            return status.in_(ACTIVE)
        case "queued":
            return and_(status == MessageStatus.queued, attempts == 0)
        case "retrying":
            return and_(status == MessageStatus.queued, attempts > 0)
        case "sending" | "failed" | "bounced":
            return status == name
    known = ", ".join(value for value, _ in FILTERS)
    raise Unprocessable(f"status must be one of {known}")


def subject_of(raw_headers: bytes) -> str:
    """The decoded Subject from the kept copy's headers ("" if there is none)."""
    try:
        # compat32 parsing plus RFC 2047 decoding: a quarter of the cost of policy.default.
        value = BytesHeaderParser().parsebytes(raw_headers).get("Subject")
        return str(make_header(decode_header(str(value)))).strip() if value else ""
    except Exception:  # noqa: BLE001 - a damaged header only costs the column its text
        return ""


def page_ids(db: Session, name: str, *, offset: int, limit: int) -> list[str]:
    """The ids of one page, soonest next attempt first, walking ix_messages_due in order.

    "All" is four statuses: one index range each, every one cut at the page's end, merged.
    Sorting every undelivered message instead would grow with the failures kept forever.
    """
    window = offset + limit
    if name == "all":
        wheres = [col(Message.status) == status for status in ACTIVE]
    else:
        wheres = [condition(name)]
    parts = [
        select(col(Message.id).label("id"), col(Message.next_attempt_at).label("at"))
        .where(where)
        .order_by(col(Message.next_attempt_at), col(Message.id))
        .limit(window)
        .subquery()
        for where in wheres
    ]
    merged = union_all(*(select(part.c.id, part.c.at) for part in parts)).subquery()
    query = select(merged.c.id).order_by(merged.c.at, merged.c.id).offset(offset).limit(limit)
    return list(db.scalars(query))


def list_rows(db: Session, name: str, *, offset: int, limit: int) -> tuple[list[OutboxRow], bool]:
    """One page of rows (kept copies read only as far as their headers); and whether more."""
    ids = page_ids(db, name, offset=offset, limit=limit + 1)
    if not ids:
        return [], False
    query = (
        select(
            col(Message.id),
            col(Message.decline_id),
            col(Message.kind),
            col(Message.status),
            col(Message.attempts),
            col(Message.next_attempt_at),
            col(Message.last_error),
            col(Message.envelope_to),
            func.substr(col(Message.raw), 1, HEADER_BYTES, type_=LargeBinary),
            col(Contact.name),
            col(Decline.company),
            col(Decline.canceled_at),
            col(Message.contact_id),
        )
        .join(Contact, col(Contact.id) == col(Message.contact_id))
        .join(Decline, col(Decline.id) == col(Message.decline_id))
        .where(col(Message.id).in_(ids[:limit]))
    )
    order = {message_id: index for index, message_id in enumerate(ids)}
    rows = sorted(db.execute(query).all(), key=lambda r: order[r[0]])
    items = [
        OutboxRow(
            id=r[0],
            decline_id=r[1],
            kind=r[2],
            status=r[3],
            attempts=r[4],
            next_attempt_at=r[5],
            last_error=r[6],
            to=r[7],
            subject=subject_of(bytes(r[8] or b"")),
            contact_name=r[9],
            company=r[10],
            decline_canceled=r[11] is not None,
            contact_id=r[12],
        )
        for r in rows
    ]
    return items, len(ids) > limit


def counts(db: Session) -> dict[str, int]:
    by_status = dict(
        db.execute(
            select(col(Message.status), func.count())
            .where(col(Message.status).in_(ACTIVE))
            .group_by(col(Message.status))
        ).all()
    )
    retrying = db.scalar(select(func.count()).select_from(Message).where(condition("retrying")))
    queued = int(by_status.get(MessageStatus.queued, 0))
    return {
        "all": sum(int(n) for n in by_status.values()),
        "queued": queued - int(retrying or 0),
        "retrying": int(retrying or 0),
        "sending": int(by_status.get(MessageStatus.sending, 0)),
        "failed": int(by_status.get(MessageStatus.failed, 0)),
        "bounced": int(by_status.get(MessageStatus.bounced, 0)),
    }


@router.get("/outbox")
def outbox(
    request: Request,
    _: AdminDep,
    db: SessionDep,
    status: str | None = None,
    cursor: str | None = None,
    done: str | None = None,
) -> Response:
    name = status or "all"
    condition(name)  # refuses an unknown filter before any work
    offset = offset_from(cursor)
    rows, more = list_rows(db, name, offset=offset, limit=PAGE_SIZE)
    pager = Pager(f"/dashboard/outbox?status={name}", offset, PAGE_SIZE, more)
    return page(
        request,
        "outbox.html",
        active="outbox",
        rows=rows,
        status=name,
        filters=FILTERS,
        counts=counts(db),
        offset=offset,
        pager=pager,
        flash=DONE.get(done or ""),
        here=pager.here,
    )
