"""Declines: every decline, newest first, filtered by company, contact, status and date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service.core.deps import SessionDep, SettingsDep
from service.dashboard import detail_queries
from service.dashboard.deps import AdminDep
from service.dashboard.render import page
from service.models import DeclineStatus

router = APIRouter()

RESULTS_ID = "declines-results"  # the element an htmx filter submit replaces
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/declines")
def declines(
    request: Request,
    _: AdminDep,
    db: SessionDep,
    settings: SettingsDep,
    q: Text = None,
    contact: Text = None,
    status: Text = None,
    since: Text = None,
    until: Text = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    errors: list[str] = []
    filters = detail_queries.Filters(
        q=(q or "").strip() or None,
        contact=(contact or "").strip() or None,
        status=status if status in set(DeclineStatus) else None,
        since=_day(since, "From", errors),
        until=_day(until, "To", errors),
    )
    results = detail_queries.declines_page(
        db, filters, cursor=cursor or None, zone=settings.timezone
    )
    only_table = request.headers.get("hx-target") == RESULTS_ID
    response = page(
        request,
        "_declines_table.html" if only_table else "declines.html",
        active="declines",
        filters=filters,
        errors=errors,
        statuses=list(DeclineStatus),
        results=results,
        paged=bool(cursor),
        results_id=RESULTS_ID,
    )
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def _day(value: str | None, name: str, errors: list[str]) -> date | None:
    """A filter date as the browser's date input sends it; a bad one is explained, not fatal."""
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"{name}: use a date like 2026-11-23; this filter was left out.")
        return None
