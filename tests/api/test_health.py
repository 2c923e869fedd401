"""Health, readiness and metrics: what an operator's probes and Prometheus see."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.factories import auth, decline_body, run_due_at
from tests.inbound.mail import human_reply
from tests.waiting import wait_settled


def test_health_and_readiness_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "delivery": "capture"}


def _metric(client: TestClient, series: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    return 0.0  # a labelled series appears once it is first counted


def _accepted(client: TestClient) -> float:
    return _metric(client, "decline_declines_accepted_total")


def test_metrics_count_messages_by_status(client: TestClient, token: str) -> None:
    before = _accepted(client)
    made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
    wait_settled(client, token, made["id"])
    text = client.get("/metrics").text
    assert 'decline_messages{status="sent"} 2.0' in text
    assert 'decline_messages{status="failed"} 0.0' in text
    assert _accepted(client) == before + 1


def test_metrics_count_the_phone_step(client: TestClient, token: str) -> None:
    reply = 'decline_inbound_messages_total{classification="reply"}'
    reminders = "decline_call_reminders_queued_total"
    calls = 'decline_calls_logged_total{outcome="no_answer"}'
    before = {name: _metric(client, name) for name in (reply, reminders, calls)}
    made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
    decline = wait_settled(client, token, made["id"])
    charles, mary = decline["contacts"]
    raw = client.get(f"/v1/messages/{charles['message']['id']}/raw", headers=auth(token)).content
    client.post(
        "/v1/inbound",
        content=human_reply(raw, sender="charles@engines.example"),
        headers=auth(token) | {"Content-Type": "message/rfc822"},
    )
    run_due_at(client, datetime(2030, 1, 1, tzinfo=UTC))
    client.post(
        f"/v1/contacts/{mary['id']}/calls", json={"outcome": "no_answer"}, headers=auth(token)
    )
    assert _metric(client, reply) == before[reply] + 1
    assert _metric(client, reminders) == before[reminders] + 1
    assert _metric(client, calls) == before[calls] + 1
