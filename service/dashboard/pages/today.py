"""Today: the counts, the calls due now with their scripts, and recent activity."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.core.deps import SessionDep, SettingsDep
from service.dashboard import queries
from service.dashboard.deps import AdminDep
from service.dashboard.render import page
from service.follow_ups import service as follow_ups
from service.models import FollowUpStatus

router = APIRouter()


@router.get("/")
def today(request: Request, _: AdminDep, db: SessionDep, settings: SettingsDep) -> Response:
    calls, more = follow_ups.list_calls(
        session=db,
        api_key=None,
        status=FollowUpStatus.due,
        offset=0,
        limit=20,
        settings=settings,
    )
    return page(
        request,
        "today.html",
        active="today",
        counts=queries.counts(db),
        calls=calls,
        more_calls=more,
        activity=queries.recent_activity(db),
    )
