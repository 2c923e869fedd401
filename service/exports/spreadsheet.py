"""Declines as CSV for spreadsheets: one row per contact, safe to open in Excel or Calc."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.db import session_scope
from service.declines import service as declines
from service.declines.views import related
from service.models import (
    ApiKey,
    CallAttempt,
    Contact,
    Decline,
)

COLUMNS = (
    "decline_id",
    "created_at",
    "decline_status",
    "company",
    "job_title",
    "requisition_id",
    "candidate_name",
    "candidate_email",
    "contact_id",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "message_status",
    "sent_at",
    "last_error",
    "replied_at",
    "call_status",
    "call_due_at",
    "call_attempts",
    "last_call_outcome",
    "last_call_at",
)

# OWASP's CSV injection list: a spreadsheet takes a cell starting with one of these as a
# formula (tab and CR too, which some strip before looking).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 200  # declines read per query while streaming


def cell(value: Any) -> str:
    """The value as text a spreadsheet shows as typed, never runs."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def encode_rows(rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """CSV lines (RFC 4180: CRLF, quotes where needed), UTF-8 with a BOM so Excel
    reads the accents right; the header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(v) for v in row])
        yield buffer.getvalue().encode()


def _rows_of(session: Session, batch: Sequence[Decline]) -> list[tuple[Any, ...]]:
    ids = [d.id for d in batch]
    contacts, messages, follow_ups = related(session, ids)
    calls: dict[str, CallAttempt] = {}
    for attempt in session.scalars(
        select(CallAttempt)
        .where(col(CallAttempt.decline_id).in_(ids))
        .order_by(col(CallAttempt.created_at))
    ):
        calls[attempt.contact_id] = attempt  # the latest wins
    by_decline: dict[str, list[Contact]] = {i: [] for i in ids}
    for contact in contacts:
        by_decline[contact.decline_id].append(contact)
    rows = []
    for decline in batch:
        for contact in by_decline[decline.id]:
            message, follow_up = messages.get(contact.id), follow_ups.get(contact.id)
            call = calls.get(contact.id)
            rows.append(
                (
                    decline.id,
                    decline.created_at,
                    decline.status,
                    decline.company,
                    decline.job_title,
                    decline.requisition_id,
                    decline.candidate_name,
                    decline.candidate_email,
                    contact.id,
                    contact.name,
                    contact.role,
                    contact.email,
                    contact.phone,
                    message.status if message else None,
                    message.sent_at if message else None,
                    message.last_error if message else None,
                    contact.replied_at,
                    follow_up.status if follow_up else None,
                    follow_up.due_at if follow_up else None,
                    follow_up.call_attempts if follow_up else None,
                    call.outcome if call else None,
                    call.created_at if call else None,
                )
            )
    return rows


def iter_rows(
    engine: Engine,
    *,
    api_key: ApiKey,
    status_filter: str | None = None,
    company: str | None = None,
    contact_email: str | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Every matching decline's contacts, newest decline first, read a batch at a time in
    short transactions of their own (a long export holds no lock)."""
    cursor: str | None = None
    while True:
        with session_scope(engine) as session:
            batch, cursor = declines.list_page(
                session=session,
                api_key=api_key,
                status_filter=status_filter,
                company=company,
                contact_email=contact_email,
                cursor=cursor,
                limit=BATCH,
            )
            rows = _rows_of(session, batch)
        yield from rows
        if cursor is None:
            return
