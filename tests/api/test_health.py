"""Health, readiness and metrics: what an operator's probes and Prometheus see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.models import FollowUp
from tests.factories import accept_quietly, auth, decline_body, run_due_at
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


def test_metrics_show_when_the_clock_stops_driving_the_work(
    client: TestClient, token: str, settings: Settings
) -> None:
    """With neither the scheduler nor cron running, due work waits, and the gauges say how
    long; one run-due pass brings them back to 0."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    accept_quietly(client, token, settings, now=utcnow() - timedelta(hours=1))
    assert 3590 < _metric(client, "decline_outbox_behind_seconds") < 3700
    assert _metric(client, 'decline_follow_ups{status="pending"}') == 2

    run_due_at(client)  # sends both: their calls are scheduled two business days out
    assert _metric(client, "decline_outbox_behind_seconds") == 0
    assert _metric(client, 'decline_follow_ups{status="scheduled"}') == 2
    assert _metric(client, "decline_follow_ups_behind_seconds") == 0

    with session_scope(engine) as db:  # one call's time came two hours ago, unnoticed
        first = db.scalars(select(FollowUp).limit(1)).one()
        first.due_at = utcnow() - timedelta(hours=2)
    assert 7190 < _metric(client, "decline_follow_ups_behind_seconds") < 7300

    assert run_due_at(client)["follow_ups"]["reminders_queued"] == 1
    assert _metric(client, "decline_follow_ups_behind_seconds") == 0
    assert _metric(client, 'decline_follow_ups{status="due"}') == 1
