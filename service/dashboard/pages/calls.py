"""Calls: the phone step's list (due now by default), each with its number, scripts and
outcome buttons; other statuses and pages by query string, like the API's call list."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.deps import SessionDep, SettingsDep
from service.core.errors import Unprocessable
from service.core.paging import Pager, offset_from
from service.dashboard import queries
from service.dashboard.deps import AdminDep
from service.dashboard.pages.detail import DONE
from service.dashboard.render import page
from service.follow_ups import service as follow_ups
from service.models import FollowUp, FollowUpStatus

router = APIRouter()

PAGE_SIZE = 25
ALL = "all"
STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    (FollowUpStatus.due, "Due now"),
    (FollowUpStatus.scheduled, "Scheduled (awaiting a reply)"),
    (FollowUpStatus.pending, "Pending (email not sent yet)"),
    (FollowUpStatus.done, "Done"),
    (FollowUpStatus.canceled, "Canceled (replied or stopped)"),
    (ALL, "All"),
)


def parse_status(value: str | None) -> FollowUpStatus | None:
    """`due` when absent; None for all; a readable refusal for anything else."""
    if value is None or value == "":
        return FollowUpStatus.due
    if value == ALL:
        return None
    try:
        return FollowUpStatus(value)
    except ValueError:
        known = ", ".join(v for v, _ in STATUS_CHOICES)
        raise Unprocessable(f"status must be one of {known}") from None


def status_counts(db: Session) -> dict[str, int]:
    """Follow-ups per status: one GROUP BY over the (status, due_at) index."""
    rows = db.execute(
        select(col(FollowUp.status), func.count()).group_by(col(FollowUp.status))
    ).all()
    counts = {str(status): int(n) for status, n in rows}
    counts[ALL] = sum(counts.values())
    return counts


@router.get("/calls")
def calls(
    request: Request,
    _: AdminDep,
    db: SessionDep,
    settings: SettingsDep,
    status: str | None = None,
    cursor: str | None = None,
    done: str | None = None,
) -> Response:
    wanted = parse_status(status)
    offset = offset_from(cursor)
    items, more = follow_ups.list_calls(
        session=db,
        api_key=None,
        status=wanted,
        offset=offset,
        limit=PAGE_SIZE,
        settings=settings,
    )
    key = wanted.value if wanted is not None else ALL
    pager = Pager(f"/dashboard/calls?status={key}", offset, PAGE_SIZE, more)
    return page(
        request,
        "calls.html",
        active="calls",
        calls=items,
        groups=queries.group_calls(
            items, lambda i: i.follow_up.due_at, now=datetime.now(UTC), zone=settings.timezone
        ),
        status=key,
        choices=STATUS_CHOICES,
        counts=status_counts(db),
        offset=offset,
        pager=pager,
        flash=DONE.get(done or ""),
        next_url=pager.here,
    )
