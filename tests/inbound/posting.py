"""Send a decline and post inbound mail about it over the API, as a provider's route would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import auth, decline_body
from tests.waiting import wait_settled

RFC822 = {"Content-Type": "message/rfc822"}


def sent_decline(client: TestClient, token: str) -> tuple[dict[str, Any], list[bytes]]:
    """A decline delivered to every contact, and the exact bytes each contact received."""
    response = client.post("/v1/declines", json=decline_body(), headers=auth(token))
    decline = wait_settled(client, token, response.json()["id"])
    raws = [
        client.get(f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)).content
        for c in decline["contacts"]
    ]
    return decline, raws


def post_inbound(client: TestClient, token: str, raw: bytes) -> dict[str, Any]:
    response = client.post("/v1/inbound", content=raw, headers=auth(token) | RFC822)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
