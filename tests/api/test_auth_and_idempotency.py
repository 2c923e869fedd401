"""API keys and Idempotency-Key behaviour."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.core.db import make_engine
from service.models import ApiKey, Message
from tests.factories import auth, decline_body, new_api_key


def _count_messages(database_url: str) -> int:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Message)).scalar_one()
    engine.dispose()
    return int(count)


def test_every_v1_route_needs_a_key(client: TestClient) -> None:
    for method, path in [
        ("post", "/v1/declines"),
        ("post", "/v1/declines/preview"),
        ("get", "/v1/declines"),
        ("get", "/v1/declines/x"),
        ("post", "/v1/declines/x/cancel"),
        ("get", "/v1/messages/x/raw"),
    ]:
        for headers in ({}, auth("dk_not-a-real-key"), {"Authorization": "Basic Zm9vOmJhcg=="}):
            response = client.request(method, path, headers=headers, json=decline_body())
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/healthz").status_code == 200


def test_keys_are_stored_hashed(client: TestClient, token: str, database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(select(ApiKey.key_hash, ApiKey.prefix)).all()
    engine.dispose()
    assert all(token not in (h, p) for h, p in stored)
    assert all(len(h) == 64 for h, _ in stored)


def test_a_key_sees_only_its_own_declines(
    client: TestClient, token: str, database_url: str
) -> None:
    other = new_api_key(database_url, "other tool")
    mine = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
    message_id = mine["contacts"][0]["message"]["id"]
    assert client.get(f"/v1/declines/{mine['id']}", headers=auth(other)).status_code == 404
    assert client.post(f"/v1/declines/{mine['id']}/cancel", headers=auth(other)).status_code == 404
    assert client.get(f"/v1/messages/{message_id}/raw", headers=auth(other)).status_code == 404
    assert client.get("/v1/declines", headers=auth(other)).json()["items"] == []
    assert client.get(f"/v1/declines/{mine['id']}", headers=auth(token)).status_code == 200


def test_idempotent_retry_returns_first_response_and_sends_nothing_more(
    client: TestClient, token: str, database_url: str
) -> None:
    headers = auth(token) | {"Idempotency-Key": "order-7"}
    first = client.post("/v1/declines", json=decline_body(), headers=headers)
    again = client.post("/v1/declines", json=decline_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json() == first.json()
    assert _count_messages(database_url) == 2

    changed = client.post("/v1/declines", json=decline_body(company="Other Co"), headers=headers)
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()["detail"]
    assert _count_messages(database_url) == 2


def test_idempotency_keys_are_scoped_to_the_api_key(
    client: TestClient, token: str, database_url: str
) -> None:
    other = new_api_key(database_url, "other tool")
    a = client.post(
        "/v1/declines", json=decline_body(), headers=auth(token) | {"Idempotency-Key": "k"}
    )
    b = client.post(
        "/v1/declines", json=decline_body(), headers=auth(other) | {"Idempotency-Key": "k"}
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert _count_messages(database_url) == 4


def test_concurrent_retries_with_one_key_create_one_decline(
    client: TestClient, token: str, database_url: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    headers = auth(token) | {"Idempotency-Key": "double-click"}

    def post(_: int):
        return client.post("/v1/declines", json=decline_body(), headers=headers)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(post, range(6)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert _count_messages(database_url) == 2
