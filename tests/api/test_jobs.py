"""POST /v1/jobs/run-due runs the same pass as cron's `decline run-due`."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.auth import api_keys
from service.core.db import session_scope, utcnow
from service.declines.schemas import DeclineCreate
from service.declines.service import accept, accept_once
from service.models import IdempotencyRecord
from tests.factories import auth, decline_body


def test_run_due_over_http_delivers_what_is_queued(
    client: TestClient, token: str, settings
) -> None:
    engine = client.app.state.engine
    with session_scope(engine) as session:
        key = api_keys.authenticate(session=session, token=token)
        assert key is not None
        # Stored directly, so no request woke the outbox: only the job will send it.
        accept(
            session=session,
            request=DeclineCreate.model_validate(decline_body()),
            api_key=key,
            settings=settings,
            now=utcnow(),
        )
    assert client.post("/v1/jobs/run-due").status_code == 401
    result = client.post("/v1/jobs/run-due", headers=auth(token)).json()
    assert result["outbox"]["sent"] == 2
    assert len(list(settings.mail_capture_dir.glob("*.eml"))) == 2
    again = client.post("/v1/jobs/run-due", headers=auth(token)).json()
    assert again["outbox"]["sent"] == 0


def test_run_due_forgets_idempotency_keys_only_after_retention(
    client: TestClient, token: str, settings
) -> None:
    engine = client.app.state.engine
    with session_scope(engine) as session:
        key = api_keys.authenticate(session=session, token=token)
        assert key is not None
        for name, age in [("old", timedelta(hours=49)), ("recent", timedelta(hours=23))]:
            accept_once(
                session=session,
                request=DeclineCreate.model_validate(decline_body()),
                api_key=key,
                settings=settings,
                now=utcnow(),
                idempotency_key=name,
            )
            record = session.scalars(
                select(IdempotencyRecord).where(IdempotencyRecord.key == name)
            ).one()
            record.created_at = utcnow() - age
    result = client.post("/v1/jobs/run-due", headers=auth(token)).json()
    assert result["idempotency_keys_purged"] == 1
    with session_scope(engine) as session:
        left = session.scalars(select(IdempotencyRecord.key)).all()
        assert left == ["recent"]
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_the_scheduler_delivers_without_a_wake(database_url: str, tmp_path) -> None:
    from tests.factories import make_settings, new_api_key, running_app
    from tests.waiting import wait_settled

    token = new_api_key(database_url)
    settings = make_settings(database_url, tmp_path, outbox_poll_seconds=0.5)
    with running_app(settings, scheduler=True) as client:
        engine = client.app.state.engine
        with session_scope(engine) as session:
            key = api_keys.authenticate(session=session, token=token)
            assert key is not None
            decline = accept(
                session=session,
                request=DeclineCreate.model_validate(decline_body()),
                api_key=key,
                settings=settings,
                now=utcnow(),
            )
        assert wait_settled(client, token, decline.id)["status"] == "sent"
