"""A table added later is erased by adding one step."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from service.core.db import make_engine, utcnow
from service.privacy.erase import STEPS, Step, by_decline, erase, held_about
from tests.factories import accept_quietly, make_settings, new_api_key, running_app


def test_a_step_of_one_line_erases_a_new_tables_rows(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url, tmp_path)
    token = new_api_key(sqlite_url)
    with running_app(settings) as client:
        (ada,) = accept_quietly(client, token, settings, now=utcnow())
        (grace,) = accept_quietly(
            client, token, settings, now=utcnow(), candidate={"name": "G", "email": "g@x.example"}
        )
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:  # as another change's migration would make it
        conn.execute(text("CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY, decline_id TEXT)"))
        conn.execute(
            text("INSERT INTO webhook_deliveries VALUES ('1', :a), ('2', :g)"),
            {"a": ada, "g": grace},
        )
    steps = [*STEPS[:-1], Step("webhook_deliveries", by_decline("webhook_deliveries")), STEPS[-1]]
    with Session(engine, expire_on_commit=False) as session:
        held = held_about(session, email="ada@home.example", api_key=None)
        audit = erase(session=session, held=held, actor="cli", steps=steps)
        session.commit()
    assert audit.counts["webhook_deliveries"] == 1 and audit.counts["declines"] == 1
    with engine.connect() as conn:
        left = conn.execute(text("SELECT decline_id FROM webhook_deliveries")).scalars().all()
    assert left == [grace]
    engine.dispose()
