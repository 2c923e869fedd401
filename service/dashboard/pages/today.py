"""Today: what needs me now (the soonest calls), what went wrong (emails that did not
arrive), what happened (recent activity)."""

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

# The soonest due calls; the Calls page has them all, grouped.
TODAY_CALLS = 5


@router.get("/")
def today(request: Request, _: AdminDep, db: SessionDep, settings: SettingsDep) -> Response:
    calls, more = follow_ups.list_calls(
        session=db,
        api_key=None,
        status=FollowUpStatus.due,
        offset=0,
        limit=TODAY_CALLS,
        settings=settings,
    )
    return page(
        request,
        "today.html",
        active="today",
        counts=queries.counts(db),
        calls=calls,
        more_calls=more,
        problems=queries.open_problems(db),
        activity=queries.recent_activity(db),
    )
