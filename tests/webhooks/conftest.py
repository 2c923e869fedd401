from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.core.config import Settings
from service.webhooks import jobs
from tests.factories import auth, make_settings, new_api_key, running_app


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The receiver listens on 127.0.0.1: only allowed with the private-targets setting.
    return make_settings(
        database_url, tmp_path, webhooks_allow_private=True, webhook_timeout_seconds=0.5
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_app(settings) as client:
        yield client


@pytest.fixture
def token(database_url: str) -> str:
    return new_api_key(database_url)


def subscribe(client: TestClient, token: str, url: str, events: list[str]) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": url, "events": events}, headers=auth(token))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def deliver(
    client: TestClient, now: datetime | None = None, settings: Settings | None = None
) -> dict[str, int]:
    """One webhook delivery pass as of `now`, in the running app's loop."""
    portal = client.portal
    assert portal is not None
    app = client.app
    run = partial(
        jobs.deliver_due,
        engine=app.state.engine,  # type: ignore[attr-defined]
        settings=settings or app.state.settings,  # type: ignore[attr-defined]
        now=now,
    )
    return portal.call(run)  # type: ignore[arg-type]


def deliveries(client: TestClient, token: str, webhook_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=auth(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
