"""A call that falls due at once (a bounce, a spam complaint) is due at the first business
hour where the contact is: the time the reminder gives is the time the API lists."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from service.auth import api_keys
from service.core.db import session_scope, utcnow
from service.declines.schemas import DeclineCreate
from service.declines.service import accept
from service.follow_ups.service import due_now
from service.models import FollowUp, FollowUpStatus
from tests.factories import decline_body, make_settings

LONDON = ZoneInfo("Europe/London")


def test_a_bounce_late_at_night_makes_the_call_due_next_morning(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, business_hours="09:00-17:00")
    contacts = [{"name": "Bob", "email": "bob@acme.example", "timezone": "Europe/London"}]
    with session_scope(engine) as session:
        key, _ = api_keys.create(session=session, name="hours")
        accept(
            session=session,
            request=DeclineCreate.model_validate(decline_body(contacts=contacts)),
            api_key=key,
            settings=settings,
            now=utcnow(),
        )
        follow_up = session.scalars(select(FollowUp)).one()
        # Tuesday 1 December 2026, 23:01 in London (UTC in winter).
        late = datetime(2026, 12, 1, 23, 1, tzinfo=UTC)
        assert due_now(session, follow_up.id, settings, now=late)
    with session_scope(engine) as session:
        follow_up = session.scalars(select(FollowUp)).one()
        assert follow_up.status == FollowUpStatus.due
        assert follow_up.due_at is not None
        assert follow_up.due_at.astimezone(LONDON) == datetime(2026, 12, 2, 9, 0, tzinfo=LONDON)
