"""Small factories for request bodies and running apps."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import api_keys
from service.core.config import Settings
from service.core.db import make_engine, session_scope

BASE_BODY: dict[str, Any] = {
    "candidate": {"name": "Ada Lovelace", "email": "ada@home.example", "phone": "+44 20 7946 0958"},
    "company": "Analytical Engines Ltd",
    "job_title": "Principal Engineer",
    "requisition_id": "REQ-1843",
    "reason": "none",
    "round": "first",
    "contacts": [
        {
            "name": "Charles Babbage",
            "email": "charles@engines.example",
            "role": "recruiter",
            "phone": "+44 20 7946 0000",
        },
        {"name": "Mary Somerville", "email": "mary@engines.example", "role": "hiring_manager"},
    ],
}


def decline_body(**overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE_BODY)
    body.update(overrides)
    return body


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "mail_capture_dir": tmp_path / "capture",
        "mail_from": "Decline Service <declines@mailer.example>",
        "secret_key": "test-secret-key-test-secret-key",
        "outbox_poll_seconds": 3600,
        "smtp_timeout_seconds": 10.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def new_api_key(database_url: str, name: str = "tests") -> str:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        _, token = api_keys.create(session=session, name=name)
    engine.dispose()
    return token


def accept_quietly(
    client: TestClient,
    token: str,
    settings: Settings,
    *,
    now: datetime,
    count: int = 1,
    **overrides: Any,
) -> list[str]:
    """Declines accepted through the service as of `now`, one minute apart, without waking
    the outbox: their emails stay queued until a pass at or after their time."""
    from service.declines import service as declines
    from service.declines.schemas import DeclineCreate

    ids = []
    with session_scope(client.app.state.engine) as db:  # type: ignore[attr-defined]
        key = api_keys.authenticate(session=db, token=token)
        assert key is not None
        for index in range(count):
            decline = declines.accept(
                session=db,
                request=DeclineCreate.model_validate(decline_body(**overrides)),
                api_key=key,
                settings=settings,
                now=now + timedelta(minutes=index),
            )
            ids.append(decline.id)
    return ids


@contextmanager
def running_app(settings: Settings, *, scheduler: bool = False) -> Iterator[TestClient]:
    with TestClient(create_app(settings, scheduler=scheduler)) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run_due_at(client: TestClient, now: Any = None) -> dict[str, Any]:
    """`decline run-due --now`, inside a running app's loop, with its outbox."""
    from functools import partial

    from service.jobs import run_due

    portal = client.portal
    assert portal is not None, "use inside `with running_app(...)`"
    outbox = client.app.state.outbox
    # A pass still running from an earlier wake would be joined, and its sends counted in
    # this summary too: let it finish first, so the figures are this pass's alone.
    portal.call(outbox.wait_idle)
    return portal.call(partial(run_due, outbox=outbox, now=now))  # type: ignore[attr-defined]
