"""Health, readiness and metrics: what an operator's probes and Prometheus see."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import auth, decline_body
from tests.waiting import wait_settled


def test_health_and_readiness_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "delivery": "capture"}


def _accepted(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("decline_declines_accepted_total "):
            return float(line.split()[1])
    raise AssertionError("no decline_declines_accepted_total in /metrics")


def test_metrics_count_messages_by_status(client: TestClient, token: str) -> None:
    before = _accepted(client)
    made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
    wait_settled(client, token, made["id"])
    text = client.get("/metrics").text
    assert 'decline_messages{status="sent"} 2.0' in text
    assert 'decline_messages{status="failed"} 0.0' in text
    assert _accepted(client) == before + 1
