"""Due follow-ups get exactly one reminder, however many sweeps run at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select, update

from service.auth import api_keys
from service.core.db import make_engine, session_scope, utcnow
from service.declines.schemas import DeclineCreate
from service.declines.service import accept
from service.follow_ups.jobs import queue_due_reminders
from service.follow_ups.service import schedule_sent
from service.models import FollowUp, FollowUpStatus, Message, MessageKind, MessageStatus
from tests.factories import decline_body, make_settings

FAR = datetime(2030, 1, 1, tzinfo=UTC)


def _sent_declines(engine: Engine, settings, count: int) -> int:
    """`count` declines of 3 contacts whose emails went out ten days ago; follow-ups."""
    contacts = [
        {"name": f"Contact {i}", "email": f"c{i}@corp.example", "role": "interviewer"}
        for i in range(3)
    ]
    with session_scope(engine) as session:
        key, _ = api_keys.create(session=session, name="sweep")
        for _ in range(count):
            accept(
                session=session,
                request=DeclineCreate.model_validate(decline_body(contacts=contacts)),
                api_key=key,
                settings=settings,
                now=utcnow(),
            )
        session.execute(
            update(Message).values(status=MessageStatus.sent, sent_at=utcnow() - timedelta(days=10))
        )
        ids = list(session.scalars(select(Message.id)))
        return schedule_sent(session, ids, settings)


def test_concurrent_sweeps_queue_one_reminder_per_due_follow_up(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    scheduled = _sent_declines(engine, settings, count=40)
    assert scheduled == 120

    def sweep() -> int:
        own = make_engine(database_url)  # each "replica" with its own pool
        try:
            return asyncio.run(queue_due_reminders(engine=own, settings=settings, now=FAR))
        finally:
            own.dispose()

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda _: sweep(), range(4)))

    assert sum(counts) == 120
    with session_scope(engine) as session:
        reminders = session.execute(
            select(Message.contact_id, func.count())
            .where(Message.kind == MessageKind.reminder)
            .group_by(Message.contact_id)
        ).all()
        assert len(reminders) == 120 and {n for _, n in reminders} == {1}
        states = session.execute(
            select(FollowUp.status, FollowUp.reminders, func.count()).group_by(
                FollowUp.status, FollowUp.reminders
            )
        ).all()
        assert states == [(FollowUpStatus.due, 1, 120)]


def test_nothing_is_due_before_its_time(engine: Engine, database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path)
    _sent_declines(engine, settings, count=2)
    with session_scope(engine) as session:
        due = sorted(session.scalars(select(FollowUp.due_at)))
    just_before = due[0] - timedelta(seconds=1)
    assert asyncio.run(queue_due_reminders(engine=engine, settings=settings, now=just_before)) == 0
    assert asyncio.run(queue_due_reminders(engine=engine, settings=settings, now=due[0])) >= 1
