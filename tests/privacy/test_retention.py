"""DECLINE_RETENTION_DAYS: run-due erases closed declines quiet for longer, and keeps recent
ones, open ones, and everything when unset."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlmodel import Session, SQLModel

from service.core.db import UTCDateTime
from service.models import Erasure
from tests.factories import auth, decline_body, make_settings, run_due_at, running_app
from tests.privacy.holdings import ADA, GRACE, details, make_holdings, mentions

KATHERINE = decline_body(
    candidate={"name": "Katherine Johnson", "email": "katherine@nasa.example"},
    contacts=[
        {"name": "Dorothy Vaughan", "email": "dorothy@langley.example", "role": "recruiter"},
        {"name": "Mary Jackson", "email": "mary.j@langley.example", "role": "interviewer"},
    ],
)


@contextmanager
def app_keeping(
    database_url: str, tmp_path: Path, smtp: Any, **values: Any
) -> Iterator[TestClient]:
    settings = make_settings(database_url, tmp_path, **smtp.settings(), **values)
    with running_app(settings) as client:
        yield client


def closed(client: TestClient, token: str, body: dict[str, Any], key: str) -> str:
    """A decline whose first contact replied and whose second was reached by phone."""
    made = make_holdings(client, token, body, key)
    second = made.decline["contacts"][1]["id"]
    call = client.post(
        f"/v1/contacts/{second}/calls", json={"outcome": "reached"}, headers=auth(token)
    )
    assert call.json()["follow_up"]["status"] == "done", call.text
    return str(made.decline["id"])


def age(engine: Engine, decline_id: str, days: int) -> None:
    """Move every time of the decline and of each row hanging off it back by `days`."""
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            key = table.c.id if table.name == "declines" else table.c.get("decline_id")
            times = [c for c in table.columns if isinstance(c.type, UTCDateTime)]
            if key is None or not times:
                continue
            for row in session.execute(select(table.c.id, *times).where(key == decline_id)):
                moved = {
                    c.name: value - timedelta(days=days)
                    for c, value in zip(times, row[1:], strict=True)
                    if value is not None
                }
                if moved:
                    session.execute(update(table).where(table.c.id == row[0]).values(**moved))
        session.commit()


def _exists(client: TestClient, token: str, decline_id: str) -> bool:
    return client.get(f"/v1/declines/{decline_id}", headers=auth(token)).status_code == 200


def test_a_decline_closed_31_days_ago_is_erased_recent_and_open_ones_stay(
    database_url: str, tmp_path: Path, smtp_server: Any, token: str, engine: Engine
) -> None:
    with app_keeping(database_url, tmp_path, smtp_server, retention_days=30) as client:
        old_closed = closed(client, token, ADA, "ada")
        old_open = make_holdings(client, token, GRACE, "grace").decline["id"]  # a call to make
        recent_closed = closed(client, token, KATHERINE, "katherine")
        age(engine, old_closed, 31)
        age(engine, old_open, 31)

        summary = run_due_at(client)

        assert summary["declines_purged"] == 1
        assert not _exists(client, token, old_closed)
        assert _exists(client, token, old_open) and _exists(client, token, recent_closed)
        assert mentions(engine, details(ADA)) == []
        with Session(engine) as session:
            (audit,) = session.scalars(select(Erasure)).all()
        assert audit.actor == "retention" and audit.api_key_id is None
        assert audit.counts["declines"] == 1 and audit.counts["messages"] == 2
        assert run_due_at(client)["declines_purged"] == 0


def test_a_pass_run_in_the_future_erases_nothing_early(
    database_url: str, tmp_path: Path, smtp_server: Any, token: str
) -> None:
    with app_keeping(database_url, tmp_path, smtp_server, retention_days=30) as client:
        decline_id = closed(client, token, ADA, "ada")
        future = datetime.now(UTC) + timedelta(days=40)
        assert run_due_at(client, now=future)["declines_purged"] == 0
        assert _exists(client, token, decline_id)


def test_without_retention_days_closed_declines_are_kept_forever(
    database_url: str, tmp_path: Path, smtp_server: Any, token: str, engine: Engine
) -> None:
    with app_keeping(database_url, tmp_path, smtp_server) as client:
        decline_id = closed(client, token, ADA, "ada")
        age(engine, decline_id, 3650)
        assert run_due_at(client)["declines_purged"] == 0
        assert _exists(client, token, decline_id)
