"""Subscribing over /v1/webhooks: what is refused (422 problem+json), what each key sees."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories import auth, decline_body, make_settings, new_api_key, running_app
from tests.webhooks.conftest import deliver, deliveries, subscribe
from tests.webhooks.receiver import new_receiver, receiving

LOCAL = "http://127.0.0.1:9/hooks"


def test_a_loopback_url_is_refused_unless_private_targets_are_allowed(
    database_url: str, tmp_path: Path, token: str
) -> None:
    with running_app(make_settings(database_url, tmp_path)) as strict:
        refused = strict.post(
            "/v1/webhooks", json={"url": LOCAL, "events": ["message.sent"]}, headers=auth(token)
        )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert "127.0.0.1 is 127.0.0.1, loopback" in problem["detail"]
    assert "DECLINE_WEBHOOKS_ALLOW_PRIVATE=true" in problem["detail"]
    assert problem["errors"][0]["field"] == "url"
    allowed = make_settings(database_url, tmp_path, webhooks_allow_private=True)
    with running_app(allowed) as client:
        assert subscribe(client, token, LOCAL, ["message.sent"])["url"] == LOCAL


def test_a_url_that_is_not_http_is_refused(client: TestClient, token: str) -> None:
    response = client.post(
        "/v1/webhooks",
        json={"url": "file:///etc/passwd", "events": ["message.sent"]},
        headers=auth(token),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "a webhook URL must use http or https"


def test_an_unknown_event_is_refused(client: TestClient, token: str) -> None:
    response = client.post(
        "/v1/webhooks",
        json={"url": LOCAL, "events": ["message.sent", "message.opened"]},
        headers=auth(token),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "events[1]" and "'decline.created'" in error["message"]


def test_webhooks_need_a_key_and_belong_to_it(
    client: TestClient, token: str, database_url: str
) -> None:
    assert client.get("/v1/webhooks").status_code == 401
    hook = subscribe(client, token, LOCAL, ["reply.received", "message.sent"])
    assert hook["events"] == ["message.sent", "reply.received"]
    other = new_api_key(database_url, "another tool")
    assert client.get("/v1/webhooks", headers=auth(other)).json() == {"items": []}
    for method, path in (
        ("GET", f"/v1/webhooks/{hook['id']}"),
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("POST", f"/v1/webhooks/{hook['id']}/rotate-secret"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
    ):
        answer = client.request(method, path, headers=auth(other))
        assert answer.status_code == 404, (method, path)
        assert answer.json()["detail"] == f"no webhook with id {hook['id']}"
    [listed] = client.get("/v1/webhooks", headers=auth(token)).json()["items"]
    assert listed["id"] == hook["id"] and listed["secret"] is None


def test_another_key_s_declines_are_not_announced(
    client: TestClient, token: str, database_url: str
) -> None:
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        other = new_api_key(database_url, "another tool")
        client.post("/v1/declines", json=decline_body(), headers=auth(other))
        assert deliver(client)["claimed"] == 0
    assert receiver.received == [] and deliveries(client, token, hook["id"]) == []


def test_a_deleted_webhook_gets_nothing_more(client: TestClient, token: str) -> None:
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        client.post("/v1/declines", json=decline_body(), headers=auth(token))
        gone = client.delete(f"/v1/webhooks/{hook['id']}", headers=auth(token))
        assert gone.status_code == 204
        assert deliver(client)["claimed"] == 0
    assert receiver.received == []
    assert client.get(f"/v1/webhooks/{hook['id']}", headers=auth(token)).status_code == 404
