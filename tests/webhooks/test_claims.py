"""Several replicas on one PostgreSQL: a delivery is claimed by one worker at a time."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.core.config import Settings
from service.core.db import utcnow
from service.webhooks.delivery import claim_due
from tests.factories import auth, decline_body
from tests.webhooks.conftest import subscribe


def test_two_workers_never_claim_the_same_delivery(
    client: TestClient, token: str, settings: Settings, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: its claims cannot overlap")
    subscribe(client, token, "http://127.0.0.1:9/hooks", ["decline.created"])
    for _ in range(4):
        client.post("/v1/declines", json=decline_body(), headers=auth(token))
    small = settings.model_copy(update={"webhook_batch_size": 2})
    engine = client.app.state.engine  # type: ignore[attr-defined]
    # Both transactions open at once: the first holds its rows locked while the second claims.
    with Session(engine) as first, Session(engine) as second:
        mine = claim_due(session=first, now=utcnow(), settings=small)
        # Were the claim to wait for the first one's rows, fail instead of hanging.
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        theirs = claim_due(session=second, now=utcnow(), settings=small)
        first.commit()
        second.commit()
    assert len(mine) == len(theirs) == 2
    assert not {c.id for c in mine} & {c.id for c in theirs}
    assert mine[0].token != theirs[0].token
