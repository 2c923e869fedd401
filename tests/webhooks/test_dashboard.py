"""The System page lists each webhook with its latest deliveries and what they were answered."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from service.core.db import utcnow
from tests.dashboard.conftest import login, set_password
from tests.factories import auth, decline_body
from tests.webhooks.conftest import deliver, subscribe
from tests.webhooks.receiver import new_receiver, receiving


def test_the_system_page_shows_webhooks_and_their_answers(
    client: TestClient, token: str, database_url: str
) -> None:
    set_password(database_url)
    login(client)
    assert "No webhook is subscribed" in client.get("/dashboard/system").text
    with receiving(new_receiver((500, 0.0), (200, 0.0))) as receiver:
        subscribe(client, token, receiver.url, ["decline.created"])
        client.post("/v1/declines", json=decline_body(), headers=auth(token))
        now = utcnow()
        deliver(client, now)
        retrying = client.get("/dashboard/system").text
        deliver(client, now + timedelta(seconds=5))
    assert receiver.url in retrying
    assert 'class="chip retrying">pending<' in retrying
    assert "HTTP 500" in retrying and "receiver says 500" in retrying
    delivered = client.get("/dashboard/system").text
    assert 'class="chip sent">delivered<' in delivered and "HTTP 200" in delivered
    assert "decline.created" in delivered
